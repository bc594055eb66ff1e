package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRunExecutor(t *testing.T) {
	dir := writeDir(t, map[string]string{"eval.hcl": `
endpoint "m" {
  url   = "http://127.0.0.1:1/v1"
  model = "m"
}
executor "slurm" "a" {
  shared_dir = "/shared/a"
}
executor "slurm" "b" {
  shared_dir = "/shared/b"
  ssh {
    host = "login1"
  }
}
suite "on_a" {
  endpoints  = [endpoint.m]
  benchmarks = ["native.gsm8k", "hellaswag"]
  executor   = executor.slurm.a
  benchmark "hellaswag" {
    executor = executor.slurm.b
  }
}
suite "here" {
  endpoints  = [endpoint.m]
  benchmarks = ["native.gsm8k"]
}
`})
	cfg, diags := Load(dir, LoadOptions{Catalog: fakeCatalog{}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	got := map[string]string{}
	for _, r := range [][2]string{{"on_a", "native.gsm8k"}, {"on_a", "hellaswag"}, {"here", "native.gsm8k"}, {"gone", "native.gsm8k"}} {
		got[r[0]+"/"+r[1]] = cfg.RunExecutor(r[0], r[1], "")
	}
	want := map[string]string{
		"on_a/native.gsm8k": "slurm.a",
		"on_a/hellaswag":    "slurm.b",
		"here/native.gsm8k": "",
		"gone/native.gsm8k": "",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("RunExecutor (-want +got):\n%s", d)
	}
	if cfg.Executors["slurm.b"].SSH == nil || cfg.Executors["slurm.a"].SSH != nil {
		t.Errorf("ssh blocks: a %v, b %v", cfg.Executors["slurm.a"].SSH, cfg.Executors["slurm.b"].SSH)
	}
}
