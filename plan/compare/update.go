package compare

import (
	"errors"
	"sort"

	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/state"
)

// Suites maps a suite name to its endpoints in configuration order: the order in which
// comparisons are made and recorded.
type Suites map[string][]string

// Want reports whether the comparison of the run of suite and benchmark on endpoint (the
// new side) with the one on base is wanted: read by a check or an output.
type Want func(suite, benchmark, endpoint, base string) bool

// Update computes, for every suite and benchmark, the paired comparison of each ordered
// pair of comparable runs (new, base) on different endpoints that want asks for, and
// records it in the new run's Compare keyed by the base endpoint, all in one state update;
// a comparison not wanted is removed. Complete and partial runs are comparable: the
// comparison is on the samples both answered, and those that errored on either side are
// excluded and counted. A pair neither of whose runs changed in this apply (touched holds
// the addresses that did) keeps the comparison it has for the same two identities; a failed
// or running run has none. runDir resolves the run directory recorded for an address, or
// refuses it; a refused one is never read.
func Update(store *state.Store, suites Suites, want Want, runDir func(addr, recorded string) (string, error), touched map[string]bool) error {
	snap := store.Snapshot()
	type group struct{ suite, benchmark string }
	groups := map[group][]string{}
	for addr, r := range snap.Resources {
		a, err := addrs.ParseRun(addr)
		if _, ok := suites[a.Suite]; err == nil && ok && r.Type == "run" {
			groups[group{a.Suite, a.Benchmark}] = append(groups[group{a.Suite, a.Benchmark}], a.Endpoint)
		}
	}
	updates := map[string]map[string]any{}
	var errs []error
	for g, eps := range groups {
		at := func(e string) string { return addrs.Run{Suite: g.suite, Benchmark: g.benchmark, Endpoint: e}.String() }
		journals := map[string]map[string]Sample{}
		journal := func(e string) map[string]Sample {
			if j, ok := journals[e]; ok {
				return j
			}
			dir, err := runDir(at(e), snap.Resources[at(e)].RunDir)
			var j map[string]Sample
			if err == nil {
				j, err = ReadRun(dir)
			}
			if err != nil {
				errs = append(errs, err)
			}
			journals[e] = j
			return j
		}
		order := endpointOrder(suites[g.suite], eps)
		for _, e := range order {
			addr := at(e)
			r := snap.Resources[addr]
			if !comparableRun(r) {
				updates[addr] = nil
				continue
			}
			out := map[string]any{}
			for _, b := range order {
				baseAddr := at(b)
				base := snap.Resources[baseAddr]
				if b == e || !comparableRun(base) || !want(g.suite, g.benchmark, e, b) {
					continue
				}
				if prev, ok := r.Compare[b].(map[string]any); ok && !touched[addr] && !touched[baseAddr] &&
					prev["identity"] == r.Identity && prev["base_identity"] == base.Identity {
					out[b] = prev
					continue
				}
				newS, baseS := journal(e), journal(b)
				if len(newS) == 0 || len(baseS) == 0 {
					continue
				}
				c := Paired(newS, baseS, r.Result.Primary)
				c.Identity, c.BaseIdentity = r.Identity, base.Identity
				v, err := state.Normalize(c)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				out[b] = v
			}
			if len(out) == 0 {
				out = nil
			}
			updates[addr] = out
		}
	}
	if err := store.Update(func(f *state.File) {
		for addr, c := range updates {
			if r := f.Resources[addr]; r != nil {
				r.Compare = c
			}
		}
	}); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// comparableRun reports whether r is a complete or partial run with a result.
func comparableRun(r *state.Resource) bool {
	return r != nil && (r.Status == state.StatusComplete || r.Status == state.StatusPartial) && r.Result != nil
}

// endpointOrder orders the endpoints eps by their place in configured; endpoints no longer
// configured come last, by name.
func endpointOrder(configured, eps []string) []string {
	rank := map[string]int{}
	for i, e := range configured {
		rank[e] = i + 1
	}
	out := append([]string(nil), eps...)
	sort.SliceStable(out, func(i, j int) bool {
		ri, rj := rank[out[i]], rank[out[j]]
		if ri == 0 || rj == 0 || ri == rj {
			if (ri == 0) != (rj == 0) {
				return rj == 0
			}
			return out[i] < out[j]
		}
		return ri < rj
	})
	return out
}
