package mlflow

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func TestManagedServer(t *testing.T) {
	bin := mlflowBinary(t)
	ctx := context.Background()
	cache := t.TempDir()
	port := closedPort(t)
	var notes bytes.Buffer
	e := &Exporter{CacheDir: cache, Notify: &notes, Getenv: func(k string) string {
		return map[string]string{"EVALPLAN_MLFLOW": bin}[k]
	}}
	x := block("", "managed")
	delete(x.Attrs, "tracking_uri")
	x.Server = map[string]cty.Value{"managed": cty.True, "port": cty.NumberIntVal(int64(port))}
	s, err := ParseSettings(x, e.getenv)
	if err != nil {
		t.Fatal(err)
	}
	srv := s.Server(cache)
	t.Cleanup(func() { srv.Stop(context.Background()) })

	if _, err := e.Export(ctx, x, record("", "abcd")); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"started a tracking server at " + srv.URI(), "stays running", "evalplan mlflow stop"} {
		if !strings.Contains(notes.String(), want) {
			t.Errorf("notes %q lack %q", notes.String(), want)
		}
	}
	st := Inspect(ctx, client(t, srv.URI()))
	if st.Err != nil || !st.Reachable || st.Version == "" || st.Experiments < 1 || st.Runs != 1 {
		t.Errorf("status: %+v", st)
	}
	// A second exporter (another evalplan process) reuses the running server.
	notes.Reset()
	e2 := &Exporter{CacheDir: cache, Notify: &notes, Getenv: e.Getenv}
	if _, err := e2.Export(ctx, x, record("", "abcd")); err != nil || notes.Len() != 0 {
		t.Errorf("second export: %v, notes %q", err, notes.String())
	}
	if _, ok := srv.PID(); !ok {
		t.Error("no pid recorded for the managed server")
	}
	stopped, err := srv.Stop(ctx)
	if err != nil || !stopped {
		t.Fatalf("Stop: %v, %v", stopped, err)
	}
	if srv.Healthy(ctx) {
		t.Error("server still answers after Stop")
	}
	if stopped, err := srv.Stop(ctx); err != nil || stopped {
		t.Errorf("second Stop: %v, %v", stopped, err)
	}
}

func TestManagedServerWithoutBinary(t *testing.T) {
	x := block("", "managed")
	delete(x.Attrs, "tracking_uri")
	x.Server = map[string]cty.Value{"managed": cty.True, "port": cty.NumberIntVal(int64(closedPort(t)))}
	t.Setenv("PATH", t.TempDir())
	e := &Exporter{CacheDir: t.TempDir(), Getenv: func(string) string { return "" }}
	_, err := e.Export(context.Background(), x, record("", "abcd"))
	if err == nil || !strings.Contains(err.Error(), "pip install mlflow") || !strings.Contains(err.Error(), "EVALPLAN_MLFLOW") {
		t.Fatalf("err = %v", err)
	}
}
