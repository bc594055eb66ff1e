package plan_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/state"
)

// recordingServices records the starts and stops of managed endpoints.
type recordingServices struct {
	mu     sync.Mutex
	events []string
}

func (f *recordingServices) Start(_ context.Context, ep *config.Endpoint) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, "start "+ep.Name)
	return "http://127.0.0.1:9/v1", nil
}

func (f *recordingServices) Stop(_ context.Context, ep *config.Endpoint) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, "stop "+ep.Name)
	return nil
}

const managedSuites = `
endpoint "v" {
  model = "m"
  vllm {
    runtime = "process"
    command = ["server", "{port}"]
  }
}
dataset "d" {
  source = "data.jsonl"
  sha256 = "%064d"
}
suite "s" {
  endpoints  = [endpoint.v]
  benchmarks = ["native.gsm8k", "native.math500", "native.mmlu"]
  params {
    limit_samples = 2
  }
  benchmark "native.gsm8k" {
    dataset = dataset.d
  }
  benchmark "native.math500" {
    dataset = dataset.d
  }
  benchmark "native.mmlu" {
    dataset = dataset.d
  }
}
`

// TestRunRemoteGroup: the runs of one cluster job share one start of their managed
// endpoint, even one run at a time; a run whose identity no longer matches fails alone; Done reports every run.
func TestRunRemoteGroup(t *testing.T) {
	e := newEnv(t)
	svc := &recordingServices{}
	e.engine.Services = svc
	e.write(fmt.Sprintf(managedSuites, 0))
	cfg := e.load()
	p := e.plan(plan.Options{})
	var rrs []*plan.RemoteRun
	for _, a := range p.Actions {
		if a.Run == nil {
			continue
		}
		r := a.Run
		file, _ := fakeDatasets{}.Fetch(context.Background(), r.Plan.Dataset, "", nil)
		dir := r.RunDir(cfg.Settings.OutputDir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		rrs = append(rrs, &plan.RemoteRun{
			Address: a.Address, Identity: r.Identity, RunDir: dir, Dataset: file,
			Fingerprints: map[string]plan.Fingerprint{"v": r.Inputs.Endpoint},
		})
	}
	if len(rrs) != 3 {
		t.Fatalf("planned %d runs, want 3", len(rrs))
	}
	rrs[2].Identity = "0123456789abcdef" // submitted before the configuration changed
	var mu sync.Mutex
	done := map[string]string{}
	outs, errs, err := e.engine.RunRemoteGroup(context.Background(), cfg, rrs, plan.RemoteOptions{Parallelism: 1, Done: func(i int, out *plan.Outcome, err error) {
		mu.Lock()
		defer mu.Unlock()
		if out != nil {
			done[rrs[i].Address] = string(out.Status)
		} else {
			done[rrs[i].Address] = "error"
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"start v", "stop v"}, svc.events); diff != "" {
		t.Errorf("server events (-want +got):\n%s", diff)
	}
	want := map[string]string{rrs[0].Address: string(state.StatusComplete), rrs[1].Address: string(state.StatusComplete), rrs[2].Address: "error"}
	if diff := cmp.Diff(want, done); diff != "" {
		t.Errorf("Done (-want +got):\n%s", diff)
	}
	for i := range 2 {
		if outs[i] == nil || outs[i].Status != state.StatusComplete || errs[i] != nil {
			t.Errorf("run %d: %+v, %v; want complete", i, outs[i], errs[i])
		}
	}
	if outs[2] != nil || errs[2] == nil {
		t.Errorf("run with another identity: %+v, %v; want an error", outs[2], errs[2])
	}
	ran := slices.Clone(e.runner.runs)
	sort.Strings(ran)
	wantRan := []string{rrs[0].Address, rrs[1].Address}
	sort.Strings(wantRan)
	if diff := cmp.Diff(wantRan, ran); diff != "" {
		t.Errorf("runs carried out (-want +got):\n%s", diff)
	}
}
