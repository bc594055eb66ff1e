package mlflow

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAPIErrorScrubsEchoedCredentials(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		msg := "auth=" + r.Header.Get("Authorization") + " url=" + r.URL.String()
		w.WriteHeader(http.StatusInternalServerError)
		if strings.Contains(r.URL.Path, "experiments") {
			json.NewEncoder(w).Encode(map[string]string{"error_code": "INTERNAL_ERROR", "message": msg})
			return
		}
		io.WriteString(w, msg)
	}))
	defer echo.Close()
	host := strings.TrimPrefix(echo.URL, "http://")
	tests := []struct {
		name   string
		uri    string
		auth   Auth
		hidden []string
	}{
		{"token", echo.URL, Auth{Token: "mlflow-tok-secret"}, []string{"mlflow-tok-secret"}},
		{"basic from env", echo.URL, Auth{Username: "ann", Password: "mlflow-pw-secret"}, []string{"mlflow-pw-secret", "YW5uOm1sZmxvdy1wdy1zZWNyZXQ="}},
		{"basic from the URI", "http://ann:uri-pw-secret@" + host, Auth{}, []string{"uri-pw-secret", "YW5uOnVyaS1wdy1zZWNyZXQ="}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(tt.uri, tt.auth, nil)
			if err != nil {
				t.Fatal(err)
			}
			var leaked []string
			for _, call := range []func() error{
				func() error { return c.Health(context.Background()) },
				func() error { _, err := c.ExperimentByName(context.Background(), "x"); return err },
			} {
				err := call()
				if err == nil {
					t.Fatal("call succeeded against a 500")
				}
				for _, s := range tt.hidden {
					if strings.Contains(err.Error(), s) {
						leaked = append(leaked, err.Error())
					}
				}
			}
			if diff := cmp.Diff([]string(nil), leaked); diff != "" {
				t.Errorf("errors leak credentials (-want +got):\n%s", diff)
			}
		})
	}
}
