package graph

import (
	"context"
	"errors"
	"sort"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func build(edges [][2]string, nodes ...string) *Graph {
	g := New()
	for _, n := range nodes {
		g.Add(n)
	}
	for _, e := range edges {
		g.Connect(e[0], e[1])
	}
	return g
}

func TestWalkOrderAndUpstreamFailure(t *testing.T) {
	// run1 and run2 need ds; run3 needs ds2 which fails; check needs run1 and run3.
	g := build([][2]string{
		{"run1", "ds"}, {"run2", "ds"}, {"run3", "ds2"}, {"check", "run1"}, {"check", "run3"},
	}, "lonely")
	var mu sync.Mutex
	var order []string
	errs := g.Walk(context.Background(), 2, func(_ context.Context, addr string) error {
		mu.Lock()
		defer mu.Unlock()
		for _, d := range g.Deps(addr) {
			if !contains(order, d) {
				t.Errorf("%s ran before its dependency %s", addr, d)
			}
		}
		order = append(order, addr)
		if addr == "ds2" {
			return errors.New("boom")
		}
		return nil
	})
	sort.Strings(order)
	if diff := cmp.Diff([]string{"ds", "ds2", "lonely", "run1", "run2"}, order); diff != "" {
		t.Errorf("nodes run (-want +got):\n%s", diff)
	}
	got := map[string]string{}
	for a, err := range errs {
		got[a] = err.Error()
	}
	want := map[string]string{"ds2": "boom", "run3": "upstream failed: ds2", "check": "upstream failed: ds2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func TestWalkBoundsParallelism(t *testing.T) {
	g := New()
	for _, n := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		g.Add(n)
	}
	var cur, peak atomic.Int64
	release := make(chan struct{})
	var started atomic.Int64
	done := make(chan map[string]error)
	go func() {
		done <- g.Walk(context.Background(), 3, func(context.Context, string) error {
			n := cur.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			if started.Add(1) == 3 {
				close(release)
			}
			<-release
			cur.Add(-1)
			return nil
		})
	}()
	if errs := <-done; len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	if p := peak.Load(); p > 3 {
		t.Errorf("peak concurrency %d, want ≤ 3", p)
	}
}

func TestWalkCancelled(t *testing.T) {
	g := build([][2]string{{"b", "a"}, {"c", "b"}})
	ctx, cancel := context.WithCancel(context.Background())
	errs := g.Walk(ctx, 1, func(_ context.Context, addr string) error {
		if addr == "a" {
			cancel()
		}
		return nil
	})
	for _, n := range []string{"b", "c"} {
		if !errors.Is(errs[n], ErrNotStarted) {
			t.Errorf("%s: error %v, want ErrNotStarted", n, errs[n])
		}
	}
	if errs["a"] != nil {
		t.Errorf("a: %v", errs["a"])
	}
}

func TestDOT(t *testing.T) {
	got := build([][2]string{{`suite.q.run["x"]["e"]`, "endpoint.e"}}).DOT()
	want := "digraph evalplan {\n  rankdir = \"RL\";\n  node [shape = box];\n  \"endpoint.e\";\n  \"suite.q.run[\\\"x\\\"][\\\"e\\\"]\";\n  \"suite.q.run[\\\"x\\\"][\\\"e\\\"]\" -> \"endpoint.e\";\n}\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DOT mismatch (-want +got):\n%s", diff)
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
