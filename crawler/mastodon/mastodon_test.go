package mastodon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/langnghe/langnghe/crawler"
	"github.com/langnghe/langnghe/crawler/crawlertest"
	"github.com/langnghe/langnghe/crawler/demosite"
	"github.com/langnghe/langnghe/post"
)

func newSource(t *testing.T, cfg Config) *Source {
	t.Helper()
	cfg.Name = "mastodon-vn"
	cfg.AllowPrivate = true
	s, err := New(cfg, crawlertest.Env())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	crawlertest.Run(t, crawlertest.Case{Platform: Kind, Setup: func(t *testing.T) (crawler.Source, func()) {
		site, base := crawlertest.DemoSite(t, crawlertest.DemoPosts(t, "mastodon", 30))
		n := 0
		return newSource(t, Config{Instance: base, Tag: demosite.MastodonTag, Limit: 7}), func() {
			n++
			site.Add(crawlertest.NewDemoPost("mastodon", fmt.Sprint(119000000000000000+n)))
		}
	}})
}

// A backlog larger than one pass is finished by the next pass (min_id paging forward
// from the cursor), not skipped.
func TestBacklogAcrossPasses(t *testing.T) {
	site, base := crawlertest.DemoSite(t, crawlertest.DemoPosts(t, "mastodon", 5))
	s := newSource(t, Config{Instance: base, Tag: demosite.MastodonTag, Limit: 2, Common: crawler.Common{MaxPages: 2}})
	first, cur := crawlertest.Fetch(t, s, crawler.Cursor{})
	if len(first) != 4 {
		t.Fatalf("first pass (2 pages of 2) emitted %d", len(first))
	}
	for i := 0; i < 7; i++ {
		site.Add(crawlertest.NewDemoPost("mastodon", fmt.Sprint(119000000000000000+i)))
	}
	total := 0
	for pass := 0; pass < 4; pass++ {
		ps, next := crawlertest.Fetch(t, s, cur)
		total += len(ps)
		cur = next
	}
	if total != 7 {
		t.Errorf("passes after 7 new statuses emitted %d, want all 7", total)
	}
}

// Four real pages of mastodon.social's #ichbinhanna timeline walked by max_id (rtoot).
func TestRealPaginationCassette(t *testing.T) {
	its := crawlertest.LoadCassette(t, crawlertest.SharedFixture(t, "mastodon/rtoot_handle_params_max_id.yml"))
	base, served := crawlertest.Replay(t, its)
	s := newSource(t, Config{Instance: base, Tag: "ichbinhanna", Common: crawler.Common{MaxPages: 4}})
	posts, cur := crawlertest.Fetch(t, s, crawler.Cursor{})
	if len(posts) != 160 {
		t.Errorf("got %d posts from 4 pages of 40, want 160", len(posts))
	}
	if cur.Since != "114856169736898681" {
		t.Errorf("cursor since %q, want the newest id 114856169736898681", cur.Since)
	}
	got := strings.Join(served(), " ")
	for _, want := range []string{"max_id=114630169307317488", "max_id=114347272189573465", "max_id=113958523521356248"} {
		if !strings.Contains(got, want) {
			t.Errorf("pagination did not request %s; served %s", want, got)
		}
	}
	for _, p := range posts {
		if strings.Contains(p.Text, "<p>") || strings.Contains(p.Text, "\\u003c") || strings.Contains(p.Text, "<span") {
			t.Fatalf("HTML left in %s: %q", p.ID, p.Text)
		}
		if !strings.HasPrefix(p.ID, "mastodon:127.0.0.1:") || p.Author.ID == "" {
			t.Fatalf("bad id/author: %s %q", p.ID, p.Author.ID)
		}
	}
}

