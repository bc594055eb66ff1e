package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"github.com/evalplan/evalplan/plan/bounded"
	"github.com/evalplan/evalplan/plan/result"
)

// FormatVersion is the version of the state document this package reads and writes.
const FormatVersion = 1

// Status is where a run stands.
type Status string

// Run statuses.
const (
	StatusRunning  Status = "running"
	StatusPartial  Status = "partial"
	StatusComplete Status = "complete"
	StatusFailed   Status = "failed"
)

// File is the state document.
//
// Values held in fields of type any (Output.Value, Resource.Inputs, Resource.Compare) must be
// plain JSON values: nil, bool, string, float64, []any or map[string]any, as encoding/json
// decodes them (see [Normalize]); [Load] returns them in that form.
type File struct {
	EvalplanVersion string               `json:"evalplan_version"`
	FormatVersion   int                  `json:"format_version"`
	Lineage         string               `json:"lineage"`
	Outputs         map[string]Output    `json:"outputs"`
	Resources       map[string]*Resource `json:"resources"`
	Serial          int64                `json:"serial"`
}

// Output is the value of one output block. Sensitive outputs keep their value here (as
// Terraform does) and are only hidden when printed.
type Output struct {
	Sensitive bool `json:"sensitive,omitempty"`
	Value     any  `json:"value"`
}

// Resource is the recorded state of one address (a run, an endpoint, a dataset, ...).
type Resource struct {
	// Compare holds the paired comparisons that involve this run, computed at apply time.
	Compare map[string]any `json:"compare,omitempty"`
	// Error is the last error, for a failed or partial run.
	Error string `json:"error,omitempty"`
	// Exports maps exporter address to what was exported there.
	Exports    map[string]Export `json:"exports,omitempty"`
	FinishedAt *time.Time        `json:"finished_at,omitempty"`
	// History keeps earlier attempts, oldest first.
	History  []HistoryEntry `json:"history,omitempty"`
	Identity string         `json:"identity"`
	// Inputs are the identity fields as plain JSON values.
	Inputs map[string]any `json:"inputs,omitempty"`
	// Job is the cluster job carrying out the run (a Slurm job id), recorded as soon as it
	// is submitted so that an interrupted apply re-attaches to it instead of submitting
	// again; "" for a run executed on this machine. On a managed endpoint's resource, the
	// cluster job serving it (an executor's model_server = "own_job").
	Job       string         `json:"job,omitempty"`
	Result    *result.Result `json:"result,omitempty"`
	RunDir    string         `json:"run_dir,omitempty"`
	StartedAt *time.Time     `json:"started_at,omitempty"`
	// Status is one of StatusRunning, StatusPartial, StatusComplete or StatusFailed.
	Status Status `json:"status,omitempty"`
	// Type is the kind of resource: "run", "endpoint", "dataset", ...
	Type string `json:"type"`
}

// Export records that a result was exported to one exporter.
type Export struct {
	At time.Time `json:"at"`
	// Error is set when the last export attempt failed; the export is retried by the next
	// apply.
	Error    string `json:"error,omitempty"`
	Identity string `json:"identity"`
	Ref      string `json:"ref"`
}

// HistoryEntry is one earlier attempt of a resource.
type HistoryEntry struct {
	FinishedAt *time.Time     `json:"finished_at,omitempty"`
	Identity   string         `json:"identity"`
	Result     *result.Result `json:"result,omitempty"`
	RunDir     string         `json:"run_dir,omitempty"`
	Status     Status         `json:"status"`
}

// New returns an empty state with a fresh lineage (a random UUID), serial 0 and empty maps.
func New(evalplanVersion string) *File {
	return &File{
		EvalplanVersion: evalplanVersion,
		FormatVersion:   FormatVersion,
		Lineage:         uuid.NewString(),
		Outputs:         map[string]Output{},
		Resources:       map[string]*Resource{},
	}
}

// Load reads the state file at path. A missing file gives an error that matches
// fs.ErrNotExist; a damaged file gives an error that names it and says to restore it from
// <path>.backup; a format_version other than FormatVersion is an error.
func Load(path string) (*File, error) {
	data, err := bounded.ReadFile(path, bounded.State, "state file")
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	f, err := Parse(data)
	if err != nil {
		var fv *formatVersionError
		if errors.As(err, &fv) {
			return nil, fmt.Errorf("state %s: %w", path, err)
		}
		return nil, fmt.Errorf("state %s is damaged (%w); restore it from %s.backup", path, err, path)
	}
	return f, nil
}

// formatVersionError reports a state document of a format this version cannot read.
type formatVersionError struct{ got int }

func (e *formatVersionError) Error() string {
	if e.got > FormatVersion {
		return fmt.Sprintf("format_version %d is newer than this evalplan understands (%d); upgrade evalplan",
			e.got, FormatVersion)
	}
	return fmt.Sprintf("unknown format_version %d (this evalplan reads %d)", e.got, FormatVersion)
}

// Parse decodes a state document held in memory; [Load] reads and parses a file.
func Parse(data []byte) (*File, error) {
	var probe struct {
		FormatVersion *int `json:"format_version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if probe.FormatVersion == nil {
		return nil, errors.New("no format_version")
	}
	if *probe.FormatVersion != FormatVersion {
		return nil, &formatVersionError{got: *probe.FormatVersion}
	}
	var f File
	if err := decodeOne(json.NewDecoder(bytes.NewReader(data)), &f); err != nil {
		return nil, err
	}
	if f.Lineage == "" {
		return nil, errors.New("no lineage")
	}
	for addr, r := range f.Resources {
		if r == nil {
			return nil, fmt.Errorf("resource %q is null", addr)
		}
	}
	if f.Outputs == nil {
		f.Outputs = map[string]Output{}
	}
	if f.Resources == nil {
		f.Resources = map[string]*Resource{}
	}
	return &f, nil
}

// decodeOne decodes exactly one JSON value from dec into v.
func decodeOne(dec *json.Decoder, v any) error {
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the top-level value")
	}
	return nil
}

// Marshal returns the canonical bytes of f: keys sorted at every level, two-space indent,
// no HTML escaping, a trailing newline. Equal content gives equal bytes. Nil Outputs or
// Resources are written as empty objects.
func Marshal(f *File) ([]byte, error) {
	g := *f
	if g.Outputs == nil {
		g.Outputs = map[string]Output{}
	}
	if g.Resources == nil {
		g.Resources = map[string]*Resource{}
	}
	raw, err := json.Marshal(&g)
	if err != nil {
		return nil, fmt.Errorf("marshal state: %w", err)
	}
	return canonical(raw)
}

// canonical re-encodes one JSON document with sorted keys and indentation, numbers kept
// exactly as written.
func canonical(raw []byte) ([]byte, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := decodeOne(dec, &v); err != nil {
		return nil, fmt.Errorf("canonicalise state: %w", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("canonicalise state: %w", err)
	}
	return buf.Bytes(), nil
}

// Normalize turns a Go value into the plain JSON value that the state holds and [Load]
// returns for it (maps as map[string]any, arrays as []any, numbers as float64), so a value
// computed now can be compared with one read from state.
func Normalize(v any) (any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("normalize: %w", err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("normalize: %w", err)
	}
	return out, nil
}
