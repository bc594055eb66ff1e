package plan

import "github.com/evalplan/evalplan/plan/config"

// paramsFromDefaults converts a catalog task's default parameters to Params. Keys that are
// not parameters (such as a container's "task") are ignored.
func paramsFromDefaults(d map[string]any) config.Params {
	var p config.Params
	num := func(k string) *float64 {
		if v, ok := d[k].(float64); ok {
			return &v
		}
		return nil
	}
	integer := func(k string) *int {
		if v, ok := d[k].(float64); ok {
			i := int(v)
			return &i
		}
		return nil
	}
	p.LimitSamples = num("limit_samples")
	p.Temperature = num("temperature")
	p.TopP = num("top_p")
	p.MaxNewTokens = integer("max_new_tokens")
	p.Seed = integer("seed")
	p.Parallelism = integer("parallelism")
	p.RequestTimeout = num("request_timeout")
	p.MaxRetries = integer("max_retries")
	p.Timeout = num("timeout")
	if s, ok := d["sample"].(string); ok {
		p.Sample = &s
	}
	if b, ok := d["cache"].(bool); ok {
		p.Cache = &b
	}
	if x, ok := d["extra"].(map[string]any); ok {
		p.Extra = x
	}
	return p
}

// mergeParams overlays over on base: set fields win, extra merges key by key.
func mergeParams(base, over config.Params) config.Params {
	out := base
	set := func(dst **float64, v *float64) {
		if v != nil {
			*dst = v
		}
	}
	seti := func(dst **int, v *int) {
		if v != nil {
			*dst = v
		}
	}
	set(&out.LimitSamples, over.LimitSamples)
	set(&out.Temperature, over.Temperature)
	set(&out.TopP, over.TopP)
	seti(&out.MaxNewTokens, over.MaxNewTokens)
	seti(&out.Seed, over.Seed)
	if over.Sample != nil {
		out.Sample = over.Sample
	}
	if over.Cache != nil {
		out.Cache = over.Cache
	}
	seti(&out.Parallelism, over.Parallelism)
	set(&out.RequestTimeout, over.RequestTimeout)
	seti(&out.MaxRetries, over.MaxRetries)
	set(&out.Timeout, over.Timeout)
	if len(over.Extra) > 0 {
		merged := make(map[string]any, len(base.Extra)+len(over.Extra))
		for k, v := range base.Extra {
			merged[k] = v
		}
		for k, v := range over.Extra {
			merged[k] = v
		}
		out.Extra = merged
	}
	return out
}
