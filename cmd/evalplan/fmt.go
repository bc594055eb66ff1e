package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/rogpeppe/go-internal/diff"
)

func cmdFmt(c *cli, args []string) int {
	var check, showDiff, noColor bool
	fs := newFlagSet(c, "fmt", "fmt [-check] [-diff] [FILE...]")
	fs.BoolVar(&check, "check", false, "write nothing; exit 3 when a file would change")
	fs.BoolVar(&showDiff, "diff", false, "print the changes as a unified diff")
	fs.BoolVar(&noColor, "no-color", false, "disable colour")
	pos, code, ok := parseArgs(c, fs, args)
	if !ok {
		return code
	}
	files := pos
	if len(files) == 0 {
		all, err := filepath.Glob(filepath.Join(c.dir, "*.hcl"))
		if err != nil {
			fmt.Fprintln(c.stderr, "Error:", err)
			return exitError
		}
		for _, f := range all {
			files = append(files, filepath.Base(f))
		}
		sort.Strings(files)
	}
	changed := false
	for _, name := range files {
		path := name
		if !filepath.IsAbs(path) {
			path = filepath.Join(c.dir, name)
		}
		src, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintln(c.stderr, "Error:", err)
			return exitError
		}
		if _, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos); diags.HasErrors() {
			c.printDiags(map[string]*hcl.File{name: {Bytes: src}}, diags, c.useColor(noColor))
			return exitError
		}
		out := hclwrite.Format(src)
		if bytes.Equal(src, out) {
			continue
		}
		changed = true
		fmt.Fprintln(c.stdout, name)
		if showDiff {
			d := diff.Diff(name, src, name, out)
			fmt.Fprint(c.stdout, strings.TrimSuffix(string(d), "\n")+"\n")
		}
		if !check {
			if err := os.WriteFile(path, out, 0o644); err != nil {
				fmt.Fprintln(c.stderr, "Error:", err)
				return exitError
			}
		}
	}
	if check && changed {
		return exitFmtChanges
	}
	return exitOK
}
