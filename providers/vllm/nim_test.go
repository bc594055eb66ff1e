package vllm

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/providers/container"
	"github.com/evalplan/evalplan/providers/container/containertest"
	"github.com/evalplan/evalplan/providers/gpu"
	"github.com/evalplan/evalplan/providers/openai"
	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-hclog"
)

// createRequest is what the recorder keeps of a container create sent to the daemon.
type createRequest struct {
	Env        []string
	Cmd        []string
	Entrypoint []string
	HostConfig struct {
		Binds          []string
		NetworkMode    string
		DeviceRequests []struct {
			Driver       string
			Count        int
			DeviceIDs    []string
			Capabilities [][]string
		}
	}
}

// dockerRecorder stands between a client and dockerd: it records every container create
// and strips its GPU request before forwarding it, so that a machine without the NVIDIA
// runtime still runs the container while the test sees the request evalplan sent.
type dockerRecorder struct {
	mu      sync.Mutex
	creates []createRequest
}

// recordDocker serves a recorder on a unix socket in front of the daemon at upstream
// (unix://PATH) and returns its DOCKER_HOST.
func recordDocker(t *testing.T, upstream string) (string, *dockerRecorder) {
	t.Helper()
	path, ok := strings.CutPrefix(upstream, "unix://")
	if !ok {
		t.Fatalf("the NIM test records requests to a unix-socket daemon; EVALPLAN_TEST_DOCKER_HOST is %s", upstream)
	}
	sock := filepath.Join(t.TempDir(), "d.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	rec := &dockerRecorder{}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) { r.Out.URL.Scheme, r.Out.URL.Host = "http", "docker" },
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", path)
		}},
		FlushInterval: -1,
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/containers/create") {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			var cr createRequest
			var raw map[string]any
			if json.Unmarshal(body, &cr) != nil || json.Unmarshal(body, &raw) != nil {
				http.Error(w, "not JSON", http.StatusBadRequest)
				return
			}
			rec.mu.Lock()
			rec.creates = append(rec.creates, cr)
			rec.mu.Unlock()
			if hc, ok := raw["HostConfig"].(map[string]any); ok {
				delete(hc, "DeviceRequests")
			}
			body, _ = json.Marshal(raw)
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
			r.Header.Set("Content-Length", strconv.Itoa(len(body)))
		}
		proxy.ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "unix://" + sock, rec
}

func (d *dockerRecorder) last(t *testing.T) createRequest {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.creates) == 0 {
		t.Fatal("no container was created")
	}
	return d.creates[len(d.creates)-1]
}

// nimImage builds evalplan-sim into a FROM scratch image whose entrypoint serves as a NIM
// does (-flavor nim: NIM_SERVER_PORT, /v1/health/ready, /v1/metrics) and pushes it.
func nimImage(t *testing.T) string {
	t.Helper()
	reg := containertest.OpenRegistry(t)
	api := containertest.Docker(t)
	bin := filepath.Join(t.TempDir(), "evalplan-sim")
	build := exec.Command("go", "build", "-o", bin, "github.com/evalplan/evalplan/cmd/evalplan-sim")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build evalplan-sim: %v\n%s", err, out)
	}
	repo := "nim-sim/" + containertest.RepoName(t)
	digest := containertest.Push(t, api, reg, bin, repo+":1.8", containertest.ImageOptions{
		Executable: "evalplan-sim", Entrypoint: []string{"evalplan-sim", "-flavor", "nim", "-kv-cache", "16"},
	})
	t.Cleanup(func() { containertest.Remove(t, api, reg.Addr+"/"+repo+"@"+digest) })
	return reg.Addr + "/" + repo + ":1.8"
}

