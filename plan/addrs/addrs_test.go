package addrs

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRoundTrip(t *testing.T) {
	run := Run{Suite: "quick", Benchmark: "native.gsm8k", Endpoint: "qwen"}
	tests := []struct {
		addr Addr
		want string
	}{
		{Endpoint{"qwen"}, "endpoint.qwen"},
		{Dataset{"mine"}, "dataset.mine"},
		{run, `suite.quick.run["native.gsm8k"]["qwen"]`},
		{Run{"s", `odd "name" [x]`, "e-1"}, `suite.s.run["odd \"name\" [x]"]["e-1"]`},
		{Exporter{"mlflow", "team"}, "exporter.mlflow.team"},
		{Export{Exporter{"mlflow", "team"}, run}, `exporter.mlflow.team.export[suite.quick.run["native.gsm8k"]["qwen"]]`},
		{Check{"floor"}, "check.floor"},
		{Output{"scores"}, "output.scores"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.addr.String(); got != tt.want {
				t.Fatalf("String() = %s, want %s", got, tt.want)
			}
			got, err := Parse(tt.want)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.addr, got); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseLenient(t *testing.T) {
	run := Run{Suite: "quick", Benchmark: "native.gsm8k", Endpoint: "qwen"}
	for _, s := range []string{`suite.quick.run[native.gsm8k][qwen]`, `suite.quick.run["native.gsm8k"][qwen]`} {
		got, err := ParseRun(s)
		if err != nil || got != run {
			t.Errorf("ParseRun(%s) = %v, %v; want %v", s, got, err, run)
		}
	}
	// The quoted spelling older versions of `evalplan graph` printed.
	x, err := ParseExport(`exporter.mlflow.team.export["suite.quick.run[\"native.gsm8k\"][\"qwen\"]"]`)
	if err != nil || x.Run != run {
		t.Errorf("ParseExport(quoted) = %v, %v", x, err)
	}
}

func TestParseErrors(t *testing.T) {
	for _, s := range []string{
		"", "endpoint.", "endpoint.a.b", "dataset", "suite.q", `suite.q.run["a"]`, `suite.q.run["a"]["b"]x`,
		`suite.q.run[""]["b"]`, "exporter.mlflow", "exporter.mlflow.team.export[x]", "check.a[0]", "module.x",
	} {
		if a, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", s, a)
		}
	}
}

func TestMatch(t *testing.T) {
	run := Run{Suite: "quick", Benchmark: "native.gsm8k", Endpoint: "qwen"}
	export := Export{Exporter{"mlflow", "team"}, run}
	tests := []struct {
		pattern string
		addr    Addr
		want    bool
	}{
		{"suite.quick", run, true},
		{"suite.qui", run, false},
		{"suite.quick.run[native.gsm8k]", run, true},
		{`suite.quick.run["native.gsm8k"]["qwen"]`, run, true},
		{"suite.quick.run[native.gsm8k][other]", run, false},
		{"exporter.mlflow.team", export, true},
		{"exporter.mlflow.team.export[suite.quick.run[native.gsm8k][qwen]]", export, true},
		{"endpoint.qwen", Endpoint{"qwen"}, true},
		{"endpoint.q", Endpoint{"qwen"}, false},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.addr); got != tt.want {
			t.Errorf("Match(%s, %s) = %v, want %v", tt.pattern, tt.addr, got, tt.want)
		}
	}
}
