package config

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/evalplan/evalplan/schema"
)

func (l *loader) decodeSuite(b *hcl.Block) *Suite {
	s := &Suite{Name: b.Labels[0], Overrides: map[string]*Override{}, DeclRange: b.DefRange}
	c := l.content(b.Body, schema.SuiteBody())
	prefix := "suite." + s.Name + "."
	set := map[string]bool{} // the selection attributes given, decoded or not
	for _, n := range []string{"benchmarks", "preset", "categories", "exclude"} {
		set[n] = c.Attributes[n] != nil
		if !l.notSensitive(c.Attributes[n], prefix+n, identityReason) {
			delete(c.Attributes, n)
		}
	}
	// written holds the benchmark names as written, resolved or not; complete is false when
	// some could not be read, so a benchmark block is not reported as unlisted in vain.
	written, complete := map[string]bool{}, true
	if a := c.Attributes["endpoints"]; a != nil {
		if list, ok := l.refList(a.Expr, "endpoint"); ok {
			if len(list) == 0 {
				l.errorf(a.Expr.Range().Ptr(), "No endpoints", "A suite runs its benchmarks against at least one endpoint: list them as endpoints = [endpoint.NAME, ...].")
			}
			s.Endpoints = l.dedupe(a, list, "endpoint.")
		}
	}
	if a := c.Attributes["benchmarks"]; a != nil {
		s.Benchmarks, written, complete = l.benchmarks(a)
	} else if set["benchmarks"] {
		complete = false // dropped above: it reads a sensitive value
	}
	if a := c.Attributes["preset"]; a != nil {
		if v, ok := l.str(a); ok {
			s.Preset = v
			if l.opts.Catalog != nil && !l.opts.Catalog.HasPreset(v) {
				l.errorf(a.Expr.Range().Ptr(), "Unknown preset", "There is no suite preset named %q. List the presets with `evalplan catalog presets`.", v)
			}
		}
	}
	if a := c.Attributes["categories"]; a != nil {
		if list, ok := l.strList(a); ok {
			s.Categories = list
			for _, cat := range list {
				if l.opts.Catalog != nil && !l.opts.Catalog.HasCategory(cat) {
					l.errorf(a.Expr.Range().Ptr(), "Unknown category", "There is no benchmark category named %q. List the categories with `evalplan catalog categories`.", cat)
				}
			}
		}
	}
	if a := c.Attributes["exclude"]; a != nil {
		if list, ok := l.strList(a); ok {
			s.Exclude = list
			for _, n := range list {
				if l.opts.Catalog == nil || strings.HasPrefix(n, "task.") {
					continue
				}
				if _, err := l.opts.Catalog.Lookup(n); err != nil {
					l.errorf(a.Expr.Range().Ptr(), "Invalid benchmark name", "exclude: %s.", err)
				}
			}
		}
	}
	if len(s.Benchmarks) == 0 && s.Preset == "" && len(s.Categories) == 0 && !set["benchmarks"] &&
		!set["preset"] && !set["categories"] {
		l.errorf(b.DefRange.Ptr(), "Suite has no benchmarks",
			"The suite %q selects no benchmarks. Add benchmarks = [...], preset = \"NAME\" or categories = [...].", s.Name)
	}
	if pb := l.single(c, "params"); pb != nil {
		s.Params = l.params(pb, prefix+"params.")
	}
	s.Interceptors = l.interceptorRefs(c)
	s.Executor = l.executorRef(c.Attributes["executor"])
	s.ContainerEnv = l.containerEnv(c)
	s.Runtime = l.runtime(c.Attributes["runtime"])
	for _, ob := range c.Blocks {
		if ob.Type == "benchmark" {
			l.override(s, ob, written, complete)
		}
	}
	return s
}

// dedupe reports repeated entries of a list and returns it without them.
func (l *loader) dedupe(a *hcl.Attribute, list []string, prefix string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range list {
		if seen[n] {
			l.errorf(a.Expr.Range().Ptr(), "Duplicate list entry", "%s%s is listed more than once in %s; remove the repeat.", prefix, n, a.Name)
			continue
		}
		seen[n] = true
		out = append(out, n)
	}
	return out
}

