package addrs

import (
	"fmt"
	"strconv"
	"strings"
)

// Addr is any address. Its String form is what plans, state and the CLI show.
type Addr interface {
	String() string
	addr()
}

// Endpoint is the address of an endpoint block: endpoint.NAME. A managed endpoint's server
// (the service apply starts and stops) has its endpoint's address.
type Endpoint struct{ Name string }

// Dataset is the address of a dataset block: dataset.NAME.
type Dataset struct{ Name string }

// Run is the address of one run: a benchmark against an endpoint within a suite,
// suite.SUITE.run["BENCHMARK"]["ENDPOINT"]. Benchmark is the key as written in the suite.
type Run struct{ Suite, Benchmark, Endpoint string }

// Exporter is the address of an exporter block: exporter.TYPE.NAME.
type Exporter struct{ Type, Name string }

// Export is the address of the export of one run to one exporter:
// exporter.TYPE.NAME.export[RUN].
type Export struct {
	Exporter Exporter
	Run      Run
}

// Check is the address of a check block: check.NAME.
type Check struct{ Name string }

// Output is the address of an output block: output.NAME.
type Output struct{ Name string }

func (Endpoint) addr() {}
func (Dataset) addr()  {}
func (Run) addr()      {}
func (Exporter) addr() {}
func (Export) addr()   {}
func (Check) addr()    {}
func (Output) addr()   {}

// String implements Addr.
func (a Endpoint) String() string { return "endpoint." + a.Name }

// String implements Addr.
func (a Dataset) String() string { return "dataset." + a.Name }

// String implements Addr.
func (a Run) String() string {
	return "suite." + a.Suite + ".run[" + strconv.Quote(a.Benchmark) + "][" + strconv.Quote(a.Endpoint) + "]"
}

// String implements Addr.
func (a Exporter) String() string { return "exporter." + a.Type + "." + a.Name }

// Key is the exporter's key in the configuration: "TYPE.NAME".
func (a Exporter) Key() string { return a.Type + "." + a.Name }

// String implements Addr.
func (a Export) String() string { return a.Exporter.String() + ".export[" + a.Run.String() + "]" }

// String implements Addr.
func (a Check) String() string { return "check." + a.Name }

// String implements Addr.
func (a Output) String() string { return "output." + a.Name }

// Error is a string that is not an address of the kind asked for.
type Error struct {
	Input string
	Want  string // the kind of address expected, e.g. "run"
}

func (e *Error) Error() string {
	return fmt.Sprintf("%q is not a%s %s address", e.Input, article(e.Want), e.Want)
}

func article(w string) string {
	if w != "" && strings.ContainsRune("aeiou", rune(w[0])) {
		return "n"
	}
	return ""
}

// ParseEndpoint parses endpoint.NAME.
func ParseEndpoint(s string) (Endpoint, error) {
	name, ok := single(s, "endpoint.")
	if !ok {
		return Endpoint{}, &Error{s, "endpoint"}
	}
	return Endpoint{name}, nil
}

// ParseDataset parses dataset.NAME.
func ParseDataset(s string) (Dataset, error) {
	name, ok := single(s, "dataset.")
	if !ok {
		return Dataset{}, &Error{s, "dataset"}
	}
	return Dataset{name}, nil
}

// ParseCheck parses check.NAME.
func ParseCheck(s string) (Check, error) {
	name, ok := single(s, "check.")
	if !ok {
		return Check{}, &Error{s, "check"}
	}
	return Check{name}, nil
}

// ParseOutput parses output.NAME.
func ParseOutput(s string) (Output, error) {
	name, ok := single(s, "output.")
	if !ok {
		return Output{}, &Error{s, "output"}
	}
	return Output{name}, nil
}

// single cuts prefix from s and requires a plain name after it.
func single(s, prefix string) (string, bool) {
	name, ok := strings.CutPrefix(s, prefix)
	return name, ok && plainName(name)
}

// plainName reports whether s is a block name: non-empty, without dots, brackets or quotes.
func plainName(s string) bool {
	return s != "" && !strings.ContainsAny(s, ".[]\"")
}

