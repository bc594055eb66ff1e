package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/status"
	"github.com/evalplan/evalplan/providers/container"
	"github.com/evalplan/evalplan/providers/dataset"
	"github.com/evalplan/evalplan/providers/gpu"
	"github.com/evalplan/evalplan/providers/mlflow"
	"github.com/hashicorp/hcl/v2"
)

// statusTimeout bounds each network check of `evalplan status`.
const statusTimeout = 10 * time.Second

// cmdStatus reports whether everything the configuration needs is ready: exit 0 when it is.
func cmdStatus(c *cli, args []string) int {
	var (
		f       commonFlags
		asJSON  bool
		refresh bool
	)
	fs := newFlagSet(c, "status", "status [options]")
	f.registerVars(fs)
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	fs.BoolVar(&refresh, "refresh", true, "probe endpoints; -refresh=false skips the probes and plans from recorded fingerprints")
	pos, code, ok := parseArgs(c, fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(c.stderr, "Error: status takes no arguments, got %q\n", pos)
		return exitError
	}
	l, ok := c.load(f.vars, c.useColor(f.noColor))
	if !ok {
		return exitError
	}
	defer l.close(c.ctx)
	r := status.NewReport()
	endpointsOK := c.statusEndpoints(r, l, refresh)
	c.statusDatasets(r, l)
	p := c.statusPlan(l, r, refresh && endpointsOK)
	c.statusImages(r, p)
	c.statusExporters(r, l)
	c.statusGPU(r, l)
	c.statusState(r, l)
	if p != nil {
		addPlanLine(r, p)
	}
	if asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			fmt.Fprintln(c.stderr, "Error:", err)
			return exitError
		}
	} else if err := r.WriteText(c.stdout, c.useColor(f.noColor)); err != nil {
		fmt.Fprintln(c.stderr, "Error:", err)
		return exitError
	}
	if !r.Ready {
		return exitError
	}
	return exitOK
}

// statusEndpoints probes every endpoint; it reports whether all answered.
func (c *cli) statusEndpoints(r *status.Report, l *loaded, refresh bool) bool {
	all := true
	for _, name := range slices.Sorted(maps.Keys(l.cfg.Endpoints)) {
		ep := l.cfg.Endpoints[name]
		addr := "endpoint." + name
		if !refresh {
			r.Add(status.Check{Section: status.SectionEndpoints, Name: addr, Mark: status.Info, Detail: "not probed (-refresh=false)"})
			continue
		}
		if ep.Server != nil {
			if !c.statusManaged(r, l, ep) {
				all = false
			}
			continue
		}
		ctx, cancel := context.WithTimeout(c.ctx, statusTimeout)
		fp, err := l.engine.Endpoints.Probe(ctx, ep)
		cancel()
		if err != nil {
			all = false
			msg := strings.TrimPrefix(err.Error(), addr+": ")
			r.Add(status.Check{Section: status.SectionEndpoints, Name: addr, Mark: status.NotReady, Detail: msg,
				Fix: "start the model server, or fix url and model in " + declFile(c, ep.DeclRange.Filename)})
			continue
		}
		d := fmt.Sprintf("reachable, serves %q", fp.Model)
		if fp.MaxModelLen > 0 {
			d += fmt.Sprintf(", max_model_len %d", fp.MaxModelLen)
		}
		r.Add(status.Check{Section: status.SectionEndpoints, Name: addr, Mark: status.Ready, Detail: d})
	}
	return all
}

// statusManaged reports a managed endpoint (vllm block): apply starts its server, so it is
// ready when its server image resolves (docker runtime).
func (c *cli) statusManaged(r *status.Report, l *loaded, ep *config.Endpoint) bool {
	addr := "endpoint." + ep.Name
	detail := fmt.Sprintf("managed (%s runtime, model %q): apply starts its server when a run needs it", ep.Server.Runtime, ep.Model)
	sf, ok := l.engine.Services.(plan.ServiceFingerprinter)
	if !ok {
		r.Add(status.Check{Section: status.SectionEndpoints, Name: addr, Mark: status.Info, Detail: detail})
		return true
	}
	ctx, cancel := context.WithTimeout(c.ctx, statusTimeout)
	defer cancel()
	fp, err := sf.Fingerprint(ctx, ep)
	if err != nil {
		r.Add(status.Check{Section: status.SectionEndpoints, Name: addr, Mark: status.NotReady, Detail: strings.TrimPrefix(err.Error(), addr+": "),
			Fix: "check the vllm block's image and that Docker can reach its registry"})
		return false
	}
	if fp.Image != "" {
		detail += ", image " + fp.Image
	}
	r.Add(status.Check{Section: status.SectionEndpoints, Name: addr, Mark: status.Info, Detail: detail})
	return true
}

