package native

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalplan/evalplan/providers/benchmark/scoring"
)

// conformanceDir holds the corpus and the driver of TestConformanceWithNeMo.
const conformanceDir = "testdata/conformance"

// conformanceSample is one line of testdata/conformance/corpus.jsonl.
type conformanceSample struct {
	Task     string `json:"task"`
	Variant  string `json:"variant"`
	Response string `json:"response"`
	Target   string `json:"target"`
}

// nemoScore is an extraction and score as the real package gives them.
type nemoScore struct {
	Extracted *string `json:"extracted"`
	Score     float64 `json:"score"`
}

// nemoLine is one line of score.py's output: mmlu fills the embedded score, gsm8k the two
// filters.
type nemoLine struct {
	nemoScore
	StrictMatch     *nemoScore `json:"strict_match"`
	FlexibleExtract *nemoScore `json:"flexible_extract"`
}

// nemoVenv is the venv with NVIDIA's packages (.ci/services.d/65-nemo-venv.sh). The test
// skips without one, except under CI=true, where a missing venv is a failure.
func nemoVenv(t *testing.T) string {
	t.Helper()
	v := os.Getenv("EVALPLAN_TEST_NEMO_VENV")
	if v == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("EVALPLAN_TEST_NEMO_VENV is not set: run .ci/services.sh, which creates the venv with nvidia-simple-evals and nvidia-lm-eval and records it in .ci/services.env")
		}
		t.Skip("EVALPLAN_TEST_NEMO_VENV is not set (a venv with nvidia-simple-evals==26.3 and nvidia-lm-eval==26.3; .ci/services.sh makes one)")
	}
	return v
}

// TestConformanceWithNeMo scores every response of testdata/conformance/corpus.jsonl with
// NVIDIA's packaged code (score.py, run by the venv's python) and with the native tasks'
// scorers, and requires the same extraction and the same score for every sample: native.mmlu
// against simple_evals.mmlu (nvidia-simple-evals 26.3) and native.gsm8k against lm-eval's
// gsm8k, both filters (nvidia-lm-eval 26.3). Regenerate the corpus with make_corpus.py.
func TestConformanceWithNeMo(t *testing.T) {
	venv := nemoVenv(t)
	corpus := readConformanceCorpus(t)
	real := runNeMoScorer(t, venv, len(corpus))
	agree := map[string][2]int{}
	for i, s := range corpus {
		a := agree[s.Task]
		a[1]++
		if diffs := compareWithNeMo(t, s, real[i]); len(diffs) == 0 {
			a[0]++
		} else {
			t.Errorf("sample %d (%s %s, target %q) response %q:\n  %s", i+1, s.Task, s.Variant,
				conformanceTail(s.Target), s.Response, strings.Join(diffs, "\n  "))
		}
		agree[s.Task] = a
	}
	for task, a := range agree {
		t.Logf("%s: %d/%d samples agree with NeMo", task, a[0], a[1])
	}
	if len(agree) != 2 {
		t.Errorf("corpus tasks %v, want mmlu and gsm8k", agree)
	}
}

// compareWithNeMo scores s with the native task and lists how it differs from real.
func compareWithNeMo(t *testing.T, s conformanceSample, real nemoLine) []string {
	t.Helper()
	var diffs []string
	check := func(metric string, want *nemoScore, v *verdict) {
		if want == nil {
			diffs = append(diffs, metric+": no result from NeMo")
			return
		}
		got := v.extracted[metric]
		if !sameString(got, want.Extracted) || v.score[metric] != want.Score {
			diffs = append(diffs, metric+": evalplan extracted "+showString(got)+" score "+showFloat(v.score[metric])+
				", NeMo extracted "+showString(want.Extracted)+" score "+showFloat(want.Score))
		}
	}
	ctx := context.Background()
	switch s.Task {
	case "mmlu":
		v, err := mmlu{}.score(ctx, nil, s.Response, &item{target: s.Target, letters: "ABCD"})
		if err != nil {
			t.Fatal(err)
		}
		check(scoring.MetricAccuracy, &real.nemoScore, v)
	case "gsm8k":
		v, err := gsm8k{}.score(ctx, nil, s.Response, &item{target: s.Target})
		if err != nil {
			t.Fatal(err)
		}
		check(scoring.MetricStrictMatch, real.StrictMatch, v)
		check(scoring.MetricFlexibleExtract, real.FlexibleExtract, v)
	default:
		t.Fatalf("corpus task %q: want mmlu or gsm8k", s.Task)
	}
	return diffs
}

func readConformanceCorpus(t *testing.T) []conformanceSample {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(conformanceDir, "corpus.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []conformanceSample
	for i, line := range bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n")) {
		var s conformanceSample
		if err := json.Unmarshal(line, &s); err != nil {
			t.Fatalf("corpus.jsonl line %d: %v", i+1, err)
		}
		out = append(out, s)
	}
	return out
}

// runNeMoScorer runs score.py with the venv's python and returns its n result lines.
func runNeMoScorer(t *testing.T, venv string, n int) []nemoLine {
	t.Helper()
	python := filepath.Join(venv, "bin", "python")
	cmd := exec.CommandContext(t.Context(), python, filepath.Join(conformanceDir, "score.py"), filepath.Join(conformanceDir, "corpus.jsonl"))
	cmd.Env = append(os.Environ(), "HF_HUB_OFFLINE=1", "HF_DATASETS_OFFLINE=1", "TRANSFORMERS_OFFLINE=1", "NEMO_EVALUATOR_TELEMETRY_LEVEL=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s score.py: %v\n%s", python, err, stderr.String())
	}
	var lines []nemoLine
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l nemoLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("score.py output line %d %q: %v", len(lines)+1, sc.Text(), err)
		}
		lines = append(lines, l)
	}
	if len(lines) != n {
		t.Fatalf("score.py wrote %d lines for %d samples; stderr:\n%s", len(lines), n, stderr.String())
	}
	return lines
}

func sameString(a, b *string) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

func showString(s *string) string {
	if s == nil {
		return "null"
	}
	b, _ := json.Marshal(*s)
	return string(b)
}

func showFloat(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

// conformanceTail is the end of a target, enough to tell GSM8K's answers apart.
func conformanceTail(s string) string {
	if i := strings.LastIndex(s, "#### "); i >= 0 {
		return s[i:]
	}
	return s
}
