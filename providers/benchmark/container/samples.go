package container

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/evalplan/evalplan/plan/rundir"
)

// SubtaskGroup is the subscore group of a record from a group task's subtask (lm-eval's
// mmlu_str runs 57 subtasks): Record.Groups[SubtaskGroup] is the subtask's name.
const SubtaskGroup = "subtask"

// ReadLMEvalSamples reads the per-sample files that lm-evaluation-harness writes with
// --log_samples (samples_<task>_<timestamp>.jsonl, see SamplesFiles) that the attempt started
// at since wrote under runDir, and returns one record per sample, ordered by task and
// doc_id; ok is false when there are none.
//
// lm-eval logs a line per sample and filter (gsm8k: strict-match and flexible-extract); each
// line names its metrics ("metrics": ["exact_match"]) and has a value for each. The lines of a
// sample become one record whose Score and Extracted are named as ParseResults names the
// result's metrics, "<metric>__<filter>", or "<metric>" for the filter "none" (as NeMo's
// output parser does), so that the result's primary metric is found in every record. Id is
// the doc_id; when the run has several tasks (a group such as mmlu_str) it is
// "<task>/<doc_id>" and Groups[SubtaskGroup] is the task. Prompt is the first request's first
// argument, Response the model's first raw answer (resps), Target the sample's target.
func ReadLMEvalSamples(runDir string, since time.Time) (recs []rundir.Record, ok bool, err error) {
	files := map[string][]string{} // task → files
	err = filepath.WalkDir(runDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		task, isSamples := samplesTask(d.Name())
		if !isSamples {
			return nil
		}
		info, err := d.Info()
		if err != nil || info.ModTime().Before(since.Add(-time.Second)) {
			return err
		}
		files[task] = append(files[task], path)
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("read lm-eval samples: %w", err)
	}
	if len(files) == 0 {
		return nil, false, nil
	}
	tasks := make([]string, 0, len(files))
	for task := range files {
		tasks = append(tasks, task)
	}
	slices.Sort(tasks)
	for _, task := range tasks {
		prefix := ""
		if len(tasks) > 1 {
			prefix = task
		}
		for _, path := range files[task] {
			rs, err := readLMEvalFile(path, prefix)
			if err != nil {
				return nil, false, fmt.Errorf("read lm-eval samples %s: %w", filepath.Base(path), err)
			}
			recs = append(recs, rs...)
		}
	}
	return recs, true, nil
}

// samplesTask is the task of an lm-eval per-sample file name, samples_<task>_<timestamp>.jsonl
// (the timestamp, an ISO time with "-" for ":", has no "_").
func samplesTask(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, "samples_")
	if !ok {
		return "", false
	}
	rest, ok = strings.CutSuffix(rest, ".jsonl")
	if !ok {
		return "", false
	}
	i := strings.LastIndexByte(rest, '_')
	if i <= 0 {
		return "", false
	}
	return rest[:i], true
}

// lmEvalLine is one line of an lm-eval samples file; the metric values are read from the
// same object by the names in Metrics.
type lmEvalLine struct {
	DocID         json.RawMessage `json:"doc_id"`
	Target        json.RawMessage `json:"target"`
	Arguments     json.RawMessage `json:"arguments"`
	Resps         json.RawMessage `json:"resps"`
	FilteredResps json.RawMessage `json:"filtered_resps"`
	Filter        string          `json:"filter"`
	Metrics       []string        `json:"metrics"`
}

// readLMEvalFile reads one samples file into records, one per doc_id in the order first seen;
// prefix, when set, goes before each id.
func readLMEvalFile(path, prefix string) ([]rundir.Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 256<<20)
	var recs []rundir.Record
	index := map[string]int{}
	for lineNo := 1; sc.Scan(); lineNo++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var l lmEvalLine
		var all map[string]json.RawMessage
		if err := json.Unmarshal(line, &l); err != nil {
			return nil, fmt.Errorf("line %d: %w", lineNo, err)
		}
		if err := json.Unmarshal(line, &all); err != nil {
			return nil, fmt.Errorf("line %d: %w", lineNo, err)
		}
		id := scalar(l.DocID)
		if id == "" {
			return nil, fmt.Errorf("line %d has no doc_id", lineNo)
		}
		if prefix != "" {
			id = prefix + "/" + id
		}
		i, seen := index[id]
		if !seen {
			i = len(recs)
			index[id] = i
			recs = append(recs, newRecord(id, prefix, &l))
		}
		rec := &recs[i]
		extracted := firstText(l.FilteredResps)
		for _, metric := range l.Metrics {
			v, ok := metricValue(all[metric])
			if !ok {
				continue
			}
			name := metric
			if l.Filter != "" && l.Filter != "none" {
				name = metric + "__" + l.Filter
			}
			rec.Score[name] = v
			if extracted != nil {
				rec.Extracted[name] = extracted
			}
		}
	}
	return recs, sc.Err()
}

