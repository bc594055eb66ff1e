package endpoint

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/providers/openai"
)

// DefaultProbeTimeout bounds a probe when Provider.Timeout is 0.
const DefaultProbeTimeout = 10 * time.Second

// maxListed is how many served models an error message names.
const maxListed = 10

// Provider probes external OpenAI-compatible endpoints. The zero value is ready to use.
type Provider struct {
	// HTTPClient, when set, sends the probes (tests); otherwise each probe uses its own
	// connection and closes it.
	HTTPClient *http.Client
	// Timeout bounds one probe; 0 means DefaultProbeTimeout.
	Timeout time.Duration
}

var _ plan.Endpoints = (*Provider)(nil)

// Probe implements plan.Endpoints: it lists the endpoint's models with its API key and
// headers, checks that ep.Model is served, and returns the fingerprint. Every error starts
// with "endpoint.NAME:" and says what to do.
func (p *Provider) Probe(ctx context.Context, ep *config.Endpoint) (plan.Fingerprint, error) {
	name := addrs.Endpoint{Name: ep.Name}.String()
	if ep.Server != nil {
		return plan.Fingerprint{}, fmt.Errorf("%s: managed endpoints (vllm block) are not yet supported; use an external endpoint with url", name)
	}
	if ep.URL == "" {
		return plan.Fingerprint{}, fmt.Errorf("%s: url is not set; set it to the server's OpenAI-compatible /v1 base URL", name)
	}
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = DefaultProbeTimeout
	}
	c := openai.NewClient(openai.ClientOptions{
		BaseURL:    ep.URL,
		APIKey:     ep.APIKey,
		Headers:    ep.Headers,
		Timeout:    timeout,
		MaxConns:   1,
		HTTPClient: p.HTTPClient,

		Secrets:                 ep.Secrets(),
		AllowCrossHostRedirects: ep.AllowCrossHostRedirects,
	})
	if p.HTTPClient == nil {
		defer c.CloseIdleConnections()
	}
	models, err := c.Models(ctx)
	if err != nil {
		return plan.Fingerprint{}, hideHost(ep, probeError(ctx, name, shownURL(ep), err))
	}
	i := slices.IndexFunc(models, func(m openai.Model) bool { return m.ID == ep.Model })
	if i < 0 {
		return plan.Fingerprint{}, fmt.Errorf("%s: %s serves %s, not %q; set model to a served name", name, shownURL(ep), listIDs(models), ep.Model)
	}
	fp := plan.Fingerprint{
		Model:       ep.Model,
		Type:        ep.Type,
		Revision:    ep.Revision,
		MaxModelLen: models[i].MaxModelLen,
	}
	if fp.Type == "" {
		fp.Type = openai.KindChat
	}
	if len(ep.Capabilities) > 0 {
		fp.Capabilities = slices.Sorted(slices.Values(ep.Capabilities))
	}
	return fp, nil
}

// probeError turns a failed model listing into an error that says what to do.
func probeError(ctx context.Context, name, base string, err error) error {
	base = strings.TrimRight(base, "/")
	if ctx.Err() != nil {
		return fmt.Errorf("%s: probe of %s interrupted: %w", name, base, err)
	}
	if se, ok := errors.AsType[*openai.StatusError](err); ok {
		switch se.Code {
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("%s: the server rejected the API key (%s: %w); check api_key", name, base, err)
		case http.StatusNotFound:
			return fmt.Errorf("%s: %s does not look like an OpenAI-compatible /v1 base URL (%w); check url, which usually ends in /v1", name, base, err)
		default:
			return fmt.Errorf("%s: listing models at %s failed (%w); check the server's logs", name, base, err)
		}
	}
	if errors.Is(err, openai.ErrCrossHostRedirect) {
		return fmt.Errorf("%s: listing models at %s: %w", name, base, err)
	}
	if errors.Is(err, openai.ErrMalformed) {
		return fmt.Errorf("%s: %s/models did not return an OpenAI model list (%w); check that url is the server's /v1 base URL", name, base, err)
	}
	return fmt.Errorf("%s: cannot reach %s: %w; is the server running? Use -refresh=false to plan from the last known fingerprint", name, base, err)
}

// listIDs formats served model ids as [a, b], naming at most maxListed.
func listIDs(models []openai.Model) string {
	ids := make([]string, 0, min(len(models), maxListed))
	for _, m := range models[:min(len(models), maxListed)] {
		ids = append(ids, m.ID)
	}
	s := "[" + strings.Join(ids, ", ")
	if n := len(models) - maxListed; n > 0 {
		s += fmt.Sprintf(", … and %d more", n)
	}
	return s + "]"
}

// shownURL is the endpoint URL as messages may show it: nothing of a sensitive URL, and
// never user information or a query string.
func shownURL(ep *config.Endpoint) string {
	if ep.URLSensitive {
		return "its url (sensitive, not shown)"
	}
	u, err := url.Parse(ep.URL)
	if err != nil {
		return "its url"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

// hideHost removes a sensitive URL's host from an error's text (network errors name the
// address they dialled).
func hideHost(ep *config.Endpoint, err error) error {
	if !ep.URLSensitive {
		return err
	}
	u, perr := url.Parse(ep.URL)
	if perr != nil || u.Host == "" {
		return err
	}
	msg := strings.NewReplacer(u.Host, "[redacted]", u.Hostname(), "[redacted]").Replace(err.Error())
	return errors.New(msg)
}
