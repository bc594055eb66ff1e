package status

import (
	"time"

	"github.com/evalplan/evalplan/plan/state"
)

// StateSummary counts the runs a state file records, by status.
type StateSummary struct {
	// Exists is false when there is no state file yet.
	Exists   bool  `json:"exists"`
	Serial   int64 `json:"serial"`
	Runs     int   `json:"runs"`
	Complete int   `json:"complete"`
	Partial  int   `json:"partial"`
	Failed   int   `json:"failed"`
	// Running are runs recorded as running: in progress when an apply holds the lock,
	// otherwise interrupted (the next apply resumes them).
	Running int `json:"running"`
	// LastApply is the latest start or finish time of any run; nil when there is none.
	LastApply *time.Time `json:"last_apply,omitempty"`
}

// Summarize counts the runs in f. exists says whether f was read from a file.
func Summarize(f *state.File, exists bool) StateSummary {
	s := StateSummary{Exists: exists, Serial: f.Serial}
	for _, r := range f.Resources {
		if r.Type != "run" {
			continue
		}
		s.Runs++
		switch r.Status {
		case state.StatusComplete:
			s.Complete++
		case state.StatusPartial:
			s.Partial++
		case state.StatusFailed:
			s.Failed++
		case state.StatusRunning:
			s.Running++
		}
		for _, t := range []*time.Time{r.StartedAt, r.FinishedAt} {
			if t != nil && (s.LastApply == nil || t.After(*s.LastApply)) {
				tt := *t
				s.LastApply = &tt
			}
		}
	}
	return s
}
