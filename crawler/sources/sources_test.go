package sources

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/langnghe/langnghe/crawler"
	"github.com/langnghe/langnghe/crawler/crawlertest"
)

// Every shipped sample config loads and builds.
func TestSamples(t *testing.T) {
	files, _ := filepath.Glob("../*/sample.yaml")
	if len(files) < 5 {
		t.Fatalf("found %d sample configs, want one per source kind", len(files))
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			file, err := Load(f)
			if err != nil {
				t.Fatal(err)
			}
			srcs, err := file.Build(crawlertest.Env())
			if err != nil {
				t.Fatal(err)
			}
			if len(srcs) == 0 {
				t.Fatal("no sources")
			}
			for _, s := range srcs {
				if s.Interval <= 0 || s.Kind == "" {
					t.Errorf("%s: interval %s kind %q", s.Source.Name(), s.Interval, s.Kind)
				}
			}
		})
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown kind", "sources:\n  - name: a\n    kind: facebook\n", "x.yaml:2: sources[0]"},
		{"unknown field", "sources:\n  - name: a\n    kind: rss\n    url: https://a.example/f\n    urll: x\n", "field urll not found"},
		{"bad url", "sources:\n  - name: a\n    kind: rss\n    url: ftp://a.example/f\n", "not an http(s) URL"},
		{"duplicate name", "sources:\n  - {name: a, kind: rss, url: 'https://a.example/f'}\n  - {name: a, kind: rss, url: 'https://b.example/f'}\n", "x.yaml:3: sources[1]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("x.yaml", []byte(tc.yaml))
			if err == nil {
				_, err = f.Build(crawlertest.Env())
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if tc.name != "unknown field" && !errors.Is(err, crawler.ErrConfig) {
				t.Errorf("err does not wrap ErrConfig: %v", err)
			}
		})
	}
}

func TestHostRulesParsed(t *testing.T) {
	f, err := Load("../html/sample.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, ok := f.Hosts["voz.vn"]
	if !ok || r.Delay == nil || *r.Delay != 5*time.Second || r.Concurrency != 1 {
		t.Fatalf("hosts.voz.vn = %+v", r)
	}
}
