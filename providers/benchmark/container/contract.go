package container

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/rundir"
)

// AdapterPortVar is the environment variable from which nemo-evaluator (0.2.8,
// adapters/server.py) takes the port of its adapter server. Without it every evaluator
// probes from 3825 upwards and binds later, so two containers on the host network can pick
// the same port, and one run then silently scores the other's endpoint. With it, an
// evaluator whose port is taken exits with an error instead.
const AdapterPortVar = "ADAPTER_PORT"

// adapterPorts are the adapter ports of this process's running containers, so that two
// runs of one apply never get the same one even when the kernel hands it out twice.
var adapterPorts = struct {
	sync.Mutex
	used map[int]bool
}{used: map[int]bool{}}

// reserveAdapterPort picks a free loopback port for a container's adapter server and
// returns it with the function that releases it after the run.
func reserveAdapterPort() (int, func(), error) {
	adapterPorts.Lock()
	defer adapterPorts.Unlock()
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, nil, fmt.Errorf("find a free port for the evaluator's adapter: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if adapterPorts.used[port] {
			continue
		}
		adapterPorts.used[port] = true
		return port, func() {
			adapterPorts.Lock()
			delete(adapterPorts.used, port)
			adapterPorts.Unlock()
		}, nil
	}
	return 0, nil, errors.New("find a free port for the evaluator's adapter: none found in 20 tries")
}

// ResolvedConfigFile is where the run directory keeps nemo-evaluator's own, resolved copy of
// the run config (it rewrites run_config.yml with the task's defaults, the adapter
// configuration and the endpoint URL), scrubbed of secrets. run_config.yml itself is always
// evalplan's copy: the evaluator's is a record, evalplan's is what was asked.
const ResolvedConfigFile = "run_config.resolved.yml"

// scrubbed are the extensions of the text files that the evaluator writes and that may quote
// the resolved config (run_config.yml, results.yml, report.html, report.json, metadata.yaml,
// logs): secrets in them are replaced. Binary files (the SQLite request cache) are left
// alone; they hold request bodies, which carry no endpoint credentials.
var scrubbed = []string{".yml", ".yaml", ".json", ".jsonl", ".html", ".txt", ".log", ".csv", ".md"}

// settle makes the run directory safe to read and export after the container has exited,
// whatever its outcome: the evaluator's rewritten run_config.yml is moved to
// ResolvedConfigFile and evalplan's own copy (own, as written to the run directory) put back,
// and every secret of the endpoint (config.Endpoint.Secrets) is scrubbed from every text
// file under the run directory.
func settle(runDir string, own []byte, ep *config.Endpoint, more ...string) error {
	cfgPath := filepath.Join(runDir, rundir.ContainerConfigFile)
	if b, err := os.ReadFile(cfgPath); err == nil && !bytes.Equal(b, own) {
		if err := os.WriteFile(filepath.Join(runDir, ResolvedConfigFile), b, 0o644); err != nil {
			return fmt.Errorf("keep the evaluator's run config: %w", err)
		}
		if err := overwrite(cfgPath, own); err != nil {
			return fmt.Errorf("restore evalplan's run config: %w", err)
		}
	}
	var secrets []string
	if ep != nil {
		secrets = ep.Secrets()
	}
	for _, m := range more {
		if len(m) >= 4 {
			secrets = append(secrets, m)
		}
	}
	if len(secrets) == 0 {
		return nil
	}
	return filepath.WalkDir(runDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !d.Type().IsRegular() || !scrubbable(d.Name()) {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("scrub secrets: %w", err)
		}
		s := config.Scrub(string(b), secrets)
		if s == string(b) {
			return nil
		}
		if err := overwrite(path, []byte(s)); err != nil {
			return fmt.Errorf("scrub secrets: %w", err)
		}
		return nil
	})
}

// overwrite replaces a file's content. A file the container wrote belongs to the
// container's user; when this process may not write it, it is replaced by a new file through
// a rename, which needs only the directory to be writable.
func overwrite(path string, b []byte) error {
	err := os.WriteFile(path, b, 0o644)
	if !errors.Is(err, fs.ErrPermission) {
		return err
	}
	f, terr := os.CreateTemp(filepath.Dir(path), ".evalplan-scrub-*")
	if terr != nil {
		return fmt.Errorf("%w (and no file can be created beside it: %v; run the container as this user or run evalplan as the container's user)", err, terr)
	}
	_, werr := f.Write(b)
	if err := errors.Join(werr, f.Close(), os.Chmod(f.Name(), 0o644), os.Rename(f.Name(), path)); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

func scrubbable(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	for _, e := range scrubbed {
		if ext == e {
			return true
		}
	}
	return strings.HasPrefix(name, ".nemo_evaluator")
}