// ParseRun parses suite.SUITE.run["BENCHMARK"]["ENDPOINT"]. Quotes may be omitted around
// keys that contain no bracket: suite.quick.run[native.gsm8k][qwen].
func ParseRun(s string) (Run, error) {
	r, rest, ok := cutRun(s)
	if !ok || rest != "" {
		return Run{}, &Error{s, "run"}
	}
	return r, nil
}

// cutRun parses a run address at the start of s and returns what follows it.
func cutRun(s string) (Run, string, bool) {
	rest, ok := strings.CutPrefix(s, "suite.")
	if !ok {
		return Run{}, "", false
	}
	suite, rest, ok := strings.Cut(rest, ".run[")
	if !ok || !plainName(suite) {
		return Run{}, "", false
	}
	bench, rest, ok := cutKey(rest)
	if !ok {
		return Run{}, "", false
	}
	rest, ok = strings.CutPrefix(rest, "][")
	if !ok {
		return Run{}, "", false
	}
	ep, rest, ok := cutKey(rest)
	if !ok {
		return Run{}, "", false
	}
	rest, ok = strings.CutPrefix(rest, "]")
	if !ok || bench == "" || ep == "" {
		return Run{}, "", false
	}
	return Run{Suite: suite, Benchmark: bench, Endpoint: ep}, rest, true
}

// cutKey reads an index key, quoted or bare, up to (not including) its closing bracket.
func cutKey(s string) (key, rest string, ok bool) {
	if strings.HasPrefix(s, `"`) {
		q, err := strconv.QuotedPrefix(s)
		if err != nil {
			return "", "", false
		}
		v, err := strconv.Unquote(q)
		if err != nil {
			return "", "", false
		}
		return v, s[len(q):], true
	}
	i := strings.IndexByte(s, ']')
	if i < 0 {
		return "", "", false
	}
	return s[:i], s[i:], true
}

// ParseExporter parses exporter.TYPE.NAME.
func ParseExporter(s string) (Exporter, error) {
	rest, ok := strings.CutPrefix(s, "exporter.")
	if ok {
		typ, name, found := strings.Cut(rest, ".")
		if found && plainName(typ) && plainName(name) {
			return Exporter{Type: typ, Name: name}, nil
		}
	}
	return Exporter{}, &Error{s, "exporter"}
}

// ParseExporterKey parses an exporter's configuration key, "TYPE.NAME".
func ParseExporterKey(key string) (Exporter, error) {
	x, err := ParseExporter("exporter." + key)
	if err != nil {
		return Exporter{}, &Error{key, "exporter key"}
	}
	return x, nil
}

// ParseExport parses exporter.TYPE.NAME.export[RUN]. The run may also be written as a
// quoted string, as older versions of `evalplan graph` printed it.
func ParseExport(s string) (Export, error) {
	head, inner, ok := strings.Cut(s, ".export[")
	if !ok || !strings.HasSuffix(inner, "]") {
		return Export{}, &Error{s, "export"}
	}
	x, err := ParseExporter(head)
	if err != nil {
		return Export{}, &Error{s, "export"}
	}
	inner = strings.TrimSuffix(inner, "]")
	if strings.HasPrefix(inner, `"`) {
		if u, err := strconv.Unquote(inner); err == nil {
			inner = u
		}
	}
	r, err := ParseRun(inner)
	if err != nil {
		return Export{}, &Error{s, "export"}
	}
	return Export{Exporter: x, Run: r}, nil
}

// Parse parses any address.
func Parse(s string) (Addr, error) {
	kind, _, _ := strings.Cut(s, ".")
	var (
		a   Addr
		err error
	)
	switch kind {
	case "endpoint":
		a, err = ParseEndpoint(s)
	case "dataset":
		a, err = ParseDataset(s)
	case "suite":
		a, err = ParseRun(s)
	case "exporter":
		if strings.Contains(s, ".export[") {
			a, err = ParseExport(s)
		} else {
			a, err = ParseExporter(s)
		}
	case "check":
		a, err = ParseCheck(s)
	case "output":
		a, err = ParseOutput(s)
	default:
		return nil, &Error{s, "evalplan"}
	}
	if err != nil {
		return nil, &Error{s, "evalplan"}
	}
	return a, nil
}
