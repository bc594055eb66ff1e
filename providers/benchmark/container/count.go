package container

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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

// Count implements Counter: the samples ReadLMEvalSamples reads, one per doc_id of each
// (sub)task — the same reader that writes the run's journal.
func (SamplesFiles) Count(runDir string, since time.Time) (int, bool, error) {
	recs, ok, err := ReadLMEvalSamples(runDir, since)
	if err != nil {
		return 0, false, fmt.Errorf("count samples: %w", err)
	}
	return len(recs), ok, nil
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
