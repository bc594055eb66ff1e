package scaffold

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// gpuName is the gpu block a managed endpoint uses.
const gpuName = "local"

// Generate renders resolved answers (see Resolve) as the text of an eval.hcl, in the
// canonical layout of `evalplan fmt`.
func Generate(a *Answers) ([]byte, error) {
	e := a.Endpoint
	if err := ValidName(e.Name); err != nil {
		return nil, fmt.Errorf("generate: endpoint name: %w", err)
	}
	if e.VLLM == nil && e.URL == "" {
		return nil, errors.New("generate: the endpoint has neither a URL nor vLLM settings")
	}
	f := hclwrite.NewEmptyFile()
	body := f.Body()
	comment(body,
		"Written by `evalplan init`. Next: `evalplan plan` shows what would run and why,",
		"`evalplan apply` runs it. The language: docs/language.md in the evalplan repository.")

	if e.VLLM != nil {
		body.AppendNewline()
		comment(body, "The GPUs of this machine that a managed vLLM server may use.")
		gpu := body.AppendNewBlock("gpu", []string{gpuName}).Body()
		gpu.SetAttributeValue("devices", cty.StringVal("all"))
	}
	body.AppendNewline()
	writeEndpoint(body, e)
	body.AppendNewline()
	writeSuite(body, e.Name, a.Suite)
	if m := a.MLflow; m != nil {
		body.AppendNewline()
		writeMLflow(body, m)
	}
	if a.Local {
		body.AppendNewline()
		comment(body, "results.jsonl and results.csv, one row per run, under the output directory.")
		x := body.AppendNewBlock("exporter", []string{"local", "files"}).Body()
		x.SetAttributeRaw("suites", suiteList())
	}
	if a.CheckFloor != nil {
		body.AppendNewline()
		if err := writeCheck(body, *a.CheckFloor); err != nil {
			return nil, err
		}
	}
	body.AppendNewline()
	out := body.AppendNewBlock("output", []string{"scores"}).Body()
	out.SetAttributeTraversal("value", traversal("suite", SuiteName, "scores"))
	return hclwrite.Format(f.Bytes()), nil
}

func writeEndpoint(body *hclwrite.Body, e Endpoint) {
	if e.VLLM != nil {
		comment(body, "A vLLM server that evalplan starts for the runs that need it and stops after them.")
	} else {
		comment(body, "An OpenAI-compatible server that is already running.")
	}
	b := body.AppendNewBlock("endpoint", []string{e.Name}).Body()
	if e.VLLM == nil {
		b.SetAttributeValue("url", cty.StringVal(e.URL))
	}
	b.SetAttributeValue("model", cty.StringVal(e.Model))
	b.SetAttributeValue("type", cty.StringVal(e.Type))
	if e.APIKeyEnv != "" {
		b.SetAttributeRaw("api_key", hclwrite.TokensForFunctionCall("env", hclwrite.TokensForValue(cty.StringVal(e.APIKeyEnv))))
	}
	v := e.VLLM
	if v == nil {
		return
	}
	b.AppendNewline()
	vb := b.AppendNewBlock("vllm", nil).Body()
	vb.SetAttributeTraversal("gpu", traversal("gpu", gpuName))
	vb.SetAttributeValue("runtime", cty.StringVal(v.Runtime))
	vb.SetAttributeValue("tensor_parallel_size", cty.NumberIntVal(int64(v.TensorParallelSize)))
	if v.GPUMemoryUtilization != 0 {
		vb.SetAttributeValue("gpu_memory_utilization", cty.NumberFloatVal(v.GPUMemoryUtilization))
	}
	if v.MaxModelLen != 0 {
		vb.SetAttributeValue("max_model_len", cty.NumberIntVal(int64(v.MaxModelLen)))
	}
}

