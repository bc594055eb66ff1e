// Command evalplan-sim runs an OpenAI-compatible simulated model server; see package
// github.com/evalplan/evalplan/cmd/evalplan-sim/sim for what it serves.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/evalplan/evalplan/cmd/evalplan-sim/sim"
)

func main() {
	cfg := sim.DefaultConfig()
	fs := flag.NewFlagSet("evalplan-sim", flag.ExitOnError)
	cfg.RegisterFlags(fs)
	fs.Parse(os.Args[1:])
	sim.NIMEnv(&cfg, fs, os.Getenv)
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "evalplan-sim: unexpected arguments %q\n", fs.Args())
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := sim.Run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "evalplan-sim: %v\n", err)
		stop()
		os.Exit(1)
	}
}
