package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// chainedLocals writes a configuration of n locals, each the previous one plus 1, and an
// output that reads the last.
func chainedLocals(tb testing.TB, n int) string {
	tb.Helper()
	var b strings.Builder
	b.WriteString("locals {\n  l0 = 0\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "  l%d = local.l%d + 1\n", i, i-1)
	}
	fmt.Fprintf(&b, "}\noutput \"last\" {\n  value = local.l%d\n}\n", n-1)
	dir := tb.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "eval.hcl"), []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// TestChainedLocalsLinear evaluates 8,000 chained locals and checks that evaluation put one
// value in scope per reference (7,999), not one per local already evaluated (n²/2).
func TestChainedLocalsLinear(t *testing.T) {
	const n = 8000
	l := newLoader(chainedLocals(t, n), LoadOptions{})
	l.load()
	if l.diags.HasErrors() {
		t.Fatal(l.diags)
	}
	if got := l.localVals[fmt.Sprintf("l%d", n-1)]; !got.RawEquals(cty.NumberIntVal(n - 1)) {
		t.Errorf("last local = %#v, want %d", got, n-1)
	}
	if l.localScopeValues != n-1 {
		t.Errorf("%d values put in scope to evaluate %d chained locals, want %d (one per reference)", l.localScopeValues, n, n-1)
	}
}

// BenchmarkLoadChainedLocals loads a configuration of 8,000 chained locals.
func BenchmarkLoadChainedLocals(b *testing.B) {
	dir := chainedLocals(b, 8000)
	for b.Loop() {
		if _, diags := Load(dir, LoadOptions{}); diags.HasErrors() {
			b.Fatal(diags)
		}
	}
}
