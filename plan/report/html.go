package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"

	"github.com/evalplan/evalplan/plan/display"
	"github.com/evalplan/evalplan/plan/result"
)

// endpointColor colours endpoint e by its place in endpoints, from Observable's categorical
// scheme; an endpoint not in the list gets the last colour.
func endpointColor(endpoints []string, e string) string {
	palette := [...]string{"#4269d0", "#efb118", "#ff725c", "#6cc5b0", "#3ca951", "#ff8ab7", "#a463f2", "#97bbf5", "#9c6b4e", "#9498a0"}
	for i, x := range endpoints {
		if x == e {
			return palette[i%len(palette)]
		}
	}
	return palette[len(palette)-1]
}

// barChart is the geometry of one benchmark's chart: a bar per endpoint with its 95%
// interval as a whisker.
type barChart struct {
	W, H           float64
	X0, X1, Y0, Y1 float64 // plot area: left, right, top, bottom
	Ticks          []chartTick
	Bars           []chartBar
	Label          string
}

// chartTick is one labelled line of a bar chart's y axis.
type chartTick struct {
	Y     float64
	Label string
}

// chartBar is one endpoint's bar: its rectangle, whisker and labels.
type chartBar struct {
	X, Y, W, H float64
	CX         float64
	Color      string
	Endpoint   string
	Value      string
	ValueY     float64
	Whisker    bool
	WTop, WBot float64
	Missing    bool
	Status     string
	Title      string
}

// barW and barH are the size of a benchmark's bar chart, in SVG units.
const barW, barH = 640.0, 250.0

// proportion reports whether run r's primary metric is a proportion (its interval is the
// Wilson interval, so every score was 0 or 1): its axis and interval stay within [0, 1].
func proportion(r Run, primary string) bool {
	return r.Metrics[primary].Interval == result.IntervalWilson
}

// runBounds are the limits of run r's axis: [0, 1] for a proportion, unbounded otherwise.
func runBounds(r Run, primary string) [2]float64 {
	if proportion(r, primary) {
		return [2]float64{0, 1}
	}
	return [2]float64{math.Inf(-1), math.Inf(1)}
}

// clampCI returns ci with both ends clamped to bounds.
func clampCI(ci [2]float64, bounds [2]float64) [2]float64 {
	for i := range ci {
		ci[i] = math.Min(math.Max(ci[i], bounds[0]), bounds[1])
	}
	return ci
}

// newBarChart lays out the chart of one benchmark. The y axis runs from 0 to 1, or to the
// largest interval bound when a score goes beyond 1; a proportion's interval never widens it.
func newBarChart(s Suite, b Benchmark) barChart {
	c := barChart{W: barW, H: barH, X0: 48, X1: barW - 12, Y0: 16, Y1: barH - 40, Label: b.Name}
	top := 1.0
	for _, r := range b.Runs {
		if r.Score != nil {
			top = math.Max(top, *r.Score)
		}
		if r.CI95 != nil {
			top = math.Max(top, clampCI(*r.CI95, runBounds(r, b.Primary))[1])
		}
	}
	top = niceCeil(top)
	y := func(v float64) float64 { return c.Y1 - (math.Max(0, v)/top)*(c.Y1-c.Y0) }
	for i := 0; i <= 5; i++ {
		v := top * float64(i) / 5
		c.Ticks = append(c.Ticks, chartTick{Y: y(v), Label: trimFloat(v)})
	}
	n := float64(max(len(b.Runs), 1))
	band := (c.X1 - c.X0) / n
	w := math.Min(band*0.56, 84)
	for i, r := range b.Runs {
		cx := c.X0 + band*(float64(i)+0.5)
		bar := chartBar{CX: cx, X: cx - w/2, W: w, Color: endpointColor(s.Endpoints, r.Endpoint), Endpoint: r.Endpoint, Status: r.Status}
		if r.Score == nil {
			bar.Missing = true
			bar.Y, bar.H = c.Y1-2, 2
			bar.ValueY = c.Y1 - 8
			bar.Title = fmt.Sprintf("%s: %s, no result", r.Endpoint, r.Status)
			c.Bars = append(c.Bars, bar)
			continue
		}
		bar.Y = y(*r.Score)
		bar.H = c.Y1 - bar.Y
		bar.Value = fmtScore(r.Score)
		bar.ValueY = bar.Y - 6
		bar.Title = fmt.Sprintf("%s: %s (%s)", r.Endpoint, fmtScore(r.Score), nText(r))
		if r.CI95 != nil {
			ci := clampCI(*r.CI95, runBounds(r, b.Primary))
			bar.Whisker, bar.WTop, bar.WBot = true, y(ci[1]), y(ci[0])
			bar.ValueY = bar.WTop - 6
			bar.Title += ", 95% interval " + fmtCI(r.CI95)
		}
		c.Bars = append(c.Bars, bar)
	}
	return c
}

// niceCeil rounds v up to 1, 2, 2.5 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// trimFloat shows v with at most two decimals and no trailing zeros.
func trimFloat(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "" || s == "-" {
		return "0"
	}
	return s
}

// historyChart is the geometry of one address's results over time.
type historyChart struct {
	W, H   float64
	Points []historyPoint
	Path   string
	Color  string
	Lo, Hi string
}

// historyPoint is one result on a history chart.
type historyPoint struct {
	X, Y, Top, Bot float64
	Whisker        bool
	Last           bool
	Title          string
}

// histW and histH are the size of an address's history chart, in SVG units.
const histW, histH = 240.0, 72.0

