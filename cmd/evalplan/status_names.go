package main

import (
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/display"
)

// The names below are what status.go calls; they forward to the one implementation of each.
// Delete this file once status.go calls display.IBytes and config.IsLocalSource directly.

// humanBytes is [display.IBytes].
func humanBytes(n int64) string { return display.IBytes(n) }

// isLocal is [config.IsLocalSource].
func isLocal(src string) bool { return config.IsLocalSource(src) }
