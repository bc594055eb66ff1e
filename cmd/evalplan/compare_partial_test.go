package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/evalplan/evalplan/cmd/evalplan-sim/sim"
	"github.com/evalplan/evalplan/plan/report"
	"github.com/evalplan/evalplan/plan/state"
)

// partialConfig is two endpoints on one simulator and 20 GSM8K samples, with no retries.
const partialConfig = `
variable "url" {
  type = string
}

endpoint "a" {
  url   = var.url
  model = "model-a"
}

endpoint "b" {
  url   = var.url
  model = "model-b"
}

dataset "gsm8k" {
  source = "data/gsm8k_200.jsonl"
  sha256 = "%s"
}

suite "s" {
  endpoints  = [endpoint.a, endpoint.b]
  benchmarks = ["native.gsm8k"]
  params {
    limit_samples = 20
    sample        = "first"
    max_retries   = 0
  }
  benchmark "native.gsm8k" {
    dataset = dataset.gsm8k
  }
}
`

// TestComparePartialRuns makes the first 5 requests fail (HTTP 500, no retries), so the
// runs end partial: `evalplan compare` and the report still compare them on the samples
// both answered and show the 5 errored samples as excluded.
func TestComparePartialRuns(t *testing.T) {
	w := newWorkspace(t)
	url := w.sim(map[string]float64{"model-a": 0.8, "model-b": 0.6}, sim.Faults{Rate500: 1, First: 5})
	w.env = append(w.env, "EVALPLAN_VAR_url="+url)
	w.write("eval.hcl", fmt.Sprintf(partialConfig, gsm8k200SHA))
	code, stdout, stderr := w.run("apply", "-auto-approve", "-no-color")
	st := w.state()
	partial := 0
	for _, ep := range []string{"a", "b"} {
		r := st.Resources[`suite.s.run["native.gsm8k"]["`+ep+`"]`]
		if r == nil || r.Status != state.StatusPartial && r.Status != state.StatusComplete {
			t.Fatalf("run on %s: %+v (apply exit %d)\n%s%s", ep, r, code, stdout, stderr)
		}
		if r.Status == state.StatusPartial {
			partial++
		}
	}
	if partial == 0 {
		t.Fatalf("no run ended partial (apply exit %d)\n%s%s", code, stdout, stderr)
	}

	code, stdout, stderr = w.run("compare", "-json", "a", "b")
	if code != exitOK {
		t.Fatalf("compare exit %d\n%s%s", code, stdout, stderr)
	}
	var rows []report.Pair
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("compare -json: %v\n%s", err, stdout)
	}
	x := rows[0].Excluded
	if x.ErroredNew+x.ErroredBase != 5 || rows[0].N != 20-x.Errored || x.Unmatched != 0 {
		t.Errorf("comparison = %+v; want the 5 errored samples excluded and counted, the other %d compared", *rows[0].Comparison, 20-x.Errored)
	}
	want := fmt.Sprintf("%d errored, 0 unmatched", x.Errored)
	if code, stdout, _ = w.run("compare", "a", "b"); code != exitOK || !strings.Contains(stdout, want) {
		t.Errorf("compare a b (exit %d) lacks %q:\n%s", code, want, stdout)
	}
	if code, stdout, _ = w.run("report"); code != exitOK || !strings.Contains(stdout, "| a − b | ") || !strings.Contains(stdout, want) {
		t.Errorf("report (exit %d) lacks the a − b row with %q:\n%s", code, want, stdout)
	}
}
