package main

import (
	"context"
	"errors"
	"maps"
	"net/url"
	"path/filepath"
	"slices"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/providers/dataset"
	"github.com/hashicorp/hcl/v2"
)

// errFirstRecord stops dataset.Read after the first record.
var errFirstRecord = errors.New("first record read")

// checkRecordFields reports record.NAME references in task blocks that the task's dataset
// does not have, for datasets readable now without network: a local source (read in place,
// not hashed) or a remote one already in the cache. Datasets that cannot be read are
// skipped: other checks (status, plan, apply) report those.
func (c *cli) checkRecordFields(l *loaded) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, name := range slices.Sorted(maps.Keys(l.cfg.Tasks)) {
		t := l.cfg.Tasks[name]
		ds := l.cfg.Datasets[t.Dataset]
		if ds == nil {
			continue
		}
		f, ok := c.datasetAtHand(l, ds)
		if !ok {
			continue
		}
		fields, ok := firstRecordFields(c.ctx, f, ds)
		if !ok {
			continue
		}
		diags = append(diags, config.CheckRecordFields(t, fields)...)
	}
	return diags
}

// datasetAtHand returns the dataset's file when it can be read without network or hashing.
func (c *cli) datasetAtHand(l *loaded, ds *config.Dataset) (plan.DatasetFile, bool) {
	if !config.IsLocalSource(ds.Source) {
		return l.engine.Datasets.Cached(ds, l.cfg.Settings.CacheDir)
	}
	p := ds.Source
	if config.SourceScheme(p) != "" {
		u, err := url.Parse(p)
		if err != nil {
			return plan.DatasetFile{}, false
		}
		p = u.Path
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(l.cfg.Dir, p)
	}
	return plan.DatasetFile{Path: p}, true
}

// firstRecordFields returns the keys of the dataset's first record; ok is false when it has
// none or cannot be read.
func firstRecordFields(ctx context.Context, f plan.DatasetFile, ds *config.Dataset) (fields []string, ok bool) {
	err := dataset.Read(ctx, f, ds, func(_ int, rec dataset.Record) error {
		for k := range rec {
			fields = append(fields, k)
		}
		return errFirstRecord
	})
	return fields, errors.Is(err, errFirstRecord)
}
