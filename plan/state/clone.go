package state

import (
	"time"

	"github.com/evalplan/evalplan/plan/result"
)

// Clone returns a deep copy of f. Values in fields of type any are copied deeply when they
// are plain JSON values (maps, slices, scalars); anything else is copied as is.
func (f *File) Clone() *File {
	if f == nil {
		return nil
	}
	g := *f
	if f.Outputs != nil {
		g.Outputs = make(map[string]Output, len(f.Outputs))
		for k, o := range f.Outputs {
			g.Outputs[k] = Output{Sensitive: o.Sensitive, Value: cloneAny(o.Value)}
		}
	}
	if f.Resources != nil {
		g.Resources = make(map[string]*Resource, len(f.Resources))
		for k, r := range f.Resources {
			g.Resources[k] = r.Clone()
		}
	}
	return &g
}

// Clone returns a deep copy of r.
func (r *Resource) Clone() *Resource {
	if r == nil {
		return nil
	}
	s := *r
	s.Compare = cloneMap(r.Compare)
	s.Inputs = cloneMap(r.Inputs)
	s.Result = cloneResult(r.Result)
	s.StartedAt = cloneTime(r.StartedAt)
	s.FinishedAt = cloneTime(r.FinishedAt)
	if r.Exports != nil {
		s.Exports = make(map[string]Export, len(r.Exports))
		for k, e := range r.Exports {
			s.Exports[k] = e
		}
	}
	if r.History != nil {
		s.History = make([]HistoryEntry, len(r.History))
		for i, h := range r.History {
			h.FinishedAt = cloneTime(h.FinishedAt)
			h.Result = cloneResult(h.Result)
			s.History[i] = h
		}
	}
	return &s
}

func cloneTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := *t
	return &u
}

func cloneAny(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return cloneMap(v)
	case []any:
		if v == nil {
			return v
		}
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = cloneAny(e)
		}
		return out
	default:
		return v
	}
}

func cloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneAny(v)
	}
	return out
}

func cloneResult(r *result.Result) *result.Result {
	if r == nil {
		return nil
	}
	s := *r
	s.Metrics = cloneMetrics(r.Metrics)
	if r.Subscores != nil {
		s.Subscores = make(map[string]map[string]result.Metric, len(r.Subscores))
		for k, g := range r.Subscores {
			s.Subscores[k] = cloneMetrics(g)
		}
	}
	return &s
}

func cloneMetrics(m map[string]result.Metric) map[string]result.Metric {
	if m == nil {
		return nil
	}
	out := make(map[string]result.Metric, len(m))
	for k, v := range m {
		if v.Stderr != nil {
			se := *v.Stderr
			v.Stderr = &se
		}
		if v.CI95 != nil {
			ci := *v.CI95
			v.CI95 = &ci
		}
		out[k] = v
	}
	return out
}