func serveJSON(t *testing.T, path, file string) string {
	t.Helper()
	b, err := os.ReadFile(crawlertest.SharedFixture(t, file))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestRealPayloads(t *testing.T) {
	t.Run("public timeline 2025", func(t *testing.T) {
		base := serveJSON(t, "/api/v1/timelines/public", "mastodon/derived/mastodon.social_api_v1_timelines_public_limit20_2025-07-17.json")
		posts, _ := crawlertest.Fetch(t, newSource(t, Config{Instance: base, Timeline: "public", Common: crawler.Common{MaxPages: 1}}), crawler.Cursor{})
		langs := map[string]int{}
		for _, p := range posts {
			langs[p.Lang]++
		}
		if len(posts) != 20 || langs["en"] != 16 || langs["de"] != 3 || langs["fr"] != 1 {
			t.Errorf("got %d posts, languages %v; want 20 (16 en, 3 de, 1 fr)", len(posts), langs)
		}
	})
	t.Run("context with 59 replies", func(t *testing.T) {
		base := serveJSON(t, "/api/v1/statuses/109294719267373593/context", "mastodon/derived/mastodon.social_api_v1_statuses_109294719267373593_context_2025-07-17.json")
		s := newSource(t, Config{Instance: base, Timeline: "context", StatusID: "109294719267373593"})
		posts, cur := crawlertest.Fetch(t, s, crawler.Cursor{})
		if len(posts) != 59 {
			t.Errorf("got %d replies, want 59", len(posts))
		}
		if again, _ := crawlertest.Fetch(t, s, cur); len(again) != 0 {
			t.Errorf("second pass re-emitted %d replies", len(again))
		}
	})
	t.Run("2017 schema (mstdn.jp)", func(t *testing.T) {
		base := serveJSON(t, "/api/v1/timelines/public", "mastodon/bigbone_public_timeline.json")
		posts, _ := crawlertest.Fetch(t, newSource(t, Config{Instance: base, Timeline: "public", Common: crawler.Common{MaxPages: 1}}), crawler.Cursor{})
		if len(posts) == 0 {
			t.Fatal("no posts from the 2017 payload")
		}
		for _, p := range posts {
			if p.Lang != "vi" { // no language field in 1.x: the configured default
				t.Errorf("%s lang %q", p.ID, p.Lang)
			}
		}
	})
	t.Run("vcrpy cassette hashtag", func(t *testing.T) {
		its := crawlertest.LoadCassette(t, crawlertest.SharedFixture(t, "mastodon/mastodonpy_test_hashtag_tl.yaml"))
		base, _ := crawlertest.Replay(t, its)
		posts, _ := crawlertest.Fetch(t, newSource(t, Config{Instance: base, Tag: "hoot", Common: crawler.Common{MaxPages: 1}}), crawler.Cursor{})
		if len(posts) == 0 {
			t.Error("no posts from the Mastodon.py hashtag cassette")
		}
	})
}

func TestBadResponses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("local") {
		default:
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"error":"This method requires an authenticated user"}`)
		}
	}))
	defer srv.Close()
	s := newSource(t, Config{Instance: srv.URL, Timeline: "public"})
	_, err := s.Fetch(context.Background(), crawler.Cursor{}, func(*post.Post) error { return nil })
	if !errors.Is(err, crawler.ErrParse) {
		t.Fatalf("error object instead of statuses: %v, want ErrParse", err)
	}
	for _, b := range []string{`[{"id":"1","content":"<p>x`, `<html>`, `[{"id":{}}]`} {
		if _, err := ParseStatuses([]byte(b)); !errors.Is(err, crawler.ErrParse) {
			t.Errorf("ParseStatuses(%q) = %v, want ErrParse", b, err)
		}
	}
}

func TestLinkRel(t *testing.T) {
	h := `<https://m.example/api/v1/timelines/tag/x?limit=40&max_id=5>; rel="next", <https://m.example/api/v1/timelines/tag/x?limit=40&min_id=9>; rel="prev"`
	if got := LinkRel(h, "next"); got != "https://m.example/api/v1/timelines/tag/x?limit=40&max_id=5" {
		t.Errorf("next = %q", got)
	}
	if got := LinkRel(h, "prev"); !strings.HasSuffix(got, "min_id=9") {
		t.Errorf("prev = %q", got)
	}
	if LinkRel("garbage<", "next") != "" {
		t.Error("garbage header yielded a link")
	}
}

func FuzzParseStatuses(f *testing.F) {
	f.Add([]byte(`[{"id":"1","created_at":"2026-11-20T08:00:00.000Z","content":"<p>Xin chào</p>","account":{"url":"https://m/@a"}}]`))
	f.Add([]byte(`[{"id":12345,"reblog":{"id":"2"}}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		sts, err := ParseStatuses(b)
		if err != nil && !errors.Is(err, crawler.ErrParse) {
			t.Fatalf("error does not wrap ErrParse: %v", err)
		}
		s := &Source{cfg: Config{Common: crawler.Common{Name: "f", Lang: "vi"}}, site: "m"}
		for _, st := range sts {
			if p := s.toPost(st, time.Now()); p != nil && p.Validate() != nil {
				t.Fatalf("invalid post from %q: %v", b, p.Validate())
			}
		}
	})
}

// TestRealPayloadTable runs the table in testdata/real_payloads.yaml.
func TestRealPayloadTable(t *testing.T) {
	b, err := os.ReadFile("testdata/real_payloads.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		Fixture, Note, Path, Timeline, Tag string
		StatusID                           string `yaml:"status_id"`
		Local                              bool
		WantPosts                          int `yaml:"want_posts"`
	}
	if err := yaml.Unmarshal(b, &rows); err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		t.Run(row.Fixture, func(t *testing.T) {
			var base string
			if row.Path != "" {
				base = serveJSON(t, row.Path, row.Fixture)
			} else {
				base, _ = crawlertest.Replay(t, crawlertest.LoadCassette(t, crawlertest.SharedFixture(t, row.Fixture)))
			}
			s := newSource(t, Config{Instance: base, Timeline: row.Timeline, Tag: row.Tag, StatusID: row.StatusID, Local: row.Local, Common: crawler.Common{MaxPages: 1}})
			posts, _ := crawlertest.Fetch(t, s, crawler.Cursor{})
			if len(posts) != row.WantPosts {
				t.Errorf("%s: got %d posts, want %d", row.Note, len(posts), row.WantPosts)
			}
			for _, p := range posts {
				if err := p.Validate(); err != nil {
					t.Error(err)
				}
				if strings.Contains(p.Text, "</") {
					t.Errorf("HTML left in %s: %q", p.ID, p.Text)
				}
			}
		})
	}
}
