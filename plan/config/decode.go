package config

import (
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/evalplan/evalplan/schema"
)

// content decodes a block body with a schema, reporting problems.
func (l *loader) content(body hcl.Body, s *hcl.BodySchema) *hcl.BodyContent {
	c, diags := body.Content(s)
	for _, d := range diags {
		if d.Summary == "Missing required argument" {
			d.Detail += " Add it to this block."
		}
	}
	l.addDiags(diags)
	if c == nil {
		c = &hcl.BodyContent{Attributes: hcl.Attributes{}}
	}
	return c
}

// single returns the only block of a type in c, reporting any extra ones.
func (l *loader) single(c *hcl.BodyContent, typ string) *hcl.Block {
	var first *hcl.Block
	for _, b := range c.Blocks {
		if b.Type != typ {
			continue
		}
		if first != nil {
			l.errorf(b.DefRange.Ptr(), fmt.Sprintf("Duplicate %s block", typ),
				"A %s block was already given at %s; only one is allowed. Merge the two.", typ, rangeString(first.DefRange))
			continue
		}
		first = b
	}
	return first
}

func (l *loader) decodeSettings() {
	s := Settings{State: DefaultState, OutputDir: DefaultOutputDir, CacheDir: DefaultCacheDir, Parallelism: DefaultParallelism}
	if bs := l.blocks[schema.BlockEvalplan]; len(bs) > 0 {
		c := l.content(bs[0].Body, schema.EvalplanBody())
		paths := []struct {
			name string
			dst  *string
		}{{"state", &s.State}, {"output_dir", &s.OutputDir}, {"cache_dir", &s.CacheDir}}
		for _, p := range paths {
			name, dst := p.name, p.dst
			if v, ok := l.str(c.Attributes[name]); ok {
				if v == "" {
					l.errorf(c.Attributes[name].Expr.Range().Ptr(), "Empty path", "%s must not be empty; remove it to use the default %q.", name, *dst)
					continue
				}
				*dst = v
			}
		}
		if n, ok := l.integer(c.Attributes["parallelism"], 1); ok {
			s.Parallelism = n
		}
		if v, ok := l.str(c.Attributes["image_mirror"]); ok {
			s.ImageMirror = strings.TrimRight(v, "/")
		}
		if v, ok := l.str(c.Attributes["hf_cache"]); ok {
			s.HFCache, s.HFCacheSet = v, true
		}
	}
	if !s.HFCacheSet {
		s.HFCache = filepath.Join(s.CacheDir, "hf")
	}
	for _, p := range []*string{&s.State, &s.OutputDir, &s.CacheDir, &s.HFCache} {
		if *p == "" {
			continue // hf_cache = "" turns the dataset cache off
		}
		if !filepath.IsAbs(*p) {
			*p = filepath.Join(l.dir, *p)
		}
	}
	l.cfg.Settings = s
}

func (l *loader) decodeBlocks() {
	for _, b := range l.blocks[schema.BlockGPU] {
		l.cfg.GPUs[b.Labels[0]] = l.decodeGPU(b)
	}
	for _, b := range l.blocks[schema.BlockEndpoint] {
		l.cfg.Endpoints[b.Labels[0]] = l.decodeEndpoint(b)
	}
	for _, b := range l.blocks[schema.BlockDataset] {
		l.cfg.Datasets[b.Labels[0]] = l.decodeDataset(b)
	}
	for _, b := range l.blocks[schema.BlockTask] {
		l.cfg.Tasks[b.Labels[0]] = l.decodeTask(b)
	}
	for _, b := range l.blocks[schema.BlockInterceptor] {
		l.cfg.Interceptors[b.Labels[0]] = l.decodeInterceptor(b)
	}
	for _, b := range l.blocks[schema.BlockExecutor] {
		if e := l.decodeExecutor(b); e != nil {
			l.cfg.Executors[e.Type+"."+e.Name] = e
		}
	}
	for _, b := range l.blocks[schema.BlockSuite] {
		l.cfg.Suites[b.Labels[0]] = l.decodeSuite(b)
	}
	for _, b := range l.blocks[schema.BlockExporter] {
		if e := l.decodeExporter(b); e != nil {
			l.cfg.Exporters[e.Type+"."+e.Name] = e
		}
	}
	for _, b := range l.blocks[schema.BlockCheck] {
		l.cfg.Checks[b.Labels[0]] = l.decodeCheck(b)
	}
	for _, b := range l.blocks[schema.BlockOutput] {
		l.cfg.Outputs[b.Labels[0]] = l.decodeOutput(b)
	}
}