// benchmarks decodes a suite's benchmarks: strings (possibly from variables and locals) and
// task.X references, each validated against the catalog or the declared tasks. It also
// returns every name as written, valid or not, and whether every entry could be read.
func (l *loader) benchmarks(a *hcl.Attribute) (out []BenchmarkRef, written map[string]bool, complete bool) {
	written = map[string]bool{}
	if l.checkRefs(a.Expr, refOptions{}) {
		return nil, written, false
	}
	var refs []BenchmarkRef
	complete = true
	if elems, diags := hcl.ExprList(a.Expr); !diags.HasErrors() {
		for _, e := range elems {
			v, diags := l.value(e, l.ctx)
			l.addDiags(diags)
			if diags.HasErrors() {
				complete = false
				continue
			}
			cv, ok := l.convertValue(&hcl.Attribute{Name: "benchmarks", Expr: e, Range: e.Range()}, v, cty.String)
			if !ok {
				complete = false
				continue
			}
			refs = append(refs, BenchmarkRef{Name: cv.AsString(), Range: e.Range()})
		}
	} else {
		list, ok := l.strList(a)
		complete = ok
		for _, n := range list {
			refs = append(refs, BenchmarkRef{Name: n, Range: a.Expr.Range()})
		}
	}
	for _, r := range refs {
		written[r.Name] = true
	}
	seen := map[string]hcl.Range{}
	out = refs[:0]
	for _, r := range refs {
		r.Canonical = r.Name
		if !l.resolveBenchmark(&r) {
			continue
		}
		if prev, dup := seen[r.Canonical]; dup {
			l.errorf(r.Range.Ptr(), "Duplicate benchmark",
				"%q is already listed at %s (as %s). Each benchmark may appear once in a suite; remove the repeat.", r.Name, rangeString(prev), r.Canonical)
			continue
		}
		seen[r.Canonical] = r.Range
		out = append(out, r)
	}
	return out, written, complete
}

// resolveBenchmark validates a benchmark name and sets its canonical name.
func (l *loader) resolveBenchmark(r *BenchmarkRef) bool {
	if task, ok := strings.CutPrefix(r.Name, "task."); ok {
		if _, declared := l.declared["task"][task]; !declared {
			l.errorf(r.Range.Ptr(), "Reference to undeclared task", "There is no task named %q.%s Declare it with a task %q block, or fix the name.",
				task, didYouMean(task, names(l.declared["task"])), task)
			return false
		}
		return true
	}
	if l.opts.Catalog == nil {
		return true
	}
	canon, err := l.opts.Catalog.Lookup(r.Name)
	if err != nil {
		l.errorf(r.Range.Ptr(), "Invalid benchmark name", "%s.", err)
		return false
	}
	r.Canonical = canon
	return true
}

// override decodes a benchmark "NAME" block of a suite. written and complete are what
// benchmarks returned, for checkOverrideName.
func (l *loader) override(s *Suite, b *hcl.Block, written map[string]bool, complete bool) {
	name := b.Labels[0]
	o := &Override{Name: name, DeclRange: b.DefRange}
	c := l.content(b.Body, schema.BenchmarkBody())
	if prev, dup := s.Overrides[name]; dup {
		l.errorf(b.DefRange.Ptr(), "Duplicate benchmark block", "A benchmark %q block was already given at %s; merge the two.", name, rangeString(prev.DeclRange))
		return
	}
	if complete && !written[name] {
		l.checkOverrideName(s, b)
	}
	prefix := fmt.Sprintf("suite.%s.benchmark[%q].", s.Name, name)
	if !l.notSensitive(c.Attributes["image"], prefix+"image", identityReason) {
		delete(c.Attributes, "image")
	}
	if pb := l.single(c, "params"); pb != nil {
		o.Params = l.params(pb, prefix+"params.")
	}
	if a := c.Attributes["dataset"]; a != nil {
		o.Dataset, _ = l.ref(a.Expr, "dataset")
	}
	if a := c.Attributes["judge"]; a != nil {
		o.Judge, _ = l.ref(a.Expr, "endpoint")
	}
	o.Interceptors = l.interceptorRefs(c)
	o.Executor = l.executorRef(c.Attributes["executor"])
	o.ContainerEnv = l.containerEnv(c)
	o.Runtime = l.runtime(c.Attributes["runtime"])
	if a := c.Attributes["image"]; a != nil {
		if v, ok := l.str(a); ok {
			if !imagePattern().MatchString(v) {
				l.errorf(a.Expr.Range().Ptr(), "Invalid image",
					"image must be pinned by digest, as repo@sha256:<64 hex digits> (for example registry.example.com/eval/simple-evals@sha256:...). Find the digest with `docker inspect --format '{{index .RepoDigests 0}}' IMAGE`.")
			} else {
				o.Image = v
			}
		}
	}
	s.Overrides[name] = o
}

