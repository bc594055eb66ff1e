package config

import (
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
)

// Redacted stands in for a credential in a URL or a message.
const Redacted = "[redacted]"

// secretParams are substrings of query parameter names whose values are credentials: token,
// access_token, api_key, apikey, key, sig, signature, X-Amz-Signature, X-Amz-Credential,
// X-Amz-Security-Token, password, secret, auth, session, ...
var secretParams = []string{"token", "key", "sig", "secret", "pass", "auth", "credential", "session", "code"}

// secretParam reports whether a query parameter's value is a credential.
func secretParam(name string) bool {
	name = strings.ToLower(name)
	for _, s := range secretParams {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}

// RedactURL is raw as it may be written to files, messages, progress lines and logs: without
// user information (the user name can itself be a token) and with the value of every
// credential-like query parameter (token, access_token, api_key, sig, ...) replaced by
// Redacted. Other parameters, their order and the path are kept. A string that does not parse
// as a URL is replaced whole, since its credentials cannot be found.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(a URL that does not parse, not shown)"
	}
	u.User = nil
	if u.RawQuery != "" {
		parts := strings.Split(u.RawQuery, "&")
		for i, p := range parts {
			name, _, hasValue := strings.Cut(p, "=")
			if dec, err := url.QueryUnescape(name); err == nil {
				name = dec
			}
			if hasValue && secretParam(name) {
				parts[i] = p[:strings.Index(p, "=")+1] + Redacted
			}
		}
		u.RawQuery = strings.Join(parts, "&")
	}
	return u.String()
}

// URLSecrets are the credentials that raw carries, in every form a server may echo them:
// the user name, the password, "user:password" and its base64 (the Basic Authorization
// header's value), and the value of every credential-like query parameter, decoded and as
// written. Scrub them from text that quotes a server. Strings shorter than minSecretLen are
// left out: replacing them would garble text without protecting anything.
func URLSecrets(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	var out []string
	add := func(s string) {
		if len(s) >= minSecretLen && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if u.User != nil {
		name := u.User.Username()
		pass, _ := u.User.Password()
		add(name + ":" + pass)
		add(base64.StdEncoding.EncodeToString([]byte(name + ":" + pass)))
		add(u.User.String())
		add(name)
		add(pass)
	}
	for _, p := range strings.Split(u.RawQuery, "&") {
		name, value, ok := strings.Cut(p, "=")
		if dec, err := url.QueryUnescape(name); err == nil {
			name = dec
		}
		if !ok || !secretParam(name) {
			continue
		}
		add(value)
		if dec, err := url.QueryUnescape(value); err == nil {
			add(dec)
		}
	}
	return out
}

// Scrub replaces every secret in s by Redacted, the longest first, so that a secret that
// contains another is replaced whole.
func Scrub(s string, secrets []string) string {
	sorted := make([]string, 0, len(secrets))
	for _, v := range secrets {
		if len(v) >= minSecretLen {
			sorted = append(sorted, v)
		}
	}
	slices.SortStableFunc(sorted, func(a, b string) int { return len(b) - len(a) })
	for _, v := range sorted {
		s = strings.ReplaceAll(s, v, Redacted)
	}
	return s
}

// RedactSource is a dataset source as it may be written to the cache, messages and logs: a
// local path as written, a URL through RedactURL.
func RedactSource(raw string) string {
	if IsLocalSource(raw) {
		return raw
	}
	return RedactURL(raw)
}

// Secrets are the credentials requests to e send, for scrubbing text a server returns: the
// API key, every header value, the URL's credentials (URLSecrets) and, when the URL is
// sensitive, the URL itself, its host and every path segment but "v1" (a token may be part
// of the path).
func (e *Endpoint) Secrets() []string {
	out := []string{e.APIKey}
	for _, v := range e.Headers {
		out = append(out, v)
	}
	out = append(out, URLSecrets(e.URL)...)
	if !e.URLSensitive {
		return out
	}
	out = append(out, e.URL)
	if u, err := url.Parse(e.URL); err == nil {
		out = append(out, u.Host)
		for _, seg := range strings.Split(u.Path, "/") {
			if seg != "v1" {
				out = append(out, seg)
			}
		}
	}
	return out
}
