package dataset

import (
	"context"
	"errors"
	"fmt"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
)

var _ plan.Checker = (*Provider)(nil)

// Check implements plan.Checker for the datasets runs with work read: a local source must
// exist and match its declared sha256 (it is hashed in place, as apply does); a remote one is
// ready when cached and otherwise left to apply, which downloads it. Nothing is downloaded.
func (p *Provider) Check(ctx context.Context, cfg *config.Config, needs *plan.Needs) []plan.Check {
	out := make([]plan.Check, 0, len(needs.Datasets))
	for _, ds := range needs.Datasets {
		out = append(out, p.checkDataset(ctx, cfg.Settings.CacheDir, ds))
	}
	return out
}

func (p *Provider) checkDataset(ctx context.Context, cacheDir string, ds *config.Dataset) plan.Check {
	c := plan.Check{Section: plan.SectionDatasets, Name: Addr(ds), Mark: plan.MarkNotReady}
	src, err := p.resolve(ds)
	if err != nil {
		c.Detail, c.Fix = err.Error(), "fix source"
		return c
	}
	if src.remote() {
		if f, ok := cachedRemote(ds, src, cacheDir); ok {
			c.Mark, c.Detail = plan.MarkReady, "cached, "+humanBytes(f.Size)
			return c
		}
		c.Mark, c.Detail = plan.MarkInfo, "not cached yet: apply downloads it ('evalplan datasets preload' fetches it now)"
		return c
	}
	f, err := fetchLocal(ctx, ds, src, cacheDir, plan.NopProgress{})
	var mm *MismatchError
	switch {
	case err == nil:
		c.Mark, c.Detail = plan.MarkReady, fmt.Sprintf("local file %s, %s", ds.Source, humanBytes(f.Size))
	case isNotExist(err):
		c.Detail, c.Fix = ds.Source+" not found", "put the file there, or fix source"
	case errors.As(err, &mm):
		c.Detail = ds.Source + " does not match the declared sha256"
		c.Fix = "restore the original file, or update sha256 if the change is intended (its runs then re-run)"
	default:
		c.Detail = err.Error()
	}
	return c
}

func cachedRemote(ds *config.Dataset, src *source, cacheDir string) (plan.DatasetFile, bool) {
	if cacheDir == "" {
		return plan.DatasetFile{}, false
	}
	return lookup(ds, src, cacheDir)
}

// humanBytes formats a size in binary units: "32.3 KiB".
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
