package vllm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/providers/container"
	"github.com/evalplan/evalplan/providers/gpu"
	"github.com/hashicorp/go-hclog"
)

// Defaults of the Provider's fields and the vllm block.
const (
	// DefaultStartTimeout bounds a start when the block has no start_timeout.
	DefaultStartTimeout = 600 * time.Second
	// DefaultStopTimeout is how long a server has to exit after SIGTERM before SIGKILL.
	DefaultStopTimeout = 30 * time.Second
	// DefaultShmSize is /dev/shm of a docker server (vLLM's workers share tensors there).
	DefaultShmSize = 8 << 30
	// DefaultImage is the docker runtime's image when the block names none.
	DefaultImage = "vllm/vllm-openai:latest"
	// ServicesDir is the directory under the output directory with server logs and records.
	ServicesDir = "_services"
)

// Provider starts and stops managed endpoints. Set Dir; the other fields have defaults. A
// Provider is safe for concurrent use; use one per apply.
type Provider struct {
	// Dir is the output directory (evalplan block's output_dir): server logs and launch
	// records go to Dir/_services.
	Dir string
	// WorkDir is the working directory of process servers (the configuration directory);
	// empty means evalplan's own.
	WorkDir string
	// GPUs are the configuration's gpu blocks by name (a vllm block's gpu names one).
	GPUs map[string]*config.GPU
	// Environ is the environment servers inherit and that HF_HOME and HOME are read from;
	// nil means the process environment.
	Environ []string
	// Docker runs the docker runtime; nil means a client for DOCKER_HOST from Environ.
	Docker *container.Client
	// Inventory lists the machine's GPUs; nil means gpu.Inventory (NVML).
	Inventory func(context.Context) ([]gpu.Device, error)
	// ShmSize is a docker server's /dev/shm in bytes; 0 means DefaultShmSize.
	ShmSize int64
	// StopTimeout is the grace between SIGTERM and SIGKILL; 0 means DefaultStopTimeout.
	StopTimeout time.Duration
	// PollInterval is how often readiness is checked; 0 means 250 ms.
	PollInterval time.Duration
	// Log receives what the provider does; nil discards it.
	Log hclog.Logger
	// Host is the address servers bind ("--host", HostPlaceholder); "" means 127.0.0.1.
	// Set 0.0.0.0 for a server that other machines reach. Start's URL stays on loopback.
	Host string

	mu      sync.Mutex
	docker  *container.Client
	running map[string]*server // endpoint name → server started or adopted here
	digests map[string]string  // image as written → pinned reference resolved by Fingerprint
	derived map[string]derivation
	quant   map[string]string // endpoint name → the checkpoint's quantization ("" unknown or none)
}

var (
	_ plan.Services             = (*Provider)(nil)
	_ plan.ServiceFingerprinter = (*Provider)(nil)
	_ plan.ServicePlanner       = (*Provider)(nil)
	_ plan.ServiceMetrics       = (*Provider)(nil)
)

// server is a started (or adopted) model server.
type server struct {
	Runtime   string    `json:"runtime"`
	URL       string    `json:"url"` // base URL ending in /v1
	PID       int       `json:"pid,omitempty"`
	Container string    `json:"container,omitempty"`
	Launch    string    `json:"launch"` // sha256 of the launch spec, to decide reuse
	Log       string    `json:"log"`
	StartedAt time.Time `json:"started_at"`
	// Kept: started by StartKept (evalplan endpoint start); Stop leaves it running.
	Kept bool `json:"kept,omitempty"`

	// exited is closed when a process server started by this Provider exits; nil for
	// adopted processes and containers.
	exited  chan struct{}
	waitErr error
	// logsDone is closed when a container's log copy to Log has ended (nil otherwise).
	logsDone <-chan struct{}
}

func (p *Provider) log() hclog.Logger {
	if p.Log == nil {
		return hclog.NewNullLogger()
	}
	return p.Log
}

func (p *Provider) environ() []string {
	if p.Environ == nil {
		return os.Environ()
	}
	return p.Environ
}

func (p *Provider) getenv(name string) string {
	for _, kv := range p.environ() {
		if len(kv) > len(name) && kv[:len(name)] == name && kv[len(name)] == '=' {
			return kv[len(name)+1:]
		}
	}
	return ""
}