// declFile names a configuration file relative to the working directory.
func declFile(c *cli, path string) string {
	if path == "" {
		return "the configuration"
	}
	return rel(c.dir, path)
}

// statusDatasets reports each dataset the configuration uses: cached, local or missing.
func (c *cli) statusDatasets(r *status.Report, l *loaded) {
	p := &dataset.Provider{Dir: l.cfg.Dir}
	for _, ds := range configDatasets(l) {
		addr := addrs.Dataset{Name: ds.Name}.String()
		file, ok := p.Cached(ds, l.cfg.Settings.CacheDir)
		local := isLocal(ds.Source)
		switch {
		case ok && local:
			r.Add(status.Check{Section: status.SectionDatasets, Name: addr, Mark: status.Ready,
				Detail: fmt.Sprintf("local file %s, %s", ds.Source, humanBytes(file.Size))})
		case ok:
			r.Add(status.Check{Section: status.SectionDatasets, Name: addr, Mark: status.Ready,
				Detail: fmt.Sprintf("cached, %s", humanBytes(file.Size))})
		case local:
			r.Add(localDatasetProblem(l.cfg, ds, addr))
		default:
			r.Add(status.Check{Section: status.SectionDatasets, Name: addr, Mark: status.Info,
				Detail: "not cached yet: apply downloads it ('evalplan datasets preload' fetches it now)"})
		}
	}
}

// localDatasetProblem says why a local dataset is not usable: missing, or not the declared
// sha256.
func localDatasetProblem(cfg *config.Config, ds *config.Dataset, addr string) status.Check {
	path := strings.TrimPrefix(ds.Source, "file://")
	if !filepath.IsAbs(path) {
		path = filepath.Join(cfg.Dir, path)
	}
	if _, err := os.Stat(path); err != nil {
		return status.Check{Section: status.SectionDatasets, Name: addr, Mark: status.NotReady,
			Detail: fmt.Sprintf("%s not found", ds.Source), Fix: "put the file there, or fix source"}
	}
	return status.Check{Section: status.SectionDatasets, Name: addr, Mark: status.NotReady,
		Detail: fmt.Sprintf("%s does not match the declared sha256", ds.Source),
		Fix:    "restore the original file, or update sha256 if the change is intended (its runs then re-run)"}
}

// statusPlan computes the plan (with probes only when every endpoint answered them).
func (c *cli) statusPlan(l *loaded, r *status.Report, refresh bool) *plan.Plan {
	st, _, err := c.readState(l.cfg.Settings.State)
	if err != nil {
		return nil // statusState reports it
	}
	p, diags := l.engine.Plan(c.ctx, l.cfg, st, plan.Options{Refresh: refresh})
	if diags.HasErrors() || p == nil {
		msg := "the plan failed"
		for _, d := range diags {
			if d.Severity != hcl.DiagError {
				continue
			}
			msg = d.Summary
			if d.Detail != "" {
				msg += ": " + d.Detail
			}
			break
		}
		r.Add(status.Check{Section: status.SectionPlan, Name: "plan", Mark: status.NotReady, Detail: msg, Fix: "run 'evalplan plan' for the details"})
		return nil
	}
	return p
}

func addPlanLine(r *status.Report, p *plan.Plan) {
	s := p.Summary
	r.Plan = &s
	detail := status.DescribePlan(s)
	if !s.Changes() {
		r.Add(status.Check{Section: status.SectionPlan, Name: "plan", Mark: status.Ready, Detail: "nothing to do: " + detail})
		return
	}
	r.Add(status.Check{Section: status.SectionPlan, Name: "plan", Mark: status.Info, Detail: detail + " ('evalplan plan' shows why)"})
}