func (l *loader) decodeGPU(b *hcl.Block) *GPU {
	g := &GPU{Name: b.Labels[0], DeclRange: b.DefRange}
	c := l.content(b.Body, schema.GPUBody())
	if a := c.Attributes["devices"]; a != nil {
		if v, ok := l.eval(a, cty.DynamicPseudoType); ok {
			g.Devices = l.devices(a, v)
		}
	}
	if n, ok := l.integer(c.Attributes["min_free_mib"], 0); ok {
		g.MinFreeMiB = n
	}
	l.decodeInventory(g, c)
	return g
}

// decodeInventory decodes a gpu block's declared inventory: count and memory together,
// name optional.
func (l *loader) decodeInventory(g *GPU, c *hcl.BodyContent) {
	if n, ok := l.integer(c.Attributes["count"], 1); ok {
		g.Count = n
	}
	if a := c.Attributes["memory"]; a != nil {
		if s, ok := l.str(a); ok {
			if m, err := ParseMemory(s); err != nil {
				l.errorf(a.Expr.Range().Ptr(), "Invalid memory", "%s; write the memory of one GPU such as \"80GiB\" or \"24576MiB\".", err)
			} else {
				g.MemoryMiB = m
			}
		}
	}
	g.DeviceName, _ = l.str(c.Attributes["name"])
	if (c.Attributes["count"] == nil) != (c.Attributes["memory"] == nil) {
		l.errorf(eitherRange(c.Attributes["count"], c.Attributes["memory"]), "Incomplete GPU inventory", "gpu.%s declares an inventory with both count and memory (e.g. count = 8 and memory = \"80GiB\"); set both, or neither to read the local GPUs.", g.Name)
	}
}

// eitherRange is the range of whichever attribute is set.
func eitherRange(x, y *hcl.Attribute) *hcl.Range {
	if x != nil {
		return x.Range.Ptr()
	}
	return y.Range.Ptr()
}

// ParseMemory parses a GPU memory size such as "80GiB", "80 GiB", "24576MiB" or "80GB"
// (10^9 bytes) into MiB.
func ParseMemory(s string) (int, error) {
	t := strings.TrimSpace(s)
	units := []struct {
		suffix string
		bytes  float64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"TiB", 1 << 40}, {"GB", 1e9}, {"MB", 1e6}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(t, u.suffix); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
			if err != nil || f <= 0 {
				break
			}
			return int(f * u.bytes / (1 << 20)), nil
		}
	}
	return 0, fmt.Errorf("memory %q is not a size", s)
}

// devices decodes gpu.devices: "all" (nil) or a non-empty list of device indexes.
func (l *loader) devices(a *hcl.Attribute, v cty.Value) []int {
	bad := func() []int {
		l.errorf(a.Expr.Range().Ptr(), "Invalid devices", `devices must be "all" or a non-empty list of GPU indexes such as [0, 1].`)
		return nil
	}
	if v.Type() == cty.String {
		if v.AsString() != "all" {
			return bad()
		}
		return nil
	}
	lv, err := convert.Convert(v, cty.List(cty.Number))
	if err != nil || lv.LengthInt() == 0 {
		return bad()
	}
	out := []int{}
	for it := lv.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() {
			return bad()
		}
		i, acc := e.AsBigFloat().Int64()
		if acc != 0 || i < 0 || i > 1<<16 {
			return bad()
		}
		out = append(out, int(i))
	}
	return out
}