func (p *Provider) host() string {
	if p.Host == "" {
		return loopback
	}
	return p.Host
}

func (p *Provider) stopTimeout() time.Duration {
	if p.StopTimeout > 0 {
		return p.StopTimeout
	}
	return DefaultStopTimeout
}

func (p *Provider) dockerClient() *container.Client {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.Docker != nil {
		return p.Docker
	}
	if p.docker == nil {
		p.docker = container.New(container.Options{Environ: p.environ()})
	}
	return p.docker
}

// ConfigFingerprint implements plan.ServiceFingerprinter: model, type, revision,
// capabilities, max_model_len (set, or derived from a declared inventory when it truncates
// the model's context), the image as written (docker runtime), the result-affecting server
// arguments (ResultArgs; NIM: its result-affecting variables), the server kind when it is
// not vLLM, and the checkpoint's quantization when its config.json is at hand.
func (p *Provider) ConfigFingerprint(ep *config.Endpoint) plan.Fingerprint {
	fp := plan.Fingerprint{Model: ep.Model, Type: ep.Type, Revision: ep.Revision, MaxModelLen: ep.Server.MaxModelLen, ServerArgs: identityArgs(ep)}
	if k := kindOf(ep.Server); k.name() != config.ServerVLLM {
		fp.Server = k.name()
	}
	fp.Quantization = p.quantization(ep)
	if fp.MaxModelLen == 0 {
		fp.MaxModelLen = p.derive(context.Background(), ep).truncatedLen()
	}
	if fp.Type == "" {
		fp.Type = "chat"
	}
	if len(ep.Capabilities) > 0 {
		fp.Capabilities = append([]string(nil), ep.Capabilities...)
		sort.Strings(fp.Capabilities)
	}
	if ep.Server.Runtime == "docker" {
		fp.Image = imageName(ep)
	}
	return fp
}

// Fingerprint implements plan.ServiceFingerprinter: ConfigFingerprint with the docker image
// pinned by digest (asking the registry when the block names a tag). Start then runs that
// digest, so what runs is what was planned.
func (p *Provider) Fingerprint(ctx context.Context, ep *config.Endpoint) (plan.Fingerprint, error) {
	fp := p.ConfigFingerprint(ep)
	if ep.Server.Runtime != "docker" {
		return fp, nil
	}
	img, err := p.pinned(ctx, ep)
	if err != nil {
		return fp, err
	}
	fp.Image = img.Tagged() + "@" + img.Digest
	return fp, nil
}

// quantization is the checkpoint's quantization from its config.json (see
// FindModelConfig), "" when unquantized or when no config.json is at hand; read once per
// endpoint for the Provider's life.
func (p *Provider) quantization(ep *config.Endpoint) string {
	p.mu.Lock()
	q, ok := p.quant[ep.Name]
	p.mu.Unlock()
	if ok {
		return q
	}
	if m, err := LoadModelConfig(ep.Model, ep.Revision, p.WorkDir, p.getenv); err == nil {
		q = m.Quant.String()
	}
	p.mu.Lock()
	if p.quant == nil {
		p.quant = map[string]string{}
	}
	p.quant[ep.Name] = q
	p.mu.Unlock()
	return q
}

// imageName is the block's image, or the kind's default (DefaultImage for vLLM).
func imageName(ep *config.Endpoint) string {
	if ep.Server.Image != "" {
		return ep.Server.Image
	}
	return kindOf(ep.Server).defaultImage()
}

// pinned resolves the endpoint's image to a digest once per Provider.
func (p *Provider) pinned(ctx context.Context, ep *config.Endpoint) (container.Image, error) {
	name := imageName(ep)
	img, err := container.ParseImage(name)
	if err != nil {
		return container.Image{}, fmt.Errorf("%s: %s image: %w", addrs.Endpoint{Name: ep.Name}, kindOf(ep.Server).name(), err)
	}
	if img.Digest != "" {
		return img, nil
	}
	p.mu.Lock()
	ref, ok := p.digests[name]
	p.mu.Unlock()
	if ok {
		img.Digest = ref
		return img, nil
	}
	d, err := p.dockerClient().Resolve(ctx, img)
	if err != nil {
		return container.Image{}, fmt.Errorf("%s: resolve the server image %s: %w; pin it as repo@sha256:… to plan without the registry", addrs.Endpoint{Name: ep.Name}, name, err)
	}
	p.mu.Lock()
	if p.digests == nil {
		p.digests = map[string]string{}
	}
	p.digests[name] = d
	p.mu.Unlock()
	img.Digest = d
	return img, nil
}

