package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/providers/vllm"
)

const endpointUsage = "Usage: evalplan endpoint list | status [NAME] | start NAME | stop NAME [options]"

// cmdEndpoint lists, starts and stops the managed endpoints' servers (vllm, sglang and nim blocks).
func cmdEndpoint(c *cli, args []string) int {
	if len(args) == 0 || !slices.Contains([]string{"list", "status", "start", "stop"}, args[0]) {
		return c.subcommandUsage(args, endpointUsage)
	}
	var (
		f      commonFlags
		asJSON bool
	)
	fs := newFlagSet(c, "endpoint "+args[0], "endpoint "+args[0]+" [options] [NAME]")
	f.registerVars(fs)
	f.registerInput(fs)
	if args[0] == "list" || args[0] == "status" {
		fs.BoolVar(&asJSON, "json", false, "print the servers as JSON")
	}
	pos, code, ok := parseArgs(c, fs, args[1:])
	if !ok {
		return code
	}
	needName := args[0] == "start" || args[0] == "stop"
	if len(pos) > 1 || (needName && len(pos) == 0) || (args[0] == "list" && len(pos) > 0) {
		fmt.Fprintln(c.stderr, endpointUsage)
		return exitError
	}
	s, code, ok := c.open(&f, append([]string{"endpoint"}, args...), configOnly())
	if !ok {
		return code
	}
	cfg := s.loaded.cfg
	prov, ok := s.loaded.engine.Services.(*vllm.Provider)
	if !ok {
		fmt.Fprintln(c.stderr, "Error: this build has no managed-endpoint provider")
		return exitError
	}
	eps, ok := managedEndpoints(c, cfg, pos)
	if !ok {
		return exitError
	}
	switch args[0] {
	case "start":
		return endpointStart(c, prov, eps[0])
	case "stop":
		return endpointStop(c, prov, eps[0])
	}
	var sts []vllm.ServerStatus
	for _, ep := range eps {
		sts = append(sts, prov.Status(c.ctx, ep))
	}
	if asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sts); err != nil {
			fmt.Fprintln(c.stderr, "Error:", err)
			return exitError
		}
		return exitOK
	}
	if args[0] == "status" {
		printServerDetails(c, sts)
	} else {
		printServers(c, sts)
	}
	return exitOK
}

// managedEndpoints are the configuration's managed endpoints, sorted, or the one named.
func managedEndpoints(c *cli, cfg *config.Config, names []string) ([]*config.Endpoint, bool) {
	var out []*config.Endpoint
	for _, name := range slices.Sorted(maps.Keys(cfg.Endpoints)) {
		ep := cfg.Endpoints[name]
		if ep.Managed() && (len(names) == 0 || names[0] == name || names[0] == "endpoint."+name) {
			out = append(out, ep)
		}
	}
	if len(names) > 0 && len(out) == 0 {
		fmt.Fprintf(c.stderr, "Error: the configuration has no managed endpoint %q (an endpoint block with a vllm, sglang or nim block); 'evalplan endpoint list' lists them\n", names[0])
		return nil, false
	}
	return out, true
}

func endpointStart(c *cli, prov *vllm.Provider, ep *config.Endpoint) int {
	fmt.Fprintf(c.stdout, "Starting endpoint.%s (%s runtime, model %q); waiting until it is ready...\n", ep.Name, ep.Server.Runtime, ep.Model)
	st, err := prov.StartKept(c.ctx, ep)
	if err != nil {
		fmt.Fprintf(c.stderr, "Error: endpoint.%s: start: %v\n", ep.Name, err)
		return exitError
	}
	fmt.Fprintf(c.stdout, "endpoint.%s is running at %s (%s). Applies reuse it and leave it running; 'evalplan endpoint stop %s' stops it.\n", ep.Name, st.URL, st.Process(), ep.Name)
	return exitOK
}

func endpointStop(c *cli, prov *vllm.Provider, ep *config.Endpoint) int {
	st := prov.Status(c.ctx, ep)
	stopped, err := prov.StopKept(c.ctx, ep)
	if err != nil {
		fmt.Fprintln(c.stderr, "Error:", err)
		return exitError
	}
	if !stopped {
		fmt.Fprintf(c.stdout, "endpoint.%s has no running server.\n", ep.Name)
		return exitOK
	}
	fmt.Fprintf(c.stdout, "Stopped the server of endpoint.%s (%s).\n", ep.Name, st.Process())
	return exitOK
}

func printServers(c *cli, sts []vllm.ServerStatus) {
	if len(sts) == 0 {
		fmt.Fprintln(c.stdout, "No managed endpoints: the configuration has no endpoint with a vllm, sglang or nim block.")
		return
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENDPOINT\tKIND\tSTATE\tURL\tSINCE\tPROCESS\tKEPT")
	for _, st := range sts {
		url, since := "-", "-"
		if st.State != vllm.StateStopped {
			url, since = st.URL, st.StartedAt.Local().Format(time.DateTime)
		}
		kept := "no"
		if st.Kept {
			kept = "yes"
		}
		fmt.Fprintf(tw, "endpoint.%s\t%s\t%s\t%s\t%s\t%s\t%s\n", st.Endpoint, st.Kind, st.State, url, since, st.Process(), kept)
	}
	tw.Flush()
}

func printServerDetails(c *cli, sts []vllm.ServerStatus) {
	for i, st := range sts {
		if i > 0 {
			fmt.Fprintln(c.stdout)
		}
		fmt.Fprintf(c.stdout, "endpoint.%s: %s (%s, %s runtime)\n", st.Endpoint, st.State, st.Kind, st.Runtime)
		if st.State == vllm.StateStopped {
			fmt.Fprintf(c.stdout, "  apply starts it when a run needs it; 'evalplan endpoint start %s' starts it now\n", st.Endpoint)
			continue
		}
		fmt.Fprintf(c.stdout, "  url:     %s\n  process: %s\n  since:   %s\n  kept:    %v\n  log:     %s\n", st.URL, st.Process(), st.StartedAt.Local().Format(time.DateTime), st.Kept, rel(c.dir, st.Log))
		if !st.Current {
			fmt.Fprintln(c.stdout, "  launched with other settings than the configuration's: apply replaces it")
		}
	}
}
