package schema

import (
	"cmp"
	"fmt"
	"github.com/agext/levenshtein"
	"slices"
	"strings"
	"unicode/utf8"
)

// maxSuggestions is how many close names an unknown-name error suggests.
const maxSuggestions = 3

// LookupError is the error of Lookup: the name is ambiguous (Candidates are every task it can
// mean) or unknown (Candidates are the closest names, possibly none).
type LookupError struct {
	Name       string
	Ambiguous  bool
	Candidates []string
}

// Error returns a message that says what to write instead.
func (e *LookupError) Error() string {
	if e.Ambiguous {
		harnesses := make([]string, len(e.Candidates))
		for i, c := range e.Candidates {
			harnesses[i], _, _ = strings.Cut(c, ".")
		}
		return fmt.Sprintf("%q is in %s: write one of %s",
			e.Name, strings.Join(harnesses, ", "), quoteList(e.Candidates))
	}
	msg := fmt.Sprintf("unknown benchmark %q.", e.Name)
	if len(e.Candidates) > 0 {
		msg += fmt.Sprintf(" Did you mean %s?", quoteList(e.Candidates))
	}
	return msg + " Run `evalplan catalog search WORD` to find benchmarks"
}

// quoteList formats names as `"a", "b" or "c"`.
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// Lookup resolves a benchmark name to its qualified name: a qualified "harness.task" matches
// exactly; a bare task name resolves when exactly one harness has that task. Otherwise the
// error is a *LookupError listing every candidate (ambiguous) or up to three close names
// (unknown).
func (c *Catalog) Lookup(name string) (canonical string, err error) {
	if _, ok := c.byName[name]; ok {
		return name, nil
	}
	switch ts := c.byTask[name]; len(ts) {
	case 0:
		return "", &LookupError{Name: name, Candidates: c.suggest(name)}
	case 1:
		return ts[0].Name, nil
	default:
		names := make([]string, len(ts))
		for i, t := range ts {
			names[i] = t.Name
		}
		return "", &LookupError{Name: name, Ambiguous: true, Candidates: names}
	}
}

// suggest returns up to maxSuggestions task names close to name, closest first: each task is
// scored by the case-insensitive Levenshtein distance of name to its qualified name, or of
// name's last dot-separated part to its bare task name, whichever is smaller (each within a
// third of the compared length, at least 2); ties go to the closer qualified name, then by name.
func (c *Catalog) suggest(name string) []string {
	lower := strings.ToLower(name)
	part := lower[strings.LastIndex(lower, ".")+1:]
	qLimit := max(2, utf8.RuneCountInString(lower)/3)
	tLimit := max(2, utf8.RuneCountInString(part)/3)
	type scored struct {
		name        string
		best, qdist int
	}
	var close []scored
	for _, t := range c.tasks {
		dq := levenshtein.Distance(lower, strings.ToLower(t.Name), nil)
		dt := levenshtein.Distance(part, strings.ToLower(t.Task), nil)
		if dq <= qLimit || dt <= tLimit {
			close = append(close, scored{t.Name, min(dq, dt), dq})
		}
	}
	slices.SortFunc(close, func(a, b scored) int {
		return cmp.Or(a.best-b.best, a.qdist-b.qdist, strings.Compare(a.name, b.name))
	})
	var out []string
	for _, s := range close[:min(len(close), maxSuggestions)] {
		out = append(out, s.name)
	}
	return out
}
