package dataset

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/evalplan/evalplan/plan/config"
)

func TestStatusClear(t *testing.T) {
	other := []byte("{\"other\":true}\n")
	srv := newServer(t, false, func(n int, w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/other.csv" {
			w.Write(other)
			return true
		}
		return false
	})
	cache := t.TempDir()
	p := &Provider{}
	a := &config.Dataset{Name: "a", Source: srv.URL + "/data.jsonl", SHA256: shaOf(body)}
	b := &config.Dataset{Name: "b", Source: srv.URL + "/other.csv"}
	before := time.Now().UTC().Add(-time.Second)
	for _, ds := range []*config.Dataset{a, b} {
		if _, err := p.Fetch(context.Background(), ds, cache, nil); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := Status(cache)
	if err != nil {
		t.Fatal(err)
	}
	objects := filepath.Join(cache, "datasets", "sha256")
	want := []Entry{
		{SHA256: shaOf(body), Source: a.Source, Name: "a", Path: filepath.Join(objects, shaOf(body)+".jsonl"), Size: int64(len(body))},
		{SHA256: shaOf(other), Source: b.Source, Name: "b", Path: filepath.Join(objects, shaOf(other)+".csv"), Size: int64(len(other))},
	}
	if diff := cmp.Diff(want, entries, cmpopts.IgnoreFields(Entry{}, "FetchedAt")); diff != "" {
		t.Errorf("Status mismatch (-want +got):\n%s", diff)
	}
	for _, e := range entries {
		if e.FetchedAt.Before(before) || e.FetchedAt.After(time.Now().Add(time.Second)) {
			t.Errorf("%s: fetched_at %v is not about now", e.Source, e.FetchedAt)
		}
	}

	// Clear one by sha256: its file, sidecar and source index entry go.
	removed, freed, err := Clear(cache, strings.ToUpper(shaOf(other)), shaOf([]byte("not cached")))
	if err != nil {
		t.Fatal(err)
	}
	if removed != 1 || freed != int64(len(other)) {
		t.Errorf("Clear = %d, %d; want 1, %d", removed, freed, len(other))
	}
	if _, ok := p.Cached(b, cache); ok {
		t.Error("Cached = true for a cleared dataset")
	}
	if _, ok := p.Cached(a, cache); !ok {
		t.Error("Cached = false for a dataset not cleared")
	}
	if _, err := os.Stat(indexPath(cache, b.Source)); !os.IsNotExist(err) {
		t.Errorf("source index entry of a cleared dataset: %v", err)
	}
	entries, err = Status(cache)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want[:1], entries, cmpopts.IgnoreFields(Entry{}, "FetchedAt")); diff != "" {
		t.Errorf("Status after Clear mismatch (-want +got):\n%s", diff)
	}

	// A partial download counts towards what Clear frees.
	partial := filepath.Join(cache, "datasets", "partial", "x.partial")
	if err := os.WriteFile(partial, []byte("12345"), 0o644); err != nil {
		t.Fatal(err)
	}
	removed, freed, err = Clear(cache)
	if err != nil {
		t.Fatal(err)
	}
	if removed != 1 || freed != int64(len(body))+5 {
		t.Errorf("Clear() = %d, %d; want 1, %d", removed, freed, len(body)+5)
	}
	if _, err := os.Stat(filepath.Join(cache, "datasets")); !os.IsNotExist(err) {
		t.Errorf("datasets directory after Clear(): %v", err)
	}
	if entries, err := Status(cache); err != nil || len(entries) != 0 {
		t.Errorf("Status after Clear() = %v, %v; want none", entries, err)
	}
	if _, _, err := Clear(cache, "nothex"); err == nil || !strings.Contains(err.Error(), "not a sha256") {
		t.Errorf("Clear(nothex) err = %v", err)
	}
}

func TestLocalHashMemo(t *testing.T) {
	dir, cache := t.TempDir(), t.TempDir()
	p := filepath.Join(dir, "qa.jsonl")
	old := time.Now().Add(-time.Hour)
	write := func(content string) {
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	write("{\"a\":1}\n")
	ds := &config.Dataset{Name: "qa", Source: "qa.jsonl"}
	prov := &Provider{Dir: dir}
	first, err := prov.Fetch(context.Background(), ds, cache, nil)
	if err != nil {
		t.Fatal(err)
	}
	memo := filepath.Join(cache, "datasets", "local", sourceKey(p)+".json")
	if _, err := os.Stat(memo); err != nil {
		t.Fatalf("no hash memo: %v", err)
	}
	// Same size and mtime: the memo answers (proved by planting a different hash in it).
	planted := strings.Repeat("0", 64)
	if err := writeJSON(memo, hashMemo{Path: p, Size: first.Size, ModTime: old.UnixNano(), SHA256: planted}); err != nil {
		t.Fatal(err)
	}
	if f, _ := prov.Cached(ds, cache); f.SHA256 != planted {
		t.Errorf("SHA256 = %s, want the memo's", f.SHA256)
	}
	// Another mtime: hashed again.
	old = old.Add(time.Minute)
	write("{\"a\":2}\n")
	if f, _ := prov.Cached(ds, cache); f.SHA256 != shaOf([]byte("{\"a\":2}\n")) {
		t.Errorf("SHA256 = %s after a change, want the new bytes'", f.SHA256)
	}
}
