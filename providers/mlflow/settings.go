package mlflow

import (
	"fmt"
	"math/big"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Defaults of an exporter "mlflow" block.
const (
	DefaultExperiment = "evalplan"
	// DefaultRunName names a run after its benchmark and endpoint.
	DefaultRunName = "{benchmark} · {endpoint}"
	// DefaultPort is the port of a managed server when neither tracking_uri nor port say.
	DefaultPort = 5000
)

// Settings are an exporter "mlflow" block's attributes with defaults applied.
type Settings struct {
	// TrackingURI is the block's tracking_uri, else MLFLOW_TRACKING_URI, else (managed) the
	// managed server's URI.
	TrackingURI string
	Experiment  string
	// RunName is a template with {suite}, {benchmark}, {endpoint}, {model}, {harness},
	// {task} and {identity} (the first 12 characters).
	RunName string
	// Tags are added to every run.
	Tags map[string]string
	// Managed is server { managed = true }: start a local server when none answers.
	Managed bool
	// Port is the managed server's port (from the URI, else server.port, else 5000).
	Port int
	// KeepRunning (default true) leaves a managed server running after evalplan exits.
	KeepRunning bool
}

// ParseSettings reads an exporter "mlflow" block; getenv supplies MLFLOW_TRACKING_URI.
func ParseSettings(x *config.Exporter, getenv func(string) string) (Settings, error) {
	addr := addrs.Exporter{Type: x.Type, Name: x.Name}.String()
	s := Settings{Experiment: DefaultExperiment, RunName: DefaultRunName, KeepRunning: true}
	var err error
	str := func(v cty.Value, into *string, name string) {
		if err != nil || v == cty.NilVal || v.IsNull() {
			return
		}
		var t string
		if t, err = ctyString(v); err != nil {
			err = fmt.Errorf("%s: %s: %w", addr, name, err)
			return
		}
		*into = t
	}
	str(x.Attrs["tracking_uri"], &s.TrackingURI, "tracking_uri")
	str(x.Attrs["experiment"], &s.Experiment, "experiment")
	str(x.Attrs["run_name"], &s.RunName, "run_name")
	if err != nil {
		return s, err
	}
	if s.Tags, err = ctyStringMap(x.Attrs["tags"]); err != nil {
		return s, fmt.Errorf("%s: tags: %w", addr, err)
	}
	port := 0
	if x.Server != nil {
		if s.Managed, err = ctyBool(x.Server["managed"], false); err != nil {
			return s, fmt.Errorf("%s: server.managed: %w", addr, err)
		}
		if s.KeepRunning, err = ctyBool(x.Server["keep_running"], true); err != nil {
			return s, fmt.Errorf("%s: server.keep_running: %w", addr, err)
		}
		if port, err = ctyInt(x.Server["port"]); err != nil {
			return s, fmt.Errorf("%s: server.port: %w", addr, err)
		}
	}
	if s.TrackingURI == "" {
		s.TrackingURI = getenv("MLFLOW_TRACKING_URI")
	}
	if !s.Managed {
		if s.TrackingURI == "" {
			return s, fmt.Errorf("%s: no tracking URI: set tracking_uri in the block or MLFLOW_TRACKING_URI, or add server { managed = true } to start a local MLflow server", addr)
		}
		return s, nil
	}
	return s, s.resolveManaged(addr, port)
}

// resolveManaged fixes the managed server's port and URI: a loopback URI gives the port.
func (s *Settings) resolveManaged(addr string, port int) error {
	if s.TrackingURI == "" {
		if port == 0 {
			port = DefaultPort
		}
		s.Port, s.TrackingURI = port, "http://127.0.0.1:"+strconv.Itoa(port)
		return nil
	}
	u, err := url.Parse(s.TrackingURI)
	if err != nil || u.Scheme != "http" {
		return fmt.Errorf("%s: a managed server needs an http://127.0.0.1:PORT tracking URI, not %q", addr, redact(s.TrackingURI))
	}
	host, p := u.Hostname(), u.Port()
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("%s: a managed server runs on this machine, but tracking_uri %q is not a loopback address; use http://127.0.0.1:PORT or drop server { managed = true }", addr, redact(s.TrackingURI))
	}
	if p == "" {
		p = "80"
	}
	up, _ := strconv.Atoi(p)
	if port != 0 && port != up {
		return fmt.Errorf("%s: server.port = %d but tracking_uri %q says port %d; set one of them", addr, port, redact(s.TrackingURI), up)
	}
	s.Port = up
	return nil
}

// Server returns the managed server of these settings, with its files under
// <cacheDir>/mlflow.
func (s Settings) Server(cacheDir string) *Server {
	return &Server{Dir: filepath.Join(cacheDir, "mlflow"), Port: s.Port}
}

// runName fills the run name template.
func runName(tmpl string, vars map[string]string) string {
	out := tmpl
	for k, v := range vars {
		out = strings.ReplaceAll(out, "{"+k+"}", v)
	}
	return truncate(out, maxRunNameLength)
}

func ctyString(v cty.Value) (string, error) {
	if !v.IsKnown() {
		return "", fmt.Errorf("value is not known")
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil {
		return "", fmt.Errorf("want a string: %w", err)
	}
	return s.AsString(), nil
}

func ctyStringMap(v cty.Value) (map[string]string, error) {
	out := map[string]string{}
	if v == cty.NilVal || v.IsNull() {
		return out, nil
	}
	t := v.Type()
	if !t.IsMapType() && !t.IsObjectType() {
		return nil, fmt.Errorf("want a map of strings, got %s", t.FriendlyName())
	}
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		if e.IsNull() {
			continue
		}
		s, err := ctyString(e)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k.AsString(), err)
		}
		out[k.AsString()] = s
	}
	return out, nil
}

func ctyBool(v cty.Value, def bool) (bool, error) {
	if v == cty.NilVal || v.IsNull() {
		return def, nil
	}
	b, err := convert.Convert(v, cty.Bool)
	if err != nil || !b.IsKnown() {
		return false, fmt.Errorf("want true or false")
	}
	return b.True(), nil
}

func ctyInt(v cty.Value) (int, error) {
	if v == cty.NilVal || v.IsNull() {
		return 0, nil
	}
	n, err := convert.Convert(v, cty.Number)
	if err != nil || !n.IsKnown() {
		return 0, fmt.Errorf("want a port number")
	}
	i, acc := n.AsBigFloat().Int64()
	if acc != big.Exact || i < 1 || i > 65535 {
		return 0, fmt.Errorf("want a port number between 1 and 65535")
	}
	return int(i), nil
}

// redact hides a password in a URI for messages.
func redact(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return "(unparsable URI)"
	}
	return u.Redacted()
}
