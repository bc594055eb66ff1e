package report

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
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

// newBarChart lays out the chart of one benchmark. The y axis runs from 0 to 1, or to the
// largest interval bound when a score goes beyond 1.
func newBarChart(s Suite, b Benchmark) barChart {
	c := barChart{W: barW, H: barH, X0: 48, X1: barW - 12, Y0: 16, Y1: barH - 40, Label: b.Name}
	top := 1.0
	for _, r := range b.Runs {
		if r.Score != nil {
			top = math.Max(top, *r.Score)
		}
		if r.CI95 != nil {
			top = math.Max(top, r.CI95[1])
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
		bar.Title = fmt.Sprintf("%s: %s (n=%d)", r.Endpoint, fmtScore(r.Score), r.N)
		if r.CI95 != nil {
			bar.Whisker, bar.WTop, bar.WBot = true, y(r.CI95[1]), y(r.CI95[0])
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

// newHistoryChart lays out the scored results of an address, oldest first; ok is false
// when it has none.
func newHistoryChart(r Run, color string) (historyChart, bool) {
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
			l, h = p.CI95[0], p.CI95[1]
		}
		lo, hi = math.Min(lo, l), math.Max(hi, h)
	}
	if hi-lo < 0.1 {
		mid := (hi + lo) / 2
		lo, hi = mid-0.05, mid+0.05
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
		hp.Title = fmt.Sprintf("%s (n=%d) %s", fmtScore(p.Score), p.N, shortID(p.Identity))
		if p.FinishedAt != nil {
			hp.Title += " " + p.FinishedAt.UTC().Format("2006-01-02 15:04")
		}
		if p.CI95 != nil {
			hp.Whisker, hp.Top, hp.Bot = true, y(p.CI95[1]), y(p.CI95[0])
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

// shortID shortens an identity to 12 characters for display.
func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
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
				hr.History, hr.HasHist = newHistoryChart(r, hr.Color)
				hb.HRuns = append(hb.HRuns, hr)
			}
			hs.HBenchmarks = append(hs.HBenchmarks, hb)
		}
		h.HSuites = append(h.HSuites, hs)
	}
	return reportTemplate.Execute(w, h)
}

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

// reportHTML is the page's template.
const reportHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="evalplan">
<title>evalplan report</title>
<style>
:root { --fg:#1d2433; --muted:#5f6b7a; --line:#e3e7ee; --bg:#f5f7fa; --card:#fff; --accent:#4269d0;
  --ok:#1f7a4d; --okbg:#e3f4ea; --warn:#8a5a00; --warnbg:#fdf1d6; --bad:#a4262c; --badbg:#fbe4e4; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--fg); font:14px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header { background:#1d2433; color:#fff; padding:28px 40px 24px; }
header h1 { margin:0 0 4px; font-size:22px; font-weight:600; letter-spacing:.2px; }
header p { margin:0; color:#c5ccd8; font-size:13px; }
header .counts { margin-top:14px; display:flex; gap:8px; flex-wrap:wrap; }
main { max-width:1120px; margin:0 auto; padding:24px 40px 48px; }
h2 { font-size:18px; margin:28px 0 12px; font-weight:600; }
h2 .sub { color:var(--muted); font-weight:400; font-size:13px; margin-left:8px; }
h3 { font-size:16px; margin:0; font-weight:600; }
h4 { font-size:13px; margin:18px 0 8px; color:var(--muted); text-transform:uppercase; letter-spacing:.6px; font-weight:600; }
.card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:20px 22px; margin:16px 0; box-shadow:0 1px 2px rgba(16,24,40,.04); }
.card-head { display:flex; align-items:baseline; justify-content:space-between; gap:12px; margin-bottom:8px; }
.card-head .metric { color:var(--muted); font-size:13px; }
table { border-collapse:collapse; width:100%; font-size:13px; }
th, td { padding:7px 10px; border-bottom:1px solid var(--line); text-align:left; vertical-align:top; }
th { color:var(--muted); font-weight:600; font-size:12px; background:#fafbfc; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
tbody tr:nth-child(even) td { background:#fbfcfd; }
.score { font-weight:600; font-size:14px; }
.dim { color:var(--muted); font-size:12px; }
.swatch { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:6px; vertical-align:baseline; }
.badge { display:inline-block; padding:1px 8px; border-radius:999px; font-size:11px; font-weight:600; letter-spacing:.2px; }
.b-complete { color:var(--ok); background:var(--okbg); }
.b-partial, .b-running { color:var(--warn); background:var(--warnbg); }
.b-failed { color:var(--bad); background:var(--badbg); }
.b-sig { color:#fff; background:var(--accent); }
.b-nsig { color:var(--muted); background:#eef1f5; }
header .badge { background:rgba(255,255,255,.12); color:#fff; }
.up { color:var(--ok); } .down { color:var(--bad); } .flat { color:var(--muted); }
.grid { display:grid; grid-template-columns:minmax(0, 3fr) minmax(0, 2fr); gap:24px; align-items:start; }
.hist { display:grid; grid-template-columns:repeat(auto-fill, minmax(240px, 1fr)); gap:12px; }
.hist figure { margin:0; border:1px solid var(--line); border-radius:8px; padding:8px 10px; }
.hist figcaption { font-size:12px; color:var(--muted); }
.alert { border-radius:8px; padding:8px 12px; margin:4px 0 12px; font-size:12.5px; word-break:break-word; border:1px solid; }
.a-failed { background:var(--badbg); border-color:#f3c5c7; color:#5c1518; }
.a-partial, .a-running { background:var(--warnbg); border-color:#f1d9a3; color:#4d3300; }
table.summary th:first-child { width:24%; } table.summary th:nth-child(2) { width:14%; }
details summary { cursor:pointer; color:var(--accent); font-size:13px; margin:14px 0 6px; }
svg text { font-family:inherit; }
footer { color:var(--muted); font-size:12px; margin-top:32px; border-top:1px solid var(--line); padding-top:12px; }
.empty { color:var(--muted); padding:32px; text-align:center; }
</style>
</head>
<body>
<header>
<h1>evalplan report</h1>
<p>State <code>{{.State}}</code> · serial {{.Serial}} · generated {{.GeneratedAt.Format "2006-01-02 15:04 UTC"}}</p>
<div class="counts">{{range $k, $v := .Counts}}<span class="badge">{{$v}} {{$k}}</span>{{end}}</div>
</header>
<main>
{{if not .HSuites}}<p class="empty">The state has no runs yet: run <code>evalplan apply</code> first.</p>{{end}}
{{range $s := .HSuites}}
<section class="suite" id="suite-{{$s.Name}}">
<h2>Suite {{$s.Name}}<span class="sub">{{len $s.HBenchmarks}} benchmarks × {{len $s.Endpoints}} endpoints</span></h2>
<div class="card">
<table class="summary">
<thead><tr><th>benchmark</th><th>metric</th>{{range $s.Endpoints}}<th class="num"><span class="swatch" style="background:{{index $s.Colors .}}"></span>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range $b := $s.HBenchmarks}}<tr><td><a href="#{{$s.Name}}-{{$b.Name}}">{{$b.Name}}</a></td><td class="dim">{{$b.Primary}}</td>
{{range $e := $s.Endpoints}}{{with runFor $b $e}}{{if .Endpoint}}<td class="num">{{if .Score}}<span class="score">{{score .Score}}</span> <span class="dim">{{stderr .Stderr}}</span><br><span class="dim">{{ci .CI95}} n={{.N}}{{if .Errors}}, {{.Errors}} errors{{end}}</span>{{if .Change}}<br><span class="{{changeClass .Change}}">{{if eq (changeClass .Change) "up"}}▲{{else if eq (changeClass .Change) "down"}}▼{{else}}={{end}} {{signed (deref .Change)}}</span> <span class="dim">since {{score .Previous.Score}}</span>{{end}}{{end}}{{if ne .Status "complete"}}{{if .Score}}<br>{{end}}<span class="badge b-{{.Status}}" title="{{.Error}}">{{.Status}}</span>{{end}}</td>{{else}}<td class="num dim">–</td>{{end}}{{end}}{{end}}</tr>
{{end}}</tbody>
</table>
</div>
{{range $b := $s.HBenchmarks}}
<article class="card benchmark" id="{{$s.Name}}-{{$b.Name}}">
<div class="card-head"><h3>{{$b.Name}}</h3><span class="metric">primary metric: {{if $b.Primary}}{{$b.Primary}}{{else}}–{{end}} · bars show 95% intervals</span></div>
{{range $b.HRuns}}{{if ne .Status "complete"}}<div class="alert a-{{.Status}}"><span class="swatch" style="background:{{.Color}}"></span><strong>{{.Endpoint}}</strong> <span class="badge b-{{.Status}}">{{.Status}}</span>{{if .Error}} <span title="{{.Error}}">{{clip .Error 220}}</span>{{end}}</div>
{{end}}{{end}}<div class="grid">
<div>
{{with $b.Chart}}<svg class="chart-bench" role="img" aria-label="{{.Label}} scores by endpoint" viewBox="0 0 {{f1 .W}} {{f1 .H}}" width="100%" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">
{{range .Ticks}}<line x1="{{f1 $b.Chart.X0}}" x2="{{f1 $b.Chart.X1}}" y1="{{f1 .Y}}" y2="{{f1 .Y}}" stroke="#e3e7ee" stroke-width="1"/><text x="{{f1 (sub $b.Chart.X0 8)}}" y="{{f1 (add .Y 4)}}" text-anchor="end" font-size="11" fill="#5f6b7a">{{.Label}}</text>
{{end}}{{range .Bars}}<g><title>{{.Title}}</title>
{{if .Missing}}<rect x="{{f1 .X}}" y="{{f1 .Y}}" width="{{f1 .W}}" height="{{f1 .H}}" fill="#a4262c"/><text x="{{f1 .CX}}" y="{{f1 .ValueY}}" text-anchor="middle" font-size="12" font-weight="600" fill="#a4262c">{{.Status}}</text>
{{else}}<rect x="{{f1 .X}}" y="{{f1 .Y}}" width="{{f1 .W}}" height="{{f1 .H}}" rx="3" fill="{{.Color}}" fill-opacity="0.85"/>
{{if .Whisker}}<line x1="{{f1 .CX}}" x2="{{f1 .CX}}" y1="{{f1 .WTop}}" y2="{{f1 .WBot}}" stroke="#1d2433" stroke-width="1.5"/><line x1="{{f1 (sub .CX 9)}}" x2="{{f1 (add .CX 9)}}" y1="{{f1 .WTop}}" y2="{{f1 .WTop}}" stroke="#1d2433" stroke-width="1.5"/><line x1="{{f1 (sub .CX 9)}}" x2="{{f1 (add .CX 9)}}" y1="{{f1 .WBot}}" y2="{{f1 .WBot}}" stroke="#1d2433" stroke-width="1.5"/>{{end}}
<text x="{{f1 .CX}}" y="{{f1 .ValueY}}" text-anchor="middle" font-size="12" font-weight="600" fill="#1d2433">{{.Value}}</text>{{end}}
<text x="{{f1 .CX}}" y="{{f1 (add $b.Chart.Y1 18)}}" text-anchor="middle" font-size="12" fill="#1d2433">{{.Endpoint}}</text>
</g>
{{end}}<line x1="{{f1 .X0}}" x2="{{f1 .X1}}" y1="{{f1 .Y1}}" y2="{{f1 .Y1}}" stroke="#9aa4b2" stroke-width="1"/>
</svg>{{end}}
</div>
<div>
<h4>Results</h4>
<table class="runs">
<thead><tr><th>endpoint</th><th class="num">score</th><th class="num">95% interval</th><th class="num">n</th><th class="num">change</th></tr></thead>
<tbody>{{range $b.HRuns}}<tr><td><span class="swatch" style="background:{{.Color}}"></span>{{.Endpoint}}{{if ne .Status "complete"}} <span class="badge b-{{.Status}}" title="{{.Error}}">{{.Status}}</span>{{end}}</td>
<td class="num">{{if .Score}}<span class="score">{{score .Score}}</span> <span class="dim">{{stderr .Stderr}}</span>{{else}}–{{end}}</td><td class="num dim">{{ci .CI95}}</td><td class="num">{{.N}}{{if .Errors}} <span class="dim">({{.Errors}} err)</span>{{end}}</td>
<td class="num {{changeClass .Change}}">{{if .Change}}{{signed (deref .Change)}}{{else}}–{{end}}</td></tr>
{{end}}</tbody>
</table>
</div>
</div>
{{if $b.Comparisons}}<h4>Paired comparisons</h4>
<table class="compare">
<thead><tr><th>new − base</th><th class="num">difference</th><th class="num">95% interval</th><th class="num">n</th><th class="num">excluded</th><th>verdict</th></tr></thead>
<tbody>{{range $b.Comparisons}}<tr><td><span class="swatch" style="background:{{index $s.Colors .New}}"></span>{{.New}} − <span class="swatch" style="background:{{if .Previous}}{{index $s.Colors .New}}{{else}}{{index $s.Colors .Base}}{{end}}"></span>{{.Base}}</td><td class="num"><span class="score">{{signed .Diff}}</span> <span class="dim">{{stderr .Stderr}}</span></td><td class="num dim">{{ci .CI95}}</td><td class="num">{{.N}}</td><td class="num dim">{{.Errored}} errored · {{.Unmatched}} unmatched</td><td><span class="badge {{if .Significant}}b-sig{{else}}b-nsig{{end}}">{{verdict .Significant}}</span></td></tr>
{{end}}</tbody>
</table>{{end}}
<h4>History</h4>
<div class="hist">{{range $b.HRuns}}<figure><figcaption><span class="swatch" style="background:{{.Color}}"></span>{{.Endpoint}} · {{len .History.Points}} result{{if ne (len .History.Points) 1}}s{{end}}</figcaption>
{{$c := .Color}}{{if .HasHist}}{{with .History}}<svg class="chart-history" viewBox="0 0 {{f1 .W}} {{f1 .H}}" width="100%" xmlns="http://www.w3.org/2000/svg"><text x="4" y="14" font-size="10" fill="#5f6b7a">{{.Hi}}</text><text x="4" y="{{f1 (sub .H 10)}}" font-size="10" fill="#5f6b7a">{{.Lo}}</text>
<path d="{{.Path}}" fill="none" stroke="{{.Color}}" stroke-width="2"/>
{{range .Points}}<g><title>{{.Title}}</title>{{if .Whisker}}<line x1="{{f1 .X}}" x2="{{f1 .X}}" y1="{{f1 .Top}}" y2="{{f1 .Bot}}" stroke="{{$c}}" stroke-opacity="0.45" stroke-width="3"/>{{end}}<circle cx="{{f1 .X}}" cy="{{f1 .Y}}" r="{{if .Last}}4.5{{else}}3{{end}}" fill="{{if .Last}}{{$c}}{{else}}#fff{{end}}" stroke="{{$c}}" stroke-width="2"/></g>{{end}}
</svg>{{end}}{{else}}<p class="dim">no scored result yet</p>{{end}}</figure>
{{end}}</div>
{{range $t := $b.Subscores}}<details{{if le (len $t.Rows) 20}} open{{end}}><summary>Sub-scores by {{$t.Group}} ({{len $t.Rows}})</summary>
<table class="subscores">
<thead><tr><th>{{$t.Group}}</th>{{range $s.Endpoints}}<th class="num"><span class="swatch" style="background:{{index $s.Colors .}}"></span>{{.}}</th>{{end}}</tr></thead>
<tbody>{{range $row := $t.Rows}}<tr><td>{{$row.Name}}</td>{{range $e := $s.Endpoints}}<td class="num">{{subcell $row.Values $e}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
</details>{{end}}
</article>
{{end}}
</section>
{{end}}
<footer>Scores are means over the samples scored, with their standard error (n−1 denominator); 95% intervals are mean ± 1.96·stderr. Paired comparisons use the per-sample differences on the samples both runs answered; samples that errored on either side are excluded and counted. A difference is significant when its 95% interval excludes 0. Generated by evalplan.</footer>
</main>
</body>
</html>
`