func (l *loader) decodeEndpoint(b *hcl.Block) *Endpoint {
	e := &Endpoint{Name: b.Labels[0], Type: "chat", DeclRange: b.DefRange}
	c := l.content(b.Body, schema.EndpointBody())
	prefix := "endpoint." + e.Name + "."
	for _, n := range []string{"model", "type", "revision", "capabilities"} {
		if !l.notSensitive(c.Attributes[n], prefix+n, identityReason) {
			delete(c.Attributes, n)
		}
	}
	if a := c.Attributes["model"]; a != nil {
		if v, ok := l.str(a); ok {
			if strings.TrimSpace(v) == "" {
				l.errorf(a.Expr.Range().Ptr(), "Empty model", "model must name the model to request, e.g. \"Qwen/Qwen2.5-7B-Instruct\".")
			}
			e.Model = v
		}
	}
	if a := c.Attributes["type"]; a != nil {
		if v, ok := l.str(a); ok && l.enum(a, v, "chat", "completions") {
			e.Type = v
		}
	}
	var first *hcl.Block
	for _, kind := range ServerKinds() {
		sb := l.single(c, kind)
		switch {
		case sb == nil:
		case first != nil:
			l.errorf(sb.DefRange.Ptr(), "Two server blocks",
				"The endpoint %q already has a %s block at %s; an endpoint has one server. Keep one of them, or declare a second endpoint.", e.Name, first.Type, rangeString(first.DefRange))
		default:
			first = sb
			e.Server = l.decodeServer(sb, prefix+kind+".")
		}
	}
	if a := c.Attributes["url"]; a != nil {
		e.URLSensitive = readsSensitive(a.Expr, l.ctx)
		if v, ok := l.str(a); ok {
			e.URL, _ = l.endpointURL(a, v)
		}
	} else if e.Server == nil {
		l.errorf(b.DefRange.Ptr(), "Missing endpoint url",
			"The endpoint %q has neither url nor a server block. Set url to an OpenAI-compatible server's base URL ending in /v1 (e.g. \"http://127.0.0.1:8000/v1\"), or add a vllm {}, sglang {} or nim {} block to let evalplan start the server.", e.Name)
	}
	if a := c.Attributes["api_key"]; a != nil {
		if v, ok := l.evalSensitive(a, cty.String); ok {
			e.APIKey = v.AsString()
		}
	}
	if m, ok := l.strMap(c.Attributes["headers"], true); ok {
		e.Headers = m
	}
	if v, ok := l.str(c.Attributes["revision"]); ok {
		e.Revision = v
	}
	if v, ok := l.boolean(c.Attributes["stream"]); ok {
		e.Stream = v
	}
	if v, ok := l.boolean(c.Attributes["allow_cross_host_redirects"]); ok {
		e.AllowCrossHostRedirects = v
	}
	if a := c.Attributes["capabilities"]; a != nil {
		if list, ok := l.strList(a); ok {
			e.Capabilities = l.subset(a, list, "embedding", "logprobs", "vision")
		}
	}
	return e
}

// endpointURL validates an endpoint's base URL: http(s), a host, ending in /v1. A trailing
// slash is trimmed.
func (l *loader) endpointURL(a *hcl.Attribute, raw string) (string, bool) {
	s := strings.TrimRight(strings.TrimSpace(raw), "/")
	u, err := url.Parse(s)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		l.errorf(a.Expr.Range().Ptr(), "Invalid endpoint url",
			"url must be an http:// or https:// URL with a host, e.g. \"http://127.0.0.1:8000/v1\" or \"https://api.example.com/v1\".")
		return "", false
	case !strings.HasSuffix(u.Path, "/v1"):
		example := u.Scheme + "://" + u.Host + "/v1"
		if readsSensitive(a.Expr, l.ctx) {
			example = "https://api.example.com/v1"
		}
		l.errorf(a.Expr.Range().Ptr(), "Invalid endpoint url",
			"url must be the OpenAI-compatible base URL, ending in /v1 (e.g. %q): evalplan appends /chat/completions, /completions and /models to it.", example)
		return "", false
	case u.RawQuery != "" || u.Fragment != "":
		l.errorf(a.Expr.Range().Ptr(), "Invalid endpoint url", "url must not have a query or fragment; put extra request settings in headers.")
		return "", false
	}
	return s, true
}

// serverNames are a server block's names for the settings of ManagedServer: tensor
// parallel size, memory fraction, context length, concurrent sequences ("" when the block
// has none).
var serverNames = map[string][4]string{
	ServerVLLM:   {"tensor_parallel_size", "gpu_memory_utilization", "max_model_len", "max_num_seqs"},
	ServerSGLang: {"tp", "mem_fraction_static", "context_length", "max_running_requests"},
	ServerNIM:    {"tensor_parallel_size", "", "max_model_len", ""},
}

