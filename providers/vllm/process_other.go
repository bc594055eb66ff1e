//go:build !unix

package vllm

import (
	"context"
	"errors"

	"github.com/evalplan/evalplan/plan/config"
)

var errNoProcessRuntime = errors.New(`runtime "process" needs a Unix system; use runtime = "docker"`)

func (p *Provider) startProcess(*config.Endpoint, int, string) (*server, error) {
	return nil, errNoProcessRuntime
}

func (p *Provider) stopProcess(context.Context, *server) error { return errNoProcessRuntime }

func processAlive(int) bool { return false }
