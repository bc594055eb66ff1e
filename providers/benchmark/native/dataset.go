package native

import (
	"container/heap"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/providers/benchmark/scoring"
	"github.com/evalplan/evalplan/providers/dataset"
)

// Sample selection modes.
const (
	sampleRandom = "random"
	sampleFirst  = "first"
)

// selection is the outcome of the first pass over a dataset.
type selection struct {
	// rows are the selected records' 0-based ordinals over the whole dataset (all its
	// files, in reading order), ascending.
	rows []int
	// ids are the sample ids of rows, in the same order.
	ids []string
	// total is the number of records in the dataset.
	total int
	// sha256 is the digest of the bytes the records were parsed from, computed while
	// reading them (dataset.ReadDigest): the provider's digest of the same bytes.
	sha256 string
}

// source is a dataset as the runner reads it.
type source struct {
	file plan.DatasetFile
	conf *config.Dataset
}

// each calls fn with every record of the dataset parsed by t, with its ordinal, and
// returns the digest of the bytes read.
func (src source) each(ctx context.Context, t task, fn func(ord int, it *item) error) (string, error) {
	ord := 0
	return dataset.ReadDigest(ctx, src.file, src.conf, func(row int, rec dataset.Record) error {
		it, err := t.parse(rec, row)
		if err != nil {
			return fmt.Errorf("dataset %s row %s: %w", src.file.Path, rowID(rec, row), err)
		}
		o := ord
		ord++
		return fn(o, it)
	})
}

// selectRows reads the dataset once: it checks every record and chooses the rows to run.
func selectRows(ctx context.Context, src source, t task, s *settings) (*selection, error) {
	var ranks rankHeap
	limit := -1 // unknown until the row count is known, for fractions
	if s.limit != nil && *s.limit >= 1 {
		limit = int(*s.limit)
	}
	var first []string // ids of the first rows, for sample = "first"
	total := 0
	sum, err := src.each(ctx, t, func(ord int, it *item) error {
		total++
		if s.sample == sampleRandom {
			ranks.offer(rank{key: sampleKey(s.seed, it.id), row: ord, id: it.id}, limit)
		} else if limit < 0 || ord < limit {
			first = append(first, it.id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sel := &selection{total: total, sha256: sum}
	n := total
	if s.limit != nil {
		n = limitCount(*s.limit, total)
	}
	if s.sample == sampleFirst {
		sel.ids = first[:n]
		sel.rows = make([]int, n)
		for i := range sel.rows {
			sel.rows[i] = i
		}
	} else {
		// For a fraction every row was kept; keep the n smallest keys now.
		for ranks.Len() > n {
			heap.Pop(&ranks)
		}
		slices.SortFunc(ranks, func(a, b rank) int { return a.row - b.row })
		sel.rows = make([]int, 0, n)
		sel.ids = make([]string, 0, n)
		for _, r := range ranks {
			sel.rows = append(sel.rows, r.row)
			sel.ids = append(sel.ids, r.id)
		}
	}
	return sel, uniqueIDs(src.file.Path, sel)
}

// uniqueIDs checks that no two selected samples share an id: the journal is keyed by id.
func uniqueIDs(path string, sel *selection) error {
	seen := make(map[string]int, len(sel.ids))
	for i, id := range sel.ids {
		if j, ok := seen[id]; ok {
			return fmt.Errorf("dataset %s: records %d and %d have the same sample id %q; ids must be unique", path, sel.rows[j], sel.rows[i], id)
		}
		seen[id] = i
	}
	return nil
}

// limitCount is how many of total rows limit_samples selects: an integer N, or a fraction f
// of total rounded half away from zero, at least 1; never more than total.
func limitCount(limit float64, total int) int {
	n := int(limit)
	if limit < 1 {
		n = max(1, int(math.Round(limit*float64(total))))
	}
	return min(n, total)
}

// streamSelected reads the dataset again and calls fn for the selected rows, in file order.
// It stops early when ctx is done or fn fails. Bytes other than those sel was made from
// are an error (after fn has seen the selected rows: their results must not be kept). Multiple-choice items get answer patterns
// compiled once per letter set, shared by the items of this call.
func streamSelected(ctx context.Context, src source, t task, sel *selection, fn func(it *item) error) error {
	if len(sel.rows) == 0 {
		return nil
	}
	mc := map[string]*scoring.MCPatterns{}
	next, ord := 0, 0
	sum, err := dataset.ReadDigest(ctx, src.file, src.conf, func(row int, rec dataset.Record) error {
		o := ord
		ord++
		if o != sel.rows[next] {
			return nil
		}
		it, err := t.parse(rec, row)
		if err != nil {
			return fmt.Errorf("dataset %s row %s: %w", src.file.Path, rowID(rec, row), err)
		}
		if it.id != sel.ids[next] {
			return fmt.Errorf("dataset %s changed while running: record %d is sample %q, was %q", src.file.Path, o, it.id, sel.ids[next])
		}
		if it.letters != "" {
			if mc[it.letters] == nil {
				mc[it.letters] = scoring.CompileMCPatterns(it.letters)
			}
			it.mc = mc[it.letters]
		}
		if err := fn(it); err != nil {
			return err
		}
		next++
		if next == len(sel.rows) {
			return dataset.ErrSkipRest
		}
		return nil
	})
	switch {
	case err != nil:
		return err
	case next < len(sel.rows):
		return fmt.Errorf("dataset %s changed while running: sample %q is missing", src.file.Path, sel.ids[next])
	case sum != sel.sha256:
		return fmt.Errorf("dataset %s changed while running: its samples were selected from bytes with sha256 %s, but were requested from bytes with sha256 %s; make sure nothing writes the dataset during a run, then apply again with -replace",
			src.file.Path, sel.sha256, sum)
	}
	return nil
}

// sampleKey is the random-selection rank of a sample: the first 8 bytes of
// sha256(decimal seed, NUL, id), big-endian. It depends on nothing but its inputs.
func sampleKey(seed int, id string) uint64 {
	sum := sha256.Sum256([]byte(strconv.Itoa(seed) + "\x00" + id))
	return binary.BigEndian.Uint64(sum[:8])
}

// rank orders rows for random selection; ties (practically impossible) fall to the row.
type rank struct {
	key uint64
	row int
	id  string
}

func (a rank) less(b rank) bool {
	if a.key != b.key {
		return a.key < b.key
	}
	return a.row < b.row
}

// rankHeap is a max-heap of ranks, so the largest of the kept ranks is dropped first.
type rankHeap []rank

func (h rankHeap) Len() int           { return len(h) }
func (h rankHeap) Less(i, j int) bool { return h[j].less(h[i]) }
func (h rankHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *rankHeap) Push(x any)        { *h = append(*h, x.(rank)) }
func (h *rankHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// offer keeps r if it is among the limit smallest ranks seen; limit < 0 keeps everything.
func (h *rankHeap) offer(r rank, limit int) {
	switch {
	case limit < 0 || h.Len() < limit:
		heap.Push(h, r)
	case r.less((*h)[0]):
		(*h)[0] = r
		heap.Fix(h, 0)
	}
}
