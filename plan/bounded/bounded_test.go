package bounded

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadFile(path, 10, "test file"); err != nil || string(b) != "0123456789" {
		t.Fatalf("at the limit: %q, %v", b, err)
	}
	_, err := ReadFile(path, 9, "test file")
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "test file "+path) {
		t.Fatalf("over the limit: %v", err)
	}
}

func TestDepth(t *testing.T) {
	tests := []struct {
		src  string
		want int
	}{
		{`a = 1`, 0},
		{`a = [1, (2), {b = 3}]`, 2},
		{`a = "((((("`, 0},
		{`a = "\"((("`, 0},
		{"# (((((\na = (1)", 1},
		{"// [[[[\na = [[1]]", 2},
		{strings.Repeat("(", 1000) + strings.Repeat(")", 1000), 11},
	}
	for _, tt := range tests {
		if got, _ := Depth([]byte(tt.src), 10); got != tt.want {
			t.Errorf("Depth(%.30q) = %d, want %d", tt.src, got, tt.want)
		}
	}
}
