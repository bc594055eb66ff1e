package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
)

var _ plan.Checker = (*Exporter)(nil)

// Check implements plan.Checker for the local exporters that planned exports write to: the
// block's directory must be writable, or creatable (its nearest existing parent writable),
// and existing results files writable. It creates nothing but a probe file, removed at once.
func (e *Exporter) Check(ctx context.Context, cfg *config.Config, needs *plan.Needs) []plan.Check {
	var out []plan.Check
	for _, x := range needs.Exporters {
		if x.Type != "local" {
			continue
		}
		c := plan.Check{Section: plan.SectionExporters, Name: addrs.Exporter{Type: x.Type, Name: x.Name}.String(), Mark: plan.MarkNotReady}
		dir, err := e.Dir(x)
		if err == nil {
			err = writable(dir)
		}
		if err != nil {
			c.Detail, c.Fix = err.Error(), "fix path in the exporter block, or the permissions of its directory"
		} else {
			c.Mark, c.Detail = plan.MarkReady, "writes "+e.rel(filepath.Join(dir, JSONLFile))+" and "+CSVFile
		}
		out = append(out, c)
	}
	return out
}

// writable reports why results could not be written into dir, nil when they can.
func writable(dir string) error {
	for _, name := range []string{JSONLFile, CSVFile} {
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY, 0)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		f.Close()
	}
	existing := dir
	for {
		st, err := os.Stat(existing)
		if err == nil {
			if !st.IsDir() {
				return fmt.Errorf("%s is not a directory", existing)
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) || filepath.Dir(existing) == existing {
			return err
		}
		existing = filepath.Dir(existing)
	}
	f, err := os.CreateTemp(existing, ".evalplan-check-*")
	if err != nil {
		return fmt.Errorf("%s is not writable: %w", existing, err)
	}
	f.Close()
	return os.Remove(f.Name())
}
