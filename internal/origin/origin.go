// Package origin keeps other web sites out of the servers redisgrade runs
// on a learner's or a teacher's machine (play, serve). A page on another
// site can make the browser send requests to 127.0.0.1: POSTs that need no
// preflight (a form, or JSON sent as text/plain), and, through DNS
// rebinding (its own name made to resolve to 127.0.0.1), requests whose
// answers it can read. Two checks stop both: the Host header must be one
// of this machine's names (an IP address, localhost) unless the server
// says otherwise, and a request that changes anything must come from the
// server's own page (Sec-Fetch-Site and Origin, checked by net/http's
// CrossOriginProtection). Programs (curl, an LMS) send neither header and
// are let through; routes that take JSON refuse any other Content-Type.
package origin

import (
	"mime"
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/redisgrade/redisgrade/internal/httpjson"
)

// Guard checks a request's Host and origin.
type Guard struct {
	anyHost bool
	hosts   []string
	cross   *http.CrossOriginProtection
}

// New returns a Guard. With anyHost, any Host is accepted (a server with a
// token: a page that rebinds a name to it still lacks the token); hosts
// are further names accepted besides IP addresses and localhost.
func New(anyHost bool, hosts ...string) *Guard {
	lower := make([]string, len(hosts))
	for i, h := range hosts {
		lower[i] = strings.ToLower(strings.TrimSuffix(h, "."))
	}
	return &Guard{anyHost: anyHost, hosts: lower, cross: http.NewCrossOriginProtection()}
}

// Check returns why a request is refused (403), or nil.
func (g *Guard) Check(r *http.Request) *httpjson.Error {
	if !g.hostAllowed(r.Host) {
		return httpjson.Errorf(http.StatusForbidden,
			"Host %q is not a name of this server: open it by its IP address or localhost (or start serve with --allow-host NAME)", r.Host)
	}
	if err := g.cross.Check(r); err != nil {
		return httpjson.Errorf(http.StatusForbidden, "a %s from another web site is refused: %v", r.Method, err)
	}
	return nil
}

// Handler runs h for the requests Check lets through.
func (g *Guard) Handler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if herr := g.Check(r); herr != nil {
			herr.Write(w)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (g *Guard) hostAllowed(hostport string) bool {
	if g.anyHost {
		return true
	}
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	switch {
	case host == "":
		return false
	case net.ParseIP(host) != nil:
		return true
	case host == "localhost", strings.HasSuffix(host, ".localhost"):
		return true
	}
	return slices.Contains(g.hosts, host)
}

// RequireJSON refuses (415) a body that does not say it is JSON: a form
// or text/plain, which another site's page can send without asking.
func RequireJSON(r *http.Request) *httpjson.Error {
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "application/json" {
		return httpjson.Errorf(http.StatusUnsupportedMediaType, "Content-Type %q is not accepted here: send application/json", r.Header.Get("Content-Type"))
	}
	return nil
}