// newHistoryChart lays out the scored results of an address, oldest first, within bounds
// (intervals are clamped to them, and so is the axis); ok is false when it has none.
func newHistoryChart(r Run, color string, bounds [2]float64) (historyChart, bool) {
	c := historyChart{W: histW, H: histH, Color: color}
	var pts []Point
	for _, p := range r.History {
		if p.Score != nil {
			pts = append(pts, p)
		}
	}
	if len(pts) == 0 {
		return c, false
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range pts {
		l, h := *p.Score, *p.Score
		if p.CI95 != nil {
			ci := clampCI(*p.CI95, bounds)
			l, h = ci[0], ci[1]
		}
		lo, hi = math.Min(lo, l), math.Max(hi, h)
	}
	if hi-lo < 0.1 {
		mid := (hi + lo) / 2
		lo, hi = mid-0.05, mid+0.05
		if lo < bounds[0] {
			lo, hi = bounds[0], bounds[0]+0.1
		}
		if hi > bounds[1] {
			lo, hi = bounds[1]-0.1, bounds[1]
		}
	}
	c.Lo, c.Hi = fmt.Sprintf("%.2f", lo), fmt.Sprintf("%.2f", hi)
	const x0, x1, y0, y1 = 34.0, histW - 10, 8.0, histH - 10
	y := func(v float64) float64 { return y1 - (v-lo)/(hi-lo)*(y1-y0) }
	step := 0.0
	if len(pts) > 1 {
		step = (x1 - x0) / float64(len(pts)-1)
	}
	var path []string
	for i, p := range pts {
		x := x0 + step*float64(i)
		if len(pts) == 1 {
			x = (x0 + x1) / 2
		}
		hp := historyPoint{X: x, Y: y(*p.Score), Last: i == len(pts)-1}
		hp.Title = fmt.Sprintf("%s (n=%d) %s", fmtScore(p.Score), p.N, display.ShortID(p.Identity))
		if p.FinishedAt != nil {
			hp.Title += " " + p.FinishedAt.UTC().Format("2006-01-02 15:04")
		}
		if p.CI95 != nil {
			ci := clampCI(*p.CI95, bounds)
			hp.Whisker, hp.Top, hp.Bot = true, y(ci[1]), y(ci[0])
		}
		c.Points = append(c.Points, hp)
		cmd := "L"
		if i == 0 {
			cmd = "M"
		}
		path = append(path, fmt.Sprintf("%s%.1f %.1f", cmd, hp.X, hp.Y))
	}
	c.Path = strings.Join(path, " ")
	return c, true
}

// htmlRun is a run as the page shows it.
type htmlRun struct {
	Run
	Color   string
	History historyChart
	HasHist bool
}

// htmlBenchmark is a benchmark as the page shows it.
type htmlBenchmark struct {
	Benchmark
	Chart barChart
	HRuns []htmlRun
}

// htmlSuite is a suite as the page shows it, with each endpoint's colour.
type htmlSuite struct {
	Suite
	Colors      map[string]string
	HBenchmarks []htmlBenchmark
}

// htmlDoc is the report as the page's template reads it.
type htmlDoc struct {
	*Doc
	HSuites []htmlSuite
}

// WriteHTML writes doc as one self-contained HTML page: per suite a summary table, then per
// benchmark a bar chart of the endpoints' scores with 95% intervals (inline SVG), its
// results, paired comparisons, a history chart per address and its sub-score tables. The
// page loads nothing from elsewhere and runs no script.
func WriteHTML(w io.Writer, doc *Doc) error {
	h := htmlDoc{Doc: doc}
	for _, s := range doc.Suites {
		hs := htmlSuite{Suite: s, Colors: map[string]string{}}
		for _, e := range s.Endpoints {
			hs.Colors[e] = endpointColor(s.Endpoints, e)
		}
		for _, b := range s.Benchmarks {
			hb := htmlBenchmark{Benchmark: b, Chart: newBarChart(s, b)}
			for _, r := range b.Runs {
				hr := htmlRun{Run: r, Color: hs.Colors[r.Endpoint]}
				hr.History, hr.HasHist = newHistoryChart(r, hr.Color, runBounds(r, b.Primary))
				hb.HRuns = append(hb.HRuns, hr)
			}
			hs.HBenchmarks = append(hs.HBenchmarks, hb)
		}
		h.HSuites = append(h.HSuites, hs)
	}
	return reportTemplate.Execute(w, h)
}

// reportHTML is the page's template: markup, inline CSS and SVG, nothing loaded from
// elsewhere.
//
//go:embed report.html.tmpl
var reportHTML string

// reportTemplate renders an htmlDoc; it is parsed once and only ever executed.
var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"score":   fmtScore,
	"ci":      fmtCI,
	"signed":  fmtSigned,
	"f1":      func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"sub":     func(a, b float64) float64 { return a - b },
	"add":     func(a, b float64) float64 { return a + b },
	"verdict": verdict,
	"clip": func(s string, n int) string {
		if r := []rune(s); len(r) > n {
			return string(r[:n]) + "…"
		}
		return s
	},
	"runFor":  func(b htmlBenchmark, e string) Run { r, _ := runFor(b.Benchmark, e); return r },
	"deref":   func(v *float64) float64 { return *v },
	"subcell": subCell,
	"stderr": func(v *float64) string {
		if v == nil {
			return ""
		}
		return fmt.Sprintf("± %.3f", *v)
	},
	"changeClass": func(v *float64) string {
		switch {
		case v == nil:
			return "flat"
		case *v > 0.0005:
			return "up"
		case *v < -0.0005:
			return "down"
		}
		return "flat"
	},
}).Parse(reportHTML))
