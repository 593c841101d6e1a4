package crawlertest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"
)

// Interaction is one recorded HTTP exchange.
type Interaction struct {
	Method, URI string
	Status      int
	Header      http.Header
	Body        string
}

// LoadCassette reads an R vcr cassette (http_interactions) or a Python vcrpy cassette
// (interactions). Per ../shared/fixtures/README.md, bodies are stored decompressed, so
// Content-Encoding and Content-Length are dropped.
func LoadCassette(t testing.TB, path string) []Interaction {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		R []struct {
			Request struct {
				Method string `yaml:"method"`
				URI    string `yaml:"uri"`
			} `yaml:"request"`
			Response struct {
				Status  int               `yaml:"status"`
				Headers map[string]string `yaml:"headers"`
				Body    struct {
					String string `yaml:"string"`
				} `yaml:"body"`
			} `yaml:"response"`
		} `yaml:"http_interactions"`
		Py []struct {
			Request struct {
				Method string `yaml:"method"`
				URI    string `yaml:"uri"`
			} `yaml:"request"`
			Response struct {
				Status struct {
					Code int `yaml:"code"`
				} `yaml:"status"`
				Headers map[string][]string `yaml:"headers"`
				Body    struct {
					String string `yaml:"string"`
				} `yaml:"body"`
			} `yaml:"response"`
		} `yaml:"interactions"`
	}
	if err := yaml.Unmarshal(b, &raw); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []Interaction
	clean := func(h http.Header) http.Header {
		h.Del("Content-Encoding")
		h.Del("Content-Length")
		h.Del("Transfer-Encoding")
		return h
	}
	for _, r := range raw.R {
		h := http.Header{}
		for k, v := range r.Response.Headers {
			h.Set(k, v)
		}
		out = append(out, Interaction{Method: r.Request.Method, URI: r.Request.URI, Status: r.Response.Status, Header: clean(h), Body: r.Response.Body.String})
	}
	for _, r := range raw.Py {
		h := http.Header{}
		for k, vs := range r.Response.Headers {
			for _, v := range vs {
				h.Add(k, v)
			}
		}
		out = append(out, Interaction{Method: r.Request.Method, URI: r.Request.URI, Status: r.Response.Status.Code, Header: clean(h), Body: r.Response.Body.String})
	}
	if len(out) == 0 {
		t.Fatalf("%s: no interactions", path)
	}
	return out
}

// positionParams are the query parameters that select a page; others (limit, local) are
// ignored when matching a request to a recording.
var positionParams = []string{"max_id", "since_id", "min_id", "cursor", "q", "actor", "uri", "page"}

// Replay serves recorded GET interactions from a local server: a request matches a
// recording with the same path and the same position parameters. Absolute URLs of the
// recorded host in Link headers and bodies are rewritten to the local server. Requests
// with no recording get 404. It returns the server URL and a function listing the
// request URIs served so far.
func Replay(t testing.TB, its []Interaction) (string, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(nil)
	t.Cleanup(srv.Close)
	hostRe := regexp.MustCompile(`https?://[^/"'>\s]+`)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.RequestURI())
		mu.Unlock()
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		for _, it := range its {
			if it.Method != "" && !strings.EqualFold(it.Method, "GET") {
				continue
			}
			u, err := url.Parse(it.URI)
			if err != nil || strings.TrimSuffix(u.Path, "/") != strings.TrimSuffix(r.URL.Path, "/") {
				continue
			}
			match := true
			for _, p := range positionParams {
				if u.Query().Get(p) != r.URL.Query().Get(p) {
					match = false
					break
				}
			}
			if !match {
				continue
			}
			recorded := u.Scheme + "://" + u.Host
			for k, vs := range it.Header {
				for _, v := range vs {
					if strings.EqualFold(k, "Link") {
						v = hostRe.ReplaceAllStringFunc(v, func(s string) string {
							if s == recorded {
								return srv.URL
							}
							return s
						})
					}
					w.Header().Add(k, v)
				}
			}
			w.WriteHeader(it.Status)
			fmt.Fprint(w, it.Body)
			return
		}
		http.NotFound(w, r)
	})
	return srv.URL, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}
