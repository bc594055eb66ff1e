package main

import "path/filepath"

// rel shows path relative to dir when it is inside it.
func rel(dir, path string) string {
	r, err := filepath.Rel(dir, path)
	if err != nil || len(r) >= 2 && r[:2] == ".." {
		return path
	}
	return r
}