// checkOverrideName checks that a benchmark block names an entry of the suite's benchmarks, or
// a catalog benchmark when the suite uses a preset or categories.
func (l *loader) checkOverrideName(s *Suite, b *hcl.Block) {
	name := b.Labels[0]
	listed := make([]string, 0, len(s.Benchmarks))
	for _, r := range s.Benchmarks {
		if r.Name == name {
			return
		}
		listed = append(listed, r.Name)
	}
	if (s.Preset != "" || len(s.Categories) > 0) && l.opts.Catalog != nil && !strings.HasPrefix(name, "task.") {
		if _, err := l.opts.Catalog.Lookup(name); err == nil {
			return
		}
	}
	if (s.Preset != "" || len(s.Categories) > 0) && l.opts.Catalog == nil {
		return
	}
	l.errorf(b.LabelRanges[0].Ptr(), "Benchmark block for an unlisted benchmark",
		"benchmark %q does not name an entry of this suite's benchmarks.%s Write the name exactly as it appears in benchmarks, or add it there.",
		name, didYouMean(name, listed))
}

// identityParam reports whether a param is part of a run's identity (DESIGN §2).
func identityParam(name string) bool {
	switch name {
	case "limit_samples", "temperature", "top_p", "max_new_tokens", "seed", "sample", "extra":
		return true
	}
	return false
}

// params decodes a params block; prefix names it in messages ("suite.NAME.params.").
func (l *loader) params(b *hcl.Block, prefix string) Params {
	var p Params
	c := l.content(b.Body, schema.ParamsBody())
	at := hcl.Attributes{}
	for n, a := range c.Attributes {
		reason := paramsReason
		if identityParam(n) {
			reason = identityReason
		}
		if l.notSensitive(a, prefix+n, reason) {
			at[n] = a
		}
	}
	if a := at["limit_samples"]; a != nil {
		if f, ok := l.number(a); ok {
			switch {
			case f > maxLimitSamples:
				l.errorf(a.Expr.Range().Ptr(), "Invalid limit_samples",
					"limit_samples must be at most %d samples; got %g. Leave it out to use the whole dataset.", maxLimitSamples, f)
			case (f >= 1 && f == math.Trunc(f)) || (f > 0 && f < 1):
				p.LimitSamples = &f
			default:
				l.errorf(a.Expr.Range().Ptr(), "Invalid limit_samples",
					"limit_samples must be a whole number ≥ 1 or a fraction between 0 and 1 (e.g. 200 samples, or 0.1 for a tenth of the dataset); got %g.", f)
			}
		}
	}
	p.Temperature = l.numberIf(at["temperature"], func(f float64) bool { return f >= 0 }, "temperature must be 0 or greater.")
	p.TopP = l.numberIf(at["top_p"], func(f float64) bool { return f > 0 && f <= 1 }, "top_p must be greater than 0 and at most 1.")
	p.MaxNewTokens = l.intPtr(at["max_new_tokens"], 1)
	p.Seed = l.intPtr(at["seed"], math.MinInt32)
	if a := at["sample"]; a != nil {
		if v, ok := l.str(a); ok && l.enum(a, v, "random", "first") {
			p.Sample = &v
		}
	}
	if a := at["extra"]; a != nil {
		p.Extra = l.extra(a)
	}
	if v, ok := l.boolean(at["cache"]); ok {
		p.Cache = &v
	}
	p.Parallelism = l.intPtr(at["parallelism"], 1)
	if a := at["request_timeout"]; a != nil {
		if s, ok := l.positiveSeconds(a); ok {
			p.RequestTimeout = &s
		}
	}
	p.MaxRetries = l.intPtr(at["max_retries"], 0)
	if a := at["timeout"]; a != nil {
		if s, ok := l.positiveSeconds(a); ok {
			p.Timeout = &s
		}
	}
	return p
}

// maxLimitSamples bounds limit_samples: larger than any dataset, small enough to count in an int.
const maxLimitSamples = 1_000_000_000