// newRecord is the record of a sample's first line: id, prompt, response and target.
func newRecord(id, subtask string, l *lmEvalLine) rundir.Record {
	rec := rundir.Record{
		ID:        id,
		Target:    scalar(l.Target),
		Response:  firstText(l.Resps),
		Extracted: map[string]*string{},
		Score:     map[string]float64{},
		Attempts:  1,
	}
	if p := prompt(l.Arguments); p != nil {
		rec.Prompt = *p
	}
	if subtask != "" {
		rec.Groups = map[string]string{SubtaskGroup: subtask}
	}
	return rec
}

// scalar is a JSON string's text, or any other JSON value as written ("3", "[1,2]"); "" for
// none.
func scalar(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// firstText is the first answer of a JSON list: resps [["text"]] and filtered_resps ["text"]
// give "text"; anything else (a loglikelihood answer [[logprob, is_greedy]]) is given as JSON.
// nil for an empty list or none.
func firstText(raw json.RawMessage) *string {
	var list []any
	if json.Unmarshal(raw, &list) != nil || len(list) == 0 {
		return nil
	}
	v := list[0]
	if inner, ok := v.([]any); ok && len(inner) == 1 {
		if s, ok := inner[0].(string); ok {
			v = s
		}
	}
	if s, ok := v.(string); ok {
		return &s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	s := string(b)
	return &s
}

// prompt is the first argument of the first request ({"gen_args_0": {"arg_0": prompt, ...}}).
func prompt(raw json.RawMessage) *string {
	var args map[string]map[string]json.RawMessage
	if json.Unmarshal(raw, &args) != nil || len(args) == 0 {
		return nil
	}
	first := ""
	for k := range args {
		if first == "" || argLess(k, first) {
			first = k
		}
	}
	a, ok := args[first]["arg_0"]
	if !ok {
		return nil
	}
	s := scalar(a)
	return &s
}

// argLess orders "gen_args_2" before "gen_args_10".
func argLess(a, b string) bool {
	na, ea := strconv.Atoi(a[strings.LastIndexByte(a, '_')+1:])
	nb, eb := strconv.Atoi(b[strings.LastIndexByte(b, '_')+1:])
	if ea != nil || eb != nil {
		return a < b
	}
	return cmp.Less(na, nb)
}

// metricValue is a per-sample metric value: a number, or a boolean as 0 or 1. Aggregates
// computed from lists (such as bleu's [ref, pred]) are not per-sample scores.
func metricValue(raw json.RawMessage) (float64, bool) {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return 0, false
	}
	switch x := v.(type) {
	case float64:
		return x, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// WriteSamples writes recs as the run's journal, samples.jsonl, replacing one an earlier
// attempt left; with no records it removes it, so that a run whose harness wrote no
// per-sample output has no journal.
func WriteSamples(runDir string, recs []rundir.Record) error {
	path := filepath.Join(runDir, rundir.JournalFile)
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("remove %s: %w", rundir.JournalFile, err)
	}
	if len(recs) == 0 {
		return nil
	}
	j, err := rundir.OpenJournal(path)
	if err != nil {
		return err
	}
	for i := range recs {
		if err := j.Append(&recs[i]); err != nil {
			j.Close()
			return err
		}
	}
	return j.Close()
}

// writeJournal writes the run's journal from the per-sample files the attempt started at
// since left in runDir, or removes an earlier attempt's journal when there are none
// (simple-evals writes its samples only into an HTML report).
func writeJournal(runDir string, since time.Time) error {
	recs, _, err := ReadLMEvalSamples(runDir, since)
	if err != nil {
		return err
	}
	return WriteSamples(runDir, recs)
}
