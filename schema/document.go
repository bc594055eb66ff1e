package schema

import (
	"sort"

	"github.com/hashicorp/hcl/v2"
)

// Block describes one block type of the language for `evalplan schema`.
type Block struct {
	Labels     []string          `json:"labels,omitempty"`
	Attributes map[string]Attr   `json:"attributes,omitempty"`
	Blocks     map[string]*Block `json:"blocks,omitempty"`
}

// Attr describes one attribute.
type Attr struct {
	Required  bool `json:"required,omitempty"`
	Sensitive bool `json:"sensitive,omitempty"`
}

// Document describes the whole eval.hcl language: every block with its labels, attributes
// and nested blocks, as `evalplan schema` prints it.
func Document() map[string]any {
	nested := map[string]map[string]*hcl.BodySchema{
		BlockVariable: {"validation": ValidationBody()},
		BlockEndpoint: {"vllm": ServerBody("vllm"), "sglang": ServerBody("sglang"), "nim": ServerBody("nim")},
		BlockSuite:    {"params": ParamsBody(), "benchmark": BenchmarkBody()},
	}
	bodies := map[string]*hcl.BodySchema{
		BlockEvalplan: EvalplanBody(), BlockVariable: VariableBody(), BlockLocals: {},
		BlockGPU: GPUBody(), BlockEndpoint: EndpointBody(), BlockDataset: DatasetBody(),
		BlockTask: TaskBody(), BlockSuite: SuiteBody(), BlockCheck: CheckBody(), BlockOutput: OutputBody(),
		BlockInterceptor: InterceptorBody(),
	}
	blocks := map[string]*Block{}
	for _, h := range FileBody().Blocks {
		if h.Type == BlockExporter {
			for _, typ := range ExporterTypes() {
				b := describe(ExporterBody(typ), nil)
				b.Labels = []string{"name"}
				if typ == ExporterMLflow {
					b.Blocks = map[string]*Block{"server": describe(MLflowServerBody(), nil)}
				}
				blocks["exporter \""+typ+"\""] = b
			}
			continue
		}
		if h.Type == BlockExecutor {
			for _, typ := range ExecutorTypes() {
				b := describe(ExecutorBody(typ), map[string]*hcl.BodySchema{"ssh": ExecutorSSHBody()})
				b.Labels = []string{"name"}
				blocks["executor \""+typ+"\""] = b
			}
			continue
		}
		b := describe(bodies[h.Type], nested[h.Type])
		b.Labels = h.LabelNames
		blocks[h.Type] = b
	}
	if ep := blocks[BlockEndpoint]; ep != nil {
		for _, name := range SensitiveEndpointAttributes() {
			a := ep.Attributes[name]
			a.Sensitive = true
			ep.Attributes[name] = a
		}
	}
	markSensitive(blocks[BlockInterceptor], SensitiveInterceptorAttributes())
	if su := blocks[BlockSuite]; su != nil {
		markSensitive(su, SensitiveRunAttributes())
		markSensitive(su.Blocks["benchmark"], SensitiveRunAttributes())
	}
	return map[string]any{"format_version": "1", "blocks": blocks}
}

func describe(s *hcl.BodySchema, nested map[string]*hcl.BodySchema) *Block {
	b := &Block{Attributes: map[string]Attr{}}
	if s == nil {
		return b
	}
	for _, a := range s.Attributes {
		b.Attributes[a.Name] = Attr{Required: a.Required}
	}
	names := make([]string, 0, len(nested))
	for n := range nested {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if b.Blocks == nil {
			b.Blocks = map[string]*Block{}
		}
		b.Blocks[n] = describe(nested[n], nil)
	}
	for _, h := range s.Blocks {
		if _, ok := b.Blocks[h.Type]; ok {
			b.Blocks[h.Type].Labels = h.LabelNames
		}
	}
	return b
}

// markSensitive marks attributes of b as sensitive.
func markSensitive(b *Block, names []string) {
	if b == nil {
		return
	}
	for _, name := range names {
		if a, ok := b.Attributes[name]; ok {
			a.Sensitive = true
			b.Attributes[name] = a
		}
	}
}
