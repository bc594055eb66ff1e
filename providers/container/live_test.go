package container_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/evalplan/evalplan/providers/container"
	"github.com/evalplan/evalplan/providers/container/containertest"
)

// TestFindAndStats finds a running container by its labels and samples it twice, as
// `evalplan monitor` does: the first sample has no CPU percent, the second one has.
func TestFindAndStats(t *testing.T) {
	reg := containertest.OpenRegistry(t)
	img := pushed(t, reg, "test", containertest.ImageOptions{})
	c := newClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := c.Ensure(ctx, img, nil); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	conf := "config:\n  type: t\n  output_dir: /results\n  params:\n    extra: {mode: hang}\n"
	if err := os.WriteFile(filepath.Join(dir, "run_config.yml"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	label := map[string]string{"dev.evalplan.address": "test." + containertest.RepoName(t)}
	up := make(chan struct{})
	var once sync.Once
	ran := make(chan error, 1)
	go func() {
		_, err := c.Run(ctx, container.RunSpec{
			Image: img, Entrypoint: []string{"nemo-evaluator"}, Cmd: []string{"run_eval", "--run_config", "/results/run_config.yml"},
			Binds: []string{dir + ":/results"}, Labels: label, StatusEvery: 50 * time.Millisecond,
			Status: func(s container.Status) {
				if s.State == "running" && s.MemoryBytes > 0 {
					once.Do(func() { close(up) })
				}
			},
		})
		ran <- err
	}()
	select {
	case <-up:
	case err := <-ran:
		t.Fatalf("Run ended before the container was up: %v", err)
	}
	found, err := c.Find(ctx, label)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || found[0].State != "running" || found[0].Labels["dev.evalplan.address"] != label["dev.evalplan.address"] || found[0].Created.IsZero() {
		t.Fatalf("Find = %+v, want the one running container", found)
	}
	st, sample, err := c.Stats(ctx, found[0].ID, found[0].Created, container.CPUSample{})
	if err != nil {
		t.Fatal(err)
	}
	if st.State != "running" || st.MemoryBytes == 0 || st.CPUPercent != -1 || st.Elapsed <= 0 {
		t.Errorf("first sample = %+v, want running, memory, CPU unknown (-1), elapsed", st)
	}
	st, _, err = c.Stats(ctx, found[0].ID, found[0].Created, sample)
	if err != nil {
		t.Fatal(err)
	}
	if st.CPUPercent < 0 {
		t.Errorf("second sample = %+v, want a CPU percent", st)
	}
	cancel()
	if err := <-ran; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v, want context.Canceled", err)
	}
}
