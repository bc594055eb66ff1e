package native

import (
	"net/url"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/result"
	"github.com/evalplan/evalplan/plan/rundir"
)

// summary is a run's result and its first error, in file order.
type summary struct {
	result     *result.Result
	firstErr   string
	firstErrID string
}

// summarise computes the result of the selected samples from the journal's last line of
// each id (last), in file order, so a resumed run and an uninterrupted one give the same
// numbers. Subscores are of the primary metric, per group the task names.
func summarise(last map[string]outcome, t task, ids []string) *summary {
	names := t.metrics()
	means := make([]result.Mean, len(names))
	groups := t.groups()
	sub := make([]map[string]*result.Mean, len(groups))
	for i := range sub {
		sub[i] = map[string]*result.Mean{}
	}
	res := &result.Result{Primary: names[0], Metrics: make(map[string]result.Metric, len(names))}
	s := &summary{result: res}
	for _, id := range ids {
		o, ok := last[id]
		switch {
		case !ok:
			continue
		case o.err != "":
			res.Errors++
			if s.firstErr == "" {
				s.firstErr, s.firstErrID = o.err, id
			}
			continue
		}
		res.N++
		for i := range names {
			means[i].Add(o.scores[i])
		}
		for i, g := range o.groups {
			if !g.ok {
				continue
			}
			m := sub[i][g.name]
			if m == nil {
				m = &result.Mean{}
				sub[i][g.name] = m
			}
			m.Add(o.scores[0]) // the primary metric
		}
	}
	for i, name := range names {
		res.Metrics[name] = means[i].Metric()
	}
	res.Score = res.Metrics[res.Primary].Value
	for i, g := range groups {
		if len(sub[i]) == 0 {
			continue
		}
		if res.Subscores == nil {
			res.Subscores = map[string]map[string]result.Metric{}
		}
		res.Subscores[g] = make(map[string]result.Metric, len(sub[i]))
		for name, m := range sub[i] {
			res.Subscores[g][name] = m.Metric()
		}
	}
	return s
}

// runConfig is the content of run_config.json. It never holds the endpoint's key or headers.
type runConfig struct {
	Address   string        `json:"address"`
	Suite     string        `json:"suite"`
	Benchmark string        `json:"benchmark"`
	Scorer    string        `json:"scorer"`
	Identity  string        `json:"identity"`
	Endpoint  runEndpoint   `json:"endpoint"`
	Params    config.Params `json:"params"`
	Dataset   runDataset    `json:"dataset"`
	Selection runSelection  `json:"selection"`
}

type runEndpoint struct {
	Name     string `json:"name"`
	Model    string `json:"model"`
	Type     string `json:"type"`
	URL      string `json:"url,omitempty"` // recordedURL: never credentials, query or a sensitive URL
	Revision string `json:"revision,omitempty"`
}

type runDataset struct {
	SHA256 string `json:"sha256"`
	Rows   int    `json:"rows"`
}

type runSelection struct {
	Sample       string   `json:"sample"`
	Seed         int      `json:"seed"`
	LimitSamples *float64 `json:"limit_samples"`
	N            int      `json:"n"`
}

// writeRunConfig writes run_config.json atomically.
func writeRunConfig(spec *plan.RunSpec, t task, s *settings, sel *selection) error {
	kind, _ := requestKind(spec.Endpoint.Type)
	rc := runConfig{
		Address:   spec.Address,
		Suite:     spec.Suite,
		Benchmark: spec.Benchmark,
		Scorer:    t.scorer(),
		Identity:  spec.Identity,
		Endpoint: runEndpoint{
			Name:     spec.Endpoint.Name,
			Model:    spec.Endpoint.Model,
			Type:     kind,
			URL:      recordedURL(spec.Endpoint),
			Revision: spec.Endpoint.Revision,
		},
		Params:    spec.Params,
		Dataset:   runDataset{SHA256: sel.sha256, Rows: sel.total},
		Selection: runSelection{Sample: s.sample, Seed: s.seed, LimitSamples: s.limit, N: len(sel.rows)},
	}
	return rundir.WriteRunConfig(spec.RunDir, rc)
}

// recordedURL is the endpoint URL as run_config.json records it: without user information
// (url.Redacted keeps the user name, which can itself be a token), query or fragment; empty
// when the configuration marked the URL sensitive or it does not parse.
func recordedURL(ep *config.Endpoint) string {
	if ep.URLSensitive {
		return ""
	}
	u, err := url.Parse(ep.URL)
	if err != nil {
		return ""
	}
	u.User = nil
	u.RawQuery, u.ForceQuery = "", false
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}
