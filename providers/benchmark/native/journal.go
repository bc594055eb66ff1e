package native

import "github.com/evalplan/evalplan/plan/rundir"

// outcome is what the journal says about one sample (its last line), compactly: a run
// keeps one per selected sample in memory.
type outcome struct {
	err string // "" when answered
	// scores are the sample's scores by metric, in the order of task.metrics (0 when the
	// line lacks one).
	scores []float64
	// groups are the sample's names by subscore group, in the order of task.groups; nil
	// for tasks without groups.
	groups []groupName
}

// groupName is a sample's name in one subscore group; ok is false when it has none.
type groupName struct {
	name string
	ok   bool
}

// newOutcome is the outcome of a journal line with the given error, scores and groups.
func newOutcome(t task, errMsg *string, scores map[string]float64, groups map[string]string) outcome {
	if errMsg != nil {
		if *errMsg == "" {
			return outcome{err: "unknown error"}
		}
		return outcome{err: *errMsg}
	}
	names := t.metrics()
	o := outcome{scores: make([]float64, len(names))}
	for i, name := range names {
		o.scores[i] = scores[name]
	}
	if gs := t.groups(); len(gs) > 0 {
		o.groups = make([]groupName, len(gs))
		for i, g := range gs {
			o.groups[i].name, o.groups[i].ok = groups[g]
		}
	}
	return o
}

// lastOutcomes reads the journal and keeps each id's last line, without the texts.
func lastOutcomes(path string, t task) (map[string]outcome, error) {
	last := map[string]outcome{}
	err := rundir.ReadOutcomes(path, func(o *rundir.Outcome) error {
		last[o.ID] = newOutcome(t, o.Error, o.Score, o.Groups)
		return nil
	})
	return last, err
}