// decodeServer decodes an endpoint's server block (vllm, sglang or nim); prefix names it in
// messages ("endpoint.NAME.vllm.").
func (l *loader) decodeServer(b *hcl.Block, prefix string) *ManagedServer {
	v := &ManagedServer{Kind: b.Type, Runtime: "docker"}
	names := serverNames[b.Type]
	c := l.content(b.Body, schema.ServerBody(b.Type))
	if !l.notSensitive(c.Attributes[names[2]], prefix+names[2], identityReason) {
		delete(c.Attributes, names[2])
	}
	if a := c.Attributes["gpu"]; a != nil {
		v.GPU, _ = l.ref(a.Expr, "gpu")
	}
	if a := c.Attributes["runtime"]; a != nil {
		if s, ok := l.str(a); ok && l.enum(a, s, "docker", "process") {
			v.Runtime = s
		}
	}
	v.Image, _ = l.str(c.Attributes["image"])
	if b.Type == ServerNIM && v.Image == "" {
		l.errorf(b.DefRange.Ptr(), "Missing NIM image",
			"A nim block runs an NVIDIA NIM for LLMs container: set image to the model's NIM, e.g. image = \"nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8\".")
	}
	v.Command, _ = l.strList(c.Attributes["command"])
	if n, ok := l.integer(c.Attributes[names[0]], 1); ok {
		v.TensorParallelSize = n
	}
	if a := c.Attributes[names[1]]; a != nil && names[1] != "" {
		if f, ok := l.number(a); ok {
			if f <= 0 || f > 1 {
				l.errorf(a.Expr.Range().Ptr(), "Invalid "+names[1], "%s must be a fraction greater than 0 and at most 1, e.g. 0.9.", names[1])
			} else {
				v.GPUMemoryUtilization = f
			}
		}
	}
	if n, ok := l.integer(c.Attributes[names[2]], 1); ok {
		v.MaxModelLen = n
	}
	if names[3] != "" {
		if n, ok := l.integer(c.Attributes[names[3]], 1); ok {
			v.MaxNumSeqs = n
		}
	}
	v.ExtraArgs, _ = l.strList(c.Attributes["extra_args"])
	v.Env, _ = l.strMap(c.Attributes["env"], false)
	if a := c.Attributes["start_timeout"]; a != nil {
		if s, ok := l.positiveSeconds(a); ok {
			v.StartTimeout = time.Duration(s * float64(time.Second))
		}
	}
	v.KeepRunning, _ = l.boolean(c.Attributes["keep_running"])
	return v
}

func (l *loader) positiveSeconds(a *hcl.Attribute) (float64, bool) {
	s, ok := l.seconds(a)
	if !ok {
		return 0, false
	}
	if s <= 0 {
		l.errorf(a.Expr.Range().Ptr(), fmt.Sprintf("Invalid %s", a.Name), "%s must be greater than zero.", a.Name)
		return 0, false
	}
	return s, true
}

func (l *loader) decodeDataset(b *hcl.Block) *Dataset {
	d := &Dataset{Name: b.Labels[0], DeclRange: b.DefRange}
	c := l.content(b.Body, schema.DatasetBody())
	for _, n := range []string{"source", "sha256"} {
		if !l.notSensitive(c.Attributes[n], "dataset."+d.Name+"."+n, identityReason) {
			delete(c.Attributes, n)
		}
	}
	if a := c.Attributes["source"]; a != nil {
		if v, ok := l.str(a); ok {
			if l.datasetSource(a, v) {
				d.Source = v
			}
		}
	}
	if a := c.Attributes["sha256"]; a != nil {
		if v, ok := l.str(a); ok {
			v = strings.ToLower(v)
			if !sha256Pattern().MatchString(v) {
				l.errorf(a.Expr.Range().Ptr(), "Invalid sha256", "sha256 must be 64 hexadecimal digits (the output of `sha256sum FILE`).")
			} else {
				d.SHA256 = v
			}
		}
	}
	if a := c.Attributes["format"]; a != nil {
		if v, ok := l.str(a); ok && l.enum(a, v, "jsonl", "json", "csv", "parquet") {
			d.Format = v
		}
	}
	if v, ok := l.boolean(c.Attributes["header"]); ok {
		d.Header = &v
	}
	d.Columns, _ = l.strList(c.Attributes["columns"])
	return d
}

