package sources

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/langnghe/langnghe/crawler"
	_ "github.com/langnghe/langnghe/crawler/all"
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

// Every class of configuration mistake names the file, the line and the field path, and
// wraps crawler.ErrConfig; an unknown kind lists every registered kind.
func TestErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown kind", "sources:\n  - name: a\n    kind: facebook\n", `x.yaml:3: sources[0].kind: loại nguồn không có / unknown source kind "facebook" (có / known: ` + strings.Join(crawler.Kinds(), ", ") + ")"},
		{"missing kind", "sources:\n  - name: a\n    url: https://a.example/f\n", "x.yaml:2: sources[0].kind: thiếu loại nguồn / source kind missing"},
		{"unknown field", "sources:\n  - name: a\n    kind: rss\n    url: https://a.example/f\n    urll: x\n", "x.yaml:5: sources[0].urll: trường không có / unknown field"},
		{"unknown nested field", "sources:\n  - name: a\n    kind: html\n    urls: [https://a.example/]\n    rules:\n      post: article\n      txt: {selector: p}\n", "x.yaml:7: sources[0].rules.txt: trường không có / unknown field"},
		{"unknown field in a nested field", "sources:\n  - name: a\n    kind: html\n    urls: [https://a.example/]\n    rules:\n      post: article\n      text: {selectr: p}\n", "x.yaml:7: sources[0].rules.text.selectr: trường không có"},
		{"wrong int", "sources:\n  - name: a\n    kind: rss\n    url: https://a.example/f\n    max_pages: many\n", `x.yaml:5: sources[0].max_pages: cần / want số nguyên / integer, có / got "many"`},
		{"wrong duration", "sources:\n  - name: a\n    kind: rss\n    url: https://a.example/f\n    interval: 10\n", `x.yaml:5: sources[0].interval: cần / want thời lượng`},
		{"wrong bool", "sources:\n  - name: a\n    kind: rss\n    url: https://a.example/f\n    follow_links: sometimes\n", `x.yaml:5: sources[0].follow_links: cần / want true/false`},
		{"list for a string", "sources:\n  - name: a\n    kind: rss\n    url: [https://a.example/f]\n", `x.yaml:4: sources[0].url: cần / want chuỗi / text, có / got một danh sách / a list`},
		{"string for a list", "sources:\n  - name: a\n    kind: html\n    urls: https://a.example/\n    rules: {post: article}\n", `x.yaml:4: sources[0].urls: cần / want danh sách chuỗi`},
		{"enum", "sources:\n  - name: a\n    kind: mastodon\n    instance: https://m.example\n    timeline: home\n", `x.yaml:5: sources[0].timeline: giá trị "home" không hợp lệ / invalid value "home" (có / known: tag, public, context)`},
		{"missing required", "sources:\n  - name: a\n    kind: jsonapi\n    url: https://a.example/x\n    fields: {text: t}\n", "x.yaml:5: sources[0].fields.id: thiếu trường bắt buộc / required field missing"},
		{"missing url", "sources:\n  - name: a\n    kind: rss\n", "x.yaml:2: sources[0].url: thiếu trường bắt buộc"},
		{"second source", "sources:\n  - {name: a, kind: rss, url: 'https://a.example/f'}\n  - {name: b, kind: rss, url: 'https://b.example/f', lookbak: 1h}\n", "x.yaml:3: sources[1].lookbak: trường không có"},
		{"bad url", "sources:\n  - name: a\n    kind: rss\n    url: ftp://a.example/f\n", "x.yaml:2: sources[0]: crawler: invalid source config: source a: \"ftp://a.example/f\" is not an http(s) URL"},
		{"duplicate name", "sources:\n  - {name: a, kind: rss, url: 'https://a.example/f'}\n  - {name: a, kind: rss, url: 'https://b.example/f'}\n", "x.yaml:3: sources[1]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("x.yaml", []byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.Build(crawlertest.Env())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tc.want)
			}
			if !errors.Is(err, crawler.ErrConfig) {
				t.Errorf("err does not wrap ErrConfig: %v", err)
			}
			if err := f.Check(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Check() = %v, want the same error", err)
			}
		})
	}
}

// All mistakes of a file are reported at once, each on its own line.
func TestErrorsAllReported(t *testing.T) {
	f, err := Parse("x.yaml", []byte("sources:\n  - {name: a, kind: rss, url: 'https://a.example/f', max_pages: x}\n  - {name: b, kind: rss, url: 'https://b.example/f', lookbak: 1h}\n  - {name: c, kind: gopher}\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Build(crawlertest.Env())
	lines := strings.Split(fmt.Sprint(err), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "x.yaml:2: sources[0].max_pages") || !strings.HasPrefix(lines[1], "x.yaml:3: sources[1].lookbak") || !strings.HasPrefix(lines[2], "x.yaml:4: sources[2].kind") {
		t.Fatalf("errors:\n%v", err)
	}
}

// The help lists every registered kind with its summary, and a kind's fields with their
// type, required mark, default and help text.
func TestHelp(t *testing.T) {
	var b strings.Builder
	if err := Help(&b, ""); err != nil {
		t.Fatal(err)
	}
	for _, k := range crawler.Kinds() {
		kind, _ := crawler.Lookup(k)
		if !strings.Contains(b.String(), k) || !strings.Contains(b.String(), kind.Spec.Summary) {
			t.Errorf("kind list lacks %s:\n%s", k, b.String())
		}
	}
	b.Reset()
	if err := Help(&b, "mastodon"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"name (chuỗi / text) [bắt buộc / required]",
		"timeline (chuỗi / text) [mặc định / default tag; một trong / one of tag, public, context]",
		"interval (thời lượng / duration (90s, 10m, 1h30m)) [mặc định / default 15m]",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("mastodon help lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	if err := Help(&b, "html"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "\n  rules (") || !strings.Contains(b.String(), "\n    post (") || !strings.Contains(b.String(), "\n      selector (") {
		t.Errorf("html help does not nest rules.text.selector:\n%s", b.String())
	}
	if err := Help(&b, "gopher"); err == nil || !strings.Contains(err.Error(), "rss") {
		t.Errorf("unknown kind: %v", err)
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