// TestNIMDocker runs a NIM stand-in image as a nim block: the container gets the NIM
// variables, NGC_API_KEY, the NIM cache mount and the gpu block's GPU; it is ready by NIM's
// rule and serves metrics at /v1/metrics; NGC_API_KEY reaches neither the records, the log,
// the provider's log lines, the fingerprint nor the plan's settings.
func TestNIMDocker(t *testing.T) {
	upstream := containertest.Env(t, "EVALPLAN_TEST_DOCKER_HOST")
	ref := nimImage(t)
	host, rec := recordDocker(t, upstream)
	docker := container.New(container.Options{Host: host, Environ: []string{}})
	t.Cleanup(func() { docker.Close() })
	const secret = "ngc-test-secret-4f1c9d"
	cache := filepath.Join(t.TempDir(), "nim-cache")
	var logs bytes.Buffer
	p := &Provider{
		Dir: t.TempDir(), Docker: docker, PollInterval: 50 * time.Millisecond, StopTimeout: 5 * time.Second,
		Environ:   []string{"HOME=" + t.TempDir(), NGCAPIKey + "=" + secret, NIMCacheEnv + "=" + cache},
		GPUs:      map[string]*config.GPU{"g": {Name: "g", Devices: []int{0}}},
		Inventory: func(context.Context) ([]gpu.Device, error) { return nil, gpu.ErrNoNVML },
		Log:       hclog.New(&hclog.LoggerOptions{Output: &logs, Level: hclog.Trace}),
	}
	name := containertest.RepoName(t)
	ep := &config.Endpoint{Name: name, Model: "meta/llama-3.1-8b-instruct", Type: "chat", Server: &config.ManagedServer{
		Kind: "nim", Runtime: "docker", Image: ref, GPU: "g", TensorParallelSize: 1, MaxModelLen: 4096,
		Env: map[string]string{"NIM_LOG_LEVEL": "INFO"}, StartTimeout: 2 * time.Minute,
	}}
	ctx := context.Background()
	fp, err := p.Fingerprint(ctx, ep)
	if err != nil {
		t.Fatal(err)
	}
	url, err := p.Start(ctx, ep)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = p.Stop(context.Background(), ep)
		}
	})
	getModels(t, url)
	port := strings.TrimSuffix(strings.TrimPrefix(url, "http://127.0.0.1:"), "/v1")

	cr := rec.last(t)
	wantEnv := []string{NGCAPIKey + "=" + secret, "NIM_SERVER_PORT=" + port, "NIM_SERVED_MODEL_NAME=meta/llama-3.1-8b-instruct",
		"NIM_CACHE_PATH=/opt/nim/.cache", "NIM_TENSOR_PARALLEL_SIZE=1", "NIM_MAX_MODEL_LEN=4096", "NIM_LOG_LEVEL=INFO", "PORT=" + port}
	if diff := cmp.Diff(wantEnv, cr.Env); diff != "" {
		t.Errorf("container env (-want +got):\n%s", diff)
	}
	if len(cr.Cmd) != 0 || len(cr.Entrypoint) != 0 {
		t.Errorf("cmd %q, entrypoint %q; want the image's own", cr.Cmd, cr.Entrypoint)
	}
	if diff := cmp.Diff([]string{cache + ":/opt/nim/.cache"}, cr.HostConfig.Binds); diff != "" {
		t.Errorf("binds (-want +got):\n%s", diff)
	}
	if st, err := os.Stat(cache); err != nil || st.Mode().Perm() != 0o777 {
		t.Errorf("NIM cache %s: %v, %v; want a directory every user can write", cache, st.Mode(), err)
	}
	dr := cr.HostConfig.DeviceRequests
	if len(dr) != 1 || dr[0].Driver != "nvidia" || !cmp.Equal(dr[0].DeviceIDs, []string{"0"}) || !cmp.Equal(dr[0].Capabilities, [][]string{{"gpu"}}) {
		t.Errorf("GPU request %+v; want the nvidia driver with device 0", dr)
	}
	if cr.HostConfig.NetworkMode != "host" {
		t.Errorf("network %q, want host", cr.HostConfig.NetworkMode)
	}

	resp, err := http.Get(p.MetricsURL(ep, url))
	if err != nil {
		t.Fatal(err)
	}
	m, ok := openai.ParseMetrics(resp.Body)
	resp.Body.Close()
	if !ok || m.Running != 0 || m.KVUsage != 0 {
		t.Errorf("NIM metrics at /v1/metrics: %+v, %v", m, ok)
	}

	seen := readAll(t, p.Dir) // the launch record and the server log, while it runs
	if err := p.Stop(ctx, ep); err != nil {
		t.Fatal(err)
	}
	stopped = true
	if ids, err := docker.Leftovers(ctx, map[string]string{LabelEndpoint: name}); err != nil || len(ids) != 0 {
		t.Errorf("containers after stop: %v, %v; want none", ids, err)
	}
	settings, warnings := p.PlanService(ctx, ep)
	seen = append(seen, logs.String(), strings.Join(settings, "\n"), strings.Join(warnings, "\n"))
	if b, err := json.Marshal(fp); err == nil {
		seen = append(seen, string(b))
	}
	seen = append(seen, readAll(t, p.Dir)...)
	if len(seen) < 7 {
		t.Fatalf("only %d places read; want the record and the server log while running, and the log, plan and fingerprint", len(seen))
	}
	for _, s := range seen {
		if strings.Contains(s, secret) {
			t.Errorf("NGC_API_KEY leaked:\n%s", s)
		}
	}
}

// readAll is every file under dir, each as "PATH:\nCONTENT".
func readAll(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		out = append(out, path+":\n"+string(b))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
