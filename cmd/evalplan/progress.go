package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"
)

// progress is a plan.Progress that the apply command stops when done. Writes go to the
// terminal between its updates: above live bars, which would otherwise redraw over them.
type progress interface {
	Total(addr string, n int64)
	Add(addr string, n, errs, tokens int64)
	Log(addr, msg string)
	Stop()
	io.Writer
}

func newProgress(c *cli, color bool) progress {
	// Bars need a terminal with a width; a zero-size pseudo-terminal (script -qc, some CI
	// runners) gets the plain lines.
	if c.stdoutTTY && terminalWidth() > 0 {
		return newBars(c.stdout)
	}
	return newLines(c.stdout, 5*time.Second)
}

// counter is the progress of one address.
type counter struct {
	total, done, errs, tokens int64
	started                   time.Time
	// note is the last line logged for the address and noteDone the count done then: while
	// nothing more is done, the note (say, "waiting 60s: server asked to retry after
	// 3600s (HTTP 429)") says more than a rate of 0 and an ETA of 0s.
	note     string
	noteDone int64
}

// logged records msg as the address's note.
func (k *counter) logged(msg string) {
	k.note, k.noteDone = msg, k.done
}

// status is the rate part of a progress line: rates and ETA, or the last note while
// nothing has been done since it, or "no answer yet".
func (k *counter) status() string {
	if k.note != "" && k.done == k.noteDone {
		return fmt.Sprintf("%d errors, %s", k.errs, k.note)
	}
	rps, tps, eta := k.rates()
	if rps == 0 {
		return fmt.Sprintf("%d errors, no answer yet", k.errs)
	}
	return fmt.Sprintf("%.1f req/s, %.0f tok/s, %d errors, ETA %s", rps, tps, k.errs, eta)
}

func (k *counter) rates() (rps, tps float64, eta time.Duration) {
	el := time.Since(k.started).Seconds()
	if el <= 0 {
		return 0, 0, 0
	}
	rps, tps = float64(k.done)/el, float64(k.tokens)/el
	if rps > 0 && k.total > k.done {
		eta = time.Duration(float64(k.total-k.done) / rps * float64(time.Second)).Round(time.Second)
	}
	return rps, tps, eta
}

// lines prints a plain line per active address every interval (for CI logs).
type lines struct {
	w    io.Writer
	mu   sync.Mutex
	runs map[string]*counter
	done chan struct{}
	wg   sync.WaitGroup
}

func newLines(w io.Writer, every time.Duration) *lines {
	l := &lines{w: w, runs: map[string]*counter{}, done: make(chan struct{})}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-l.done:
				return
			case <-t.C:
				l.print()
			}
		}
	}()
	return l
}

func (l *lines) get(addr string) *counter {
	k := l.runs[addr]
	if k == nil {
		k = &counter{started: time.Now()}
		l.runs[addr] = k
	}
	return k
}

func (l *lines) Total(addr string, n int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.get(addr).total = n
	unit := "samples"
	if isDataset(addr) {
		unit = "bytes"
	}
	fmt.Fprintf(l.w, "%s: started, %d %s to do\n", addr, n, unit)
}

func (l *lines) Add(addr string, n, errs, tokens int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := l.get(addr)
	k.done += n
	k.errs += errs
	k.tokens += tokens
	if k.total > 0 && k.done == k.total {
		fmt.Fprintf(l.w, "%s: %d/%d done, %d errors\n", addr, k.done, k.total, k.errs)
	}
}

func (l *lines) Log(addr, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if k := l.runs[addr]; k != nil {
		k.logged(msg)
	}
	fmt.Fprintf(l.w, "%s: %s\n", addr, msg)
}

func (l *lines) print() {
	l.mu.Lock()
	defer l.mu.Unlock()
	addrs := make([]string, 0, len(l.runs))
	for a, k := range l.runs {
		if k.done < k.total {
			addrs = append(addrs, a)
		}
	}
	sort.Strings(addrs)
	for _, a := range addrs {
		k := l.runs[a]
		fmt.Fprintf(l.w, "%s: %d/%d, %s\n", a, k.done, k.total, k.status())
	}
}

// Write writes p between two progress lines.
func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lines) Stop() {
	close(l.done)
	l.wg.Wait()
}

// bars shows one live bar per running address on a terminal.
type bars struct {
	p    *mpb.Progress
	mu   sync.Mutex
	runs map[string]*bar
}

type bar struct {
	b *mpb.Bar
	k counter
}

func newBars(w io.Writer) *bars {
	return &bars{p: mpb.New(mpb.WithOutput(w), mpb.WithRefreshRate(150*time.Millisecond)), runs: map[string]*bar{}}
}

func (b *bars) Total(addr string, n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.runs[addr]
	if r == nil {
		r = &bar{k: counter{started: time.Now()}}
		if isDataset(addr) {
			r.b = b.p.AddBar(n,
				mpb.PrependDecorators(decor.Name(addr+" ", decor.WCSyncSpaceR), decor.CountersKibiByte("% .1f / % .1f", decor.WCSyncWidth)),
				mpb.AppendDecorators(decor.Percentage(decor.WC{W: 5})),
			)
			b.runs[addr] = r
			r.k.total = n
			return
		}
		r.b = b.p.AddBar(n,
			mpb.PrependDecorators(decor.Name(addr+" ", decor.WCSyncSpaceR), decor.CountersNoUnit("%d/%d", decor.WCSyncWidth)),
			mpb.AppendDecorators(decor.Any(func(decor.Statistics) string {
				b.mu.Lock()
				defer b.mu.Unlock()
				return " " + r.k.status()
			})),
		)
		b.runs[addr] = r
	} else {
		r.b.SetTotal(n, false)
	}
	r.k.total = n
}

func (b *bars) Add(addr string, n, errs, tokens int64) {
	b.mu.Lock()
	r := b.runs[addr]
	if r != nil {
		r.k.done += n
		r.k.errs += errs
		r.k.tokens += tokens
	}
	b.mu.Unlock()
	if r != nil {
		r.b.IncrInt64(n)
	}
}

func (b *bars) Log(addr, msg string) {
	b.mu.Lock()
	if r := b.runs[addr]; r != nil {
		r.k.logged(msg)
	}
	b.mu.Unlock()
	fmt.Fprintf(b.p, "%s: %s\n", addr, msg)
}

// Write writes p above the bars.
func (b *bars) Write(p []byte) (int, error) { return b.p.Write(p) }

func (b *bars) Stop() {
	b.mu.Lock()
	for _, r := range b.runs {
		if !r.b.Completed() {
			r.b.Abort(false)
		}
	}
	b.mu.Unlock()
	b.p.Wait()
}

// terminalWidth is the width of the terminal on standard output, 0 when unknown.
func terminalWidth() int {
	w, _, err := term.GetSize(int(os.Stdout.Fd()))
	if err != nil {
		return 0
	}
	return w
}

// isDataset reports whether a progress address is a dataset's (counted in bytes).
func isDataset(addr string) bool {
	_, err := addrs.ParseDataset(addr)
	return err == nil
}
