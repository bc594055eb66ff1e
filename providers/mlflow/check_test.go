package mlflow

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"
)

func TestCheck(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no mlflow program on PATH
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/health":
			w.Write([]byte("OK"))
		case "/version":
			w.Write([]byte("3.1.0"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	fake := filepath.Join(t.TempDir(), "mlflow")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	down := fmt.Sprintf("http://127.0.0.1:%d", closedPort(t))
	block := func(uri string, managed bool) *config.Exporter {
		x := &config.Exporter{Type: "mlflow", Name: "team", Attrs: map[string]cty.Value{"tracking_uri": cty.StringVal(uri)}}
		if managed {
			x.Server = map[string]cty.Value{"managed": cty.True}
		}
		return x
	}
	tests := []struct {
		name   string
		x      *config.Exporter
		env    map[string]string
		want   plan.Check
		detail string // a substring of Detail; Detail is then compared as ""
	}{
		{
			name: "server answers",
			x:    block(srv.URL, false),
			want: plan.Check{Mark: plan.MarkReady, Detail: "MLflow 3.1.0 at " + srv.URL},
		},
		{
			name:   "managed, nothing answers, no mlflow program",
			x:      block(down, true),
			want:   plan.Check{Mark: plan.MarkNotReady, Fix: "install MLflow so that mlflow is on PATH, or set EVALPLAN_MLFLOW to the mlflow program; or start a server at " + down},
			detail: "no MLflow server answers at " + down + ", and apply cannot start the managed one: the mlflow program was not found on PATH",
		},
		{
			name: "managed, nothing answers, EVALPLAN_MLFLOW set",
			x:    block(down, true),
			env:  map[string]string{"EVALPLAN_MLFLOW": fake},
			want: plan.Check{Mark: plan.MarkInfo, Detail: "managed server not running at " + down + ": apply starts it with " + fake + " ('evalplan mlflow start' starts it now)"},
		},
		{
			name:   "not managed, nothing answers",
			x:      block(down, false),
			want:   plan.Check{Mark: plan.MarkNotReady, Fix: "start the MLflow server, fix tracking_uri, or set server { managed = true } to let evalplan run one"},
			detail: down + " does not answer",
		},
		{
			name:   "no tracking URI",
			x:      &config.Exporter{Type: "mlflow", Name: "team"},
			want:   plan.Check{Mark: plan.MarkNotReady},
			detail: "no tracking URI",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &Exporter{CacheDir: t.TempDir(), Getenv: func(k string) string { return tt.env[k] }}
			needs := &plan.Needs{Exporters: []*config.Exporter{tt.x, {Type: "local", Name: "other"}}}
			got := e.Check(context.Background(), &config.Config{}, needs)
			if len(got) != 1 {
				t.Fatalf("Check returned %d lines, want 1: %+v", len(got), got)
			}
			if tt.detail != "" {
				if !strings.Contains(got[0].Detail, tt.detail) {
					t.Errorf("detail %q does not contain %q", got[0].Detail, tt.detail)
				}
				got[0].Detail = ""
			}
			want := tt.want
			want.Section, want.Name = plan.SectionExporters, "exporter.mlflow.team"
			if diff := cmp.Diff(want, got[0]); diff != "" {
				t.Errorf("Check (-want +got):\n%s", diff)
			}
		})
	}
}
