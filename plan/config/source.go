package config

import (
	"net/url"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// acceptedSources lists the dataset source forms, for messages.
const acceptedSources = "A dataset source is a path or glob relative to the configuration directory (e.g. \"data/qa.jsonl\"), file:///ABSOLUTE/PATH, http(s)://HOST/PATH or hf://ORG/NAME/PATH[@REVISION]."

// SourceScheme returns the scheme of a dataset source as written, such as "hf" for
// hf://org/name/file or "FILE" for FILE:///data/x.jsonl, or "" when the source is a path or
// glob. A scheme is a letter followed by letters, digits, "+", "-" or ".", then "://".
func SourceScheme(src string) string {
	i := strings.Index(src, "://")
	if i < 1 {
		return ""
	}
	for j, r := range src[:i] {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
		case j > 0 && ('0' <= r && r <= '9' || r == '+' || r == '-' || r == '.'):
		default:
			return ""
		}
	}
	return src[:i]
}

// IsLocalSource reports whether a dataset source is read in place on this machine (a path,
// a glob or a file:// URL) rather than fetched over the network and cached.
func IsLocalSource(src string) bool {
	scheme := SourceScheme(src)
	return scheme == "" || strings.EqualFold(scheme, "file")
}

// datasetSource checks a dataset's source as written, the forms providers/dataset fetches,
// and reports what is wrong with it at the attribute.
func (l *loader) datasetSource(a *hcl.Attribute, raw string) bool {
	problem := sourceProblem(raw)
	if problem == "" {
		return true
	}
	l.errorf(a.Expr.Range().Ptr(), "Invalid dataset source", "%s %s", problem, acceptedSources)
	return false
}

// sourceProblem says what is wrong with a dataset source, or "" when nothing is.
func sourceProblem(raw string) string {
	if strings.TrimSpace(raw) == "" {
		return "source is empty."
	}
	written := SourceScheme(raw)
	if written == "" {
		return ""
	}
	scheme := strings.ToLower(written)
	switch scheme {
	case "file":
		u, err := url.Parse(raw)
		switch {
		case err != nil:
			return "source is not a valid file:// URL."
		case u.Host != "" && u.Host != "localhost":
			return "A file:// URL takes an absolute path after three slashes (file:///data/x.jsonl), not a host."
		case !filepath.IsAbs(filepath.FromSlash(u.Path)):
			return "A file:// URL needs an absolute path; write a relative path without file://."
		}
	case "http", "https":
		u, err := url.Parse(raw)
		switch {
		case err != nil:
			return "source is not a valid " + scheme + ":// URL."
		case u.Hostname() == "":
			return "An " + scheme + ":// source needs a host, as in " + scheme + "://example.com/data/qa.jsonl."
		}
	case "hf":
		rest := raw[len(written+"://"):]
		if i := strings.LastIndex(rest, "@"); i >= 0 {
			if rest[i+1:] == "" {
				return "An hf:// source names a revision after @; remove the @ to use main."
			}
			rest = rest[:i]
		}
		parts := strings.Split(strings.Trim(rest, "/"), "/")
		if len(parts) < 3 || slices.Contains(parts, "") {
			return "An hf:// source names the organisation, the dataset and a file in it, as in hf://openai/gsm8k/main/test.parquet@main."
		}
	default:
		return "The scheme " + written + ":// is not supported."
	}
	return ""
}
