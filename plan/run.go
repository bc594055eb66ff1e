package plan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/display"
	"github.com/evalplan/evalplan/schema"
	"github.com/google/go-cmp/cmp"
)

// PlannedRun is one run as the plan decided it: a benchmark against an endpoint within a
// suite, with its runner's plan, its identity inputs and its identity. The executor performs
// it and the state records it; nothing rebuilds it from the configuration.
type PlannedRun struct {
	Addr     addrs.Run
	Task     *schema.Task
	UserTask *config.Task
	Endpoint *config.Endpoint
	// Judge is the benchmark block's judge endpoint, nil when none.
	Judge *config.Endpoint
	// Interceptors transform the run's model requests (the suite's, then its benchmark
	// block's).
	Interceptors []*config.Interceptor
	// Params are the effective parameters (catalog < suite < benchmark).
	Params config.Params
	// Executor is the executor block the run executes on, "TYPE.NAME" (the benchmark
	// block's, else the suite's); "" for this machine. Operational: never in Inputs.
	Executor string
	// Runner performs the run; Plan is its part of the run.
	Runner Runner
	Plan   RunPlan
	// Inputs are the identity inputs; Identity their hash, "" while a dataset's sha256 is
	// unknown (a remote source without sha256, not fetched yet) or the run's environment is
	// not prepared (RunPlan.PendingRuntime).
	Inputs   RunInputs
	Identity string
	// plain is Inputs as plain JSON values, as identify computed them.
	plain Inputs
}

// RunInputs are the result-affecting fields of a run. Their canonical JSON hashes to the
// run's identity. Secrets are never among them: they are an explicit list of non-secret
// fields.
type RunInputs struct {
	Benchmark BenchmarkInputs `json:"benchmark"`
	Endpoint  Fingerprint     `json:"endpoint"`
	Params    IdentityParams  `json:"params"`
	Dataset   string          `json:"dataset,omitempty"`          // sha256 of RunPlan.Dataset
	Scorer    string          `json:"scorer,omitempty"`           // RunPlan.Scorer
	Task      string          `json:"task,omitempty"`             // RunPlan.Task
	FewShot   string          `json:"few_shot_dataset,omitempty"` // sha256 of RunPlan.FewShot
	Judge     *Fingerprint    `json:"judge,omitempty"`
	// Interceptors are the canonical content of the run's interceptors that change results
	// (config.Interceptor.Canonical), in order; absent when none, so that the identities of
	// runs without interceptors are unchanged.
	Interceptors []map[string]any `json:"interceptors,omitempty"`
}

// BenchmarkInputs identifies the benchmark of a run.
type BenchmarkInputs struct {
	Name    string `json:"name"`
	Harness string `json:"harness"`
	Task    string `json:"task"`
	// Image is RunPlan.Image.
	Image string `json:"image,omitempty"`
	// Runtime is RunPlan.Runtime, the prepared environment's resolved lock; absent for image
	// runs, so that their identities are unchanged.
	Runtime string `json:"runtime,omitempty"`
}

// KnownAfterPrepare stands, in a plan's inputs, for the runtime of a run whose environment
// is not prepared yet (RunPlan.PendingRuntime).
const KnownAfterPrepare = "(known after prepare)"

// IdentityParams are the identity (I) parameters, with effective values.
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

// inputs assembles the run's identity inputs from its parts; datasetSHA and fewShotSHA are
// the sha256 of the runner's datasets ("" when none or unknown).
func (r *PlannedRun) inputs(fp Fingerprint, judge *Fingerprint, datasetSHA, fewShotSHA string) {
	r.Inputs = RunInputs{
		Benchmark: BenchmarkInputs{Name: r.Task.Name, Harness: r.Task.Harness, Task: r.Task.Task, Image: r.Plan.Image, Runtime: r.Plan.Runtime},
		Endpoint:  fp,
		Params:    identityParams(r.Params),
		Dataset:   datasetSHA,
		Scorer:    r.Plan.Scorer,
		Task:      r.Plan.Task,
		FewShot:   fewShotSHA,
		Judge:     judge,
	}
	for _, i := range r.Interceptors {
		if c := i.Canonical(); len(c) > 0 {
			r.Inputs.Interceptors = append(r.Inputs.Interceptors, c)
		}
	}
}

// identify computes the run's identity from its inputs: the one place an identity is made.
// It stays "" while the runner's dataset has no known sha256 or its environment is not
// prepared; the plain inputs of the latter say KnownAfterPrepare for the runtime.
func (r *PlannedRun) identify() error {
	r.Identity = ""
	in, err := toInputs(r.Inputs)
	if err != nil {
		return err
	}
	r.plain = in
	if r.runtimePending() {
		if b, ok := in["benchmark"].(map[string]any); ok {
			b["runtime"] = KnownAfterPrepare
		}
		return nil
	}
	if r.Plan.Dataset != nil && r.Inputs.Dataset == "" {
		return nil
	}
	r.Identity, err = Identity(in)
	return err
}

// datasetFetched completes an identity that waited for its dataset's sha256.
func (r *PlannedRun) datasetFetched(sha string) error {
	r.Inputs.Dataset = sha
	return r.identify()
}

// runtimePending reports whether the run waits for its environment to be prepared.
func (r *PlannedRun) runtimePending() bool {
	return r.Plan.PendingRuntime != "" && r.Inputs.Benchmark.Runtime == ""
}

// runtimePrepared completes an identity that waited for its environment: id is what the
// runner's PrepareRuntime returned.
func (r *PlannedRun) runtimePrepared(id string) error {
	if id == "" {
		return fmt.Errorf("%s: preparing its environment gave no identity", r.Addr)
	}
	r.Inputs.Benchmark.Runtime = id
	return r.identify()
}

// PlainInputs returns the identity inputs as plain JSON values, the form state records and
// plans diff.
func (r *PlannedRun) PlainInputs() Inputs { return r.plain }

// RunDir is the run's directory under the output directory:
// <output_dir>/<suite>/<benchmark>/<endpoint>/<identity[:12]>.
func (r *PlannedRun) RunDir(outputDir string) string {
	return filepath.Join(outputDir, r.Addr.Suite, r.Addr.Benchmark, r.Addr.Endpoint, display.ShortID(r.Identity))
}

// Inputs are identity inputs as plain JSON values (maps, slices, float64, strings, bools),
// as the state records them and plans diff them.
type Inputs map[string]any

// toInputs converts any value to plain JSON values.
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