func (l *loader) numberIf(a *hcl.Attribute, valid func(float64) bool, rule string) *float64 {
	f, ok := l.number(a)
	if !ok {
		return nil
	}
	if !valid(f) {
		l.errorf(a.Expr.Range().Ptr(), fmt.Sprintf("Invalid %s", a.Name), "%s Got %g.", rule, f)
		return nil
	}
	return &f
}

func (l *loader) intPtr(a *hcl.Attribute, min int) *int {
	n, ok := l.integer(a, min)
	if !ok {
		return nil
	}
	return &n
}

// extra decodes params.extra, a map or object, into plain Go values (via JSON).
func (l *loader) extra(a *hcl.Attribute) map[string]any {
	v, ok := l.eval(a, cty.DynamicPseudoType)
	if !ok {
		return nil
	}
	if !v.Type().IsObjectType() && !v.Type().IsMapType() {
		l.errorf(a.Expr.Range().Ptr(), "Invalid extra", "extra must be a map, e.g. extra = { n_samples = 4 }.")
		return nil
	}
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		l.errorf(a.Expr.Range().Ptr(), "Invalid extra", "extra cannot be represented as JSON: %s.", err)
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		l.errorf(a.Expr.Range().Ptr(), "Invalid extra", "extra cannot be represented as JSON: %s.", err)
		return nil
	}
	return m
}

func (l *loader) decodeExporter(b *hcl.Block) *Exporter {
	typ, name := b.Labels[0], b.Labels[1]
	s := schema.ExporterBody(typ)
	if s == nil {
		l.errorf(b.LabelRanges[0].Ptr(), "Unknown exporter type", "There is no exporter type %q.%s The exporter types are %s.",
			typ, didYouMean(typ, schema.ExporterTypes()), quoteList(schema.ExporterTypes()))
		return nil
	}
	e := &Exporter{Type: typ, Name: name, Attrs: map[string]cty.Value{}, DeclRange: b.DefRange}
	c := l.content(b.Body, s)
	for _, an := range names(c.Attributes) {
		a := c.Attributes[an]
		switch an {
		case "suites":
			if list, ok := l.refList(a.Expr, "suite"); ok {
				e.Suites = l.dedupe(a, list, "suite.")
			}
		case "tags":
			if m, ok := l.strMap(a, false); ok {
				e.Attrs[an] = mapValue(m)
			}
		default:
			if v, ok := l.eval(a, cty.String); ok {
				e.Attrs[an] = v
			}
		}
	}
	if v, ok := e.Attrs["tracking_uri"]; ok {
		if !strings.HasPrefix(v.AsString(), "http://") && !strings.HasPrefix(v.AsString(), "https://") {
			l.errorf(c.Attributes["tracking_uri"].Expr.Range().Ptr(), "Invalid tracking_uri",
				"tracking_uri must be an MLflow tracking server URL such as \"http://127.0.0.1:5000\": evalplan exports through the server's REST API and artifact proxy. For a local store, add server { managed = true } and evalplan starts one.")
		}
	}
	if sb := l.single(c, "server"); sb != nil {
		e.Server = l.server(sb)
	}
	return e
}

func mapValue(m map[string]string) cty.Value {
	if len(m) == 0 {
		return cty.MapValEmpty(cty.String)
	}
	vals := make(map[string]cty.Value, len(m))
	for k, v := range m {
		vals[k] = cty.StringVal(v)
	}
	return cty.MapVal(vals)
}

// server decodes an mlflow exporter's server block; keep_running defaults to true and managed
// to false.
func (l *loader) server(b *hcl.Block) map[string]cty.Value {
	c := l.content(b.Body, schema.MLflowServerBody())
	out := map[string]cty.Value{"managed": cty.False, "keep_running": cty.True}
	for _, n := range []string{"managed", "keep_running"} {
		if v, ok := l.boolean(c.Attributes[n]); ok {
			out[n] = cty.BoolVal(v)
		}
	}
	if a := c.Attributes["port"]; a != nil {
		if n, ok := l.integer(a, 1); ok {
			if n > 65535 {
				l.errorf(a.Expr.Range().Ptr(), "Invalid port", "port must be between 1 and 65535.")
			} else {
				out["port"] = cty.NumberIntVal(int64(n))
			}
		}
	}
	return out
}
