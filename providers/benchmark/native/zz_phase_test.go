package native

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/evalplan/evalplan/plan/config"
)

func TestZZPhases(t *testing.T) {
	data := writeGSM8K(t, t.TempDir(), 5000)
	s := startSim(t, simConfig(data))
	dir := t.TempDir()
	spec := simSpec(dir, s.URL, data, config.Params{Parallelism: ptr(64)})
	if _, err := (&Runner{}).Run(context.Background(), spec, nil); err != nil {
		t.Fatal(err)
	}
	x, _ := (&Runner{}).prepare(spec, nil)
	for i := 0; i < 3; i++ {
		st := time.Now()
		sel, err := selectRows(context.Background(), x.src, x.task, x.set)
		t1 := time.Since(st)
		st = time.Now()
		_, err2 := summarise(filepath.Join(dir, JournalFile), x.task, sel.ids)
		t2 := time.Since(st)
		st = time.Now()
		n := 0
		streamSelected(context.Background(), x.src, x.task, sel, func(it *item) error { n++; return nil })
		t3 := time.Since(st)
		t.Logf("select %v summarise %v stream %v %v %v", t1, t2, t3, err, err2)
	}
}
