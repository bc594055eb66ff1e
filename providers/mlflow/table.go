package mlflow

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/evalplan/evalplan/plan/rundir"
)

// TableArtifact is the name of the per-sample question/answer table in a run's artifacts.
const TableArtifact = "samples_table.json"

// loggedTablesTag is the value of mlflow.loggedArtifacts that makes the UI show TableArtifact
// as a table: the exact text Python's json.dumps writes, "path" before "type" (mlflow.md §4).
const loggedTablesTag = `[{"path": "` + TableArtifact + `", "type": "table"}]`

// WriteTable writes the samples of a samples.jsonl journal as an MLflow table
// ({"columns": [...], "data": [[...], ...]}, pandas' orient="split" as log_table writes it):
// one row per sample id (its last line), in the order of those lines, with the columns id,
// prompt, response, target, error, latency_ms, then extracted/METRIC and score/METRIC for
// every metric seen. It reads the journal twice so memory stays flat in the number of
// samples. It returns the number of rows.
func WriteTable(w io.Writer, journal string) (int, error) {
	last := map[string]int{}
	metricSet := map[string]bool{}
	line := 0
	err := rundir.ReadJournal(journal, func(r *rundir.Record) error {
		last[r.ID] = line
		line++
		for m := range r.Score {
			metricSet[m] = true
		}
		for m := range r.Extracted {
			metricSet[m] = true
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	metrics := sortedKeys(metricSet)
	cols := []string{"id", "prompt", "response", "target", "error", "latency_ms"}
	for _, m := range metrics {
		cols = append(cols, "extracted/"+m)
	}
	for _, m := range metrics {
		cols = append(cols, "score/"+m)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	bw.WriteString(`{"columns": `)
	if err := enc.Encode(cols); err != nil {
		return 0, fmt.Errorf("write table: %w", err)
	}
	bw.WriteString(`, "data": [`)
	rows, line := 0, 0
	err = rundir.ReadJournal(journal, func(r *rundir.Record) error {
		idx := line
		line++
		if last[r.ID] != idx {
			return nil
		}
		if rows > 0 {
			bw.WriteString(",\n")
		}
		rows++
		return enc.Encode(tableRow(r, metrics))
	})
	if err != nil {
		return 0, fmt.Errorf("write table: %w", err)
	}
	bw.WriteString("]}\n")
	if err := bw.Flush(); err != nil {
		return 0, fmt.Errorf("write table: %w", err)
	}
	return rows, nil
}

func tableRow(r *rundir.Record, metrics []string) []any {
	row := []any{r.ID, promptText(r.Prompt), r.Response, r.Target, r.Error, r.LatencyMS}
	for _, m := range metrics {
		if v, ok := r.Extracted[m]; ok {
			row = append(row, v)
		} else {
			row = append(row, nil)
		}
	}
	for _, m := range metrics {
		if v, ok := r.Score[m]; ok {
			row = append(row, v)
		} else {
			row = append(row, nil)
		}
	}
	return row
}

// promptText renders a prompt for the table: a completions prompt as it is, a single chat
// message as its content, several as "role: content" blocks.
func promptText(p any) string {
	switch x := p.(type) {
	case string:
		return x
	case []any:
		type msg struct{ role, content string }
		var msgs []msg
		for _, m := range x {
			mm, _ := m.(map[string]any)
			role, _ := mm["role"].(string)
			msgs = append(msgs, msg{role, contentText(mm["content"])})
		}
		if len(msgs) == 1 {
			return msgs[0].content
		}
		parts := make([]string, len(msgs))
		for i, m := range msgs {
			parts[i] = m.role + ": " + m.content
		}
		return strings.Join(parts, "\n\n")
	case nil:
		return ""
	}
	b, _ := json.Marshal(p)
	return string(b)
}

// contentText returns a message's text: a string, or the text parts of a content list.
func contentText(c any) string {
	switch x := c.(type) {
	case string:
		return x
	case []any:
		var parts []string
		for _, p := range x {
			if pm, ok := p.(map[string]any); ok {
				if t, ok := pm["text"].(string); ok {
					parts = append(parts, t)
				}
			}
		}
		return strings.Join(parts, "\n")
	}
	b, _ := json.Marshal(c)
	return string(b)
}

// WriteRequestsTable writes a container run's request journal (rundir.RequestsFile) as an
// MLflow table, for runs whose harness wrote no per-sample output: one row per request, in
// journal order, with the columns request, prompt (the request's messages or prompt as
// JSON), response, error and latency_ms. It returns the number of rows.
func WriteRequestsTable(w io.Writer, journal string) (int, error) {
	f, err := os.Open(journal)
	if err != nil {
		return 0, fmt.Errorf("write table: %w", err)
	}
	defer f.Close()
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	bw.WriteString(`{"columns": ["request", "prompt", "response", "error", "latency_ms"], "data": [`)
	br := bufio.NewReaderSize(f, 64<<10)
	rows := 0
	for {
		line, rerr := br.ReadBytes('\n')
		var e struct {
			Seq       int64           `json:"seq"`
			Request   json.RawMessage `json:"request"`
			Reply     string          `json:"reply"`
			Error     string          `json:"error"`
			LatencyMS float64         `json:"latency_ms"`
		}
		if len(line) > 0 && json.Unmarshal(line, &e) == nil && e.Seq > 0 {
			if rows > 0 {
				bw.WriteString(",\n")
			}
			rows++
			if err := enc.Encode([]any{e.Seq, requestPrompt(e.Request), e.Reply, e.Error, e.LatencyMS}); err != nil {
				return 0, fmt.Errorf("write table: %w", err)
			}
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return 0, fmt.Errorf("write table: %w", rerr)
		}
	}
	bw.WriteString("]}\n")
	if err := bw.Flush(); err != nil {
		return 0, fmt.Errorf("write table: %w", err)
	}
	return rows, nil
}

// requestPrompt is what a request asked: its messages (chat) or prompt (completions) as
// JSON text.
func requestPrompt(body json.RawMessage) string {
	var r struct {
		Messages json.RawMessage `json:"messages"`
		Prompt   json.RawMessage `json:"prompt"`
	}
	if json.Unmarshal(body, &r) != nil {
		return ""
	}
	if len(r.Messages) > 0 {
		return string(r.Messages)
	}
	var s string
	if json.Unmarshal(r.Prompt, &s) == nil {
		return s
	}
	return string(r.Prompt)
}
