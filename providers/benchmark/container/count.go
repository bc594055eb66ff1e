package container

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// A Counter tells how many samples a finished container run scored, from what the attempt
// that started at since left in its run directory; ok is false when it cannot tell. The
// runner asks its counters in order and takes the first answer (see Runner.Counters), so a
// better source (an exact request journal, say) is added in front of the others.
type Counter interface {
	Count(runDir string, since time.Time) (n int, ok bool, err error)
}

// DefaultCounters are the counters of a Runner without its own: the harness's per-sample
// output, then the requests the evaluator's adapter counted.
func DefaultCounters() []Counter { return []Counter{SamplesFiles{}, ResponseStats{}} }

// SamplesFiles counts the samples in the per-sample files that lm-evaluation-harness writes
// with --log_samples (which NeMo's lm-eval tasks pass): samples_<task>_<timestamp>.jsonl,
// one per (sub)task, under <output_dir>/<model>/. A task with several filters (gsm8k's
// strict-match and flexible-extract) logs a line per sample and filter, so samples are the
// distinct doc_id values of a file (a line without one counts as a sample). Files older than the
// attempt (an earlier attempt's) are not counted. For a group task (mmlu) it is the sum over
// its subtasks: with limit_samples = 2, 57 × 2 = 114.
type SamplesFiles struct{}

// Count implements Counter.
func (SamplesFiles) Count(runDir string, since time.Time) (int, bool, error) {
	n, files := 0, 0
	err := filepath.WalkDir(runDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := d.Name()
		if !strings.HasPrefix(name, "samples_") || !strings.HasSuffix(name, ".jsonl") {
			return nil
		}
		info, err := d.Info()
		if err != nil || info.ModTime().Before(since.Add(-time.Second)) {
			return err
		}
		lines, err := countSamples(path)
		n, files = n+lines, files+1
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("count samples: %w", err)
	}
	return n, files > 0, nil
}

// countSamples counts the distinct doc_id values of an lm-eval samples file.
func countSamples(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 256<<20)
	n := 0
	seen := map[string]bool{}
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var s struct {
			DocID json.RawMessage `json:"doc_id"`
		}
		if json.Unmarshal(line, &s) == nil && len(s.DocID) > 0 {
			if seen[string(s.DocID)] {
				continue
			}
			seen[string(s.DocID)] = true
		}
		n++
	}
	return n, sc.Err()
}

// MetricsFile is the file in which nemo-evaluator's adapter records the requests it passed
// to the endpoint (response_stats).
const MetricsFile = "eval_factory_metrics.json"

// ResponseStats counts the successful requests that nemo-evaluator's adapter made
// (eval_factory_metrics.json: response_stats.successful_count, else count). It equals the
// number of samples for harnesses that send one request per sample (simple-evals with
// n_samples = 1, lm-eval generation tasks); it is more with n_samples > 1 or judge requests.
// Responses served from the evaluator's cache on a resumed attempt may not be counted.
type ResponseStats struct{}

// Count implements Counter.
func (ResponseStats) Count(runDir string, _ time.Time) (int, bool, error) {
	b, err := os.ReadFile(filepath.Join(runDir, MetricsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	var m struct {
		ResponseStats struct {
			Count           *float64 `json:"count"`
			SuccessfulCount *float64 `json:"successful_count"`
		} `json:"response_stats"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return 0, false, fmt.Errorf("%s: %w", MetricsFile, err)
	}
	rs := m.ResponseStats
	switch {
	case rs.SuccessfulCount != nil:
		return int(*rs.SuccessfulCount), true, nil
	case rs.Count != nil:
		return int(*rs.Count), true, nil
	}
	return 0, false, nil
}