func writeSuite(body *hclwrite.Body, endpoint string, s Suite) {
	comment(body, "The benchmarks to run against the endpoint. Tasks of a preset or category that the",
		"endpoint cannot serve are skipped, and plan says why. Browse: `evalplan catalog`.")
	if s.Runtime == "venv" {
		comment(body, "Container benchmarks run from their harness's Python packages, in an environment that",
			"evalplan manages, without Docker (runtime = \"venv\", chosen at init); `evalplan runtimes",
			"prepare` creates it ahead of apply.")
	} else {
		comment(body, "Container benchmarks run in their catalog image, pinned by digest (runtime \"docker\",",
			"the default); runtime = \"venv\" runs them from their Python packages, without Docker.")
	}
	b := body.AppendNewBlock("suite", []string{SuiteName}).Body()
	b.SetAttributeRaw("endpoints", hclwrite.TokensForTuple([]hclwrite.Tokens{
		hclwrite.TokensForTraversal(traversal("endpoint", endpoint)),
	}))
	if s.Preset != "" {
		b.SetAttributeValue("preset", cty.StringVal(s.Preset))
	}
	if len(s.Categories) > 0 {
		b.SetAttributeValue("categories", stringList(s.Categories))
	}
	if len(s.Benchmarks) > 0 {
		b.SetAttributeValue("benchmarks", stringList(s.Benchmarks))
	}
	if s.Runtime == "venv" {
		b.SetAttributeValue("runtime", cty.StringVal(s.Runtime))
	}
	if s.LimitSamples == nil && s.Temperature == nil && s.Parallelism == nil {
		return
	}
	b.AppendNewline()
	p := b.AppendNewBlock("params", nil).Body()
	if s.LimitSamples != nil {
		p.SetAttributeValue("limit_samples", cty.NumberFloatVal(*s.LimitSamples))
	}
	if s.Temperature != nil {
		p.SetAttributeValue("temperature", cty.NumberFloatVal(*s.Temperature))
	}
	if s.Parallelism != nil {
		p.SetAttributeValue("parallelism", cty.NumberIntVal(int64(*s.Parallelism)))
	}
}

func writeMLflow(body *hclwrite.Body, m *MLflow) {
	comment(body, "One MLflow run per evalplan run, exported as each run finishes.")
	b := body.AppendNewBlock("exporter", []string{"mlflow", "tracking"}).Body()
	b.SetAttributeValue("tracking_uri", cty.StringVal(m.TrackingURI))
	b.SetAttributeValue("experiment", cty.StringVal(m.Experiment))
	b.SetAttributeRaw("suites", suiteList())
	if !m.Managed {
		return
	}
	b.AppendNewline()
	s := b.AppendNewBlock("server", nil).Body()
	s.SetAttributeValue("managed", cty.True)
}

// checkTemplate is the check's condition with FLOOR standing for the number: every score
// recorded for the suite (benchmark → endpoint → score) is at least FLOOR.
const checkTemplate = `length([for s in flatten([for b in values(suite.SUITE.scores) : values(b)]) : s if s < FLOOR]) == 0`

func writeCheck(body *hclwrite.Body, floor float64) error {
	cond, err := templateTokens(checkTemplate, map[string]hclwrite.Tokens{
		"SUITE": hclwrite.TokensForIdentifier(SuiteName),
		"FLOOR": hclwrite.TokensForValue(cty.NumberFloatVal(floor)),
	})
	if err != nil {
		return err
	}
	comment(body, "Checked after apply and by `evalplan check`: apply exits 4 when it fails.")
	b := body.AppendNewBlock("check", []string{"score_floor"}).Body()
	b.SetAttributeRaw("condition", cond)
	b.SetAttributeValue("error_message", cty.StringVal(fmt.Sprintf(
		"A benchmark scored below %s: see `evalplan output scores`.", strconv.FormatFloat(floor, 'g', -1, 64))))
	return nil
}

// templateTokens lexes a fixed expression and replaces each identifier named in subst by
// its tokens, so values reach the expression as tokens, never as source text.
func templateTokens(src string, subst map[string]hclwrite.Tokens) (hclwrite.Tokens, error) {
	toks, diags := hclsyntax.LexExpression([]byte(src), "template", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("generate: %s", diags.Error())
	}
	var out hclwrite.Tokens
	for _, t := range toks {
		if t.Type == hclsyntax.TokenEOF {
			break
		}
		if r, ok := subst[string(t.Bytes)]; ok && t.Type == hclsyntax.TokenIdent {
			out = append(out, r...)
			continue
		}
		out = append(out, &hclwrite.Token{Type: t.Type, Bytes: t.Bytes, SpacesBefore: 1})
	}
	return out, nil
}

func suiteList() hclwrite.Tokens {
	return hclwrite.TokensForTuple([]hclwrite.Tokens{hclwrite.TokensForTraversal(traversal("suite", SuiteName))})
}

func traversal(root string, attrs ...string) hcl.Traversal {
	t := hcl.Traversal{hcl.TraverseRoot{Name: root}}
	for _, a := range attrs {
		t = append(t, hcl.TraverseAttr{Name: a})
	}
	return t
}

func stringList(xs []string) cty.Value {
	vals := make([]cty.Value, len(xs))
	for i, x := range xs {
		vals[i] = cty.StringVal(x)
	}
	return cty.TupleVal(vals)
}

// comment appends full-line comments.
func comment(body *hclwrite.Body, lines ...string) {
	var toks hclwrite.Tokens
	for _, l := range lines {
		toks = append(toks, &hclwrite.Token{Type: hclsyntax.TokenComment, Bytes: []byte("# " + l + "\n")})
	}
	body.AppendUnstructuredTokens(toks)
}
