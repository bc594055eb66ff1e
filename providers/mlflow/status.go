package mlflow

import (
	"context"
)

// Status describes a tracking server for `evalplan mlflow status`.
type Status struct {
	URI       string
	Reachable bool
	// Version is the server's version; "" when unreachable.
	Version     string
	Experiments int
	Runs        int
	// Err is why the server could not be read, nil when it could.
	Err error
}

// Inspect reads a tracking server's version and counts its active experiments and runs.
func Inspect(ctx context.Context, c *Client) Status {
	st := Status{URI: c.URI()}
	if st.Err = c.Health(ctx); st.Err != nil {
		return st
	}
	st.Reachable = true
	if st.Version, st.Err = c.Version(ctx); st.Err != nil {
		return st
	}
	exps, err := c.SearchExperiments(ctx)
	if err != nil {
		st.Err = err
		return st
	}
	st.Experiments = len(exps)
	ids := make([]string, len(exps))
	for i, e := range exps {
		ids[i] = e.ID
	}
	for start := 0; start < len(ids); start += 100 {
		runs, err := c.SearchRuns(ctx, ids[start:min(start+100, len(ids))], "")
		if err != nil {
			st.Err = err
			return st
		}
		st.Runs += len(runs)
	}
	return st
}