// statusImages reports the container images of the plan's runs and whether Docker answers;
// nothing when the configuration has no container task.
func (c *cli) statusImages(r *status.Report, p *plan.Plan) {
	if p == nil {
		return
	}
	needed := imagesOf(p)
	if len(needed) == 0 {
		return
	}
	docker := container.New(container.Options{Environ: c.environ})
	defer docker.Close()
	ctx, cancel := context.WithTimeout(c.ctx, statusTimeout)
	defer cancel()
	if err := docker.Ping(ctx); err != nil {
		r.Add(status.Check{Section: status.SectionContainers, Name: "docker", Mark: status.NotReady,
			Detail: err.Error(), Fix: "start the Docker daemon (dockerd) or set DOCKER_HOST; container tasks need it"})
		return
	}
	r.Add(status.Check{Section: status.SectionContainers, Name: "docker", Mark: status.Ready, Detail: "daemon answers at " + docker.Host()})
	for _, n := range needed {
		runs := fmt.Sprintf("%d run(s)", len(n.Runs))
		img, err := container.ParseImage(n.Image)
		if err != nil {
			r.Add(status.Check{Section: status.SectionContainers, Name: n.Image, Mark: status.NotReady, Detail: err.Error(), Fix: "fix the image reference"})
			continue
		}
		local, err := docker.Inspect(ctx, img)
		switch {
		case err != nil:
			r.Add(status.Check{Section: status.SectionContainers, Name: n.Image, Mark: status.NotReady, Detail: err.Error()})
		case local.Present:
			r.Add(status.Check{Section: status.SectionContainers, Name: n.Image, Mark: status.Ready,
				Detail: fmt.Sprintf("present, %s; %s", container.HumanBytes(local.Size), runs)})
		default:
			r.Add(status.Check{Section: status.SectionContainers, Name: n.Image, Mark: status.Info,
				Detail: fmt.Sprintf("missing: apply pulls it (%s); %s", pullAuth(img, c.environ), runs)})
		}
	}
}

// pullAuth says which credentials a pull of img would use.
func pullAuth(img container.Image, environ []string) string {
	if img.Registry() != "nvcr.io" {
		return "credentials from ~/.docker/config.json, if the registry needs any"
	}
	if environMap(environ)["NGC_API_KEY"] == "" {
		return "nvcr.io needs NGC_API_KEY, which is not set"
	}
	return "with NGC_API_KEY"
}

// statusExporters checks that each MLflow exporter's server answers.
func (c *cli) statusExporters(r *status.Report, l *loaded) {
	env := environMap(c.environ)
	getenv := func(k string) string { return env[k] }
	for _, x := range mlflowBlocks(l.cfg, nil) {
		addr := "exporter.mlflow." + x.Name
		s, err := mlflow.ParseSettings(x, getenv)
		if err != nil {
			r.Add(status.Check{Section: status.SectionExporters, Name: addr, Mark: status.NotReady, Detail: strings.TrimPrefix(err.Error(), addr+": ")})
			continue
		}
		cl, err := mlflow.NewClient(s.TrackingURI, mlflow.AuthFromEnv(getenv), nil)
		if err != nil {
			r.Add(status.Check{Section: status.SectionExporters, Name: addr, Mark: status.NotReady, Detail: err.Error(), Fix: "fix tracking_uri"})
			continue
		}
		ctx, cancel := context.WithTimeout(c.ctx, statusTimeout)
		err = cl.Health(ctx)
		version := ""
		if err == nil {
			version, err = cl.Version(ctx)
		}
		cancel()
		switch {
		case err == nil:
			r.Add(status.Check{Section: status.SectionExporters, Name: addr, Mark: status.Ready, Detail: fmt.Sprintf("MLflow %s at %s", version, cl.URI())})
		case s.Managed:
			r.Add(status.Check{Section: status.SectionExporters, Name: addr, Mark: status.Info,
				Detail: fmt.Sprintf("managed server not running at %s: apply starts it ('evalplan mlflow start' starts it now)", cl.URI())})
		default:
			r.Add(status.Check{Section: status.SectionExporters, Name: addr, Mark: status.NotReady,
				Detail: fmt.Sprintf("%s does not answer: %v", cl.URI(), err),
				Fix:    "start the MLflow server, fix tracking_uri, or set server { managed = true } to let evalplan run one"})
		}
	}
}

