package plan

import (
	"context"
	"fmt"
	"sync"

	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
)

// Services starts and stops managed endpoints (a vllm, sglang or nim block). Start returns the base URL
// (ending in /v1) once the server is healthy.
type Services interface {
	Start(ctx context.Context, ep *config.Endpoint) (url string, err error)
	Stop(ctx context.Context, ep *config.Endpoint) error
}

// ServiceFingerprinter is implemented by Services whose managed endpoints have identity
// beyond model, type and revision: the server image's digest and the server arguments that
// change results. The engine asks it for the fingerprints of managed endpoints.
type ServiceFingerprinter interface {
	// ConfigFingerprint is the fingerprint as far as the configuration tells, without network
	// or daemon (the image as written, not yet pinned).
	ConfigFingerprint(ep *config.Endpoint) Fingerprint
	// Fingerprint also reads live facts (the image's digest); refresh calls it.
	Fingerprint(ctx context.Context, ep *config.Endpoint) (Fingerprint, error)
}

// ServicePlanner is implemented by Services that derive a managed endpoint's settings (from
// its GPUs and model) and show them in the plan.
type ServicePlanner interface {
	// PlanService returns the settings derived for ep, each "name = value: reason", and
	// warnings: what could not be derived and what to set.
	PlanService(ctx context.Context, ep *config.Endpoint) (settings, warnings []string)
}

// ServiceMetrics is implemented by Services that know where a started managed endpoint's
// server serves Prometheus metrics (NIM: /v1/metrics); the engine hands it to runners as
// the endpoint's MetricsURL.
type ServiceMetrics interface {
	// MetricsURL is the metrics URL of ep's server at the base URL Start returned.
	MetricsURL(ep *config.Endpoint, base string) string
}

// servicePool is the ServerPool of an apply: it reference-counts managed endpoints during an apply: the first run that needs
// an endpoint starts it, the last one to finish stops it (unless keep_running).
type servicePool struct {
	svc Services
	mu  sync.Mutex
	eps map[string]*service
}

type service struct {
	mu    sync.Mutex // serialises start and stop of this endpoint
	refs  int
	url   string
	err   error
	start bool
}

func newServicePool(svc Services) *servicePool {
	return &servicePool{svc: svc, eps: map[string]*service{}}
}

// Acquire makes ep available and returns its URL; every successful Acquire must be matched
// by a Release.
func (p *servicePool) Acquire(ctx context.Context, ep *config.Endpoint) (string, error) {
	if !ep.Managed() {
		return ep.URL, nil
	}
	if p.svc == nil {
		return "", fmt.Errorf("%s: managed endpoints (vllm, sglang or nim blocks) are not yet supported", addrs.Endpoint{Name: ep.Name})
	}
	p.mu.Lock()
	s := p.eps[ep.Name]
	if s == nil {
		s = &service{}
		p.eps[ep.Name] = s
	}
	p.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refs == 0 {
		s.url, s.err = p.svc.Start(ctx, ep)
		if s.err != nil {
			return "", fmt.Errorf("%s: start: %w", addrs.Endpoint{Name: ep.Name}, s.err)
		}
		s.start = true
	}
	s.refs++
	return s.url, nil
}

// MetricsURL is where ep's server at base serves metrics, when the Services know (see
// ServiceMetrics); "" otherwise.
func (p *servicePool) MetricsURL(ep *config.Endpoint, base string) string {
	if m, ok := p.svc.(ServiceMetrics); ok && ep.Managed() {
		return m.MetricsURL(ep, base)
	}
	return ""
}

// Release drops one reference to ep, stopping it when none is left and it is not kept running.
func (p *servicePool) Release(ctx context.Context, ep *config.Endpoint) error {
	if !ep.Managed() || p.svc == nil {
		return nil
	}
	p.mu.Lock()
	s := p.eps[ep.Name]
	p.mu.Unlock()
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refs--
	if s.refs > 0 || ep.Server.KeepRunning {
		return nil
	}
	s.start = false
	// Stop even when the apply is being cancelled.
	return p.svc.Stop(context.WithoutCancel(ctx), ep)
}
