package endpoint

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"
)

func TestCheck(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"object":"list","data":[{"id":"m","object":"model","max_model_len":4096}]}`))
	}))
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String() + "/v1"
	ln.Close()
	dir := t.TempDir()
	ep := func(url string) *config.Endpoint {
		return &config.Endpoint{Name: "e", URL: url, Model: "m", DeclRange: hcl.Range{Filename: filepath.Join(dir, "eval.hcl")}}
	}
	tests := []struct {
		name  string
		needs *plan.Needs
		want  []plan.Check
	}{
		{"answers", &plan.Needs{Endpoints: []*config.Endpoint{ep(srv.URL + "/v1")}},
			[]plan.Check{{Mark: plan.MarkReady, Detail: `reachable, serves "m", max_model_len 4096`}}},
		{"does not answer", &plan.Needs{Endpoints: []*config.Endpoint{ep(down)}},
			[]plan.Check{{Mark: plan.MarkNotReady, Fix: "start the model server, or fix url and model in eval.hcl"}}},
		{"not probed", &plan.Needs{Endpoints: []*config.Endpoint{ep(down)}, NoRefresh: true},
			[]plan.Check{{Mark: plan.MarkInfo, Detail: "not probed (-refresh=false)"}}},
		{"nothing needed", &plan.Needs{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := (&Provider{}).Check(context.Background(), &config.Config{Dir: dir}, tt.needs)
			for i := range tt.want {
				tt.want[i].Section, tt.want[i].Name = plan.SectionEndpoints, "endpoint.e"
			}
			var opts []cmp.Option
			if len(tt.want) > 0 && tt.want[0].Mark == plan.MarkNotReady {
				opts = append(opts, cmpopts.IgnoreFields(plan.Check{}, "Detail"))
			}
			if diff := cmp.Diff(tt.want, got, opts...); diff != "" {
				t.Errorf("Check (-want +got):\n%s", diff)
			}
		})
	}
}
