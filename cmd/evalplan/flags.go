package main

import (
	"bytes"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/evalplan/evalplan/plan/config"
)

// stringsFlag collects a repeatable flag.
type stringsFlag []string

func (s *stringsFlag) String() string     { return strings.Join(*s, ",") }
func (s *stringsFlag) Set(v string) error { *s = append(*s, v); return nil }

// varsFlag collects -var and -var-file in command-line order.
type varsFlag struct {
	args *[]config.VarArg
	file bool
}

func (v varsFlag) String() string { return "" }

func (v varsFlag) Set(s string) error {
	if v.file {
		*v.args = append(*v.args, config.VarArg{File: s})
		return nil
	}
	name, value, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return fmt.Errorf("want -var NAME=VALUE, got %q", s)
	}
	*v.args = append(*v.args, config.VarArg{Name: name, Value: value})
	return nil
}

// commonFlags are the flags shared by commands that load a configuration.
type commonFlags struct {
	vars        []config.VarArg
	noColor     bool
	lockTimeout time.Duration
	lock        bool
	// input asks on a terminal for required variables without a value (-input, default
	// true); commands without the flag never ask.
	input bool
}

func (f *commonFlags) registerVars(fs *flag.FlagSet) {
	fs.Var(varsFlag{args: &f.vars}, "var", "set a variable: -var NAME=VALUE (repeatable)")
	fs.Var(varsFlag{args: &f.vars, file: true}, "var-file", "read variables from an .evalvars.hcl file (repeatable)")
	fs.BoolVar(&f.noColor, "no-color", false, "disable colour in the output")
}

// registerInput adds -input, for commands that ask for missing variables as Terraform does.
func (f *commonFlags) registerInput(fs *flag.FlagSet) {
	fs.BoolVar(&f.input, "input", true, "ask for required variables without a value when standard input is a terminal")
}

func (f *commonFlags) registerLock(fs *flag.FlagSet) {
	fs.DurationVar(&f.lockTimeout, "lock-timeout", 0, "wait this long for the state lock (e.g. 5m)")
	fs.BoolVar(&f.lock, "lock", true, "lock the state file")
}

// newFlagSet returns a FlagSet that reports errors instead of exiting.
func newFlagSet(c *cli, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// flag calls Usage for -help and for every parse error, writing to the FlagSet's output;
	// parseArgs points that output at a buffer and prints it only for -help, so a mistyped
	// flag prints one error line on stderr, not the whole help on stdout.
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: evalplan %s\n\nOptions:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseArgs parses flags that may come before or after positional arguments, as Terraform
// does (Go's flag package stops at the first positional). It returns the positionals, or
// ok=false after printing the error (or the help, with exit code 0).
func parseArgs(c *cli, fs *flag.FlagSet, args []string) (pos []string, code int, ok bool) {
	for {
		var help bytes.Buffer
		fs.SetOutput(&help)
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				c.stdout.Write(help.Bytes())
				return nil, exitOK, false
			}
			fmt.Fprintf(c.stderr, "Error: %v\nRun 'evalplan %s -help' for the options.\n", err, fs.Name())
			return nil, exitError, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, exitOK, true
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), exitOK, true
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// isHelp reports whether arg asks for help (-h, -help, --help), as a command's first argument.
func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help"
}

// subcommandUsage prints usage to standard output for a help request and to standard error
// otherwise, and returns the matching exit code.
func (c *cli) subcommandUsage(args []string, usage string) int {
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprintln(c.stdout, usage)
		return exitOK
	}
	fmt.Fprintln(c.stderr, usage)
	return exitError
}
