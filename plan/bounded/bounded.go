// Package bounded reads user-supplied files with a size limit, so that a file of the wrong
// kind or a hostile one (a 10 GB "configuration", a saved plan that is a disk image) is a
// clear error instead of gigabytes of memory. It also guards parsers against pathological
// nesting. It imports nothing of evalplan.
package bounded

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// Limits of the files evalplan reads whole.
const (
	// Config bounds a configuration or variable file.
	Config = 16 << 20
	// Function bounds a file read by the file() function.
	Function = 64 << 20
	// Plan bounds a saved plan.
	Plan = 512 << 20
	// State bounds a state file.
	State = 512 << 20
	// Nesting bounds the nesting of brackets in a configuration file.
	Nesting = 256
)

// ErrTooLarge is wrapped by ReadFile's error for a file over its limit.
var ErrTooLarge = errors.New("file too large")

// ReadFile reads the file at path if it holds at most limit bytes; what names the kind of
// file in the error ("configuration file").
func ReadFile(path string, limit int64, what string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s %s is larger than %s: %w; check that it is the right file", what, path, size(limit), ErrTooLarge)
	}
	return b, nil
}

func size(n int64) string {
	return fmt.Sprintf("%d MiB", n>>20)
}

// Depth returns the deepest nesting of (), [] and {} in src outside of quoted strings and
// comments, stopping as soon as it exceeds limit (and then returning a value above it) and
// the byte offset where it did.
func Depth(src []byte, limit int) (depth, offset int) {
	var (
		max, cur int
		inString bool
	)
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case inString:
			if c == '\\' {
				i++
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == '#' || c == '/' && i+1 < len(src) && src[i+1] == '/':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '(' || c == '[' || c == '{':
			cur++
			if cur > max {
				max = cur
			}
			if max > limit {
				return max, i
			}
		case c == ')' || c == ']' || c == '}':
			if cur > 0 {
				cur--
			}
		}
	}
	return max, -1
}
