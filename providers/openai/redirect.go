package openai

import (
	"errors"
	"fmt"
	"net/http"
)

// maxRedirects is how many redirects a request follows, as Go's default client does.
const maxRedirects = 10

// ErrCrossHostRedirect marks a redirect to another host that the client refused.
var ErrCrossHostRedirect = errors.New("redirect to another host refused")

// withRedirectPolicy returns a copy of hc that keeps the client's credentials on the
// configured host. Go's client drops Authorization on a redirect to another domain, but not
// custom headers such as X-Api-Key, and it keeps Authorization for subdomains. A redirect
// that leaves the request's original host is an error unless allow is set; then it is
// followed without the API key and without any configured header. hc's own CheckRedirect, if
// any, still runs after this one.
func (c *Client) withRedirectPolicy(hc *http.Client, allow bool) *http.Client {
	cp := *hc
	next := hc.CheckRedirect
	cp.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		if req.URL.Host != via[0].URL.Host {
			if !allow {
				// Only the host: the target's path and query may hold a signed token.
				return fmt.Errorf("%w: the server redirected to %s; evalplan sends the API key and headers only to the configured host: set url to the redirect's target, or allow_cross_host_redirects = true to follow it without credentials", ErrCrossHostRedirect, req.URL.Host)
			}
			req.Header.Del("Authorization")
			for k := range c.headers {
				req.Header.Del(k)
			}
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	return &cp
}
