// Package graph is a small dependency graph of addresses: a DOT rendering and a parallel
// walk in which a failed node marks its dependents "upstream failed" and never stops
// unrelated nodes.
//
// It knows nothing of what the nodes mean and imports nothing from evalplan.
package graph

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Graph is a directed graph where an edge from A to B means A depends on B.
// The zero value is not usable; call New.
type Graph struct {
	nodes map[string]bool
	deps  map[string]map[string]bool // node → its dependencies
}

// New returns an empty graph.
func New() *Graph {
	return &Graph{nodes: map[string]bool{}, deps: map[string]map[string]bool{}}
}

// Add adds a node; adding it again is a no-op.
func (g *Graph) Add(addr string) {
	if g.nodes[addr] {
		return
	}
	g.nodes[addr] = true
	g.deps[addr] = map[string]bool{}
}

// Connect records that from depends on to, adding both nodes if needed.
func (g *Graph) Connect(from, to string) {
	g.Add(from)
	g.Add(to)
	g.deps[from][to] = true
}

// Has reports whether addr is a node.
func (g *Graph) Has(addr string) bool { return g.nodes[addr] }

// Nodes returns every node, sorted.
func (g *Graph) Nodes() []string {
	out := make([]string, 0, len(g.nodes))
	for n := range g.nodes {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Deps returns the dependencies of addr, sorted.
func (g *Graph) Deps(addr string) []string {
	out := make([]string, 0, len(g.deps[addr]))
	for d := range g.deps[addr] {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// DOT renders the graph in Graphviz DOT, edges pointing from a node to what it depends on.
func (g *Graph) DOT() string {
	var b strings.Builder
	b.WriteString("digraph evalplan {\n  rankdir = \"RL\";\n  node [shape = box];\n")
	for _, n := range g.Nodes() {
		fmt.Fprintf(&b, "  %s;\n", strconv.Quote(n))
	}
	for _, n := range g.Nodes() {
		for _, d := range g.Deps(n) {
			fmt.Fprintf(&b, "  %s -> %s;\n", strconv.Quote(n), strconv.Quote(d))
		}
	}
	b.WriteString("}\n")
	return b.String()
}

// UpstreamError is the error of a node that did not run because a dependency failed.
type UpstreamError struct{ Addr string }

// Error says which dependency failed.
func (e *UpstreamError) Error() string { return "upstream failed: " + e.Addr }

// ErrNotStarted is the error of a node that was never started because the walk was cancelled.
var ErrNotStarted = errors.New("not started: interrupted")

// Walk calls fn for every node once all its dependencies succeeded, at most parallelism at a
// time. A node whose dependency failed is not called; its error is an *UpstreamError naming the
// root cause. When ctx is cancelled no new node starts (their error is ErrNotStarted); running
// ones see the cancelled ctx. Walk returns the error of every node that did not succeed.
// The graph must be acyclic.
func (g *Graph) Walk(ctx context.Context, parallelism int, fn func(ctx context.Context, addr string) error) map[string]error {
	if parallelism < 1 {
		parallelism = 1
	}
	dependents := map[string][]string{}
	waiting := map[string]int{}
	for _, n := range g.Nodes() {
		waiting[n] = len(g.deps[n])
		for d := range g.deps[n] {
			dependents[d] = append(dependents[d], n)
		}
	}
	for _, ds := range dependents {
		sort.Strings(ds)
	}

	var (
		mu     sync.Mutex
		errs   = map[string]error{}
		wg     sync.WaitGroup
		sem    = make(chan struct{}, parallelism)
		ready  = make(chan string, len(g.nodes))
		remain = len(g.nodes)
		closed bool
	)
	// finish records a node's outcome and releases or fails its dependents. mu must be held.
	var finish func(n string, err error)
	finish = func(n string, err error) {
		remain--
		if err != nil {
			errs[n] = err
		}
		for _, d := range dependents[n] {
			if _, done := errs[d]; done {
				continue
			}
			if errors.Is(err, ErrNotStarted) {
				waiting[d] = -1
				finish(d, ErrNotStarted)
				continue
			}
			if err != nil {
				root := n
				var up *UpstreamError
				if errors.As(err, &up) {
					root = up.Addr
				}
				waiting[d] = -1
				finish(d, &UpstreamError{Addr: root})
				continue
			}
			if waiting[d] < 0 {
				continue
			}
			waiting[d]--
			if waiting[d] == 0 {
				ready <- d
			}
		}
		if remain == 0 && !closed {
			closed = true
			close(ready)
		}
	}
	mu.Lock()
	if remain == 0 {
		closed = true
		close(ready)
	}
	for _, n := range g.Nodes() {
		if waiting[n] == 0 {
			ready <- n
		}
	}
	mu.Unlock()

	for n := range ready {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			mu.Lock()
			finish(n, ErrNotStarted)
			mu.Unlock()
			continue
		}
		wg.Add(1)
		go func(n string) {
			defer wg.Done()
			err := fn(ctx, n)
			<-sem
			mu.Lock()
			finish(n, err)
			mu.Unlock()
		}(n)
	}
	wg.Wait()
	return errs
}
