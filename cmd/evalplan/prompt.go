package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/evalplan/evalplan/plan/config"
	"golang.org/x/term"
)

// promptVariable asks for a required variable's value as Terraform does: "var.NAME", its
// description, then "Enter a value:". A sensitive variable's answer is not echoed. The
// prompt goes to standard output on a terminal, else to standard error, so that output
// meant for a file or a pipe (plan -json) stays clean.
func (c *cli) promptVariable(v *config.Variable) (string, error) {
	out := c.stderr
	if c.stdoutTTY {
		out = c.stdout
	}
	fmt.Fprintf(out, "var.%s\n", v.Name)
	if v.Description != "" {
		fmt.Fprintf(out, "  %s\n", v.Description)
	}
	fmt.Fprint(out, "\n  Enter a value: ")
	defer fmt.Fprintln(out)
	if f, ok := c.stdin.(*os.File); ok && v.Sensitive && term.IsTerminal(int(f.Fd())) {
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(out)
		if err != nil {
			return "", fmt.Errorf("read var.%s: %w", v.Name, err)
		}
		return string(b), nil
	}
	line, err := readLine(c.stdin)
	if err != nil {
		return "", fmt.Errorf("read var.%s: %w", v.Name, err)
	}
	return line, nil
}

// readLine reads one line from r, a byte at a time so that nothing after the newline is
// consumed (apply reads its confirmation from the same input afterwards). The newline and
// a carriage return before it are dropped; end of input with nothing read is an error.
func readLine(r io.Reader) (string, error) {
	var b strings.Builder
	buf := make([]byte, 1)
	for {
		n, err := r.Read(buf)
		if n == 1 {
			if buf[0] == '\n' {
				return strings.TrimSuffix(b.String(), "\r"), nil
			}
			b.WriteByte(buf[0])
			continue
		}
		if errors.Is(err, io.EOF) && b.Len() > 0 {
			return b.String(), nil
		}
		if err != nil {
			return "", err
		}
	}
}
