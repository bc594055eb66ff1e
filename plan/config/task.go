package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// CheckRecordFields reports each record.NAME in t's prompt, target and choices that is not
// one of fields, the names a record of t's dataset has (its first record's keys). It is for
// when the dataset is at hand (validate and plan read a local or cached dataset's first
// record); without it such a mistake shows only when the run evaluates the first record.
func CheckRecordFields(t *Task, fields []string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	sorted := slices.Sorted(slices.Values(fields))
	for _, expr := range []hcl.Expression{t.Prompt, t.Target, t.Choices} {
		if expr == nil {
			continue
		}
		for _, tr := range expr.Variables() {
			if tr.RootName() != "record" || len(tr) < 2 {
				continue
			}
			name := stepName(tr[1])
			if name == "" || slices.Contains(fields, name) {
				continue
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unknown record field",
				Detail: fmt.Sprintf("The records of dataset %q have no field %q.%s Its first record has %s.",
					t.Dataset, name, didYouMean(name, sorted), fieldList(sorted)),
				Subject: tr.SourceRange().Ptr(),
			})
		}
	}
	return diags
}

// fieldList names fields for a message: "the fields a, b and c", or "no fields".
func fieldList(fields []string) string {
	switch len(fields) {
	case 0:
		return "no fields"
	case 1:
		return "the field " + fields[0]
	}
	return "the fields " + strings.Join(fields[:len(fields)-1], ", ") + " and " + fields[len(fields)-1]
}