// statusGPU inventories the GPUs when a managed endpoint needs them.
func (c *cli) statusGPU(r *status.Report, l *loaded) {
	var users []*config.Endpoint
	for _, name := range slices.Sorted(maps.Keys(l.cfg.Endpoints)) {
		if ep := l.cfg.Endpoints[name]; ep.Server != nil {
			users = append(users, ep)
		}
	}
	if len(users) == 0 {
		r.Add(status.Check{Section: status.SectionGPU, Name: "gpu", Mark: status.Info, Detail: "not needed by this configuration (no managed endpoint)"})
		return
	}
	inv, err := gpu.Inventory(c.ctx)
	if errors.Is(err, gpu.ErrNoNVML) {
		r.Add(status.Check{Section: status.SectionGPU, Name: "gpu", Mark: status.Info,
			Detail: err.Error() + ": apply skips the GPU checks of managed endpoints"})
		return
	}
	if err != nil {
		r.Add(status.Check{Section: status.SectionGPU, Name: "gpu", Mark: status.NotReady, Detail: err.Error(),
			Fix: "check the NVIDIA driver (nvidia-smi), or use an external endpoint (url) instead of a vllm block"})
		return
	}
	r.Add(status.Check{Section: status.SectionGPU, Name: "gpu", Mark: status.Ready, Detail: describeGPUs(inv)})
	seen := map[string]bool{}
	for _, ep := range users {
		g := l.cfg.GPUs[ep.Server.GPU]
		if g == nil || seen[g.Name] {
			continue
		}
		seen[g.Name] = true
		addr := "gpu." + g.Name
		sel, err := gpu.Select(inv, g)
		if err != nil {
			r.Add(status.Check{Section: status.SectionGPU, Name: addr, Mark: status.NotReady, Detail: strings.TrimPrefix(err.Error(), addr+": ")})
			continue
		}
		r.Add(status.Check{Section: status.SectionGPU, Name: addr, Mark: status.Ready, Detail: "devices " + joinInts(gpu.Indexes(sel))})
	}
}

// describeGPUs is "2 GPU(s): 0 NVIDIA H100 (70000 MiB free), 1 ...".
func describeGPUs(inv []gpu.Device) string {
	if len(inv) == 0 {
		return "NVML found no GPU"
	}
	parts := make([]string, len(inv))
	for i, d := range inv {
		parts[i] = fmt.Sprintf("%d %s (%d of %d MiB free)", d.Index, d.Name, d.MemoryFreeMiB, d.MemoryTotalMiB)
	}
	return fmt.Sprintf("%d GPU(s): %s", len(inv), strings.Join(parts, ", "))
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

// statusState summarises the state and says whether a process holds its lock.
func (c *cli) statusState(r *status.Report, l *loaded) {
	path := l.cfg.Settings.State
	name := rel(c.dir, path)
	st, exists, err := c.readState(path)
	if err != nil {
		r.Add(status.Check{Section: status.SectionState, Name: name, Mark: status.NotReady, Detail: err.Error()})
		return
	}
	r.State = status.Summarize(st, exists)
	h, held, err := status.LockHolder(path)
	if err != nil {
		r.Add(status.Check{Section: status.SectionState, Name: "lock", Mark: status.NotReady, Detail: err.Error()})
		return
	}
	r.Add(status.Check{Section: status.SectionState, Name: name, Mark: status.Ready, Detail: status.DescribeState(r.State)})
	if held {
		r.Lock = &h
		r.Add(status.Check{Section: status.SectionState, Name: "lock", Mark: status.NotReady,
			Detail: "held by " + status.DescribeHolder(h),
			Fix:    "wait for it to finish (watch it with 'evalplan monitor'); a second apply would exit 5"})
		return
	}
	r.Add(status.Check{Section: status.SectionState, Name: "lock", Mark: status.Ready, Detail: "free"})
	if s := r.State; s.Partial+s.Failed+s.Running > 0 {
		r.Add(status.Check{Section: status.SectionState, Name: "unfinished", Mark: status.Info,
			Detail: unfinished(s)})
	}
}

// unfinished says what the next apply does with runs that did not complete.
func unfinished(s status.StateSummary) string {
	var parts []string
	if s.Running > 0 {
		parts = append(parts, fmt.Sprintf("%d interrupted", s.Running))
	}
	if s.Partial > 0 {
		parts = append(parts, fmt.Sprintf("%d partial", s.Partial))
	}
	if s.Failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", s.Failed))
	}
	return strings.Join(parts, ", ") + ": the next apply resumes interrupted and partial runs and re-runs failed ones"
}
