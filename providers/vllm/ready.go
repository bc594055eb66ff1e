package vllm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/evalplan/evalplan/plan/config"
)

// requestTimeout bounds one readiness request.
const requestTimeout = 5 * time.Second

// tailLines is how many log lines a start error quotes.
const tailLines = 20

// waitReady polls the server until it is ready, it exits, start_timeout passes or ctx ends.
func (p *Provider) waitReady(ctx context.Context, ep *config.Endpoint, s *server) error {
	timeout := ep.Server.StartTimeout
	if timeout <= 0 {
		timeout = DefaultStartTimeout
	}
	every := p.PollInterval
	if every <= 0 {
		every = 250 * time.Millisecond
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(every)
	defer tick.Stop()
	var last error // the last check's failure that was not the deadline's
	for {
		if exited, how := p.exited(wctx, s); exited {
			return fmt.Errorf("the server exited (%s) before it was ready; last lines of %s:\n%s", how, s.Log, tail(s.Log, tailLines))
		}
		err := p.ready(wctx, ep, s.URL)
		if err == nil {
			return nil
		}
		if wctx.Err() == nil || last == nil {
			last = err
		}
		select {
		case <-wctx.Done():
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("the server was not ready after %s (start_timeout; last check: %v): raise start_timeout in the %s block (e.g. start_timeout = \"20m\") if it is still loading the model; last lines of %s:\n%s",
				timeout, last, kindOf(ep.Server).name(), s.Log, tail(s.Log, tailLines))
		case <-tick.C:
		case <-s.exited: // nil for adopted servers and containers: never ready
		}
	}
}

// exited reports whether the server has ended, and how.
func (p *Provider) exited(ctx context.Context, s *server) (bool, string) {
	switch {
	case s.exited != nil:
		select {
		case <-s.exited:
			if s.waitErr == nil {
				return true, "exit status 0"
			}
			return true, s.waitErr.Error()
		default:
			return false, ""
		}
	case s.Runtime == "docker":
		st, err := p.dockerClient().InspectService(context.WithoutCancel(ctx), s.Container)
		if err != nil || st.Running {
			return false, ""
		}
		if s.logsDone != nil { // let the last lines reach the log
			select {
			case <-s.logsDone:
			case <-time.After(requestTimeout):
			}
		}
		if !st.Exists {
			return true, "the container is gone"
		}
		return true, fmt.Sprintf("container exit code %d", st.ExitCode)
	default:
		return !processAlive(s.PID), "the process is gone"
	}
}

// ready checks the kind's health path (vLLM and SGLang GET /health, NIM GET
// /v1/health/ready) answers 200 and that GET /v1/models lists the endpoint's model.
func (p *Provider) ready(ctx context.Context, ep *config.Endpoint, base string) error {
	return ready(ctx, kindOf(ep.Server), ep.Model, base)
}

func ready(ctx context.Context, k kind, model, base string) error {
	client := &http.Client{Timeout: requestTimeout, Transport: &http.Transport{DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	if _, err := get(ctx, client, strings.TrimSuffix(base, "/v1")+k.healthPath()); err != nil {
		return err
	}
	body, err := get(ctx, client, base+"/models")
	if err != nil {
		return err
	}
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return fmt.Errorf("GET %s/models: not an OpenAI model list: %w", base, err)
	}
	ids := make([]string, len(list.Data))
	for i, m := range list.Data {
		ids[i] = m.ID
	}
	if !slices.Contains(ids, model) {
		return fmt.Errorf("the server serves %q, not %q; set model to the served name (%s)", ids, model, k.servedName())
	}
	return nil
}

func get(ctx context.Context, c *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return body, nil
}

// logHeader starts the line openLog writes before each launch.
const logHeader = "=== evalplan: "

// tail is the last n lines of the file at path (of its last 64 KiB, from the last launch's
// header), indented.
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return "  (no log: " + err.Error() + ")"
	}
	defer f.Close()
	const window = 64 << 10
	if st, err := f.Stat(); err == nil && st.Size() > window {
		if _, err := f.Seek(-window, io.SeekEnd); err != nil {
			return "  (unreadable log: " + err.Error() + ")"
		}
	}
	b, _ := io.ReadAll(f)
	if i := bytes.LastIndex(b, []byte(logHeader)); i >= 0 { // this launch's lines only
		b = b[i:]
	}
	lines := strings.Split(strings.TrimRight(string(bytes.ToValidUTF8(b, []byte("?"))), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  " + strings.Join(lines, "\n  ")
}

// openLog opens the server log for appending and writes a header naming the launch.
func openLog(path string, what string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open the server log: %w", err)
	}
	fmt.Fprintf(f, "%s%s: %s\n", logHeader, time.Now().UTC().Format(time.RFC3339), what)
	return f, nil
}
