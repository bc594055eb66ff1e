package main

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"

	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/providers/mlflow"
	"github.com/zclconf/go-cty/cty"
)

func cmdMLflow(c *cli, args []string) int {
	if len(args) == 0 || (args[0] != "status" && args[0] != "start" && args[0] != "stop") {
		return c.subcommandUsage(args, "Usage: evalplan mlflow status | start | stop [-exporter mlflow.NAME]")
	}
	var f commonFlags
	var only stringsFlag
	fs := newFlagSet(c, "mlflow "+args[0], "mlflow "+args[0]+" [options]")
	f.registerVars(fs)
	f.registerInput(fs)
	fs.Var(&only, "exporter", "use this exporter block, mlflow.NAME (repeatable; default every mlflow exporter)")
	pos, code, ok := parseArgs(c, fs, args[1:])
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(c.stderr, "Error: mlflow %s takes no arguments\n", args[0])
		return exitError
	}
	s, code, ok := c.open(&f, append([]string{"mlflow"}, args...), configOnly())
	if !ok {
		return code
	}
	l := s.loaded
	keys, ok := c.exporterKeys(l.cfg, only)
	if !ok {
		return exitError
	}
	blocks := mlflowBlocks(l.cfg, keys)
	env := environMap(c.environ)
	getenv := func(k string) string { return env[k] }
	cache := l.cfg.Settings.CacheDir
	switch args[0] {
	case "status":
		return mlflowStatus(c, l.cfg, blocks, getenv)
	case "start":
		return mlflowStart(c, cache, blocks, getenv)
	}
	srv := &mlflow.Server{Dir: filepath.Join(cache, "mlflow"), Port: mlflow.RecordedPort(filepath.Join(cache, "mlflow"))}
	pid, _ := srv.PID()
	stopped, err := srv.Stop(c.ctx)
	if err != nil {
		fmt.Fprintln(c.stderr, "Error:", err)
		return exitError
	}
	if !stopped {
		fmt.Fprintf(c.stdout, "No managed MLflow server is running (%s).\n", rel(c.dir, srv.Dir))
		return exitOK
	}
	fmt.Fprintf(c.stdout, "Stopped the MLflow server at %s (pid %d). Its runs stay in %s.\n", srv.URI(), pid, rel(c.dir, srv.Dir))
	return exitOK
}

// mlflowBlocks returns the mlflow exporter blocks selected by keys (all when empty), sorted.
func mlflowBlocks(cfg *config.Config, keys []string) []*config.Exporter {
	var out []*config.Exporter
	for _, k := range slices.Sorted(maps.Keys(cfg.Exporters)) {
		x := cfg.Exporters[k]
		if x.Type == "mlflow" && (len(keys) == 0 || slices.Contains(keys, k)) {
			out = append(out, x)
		}
	}
	return out
}

func mlflowStatus(c *cli, cfg *config.Config, blocks []*config.Exporter, getenv func(string) string) int {
	type target struct{ label, uri string }
	var targets []target
	code := exitOK
	for _, x := range blocks {
		s, err := mlflow.ParseSettings(x, getenv)
		if err != nil {
			fmt.Fprintln(c.stderr, "Error:", err)
			code = exitError
			continue
		}
		targets = append(targets, target{addrs.Exporter{Type: x.Type, Name: x.Name}.String(), s.TrackingURI})
	}
	if len(blocks) == 0 {
		uri := getenv("MLFLOW_TRACKING_URI")
		if uri == "" {
			fmt.Fprintln(c.stderr, `Error: the configuration has no exporter "mlflow" block and MLFLOW_TRACKING_URI is not set`)
			return exitError
		}
		targets = append(targets, target{"MLFLOW_TRACKING_URI", uri})
	}
	srv := &mlflow.Server{Dir: filepath.Join(cfg.Settings.CacheDir, "mlflow")}
	pid, managed := srv.PID()
	for _, t := range targets {
		cl, err := mlflow.NewClient(t.uri, mlflow.AuthFromEnv(getenv), nil)
		if err != nil {
			fmt.Fprintf(c.stderr, "Error: %s: %v\n", t.label, err)
			code = exitError
			continue
		}
		st := mlflow.Inspect(c.ctx, cl)
		fmt.Fprintf(c.stdout, "%s: %s\n", t.label, st.URI)
		if !st.Reachable {
			fmt.Fprintf(c.stdout, "  reachable:   no (%v)\n", st.Err)
			code = exitError
			continue
		}
		fmt.Fprintf(c.stdout, "  reachable:   yes, MLflow %s\n", st.Version)
		if st.Err != nil {
			fmt.Fprintf(c.stdout, "  counts:      unavailable (%v)\n", st.Err)
			code = exitError
		} else {
			fmt.Fprintf(c.stdout, "  experiments: %d\n  runs:        %d\n", st.Experiments, st.Runs)
		}
		if managed && sameServer(st.URI, mlflow.RecordedPort(srv.Dir)) {
			fmt.Fprintf(c.stdout, "  managed:     yes (pid %d, store %s); stop it with 'evalplan mlflow stop'\n", pid, rel(c.dir, srv.Dir))
		}
	}
	return code
}

// sameServer reports whether uri is the managed server's loopback URI on port.
func sameServer(uri string, port int) bool {
	return port != 0 && (uri == fmt.Sprintf("http://127.0.0.1:%d", port) || uri == fmt.Sprintf("http://localhost:%d", port))
}

func mlflowStart(c *cli, cache string, blocks []*config.Exporter, getenv func(string) string) int {
	if len(blocks) == 0 {
		blocks = []*config.Exporter{{Type: "mlflow", Name: "(default)", Attrs: map[string]cty.Value{}}}
	}
	started := map[string]bool{}
	for _, x := range blocks {
		managed := *x
		managed.Server = map[string]cty.Value{"managed": cty.True}
		for k, v := range x.Server {
			if k != "managed" {
				managed.Server[k] = v
			}
		}
		s, err := mlflow.ParseSettings(&managed, getenv)
		if err != nil {
			fmt.Fprintln(c.stderr, "Error: evalplan mlflow start runs a server on this machine:", err)
			return exitError
		}
		if started[s.TrackingURI] {
			continue
		}
		started[s.TrackingURI] = true
		srv := s.Server(cache)
		bin, err := mlflow.FindBinary(getenv)
		if err != nil {
			fmt.Fprintln(c.stderr, "Error:", err)
			return exitError
		}
		srv.Binary = bin
		fmt.Fprintf(c.stderr, "Starting the MLflow server at %s (the first start migrates a new database and can take a minute)...\n", srv.URI())
		ok, err := srv.Start(c.ctx)
		if err != nil {
			fmt.Fprintln(c.stderr, "Error:", err)
			return exitError
		}
		if !ok {
			fmt.Fprintf(c.stdout, "An MLflow server already answers at %s.\n", srv.URI())
			continue
		}
		fmt.Fprintf(c.stdout, "MLflow server running at %s (store and artifacts in %s, log %s).\nIt stays running for the UI; stop it with 'evalplan mlflow stop'.\n", srv.URI(), rel(c.dir, srv.Dir), rel(c.dir, srv.LogPath()))
	}
	return exitOK
}
