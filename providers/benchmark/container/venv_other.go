//go:build !unix

package container

import (
	"context"
	"errors"
	"io"
	"time"
)

// runGroup is unsupported where process groups are missing.
func runGroup(context.Context, string, []string, string, []string, io.Writer, time.Duration, string) (int64, error) {
	return -1, errors.New("runtime = \"venv\" needs a Unix system; use runtime = \"docker\"")
}

// cleanupLeftover has nothing to do where venv runs cannot start.
func cleanupLeftover(context.Context, string, time.Duration) (string, error) { return "", nil }
