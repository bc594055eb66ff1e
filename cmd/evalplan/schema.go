package main

import (
	"github.com/evalplan/evalplan/schema"
)

func cmdSchema(c *cli, args []string) int {
	fs := newFlagSet(c, "schema", "schema")
	if _, code, ok := parseArgs(c, fs, args); !ok {
		return code
	}
	return printJSON(c, schema.Document())
}
