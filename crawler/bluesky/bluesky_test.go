package bluesky

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/langnghe/langnghe/crawler"
	"github.com/langnghe/langnghe/crawler/crawlertest"
)

func newSource(t *testing.T, cfg Config) *Source {
	t.Helper()
	cfg.Name = "bluesky-vn"
	cfg.AllowPrivate = true
	s, err := New(cfg, crawlertest.Env())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	crawlertest.Run(t, crawlertest.Case{Platform: Kind, Setup: func(t *testing.T) (crawler.Source, func()) {
		site, base := crawlertest.DemoSite(t, crawlertest.DemoPosts(t, "bluesky", 30))
		n := 0
		// Page size 7: the first pass walks several cursor pages.
		return newSource(t, Config{AppView: base, Query: "lũ lụt", Limit: 7}), func() {
			n++
			site.Add(crawlertest.NewDemoPost("bluesky", fmt.Sprintf("3newpost%04d", n)))
		}
	}})
}

func TestRealCassettes(t *testing.T) {
	for _, tc := range []struct {
		file string
		cfg  Config
		want int
	}{
		{"bluesky/bskyr_f_search.yml", Config{Query: "redistricting"}, 25},
		{"bluesky/bskyr_f_autfeed.yml", Config{Mode: "author", Actor: "chriskenny.bsky.social"}, 50},
		{"bluesky/bskyr_f_postthread.yml", Config{Mode: "thread", URI: "at://did:plc:ic6zqvuw5ulmfpjiwnhsr2ns/app.bsky.feed.post/3k7qmjev5lr2s"}, 1},
	} {
		t.Run(tc.file, func(t *testing.T) {
			base, _ := crawlertest.Replay(t, crawlertest.LoadCassette(t, crawlertest.SharedFixture(t, tc.file)))
			cfg := tc.cfg
			cfg.AppView = base
			cfg.MaxPages = 1 // the cassettes hold one page
			posts, _ := crawlertest.Fetch(t, newSource(t, cfg), crawler.Cursor{})
			if len(posts) != tc.want {
				t.Fatalf("got %d posts, want %d", len(posts), tc.want)
			}
			for _, p := range posts {
				if !strings.HasPrefix(p.ID, "bluesky:bsky.app:h1") || strings.Contains(p.ID, "did:") || !strings.HasPrefix(p.URL, "https://bsky.app/profile/did:") {
					t.Errorf("id %q url %q", p.ID, p.URL)
				}
				if p.PublishedAt.Before(time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)) {
					t.Errorf("%s published %s", p.ID, p.PublishedAt)
				}
				if err := p.Validate(); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func TestBadResponses(t *testing.T) {
	for _, tc := range []struct{ mode, body string }{
		{"search", `[]`},
		{"search", `{"error":"InvalidRequest","message":"Error: Params must have the property \"q\""}`},
		{"search", `{"posts":[{"uri":`},
		{"author", `{"posts":[]}`},
		{"thread", `<html>`},
	} {
		if _, _, err := Parse(tc.mode, []byte(tc.body)); !errors.Is(err, crawler.ErrParse) {
			t.Errorf("Parse(%s, %q) = %v, want ErrParse", tc.mode, tc.body, err)
		}
	}
	if _, err := New(Config{Common: crawler.Common{Name: "x"}, Mode: "author"}, crawlertest.Env()); !errors.Is(err, crawler.ErrConfig) {
		t.Errorf("author mode without actor: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("search", []byte(`{"posts":[{"uri":"at://did:plc:a/app.bsky.feed.post/3k","record":{"text":"xin chào","createdAt":"2026-11-20T08:00:00Z"}}],"cursor":"1"}`))
	f.Add("thread", []byte(`{"thread":{"post":{"uri":"at://d/app.bsky.feed.post/r"},"replies":[{"replies":[{}]}],"parent":{"parent":{}}}}`))
	f.Add("author", []byte(`{"feed":[{"post":{},"reason":{}}]}`))
	f.Fuzz(func(t *testing.T, mode string, b []byte) {
		views, _, err := Parse(mode, b)
		if err != nil && !errors.Is(err, crawler.ErrParse) && !errors.Is(err, crawler.ErrConfig) {
			t.Fatalf("unexpected error kind: %v", err)
		}
		s := &Source{cfg: Config{Common: crawler.Common{Name: "f", Lang: "vi"}}}
		for _, v := range views {
			if p := s.toPost(v, time.Now()); p != nil && p.Validate() != nil {
				t.Fatalf("invalid post: %v", p.Validate())
			}
		}
	})
}
