package vllm

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/providers/gpu"
)

// derivation is what derive found for an endpoint: Settings and their reasons, or why
// nothing was derived (Err), or nothing at all (zero: nothing to derive).
type derivation struct {
	Settings *Settings
	Reasons  []Reason
	// Source says where the GPUs came from: "NVML" or "gpu.NAME's declared inventory".
	Source string
	// Declared reports that the GPUs came from the gpu block's declared inventory, so the
	// derivation is the same on every machine.
	Declared bool
	Err      error
}

// errNoInventory is derive's error without NVML and without a declared inventory.
var errNoInventory = errors.New("no GPU inventory")

// derive derives ep's server settings (see Derive) from the model's config.json and the GPUs
// of its gpu block: the block's declared inventory when it has one (so that a plan made
// elsewhere derives what the cluster will use), else NVML. Nothing is derived for a server
// with its own command (its arguments are the user's), without a gpu block, or when the user
// sets every value. The result is cached per endpoint for the Provider's life.
func (p *Provider) derive(ctx context.Context, ep *config.Endpoint) derivation {
	v := ep.Server
	if v == nil || len(v.Command) > 0 || v.GPU == "" || p.GPUs[v.GPU] == nil {
		return derivation{}
	}
	if userValues(*v).complete(kindOf(v)) {
		return derivation{}
	}
	p.mu.Lock()
	d, ok := p.derived[ep.Name]
	p.mu.Unlock()
	if ok {
		return d
	}
	d = p.deriveNow(ctx, ep)
	p.mu.Lock()
	if p.derived == nil {
		p.derived = map[string]derivation{}
	}
	p.derived[ep.Name] = d
	p.mu.Unlock()
	return d
}

func (p *Provider) deriveNow(ctx context.Context, ep *config.Endpoint) derivation {
	g := p.GPUs[ep.Server.GPU]
	d := derivation{Source: "gpu." + g.Name + "'s declared inventory", Declared: true}
	devs := gpu.Declared(g)
	if devs == nil {
		d.Source, d.Declared = "NVML", false
		inv, err := p.inventory(ctx)
		if errors.Is(err, gpu.ErrNoNVML) {
			d.Err = fmt.Errorf("%w: %v, and gpu.%s declares no inventory", errNoInventory, err, g.Name)
			return d
		}
		if err != nil {
			d.Err = err
			return d
		}
		devs = inv
	}
	devs, err := gpu.Select(devs, g)
	if err != nil {
		d.Err = err
		return d
	}
	m, err := LoadModelConfig(ep.Model, ep.Revision, p.WorkDir, p.getenv)
	if err != nil {
		d.Err = err
		return d
	}
	s, reasons, err := Derive(m, devs, *ep.Server)
	if err != nil {
		d.Err = err
		return d
	}
	d.Settings, d.Reasons = &s, reasons
	return d
}

// PlanService implements plan.ServicePlanner: the settings derived for ep with their
// reasons, and a warning when they cannot be derived, saying what to set.
func (p *Provider) PlanService(ctx context.Context, ep *config.Endpoint) (settings, warnings []string) {
	d := p.derive(ctx, ep)
	if d.Err != nil {
		k := kindOf(ep.Server)
		what := fmt.Sprintf("the server starts with the values set in its %s block and %s's defaults for the others", k.name(), k.label())
		if errors.Is(d.Err, errNoInventory) {
			what += fmt.Sprintf("; to derive them here, declare the GPUs the server will run on in gpu.%s (count, memory), or set %s", ep.Server.GPU, settingList(k))
		}
		return nil, []string{fmt.Sprintf("endpoint.%s: settings not derived: %v; %s", ep.Name, d.Err, what)}
	}
	if d.Settings == nil {
		return nil, nil
	}
	for _, r := range d.Reasons {
		settings = append(settings, r.String())
	}
	if len(settings) > 0 {
		settings = append(settings, "(derived from "+d.Source+")")
	}
	if d.Settings.Truncates && !d.Declared {
		warnings = append(warnings, fmt.Sprintf("endpoint.%s: the derived %s = %d truncates the model's context and depends on this machine's free GPU memory, so it is not part of the endpoint's identity; set %s in the %s block, or declare the GPUs in gpu.%s (count, memory), to make it one", ep.Name, kindOf(ep.Server).names()[setMaxLen], d.Settings.MaxModelLen, kindOf(ep.Server).names()[setMaxLen], kindOf(ep.Server).name(), ep.Server.GPU))
	}
	return settings, warnings
}

// truncatedLen is the derived max_model_len that belongs to the fingerprint: one that
// truncates the model's context, derived from a declared inventory (the same everywhere); 0
// otherwise.
func (d derivation) truncatedLen() int {
	if d.Settings == nil || !d.Settings.Truncates || !d.Declared {
		return 0
	}
	return d.Settings.MaxModelLen
}

// withDerived is ep with the derived settings filled in where the user set none (a copy;
// ep itself is unchanged). The kind's argument builder or env passes them on.
func withDerived(ep *config.Endpoint, d derivation) *config.Endpoint {
	if d.Settings == nil {
		return ep
	}
	s, u := d.Settings, userValues(*ep.Server)
	out := *ep
	v := *ep.Server
	v.ExtraArgs = append([]string(nil), v.ExtraArgs...)
	if u.tp == 0 {
		v.TensorParallelSize = s.TensorParallelSize
	}
	if u.util == 0 {
		v.GPUMemoryUtilization = s.GPUMemoryUtilization
	}
	if u.maxLen == 0 {
		v.MaxModelLen = s.MaxModelLen
	}
	if u.maxSeqs == 0 {
		v.MaxNumSeqs = s.MaxNumSeqs
	}
	out.Server = &v
	return &out
}

// settingList is "tensor_parallel_size, gpu_memory_utilization and max_model_len" in the
// kind's names (those it has).
func settingList(k kind) string {
	var names []string
	all := k.names()
	for _, n := range all[:setMaxSeqs] {
		if n != "" {
			names = append(names, n)
		}
	}
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
