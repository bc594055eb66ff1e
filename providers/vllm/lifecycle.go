package vllm

import (
	"context"
	"fmt"
	"time"

	"github.com/evalplan/evalplan/plan/config"
)

// Server states reported by Status.
const (
	// StateRunning: a recorded server is alive and ready.
	StateRunning = "running"
	// StateStarting: a recorded server is alive but not (yet) ready.
	StateStarting = "starting"
	// StateStopped: no server is recorded, or the recorded one is gone.
	StateStopped = "stopped"
)

// ServerStatus is what is known of a managed endpoint's server: its record
// (<output_dir>/_services/NAME.json) checked against the live process or container.
type ServerStatus struct {
	Endpoint string `json:"endpoint"`
	// Kind is the server block's type: vllm, sglang or nim.
	Kind      string    `json:"kind"`
	State     string    `json:"state"`
	Runtime   string    `json:"runtime"`
	URL       string    `json:"url,omitempty"`
	PID       int       `json:"pid,omitempty"`
	Container string    `json:"container,omitempty"`
	StartedAt time.Time `json:"started_at,omitzero"`
	// Kept reports that the server outlives applies: keep_running, or started by StartKept.
	Kept bool `json:"kept"`
	// Current reports that the server was launched with the configuration's current
	// settings, so apply reuses it (false: apply replaces it).
	Current bool   `json:"current"`
	Log     string `json:"log,omitempty"`
}

// Status reports the endpoint's server. A record whose server is gone reads as stopped.
func (p *Provider) Status(ctx context.Context, ep *config.Endpoint) ServerStatus {
	st := ServerStatus{Endpoint: ep.Name, Kind: kindOf(ep.Server).name(), State: StateStopped, Runtime: ep.Server.Runtime, Kept: ep.Server.KeepRunning}
	rec := p.readRecord(ep.Name)
	if rec == nil || !p.alive(ctx, rec) {
		return st
	}
	st.State = StateStarting
	if p.ready(ctx, ep, rec.URL) == nil {
		st.State = StateRunning
	}
	launch, err := p.launchHash(ep)
	st.Runtime, st.URL, st.PID, st.Container, st.StartedAt, st.Log = rec.Runtime, rec.URL, rec.PID, rec.Container, rec.StartedAt, rec.Log
	st.Kept = st.Kept || rec.Kept
	st.Current = err == nil && rec.Launch == launch
	return st
}

// StartKept starts the endpoint's server for interactive use, or reuses the one running with
// the same launch, and records it as kept: applies reuse it and do not stop it, until
// StopKept.
func (p *Provider) StartKept(ctx context.Context, ep *config.Endpoint) (ServerStatus, error) {
	if _, err := p.Start(ctx, ep); err != nil {
		return ServerStatus{}, err
	}
	p.mu.Lock()
	s := p.running[ep.Name]
	delete(p.running, ep.Name) // this Provider leaves it running
	p.mu.Unlock()
	s.Kept = true
	if err := p.writeRecord(ep.Name, s); err != nil {
		return ServerStatus{}, err
	}
	return p.Status(ctx, ep), nil
}

// StopKept stops the endpoint's recorded server, kept or not; false when none was running.
func (p *Provider) StopKept(ctx context.Context, ep *config.Endpoint) (bool, error) {
	rec := p.readRecord(ep.Name)
	if rec == nil {
		return false, nil
	}
	if !p.alive(ctx, rec) {
		p.removeRecord(ep.Name)
		return false, nil
	}
	if err := p.stop(ctx, rec); err != nil {
		return true, fmt.Errorf("stop the server of endpoint.%s: %w", ep.Name, err)
	}
	p.removeRecord(ep.Name)
	return true, nil
}

// Process is "pid N", "container ID" (12 characters) or "-".
func (st ServerStatus) Process() string {
	switch {
	case st.Container != "":
		return "container " + st.Container[:min(12, len(st.Container))]
	case st.PID > 0:
		return fmt.Sprintf("pid %d", st.PID)
	}
	return "-"
}
