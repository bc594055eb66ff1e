package plan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/evalplan/evalplan/plan/config"
	"github.com/google/go-cmp/cmp"
)

// Inputs are the result-affecting fields of a run, as plain JSON values. Their canonical JSON
// hashes to the run's identity. Secrets are never among them: inputs are built from an
// explicit list of non-secret fields.
type Inputs map[string]any

// RunInputs builds the identity inputs of a run.
type RunInputs struct {
	Benchmark BenchmarkInputs `json:"benchmark"`
	Endpoint  Fingerprint     `json:"endpoint"`
	Params    IdentityParams  `json:"params"`
	Dataset   string          `json:"dataset,omitempty"`          // sha256 of the dataset, native tasks
	Scorer    string          `json:"scorer,omitempty"`           // scorer version, native tasks
	Task      string          `json:"task,omitempty"`             // canonical text of a user task block
	FewShot   string          `json:"few_shot_dataset,omitempty"` // sha256 of a task block's few_shot_dataset
	Judge     *Fingerprint    `json:"judge,omitempty"`
}

// BenchmarkInputs identifies the benchmark of a run.
type BenchmarkInputs struct {
	Name    string `json:"name"`
	Harness string `json:"harness"`
	Task    string `json:"task"`
	// Image is the container image pinned by digest, for container tasks.
	Image string `json:"image,omitempty"`
}

// IdentityParams are the identity (I) parameters of DESIGN §2, with effective values.
type IdentityParams struct {
	LimitSamples *float64       `json:"limit_samples"`
	Temperature  *float64       `json:"temperature"`
	TopP         *float64       `json:"top_p"`
	MaxNewTokens *int           `json:"max_new_tokens"`
	Seed         int            `json:"seed"`
	Sample       string         `json:"sample"`
	Extra        map[string]any `json:"extra,omitempty"`
}

// identityParams keeps the identity fields of effective params, with defaults applied.
func identityParams(p config.Params) IdentityParams {
	out := IdentityParams{
		LimitSamples: p.LimitSamples,
		Temperature:  p.Temperature,
		TopP:         p.TopP,
		MaxNewTokens: p.MaxNewTokens,
		Sample:       "random",
		Extra:        p.Extra,
	}
	if p.Seed != nil {
		out.Seed = *p.Seed
	}
	if p.Sample != nil {
		out.Sample = *p.Sample
	}
	return out
}

// toInputs converts any value to plain JSON values (maps, slices, float64, strings, bools).
func toInputs(v any) (Inputs, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode identity inputs: %w", err)
	}
	var out Inputs
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("decode identity inputs: %w", err)
	}
	return out, nil
}

// Identity returns the hex sha256 of the canonical JSON of inputs (sorted keys, no spaces).
func Identity(in Inputs) (string, error) {
	b, err := canonicalJSON(map[string]any(in))
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

func canonicalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("canonical JSON: %w", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// Change is one changed identity field between a recorded run and the configuration.
type Change struct {
	Path string `json:"path"`
	Old  any    `json:"old"`
	New  any    `json:"new"`
}

// changeReporter is a cmp.Reporter that collects the leaf differences with their paths.
type changeReporter struct {
	path    cmp.Path
	changes []Change
}

func (r *changeReporter) PushStep(ps cmp.PathStep) { r.path = append(r.path, ps) }
func (r *changeReporter) PopStep()                 { r.path = r.path[:len(r.path)-1] }

func (r *changeReporter) Report(rs cmp.Result) {
	if rs.Equal() {
		return
	}
	vx, vy := r.path.Last().Values()
	c := Change{Path: pathString(r.path)}
	if vx.IsValid() {
		c.Old = vx.Interface()
	}
	if vy.IsValid() {
		c.New = vy.Interface()
	}
	r.changes = append(r.changes, c)
}

// pathString renders a cmp.Path over nested map[string]any as dotted keys.
func pathString(p cmp.Path) string {
	var parts []string
	for _, step := range p {
		switch s := step.(type) {
		case cmp.MapIndex:
			parts = append(parts, fmt.Sprint(s.Key().Interface()))
		case cmp.SliceIndex:
			k, ky := s.SplitKeys()
			if k < 0 {
				k = ky
			}
			if len(parts) > 0 {
				parts[len(parts)-1] += fmt.Sprintf("[%d]", k)
			}
		}
	}
	return strings.Join(parts, ".")
}

// DiffInputs compares two sets of identity inputs and returns the changed leaves sorted by path.
func DiffInputs(old, new Inputs) []Change {
	r := &changeReporter{}
	cmp.Equal(map[string]any(old), map[string]any(new), cmp.Reporter(r))
	sort.SliceStable(r.changes, func(i, j int) bool { return r.changes[i].Path < r.changes[j].Path })
	return r.changes
}
