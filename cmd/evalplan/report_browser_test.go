package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/evalplan/evalplan/cmd/evalplan-sim/sim"
	"github.com/evalplan/evalplan/plan/report"
)

// reportConfig is pairConfig's suite plus a suite whose endpoint answers every request
// with HTTP 500, so the report has a run that did not complete.
const flakySuite = `
variable "flaky_url" {
  type = string
}

endpoint "c" {
  url   = var.flaky_url
  model = "model-c"
}

suite "flaky" {
  endpoints  = [endpoint.c]
  benchmarks = ["native.gsm8k"]
  params {
    limit_samples = 10
    sample        = "first"
    max_retries   = 0
  }
  benchmark "native.gsm8k" {
    dataset = dataset.gsm8k
  }
}
`

// reportWorkspace applies two endpoints twice (150, then 200 GSM8K samples, so each
// address has a history) and a suite that fails, and returns the workspace.
func reportWorkspace(t *testing.T) *workspace {
	t.Helper()
	w := newWorkspace(t)
	url := w.sim(map[string]float64{"model-a": 0.85, "model-b": 0.6}, sim.Faults{})
	flaky := w.sim(map[string]float64{"model-c": 0.5}, sim.Faults{Rate500: 1})
	w.env = append(w.env, "EVALPLAN_VAR_url="+url, "EVALPLAN_VAR_flaky_url="+flaky)
	w.write("eval.hcl", fmt.Sprintf(pairConfig, gsm8k200SHA, flakySuite))
	for _, limit := range []string{"150", "200"} {
		code, stdout, stderr := w.run("apply", "-auto-approve", "-no-color", "-var", "limit="+limit)
		if code != exitError || !strings.Contains(stdout, "4 complete") {
			t.Fatalf("apply (limit %s): exit %d, want 1 (the flaky suite fails) with 4 runs complete\n%s%s", limit, code, stdout, stderr)
		}
	}
	return w
}

// TestReportHTMLInChromium renders the HTML report in headless Chromium: the tables are
// there, one chart per benchmark, no console errors. It saves a full-page screenshot to
// .ci/artifacts/report.png. EVALPLAN_TEST_CHROMIUM names the browser
// (.ci/services.d/50-chromium.sh).
func TestReportHTMLInChromium(t *testing.T) {
	browser := os.Getenv("EVALPLAN_TEST_CHROMIUM")
	if browser == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("EVALPLAN_TEST_CHROMIUM is not set; run .ci/services.sh")
		}
		t.Skip("EVALPLAN_TEST_CHROMIUM is not set; run .ci/services.sh")
	}
	w := reportWorkspace(t)
	page := filepath.Join(w.dir, "report.html")
	if code, _, stderr := w.run("report", "-format", "html", "-o", page); code != exitOK {
		t.Fatalf("report -format html: exit %d\n%s", code, stderr)
	}
	code, stdout, _ := w.run("report", "-format", "json")
	var doc report.Doc
	if err := json.Unmarshal([]byte(stdout), &doc); code != exitOK || err != nil {
		t.Fatalf("report -format json: exit %d, %v", code, err)
	}
	benchmarks := 0
	for _, s := range doc.Suites {
		benchmarks += len(s.Benchmarks)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.Headless,
		chromedp.Flag("disable-gpu", true), chromedp.WindowSize(1280, 900))
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()

	var mu sync.Mutex
	var problems []string
	err := chromedp.Listen(bctx, func(ev any) {
		var p string
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			p = "exception: " + ev.ExceptionDetails.Text
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				p = fmt.Sprintf("console.%s", ev.Type)
			}
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				p = "log: " + ev.Entry.Text
			}
		}
		if p != "" {
			mu.Lock()
			problems = append(problems, p)
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatalf("start %s: %v", browser, err)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate("file://"+page)); err != nil {
		t.Fatalf("load the report: %v", err)
	}
	type counts struct {
		Title, Summary, Runs, Compare, Subscores, BenchCharts, DrawnCharts, HistoryCharts, Bars, Failed int
	}
	got, err := chromedp.Run(bctx, chromedp.Evaluate[counts](`(() => {
		const n = s => document.querySelectorAll(s).length;
		const charts = [...document.querySelectorAll('svg.chart-bench')];
		return {
			Title: document.title === 'evalplan report' ? 1 : 0,
			Summary: n('table.summary'), Runs: n('table.runs'), Compare: n('table.compare'),
			Subscores: n('table.subscores'), BenchCharts: charts.length,
			DrawnCharts: charts.filter(c => c.getBoundingClientRect().width > 200 && c.getBoundingClientRect().height > 60).length,
			HistoryCharts: n('svg.chart-history'), Bars: n('svg.chart-bench rect'),
			Failed: n('.badge.b-failed') + n('.badge.b-partial'),
		};
	})()`))
	if err != nil {
		t.Fatalf("inspect the page: %v", err)
	}
	// Suites s (GSM8K, MMLU; a, b) and flaky (GSM8K; c): 3 benchmarks, 5 runs, 4 with results.
	want := counts{Title: 1, Summary: 2, Runs: 3, Compare: 2, Subscores: 2, BenchCharts: benchmarks, DrawnCharts: benchmarks, HistoryCharts: 4, Bars: 5}
	got.Failed = min(got.Failed, 1)
	want.Failed = 1
	if got != want {
		t.Errorf("rendered page: got %+v, want %+v", got, want)
	}
	png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	mu.Lock()
	if len(problems) > 0 {
		t.Errorf("the page logged errors: %q", problems)
	}
	mu.Unlock()
	saveArtifact(t, "report.png", png)
	if b, err := os.ReadFile(page); err == nil {
		saveArtifact(t, "report.html", b)
	}
}

// saveArtifact writes a file CI keeps to .ci/artifacts at the repository root.
func saveArtifact(t *testing.T, name string, data []byte) {
	t.Helper()
	dir, err := filepath.Abs("../../.ci/artifacts")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("saved %s", filepath.Join(dir, name))
}