func sha256Pattern() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-f]{64}$`) }

func imagePattern() *regexp.Regexp { return regexp.MustCompile(`^[^@\s]+@sha256:[0-9a-f]{64}$`) }

func (l *loader) decodeTask(b *hcl.Block) *Task {
	t := &Task{Name: b.Labels[0], Metric: "exact_match", DeclRange: b.DefRange}
	c := l.content(b.Body, schema.TaskBody())
	t.Canonical = canonicalBlock(l.parser.Files()[b.DefRange.Filename], b)
	if a := c.Attributes["dataset"]; a != nil {
		t.Dataset, _ = l.ref(a.Expr, "dataset")
	}
	perRecord := refOptions{record: true}
	if a := c.Attributes["prompt"]; a != nil {
		l.checkRefs(a.Expr, perRecord)
		t.Prompt = a.Expr
	}
	if a := c.Attributes["target"]; a != nil {
		l.checkRefs(a.Expr, perRecord)
		t.Target = a.Expr
	}
	if a := c.Attributes["choices"]; a != nil {
		l.checkRefs(a.Expr, perRecord)
		t.Choices = a.Expr
	}
	t.SystemPrompt, _ = l.str(c.Attributes["system_prompt"])
	if a := c.Attributes["extract"]; a != nil {
		if v, ok := l.str(a); ok {
			if _, err := regexp.Compile(v); err != nil {
				l.errorf(a.Expr.Range().Ptr(), "Invalid extract regular expression",
					"extract must be a Go regular expression (RE2 syntax; the first group is the answer): %s.", err)
			} else {
				t.Extract = v
			}
		}
	}
	if n, ok := l.integer(c.Attributes["few_shot"], 0); ok {
		t.FewShot = n
	}
	if a := c.Attributes["few_shot_dataset"]; a != nil {
		t.FewShotDataset, _ = l.ref(a.Expr, "dataset")
	}
	if a := c.Attributes["metric"]; a != nil {
		if v, ok := l.str(a); ok && l.enum(a, v, "exact_match", "contains", "regex", "choice") {
			t.Metric = v
		}
	}
	if t.Metric == "choice" && t.Choices == nil {
		l.errorf(c.Attributes["metric"].Expr.Range().Ptr(), "Missing choices",
			"metric = \"choice\" scores the answer against a list of options: add choices = [...] (for example choices = record.options).")
	}
	if a := c.Attributes["normalize"]; a != nil {
		if list, ok := l.strList(a); ok {
			t.Normalize = l.subset(a, list, "collapse_space", "lower", "strip", "strip_punctuation")
		}
	}
	return t
}

// canonicalBlock returns the source text of a block with comments dropped and whitespace
// normalised by hclwrite.Format, for a task's identity.
func canonicalBlock(f *hcl.File, b *hcl.Block) string {
	body, ok := b.Body.(*hclsyntax.Body)
	if f == nil || !ok {
		return ""
	}
	start, end := b.DefRange.Start.Byte, body.SrcRange.End.Byte
	if start < 0 || end > len(f.Bytes) || start > end {
		return ""
	}
	return canonicalText(f.Bytes[start:end])
}

func (l *loader) decodeCheck(b *hcl.Block) *Check {
	ch := &Check{Name: b.Labels[0], DeclRange: b.DefRange}
	c := l.content(b.Body, schema.CheckBody())
	if a := c.Attributes["condition"]; a != nil {
		if !l.checkRefs(a.Expr, refOptions{}) {
			l.mustBeBool(a)
		}
		ch.Condition = a.Expr
	}
	if a := c.Attributes["error_message"]; a != nil {
		l.checkRefs(a.Expr, refOptions{})
		ch.ErrorMessage = a.Expr
	}
	return ch
}

// mustBeBool reports a check condition whose value is already known here (literals,
// variables, locals) and is not a bool: apply could only fail on it. A condition that
// reads results is known only after apply and is checked then.
func (l *loader) mustBeBool(a *hcl.Attribute) {
	v, diags := l.value(a.Expr, l.ctx)
	if diags.HasErrors() {
		return
	}
	v, _ = v.UnmarkDeep()
	if !v.IsWhollyKnown() || v.IsNull() {
		return
	}
	if _, err := convert.Convert(v, cty.Bool); err != nil || v.Type() != cty.Bool {
		l.errorf(a.Expr.Range().Ptr(), "Invalid check condition",
			"condition must be a bool expression, such as suite.NAME.result[\"BENCHMARK\"][\"ENDPOINT\"].score >= 0.8; this one is a %s.", friendlyType(v.Type()))
	}
}

func (l *loader) decodeOutput(b *hcl.Block) *Output {
	o := &Output{Name: b.Labels[0], DeclRange: b.DefRange}
	c := l.content(b.Body, schema.OutputBody())
	if a := c.Attributes["value"]; a != nil {
		l.checkRefs(a.Expr, refOptions{})
		o.Value = a.Expr
	}
	o.Sensitive, _ = l.boolean(c.Attributes["sensitive"])
	return o
}