// Start implements plan.Services: it starts the endpoint's server, or reuses one recorded as
// running with the same launch, and returns its base URL once ready. Errors do not name the
// endpoint (the engine does) and say what to do.
func (p *Provider) Start(ctx context.Context, ep *config.Endpoint) (string, error) {
	if ep.Server == nil {
		return "", fmt.Errorf("endpoint.%s has no server block (vllm, sglang or nim)", ep.Name)
	}
	p.mu.Lock()
	s := p.running[ep.Name]
	p.mu.Unlock()
	if s != nil {
		return s.URL, nil
	}
	launch, err := p.launchHash(ep)
	if err != nil {
		return "", err
	}
	if url, ok := p.adopt(ctx, ep, launch); ok {
		return url, nil
	}
	if err := p.checkGPUs(ctx, ep); err != nil {
		return "", err
	}
	d := p.derive(ctx, ep)
	if d.Err != nil {
		p.log().Warn("settings not derived", "endpoint", ep.Name, "error", d.Err)
	}
	for _, r := range d.Reasons {
		p.log().Info("derived", "endpoint", ep.Name, "setting", r.String())
	}
	ep = withDerived(ep, d)
	if err := os.MkdirAll(filepath.Join(p.Dir, ServicesDir), 0o755); err != nil {
		return "", fmt.Errorf("create the services directory: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return "", fmt.Errorf("pick a port: %w", err)
	}
	logPath := filepath.Join(p.Dir, ServicesDir, ep.Name+".log")
	switch ep.Server.Runtime {
	case "process":
		s, err = p.startProcess(ep, port, logPath)
	case "docker":
		s, err = p.startDocker(ctx, ep, port, logPath)
	default:
		err = fmt.Errorf("unknown runtime %q; use \"docker\" or \"process\"", ep.Server.Runtime)
	}
	if err != nil {
		return "", err
	}
	s.Launch, s.Log, s.StartedAt = launch, logPath, time.Now().UTC()
	if err := p.writeRecord(ep.Name, s); err != nil {
		_ = p.stop(context.WithoutCancel(ctx), s)
		return "", err
	}
	p.log().Info("server starting", "endpoint", ep.Name, "url", s.URL, "log", logPath)
	if err := p.waitReady(ctx, ep, s); err != nil {
		if serr := p.stop(context.WithoutCancel(ctx), s); serr != nil {
			p.log().Warn("stop the server that did not start", "endpoint", ep.Name, "error", serr)
		}
		p.removeRecord(ep.Name)
		return "", err
	}
	p.mu.Lock()
	if p.running == nil {
		p.running = map[string]*server{}
	}
	p.running[ep.Name] = s
	p.mu.Unlock()
	return s.URL, nil
}

// Stop implements plan.Services: it stops the endpoint's server (SIGTERM, then SIGKILL after
// StopTimeout; a container is also removed) and forgets its record. A server started by
// StartKept is left running.
func (p *Provider) Stop(ctx context.Context, ep *config.Endpoint) error {
	p.mu.Lock()
	s := p.running[ep.Name]
	delete(p.running, ep.Name)
	p.mu.Unlock()
	if s == nil {
		s = p.readRecord(ep.Name)
	}
	if s == nil {
		return nil
	}
	if s.Kept {
		p.log().Info("leaving a kept server running", "endpoint", ep.Name, "url", s.URL)
		return nil
	}
	err := p.stop(ctx, s)
	p.removeRecord(ep.Name)
	if err != nil {
		return err
	}
	p.log().Info("server stopped", "endpoint", ep.Name)
	return nil
}

func (p *Provider) stop(ctx context.Context, s *server) error {
	if s.Runtime == "docker" {
		return p.dockerClient().StopService(ctx, s.Container, p.stopTimeout())
	}
	return p.stopProcess(ctx, s)
}

// alive reports whether a recorded server still runs.
func (p *Provider) alive(ctx context.Context, s *server) bool {
	if s.Runtime == "docker" {
		st, err := p.dockerClient().InspectService(ctx, s.Container)
		return err == nil && st.Running
	}
	return processAlive(s.PID)
}

// adopt reuses a server recorded by an earlier apply when it still runs the same launch
// and is ready; a recorded server with another launch is stopped.
func (p *Provider) adopt(ctx context.Context, ep *config.Endpoint, launch string) (string, bool) {
	rec := p.readRecord(ep.Name)
	if rec == nil {
		return "", false
	}
	ready := p.alive(ctx, rec) && p.ready(ctx, ep, rec.URL) == nil
	if ready && rec.Launch == launch {
		p.mu.Lock()
		if p.running == nil {
			p.running = map[string]*server{}
		}
		p.running[ep.Name] = rec
		p.mu.Unlock()
		p.log().Info("reusing running server", "endpoint", ep.Name, "url", rec.URL)
		return rec.URL, true
	}
	if ready {
		p.log().Info("stopping a server started with another launch", "endpoint", ep.Name, "url", rec.URL)
		if err := p.stop(ctx, rec); err != nil {
			p.log().Warn("stop old server", "endpoint", ep.Name, "error", err)
		}
	}
	p.removeRecord(ep.Name)
	return "", false
}

// launchHash identifies everything a server is started with (less the port), to decide
// whether a running server can be reused.
func (p *Provider) launchHash(ep *config.Endpoint) (string, error) {
	b, err := json.Marshal(struct {
		Model, Type, Revision string
		VLLM                  *config.ManagedServer
		GPU                   *config.GPU
	}{ep.Model, ep.Type, ep.Revision, ep.Server, p.GPUs[ep.Server.GPU]})
	if err != nil {
		return "", fmt.Errorf("encode the launch: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// checkGPUs checks the gpu block's devices and min_free_mib when NVML is present.
func (p *Provider) checkGPUs(ctx context.Context, ep *config.Endpoint) error {
	g := p.GPUs[ep.Server.GPU]
	if g == nil {
		return nil
	}
	devs, err := p.inventory(ctx)
	if errors.Is(err, gpu.ErrNoNVML) {
		p.log().Debug("GPU checks skipped", "endpoint", ep.Name, "reason", err)
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := gpu.Select(devs, g); err != nil {
		return err
	}
	return nil
}

func (p *Provider) inventory(ctx context.Context) ([]gpu.Device, error) {
	if p.Inventory != nil {
		return p.Inventory(ctx)
	}
	return gpu.Inventory(ctx)
}

// recordPath is where a server's launch record lives.
func (p *Provider) recordPath(name string) string {
	return filepath.Join(p.Dir, ServicesDir, name+".json")
}

func (p *Provider) writeRecord(name string, s *server) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the server record: %w", err)
	}
	tmp := p.recordPath(name) + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write the server record: %w", err)
	}
	if err := os.Rename(tmp, p.recordPath(name)); err != nil {
		return fmt.Errorf("write the server record: %w", err)
	}
	return nil
}

// readRecord is the recorded server of an endpoint, nil when none (or unreadable).
func (p *Provider) readRecord(name string) *server {
	b, err := os.ReadFile(p.recordPath(name))
	if err != nil {
		return nil
	}
	var s server
	if json.Unmarshal(b, &s) != nil || s.URL == "" || (s.PID <= 0 && s.Container == "") {
		return nil
	}
	return &s
}

func (p *Provider) removeRecord(name string) {
	if err := os.Remove(p.recordPath(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		p.log().Warn("remove server record", "endpoint", name, "error", err)
	}
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// serverEnv is the server's environment: Environ, then the block's env (with the port
// placeholder replaced), then PORT.
func (p *Provider) serverEnv(ep *config.Endpoint, port int, base []string) []string {
	env := append([]string(nil), base...)
	keys := make([]string, 0, len(ep.Server.Env))
	for k := range ep.Server.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+onHost(withPort([]string{ep.Server.Env[k]}, port), p.host())[0])
	}
	return append(env, "PORT="+strconv.Itoa(port))
}
