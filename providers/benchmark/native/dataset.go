package native

import (
	"bufio"
	"bytes"
	"container/heap"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
)

// Sample selection modes.
const (
	sampleRandom = "random"
	sampleFirst  = "first"
)

// selection is the outcome of the first pass over a dataset.
type selection struct {
	// rows are the selected 0-based row numbers, ascending.
	rows []int
	// total is the number of rows in the file.
	total int
	// sha256 is the hex digest of the file's bytes.
	sha256 string
}

// sampleID is the id of a row: its 0-based number (GSM8K records have no id field).
func sampleID(row int) string { return strconv.Itoa(row) }

// eachLine calls fn with every non-blank line of r and its 0-based row number. Lines may
// be of any length; a final line without "\n" counts.
func eachLine(r io.Reader, fn func(row int, line []byte) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	row := 0
	for {
		line, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			if ferr := fn(row, line); ferr != nil {
				return ferr
			}
			row++
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// selectRows reads the dataset once: it checks every record, digests the file and chooses
// the rows to run.
func selectRows(path string, t task, s *settings) (*selection, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open dataset: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	var ranks rankHeap
	limit := -1 // unknown until the row count is known, for fractions
	if s.limit != nil && *s.limit >= 1 {
		limit = int(*s.limit)
	}
	total := 0
	err = eachLine(io.TeeReader(f, h), func(row int, line []byte) error {
		if _, err := t.parse(line); err != nil {
			return fmt.Errorf("dataset %s row %d: %w", path, row, err)
		}
		total++
		if s.sample == sampleRandom {
			ranks.offer(rank{key: sampleKey(s.seed, sampleID(row)), row: row}, limit)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read dataset: %w", err)
	}
	sel := &selection{total: total, sha256: hex.EncodeToString(h.Sum(nil))}
	n := total
	if s.limit != nil {
		n = limitCount(*s.limit, total)
	}
	switch {
	case n >= total:
		sel.rows = make([]int, total)
		for i := range sel.rows {
			sel.rows[i] = i
		}
	case s.sample == sampleFirst:
		sel.rows = make([]int, n)
		for i := range sel.rows {
			sel.rows[i] = i
		}
	default:
		// For a fraction every row was kept; keep the n smallest keys now.
		for ranks.Len() > n {
			heap.Pop(&ranks)
		}
		sel.rows = make([]int, 0, n)
		for _, r := range ranks {
			sel.rows = append(sel.rows, r.row)
		}
		slices.Sort(sel.rows)
	}
	return sel, nil
}

// limitCount is how many of total rows limit_samples selects: an integer N, or a fraction f
// of total rounded half away from zero, at least 1; never more than total.
func limitCount(limit float64, total int) int {
	n := int(limit)
	if limit < 1 {
		n = max(1, int(math.Round(limit*float64(total))))
	}
	return min(n, total)
}

// streamSelected reads the dataset again and calls fn for the selected rows, in file order.
// It stops early when ctx is done or fn fails.
func streamSelected(ctx context.Context, path string, t task, rows []int, fn func(row int, it item) error) error {
	if len(rows) == 0 {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open dataset: %w", err)
	}
	defer f.Close()
	next := 0
	errDone := errors.New("done")
	err = eachLine(f, func(row int, line []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if row != rows[next] {
			return nil
		}
		it, err := t.parse(line)
		if err != nil {
			return fmt.Errorf("dataset %s row %d: %w", path, row, err)
		}
		if err := fn(row, it); err != nil {
			return err
		}
		next++
		if next == len(rows) {
			return errDone
		}
		return nil
	})
	switch {
	case errors.Is(err, errDone):
		return nil
	case err != nil:
		return err
	case next < len(rows):
		return fmt.Errorf("dataset %s changed while running: row %d is missing", path, rows[next])
	}
	return nil
}

// sampleKey is the random-selection rank of a sample: the first 8 bytes of
// sha256(decimal seed, NUL, id), big-endian. It depends on nothing but its inputs.
func sampleKey(seed int, id string) uint64 {
	sum := sha256.Sum256([]byte(strconv.Itoa(seed) + "\x00" + id))
	return binary.BigEndian.Uint64(sum[:8])
}

// rank orders rows for random selection; ties (practically impossible) fall to the row.
type rank struct {
	key uint64
	row int
}

func (a rank) less(b rank) bool {
	if a.key != b.key {
		return a.key < b.key
	}
	return a.row < b.row
}

// rankHeap is a max-heap of ranks, so the largest of the kept ranks is dropped first.
type rankHeap []rank

func (h rankHeap) Len() int           { return len(h) }
func (h rankHeap) Less(i, j int) bool { return h[j].less(h[i]) }
func (h rankHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *rankHeap) Push(x any)        { *h = append(*h, x.(rank)) }
func (h *rankHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// offer keeps r if it is among the limit smallest ranks seen; limit < 0 keeps everything.
func (h *rankHeap) offer(r rank, limit int) {
	switch {
	case limit < 0 || h.Len() < limit:
		heap.Push(h, r)
	case r.less((*h)[0]):
		(*h)[0] = r
		heap.Fix(h, 0)
	}
}
