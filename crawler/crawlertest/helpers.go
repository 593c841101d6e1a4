package crawlertest

import (
	"bufio"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/langnghe/langnghe/crawler"
	"github.com/langnghe/langnghe/crawler/demosite"
	"github.com/langnghe/langnghe/models"
	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/testinfra"
)

// Env is a test environment: no rate limit, a fixed author key.
func Env() crawler.Env {
	return crawler.Env{
		Politeness: crawler.NewPoliteness(crawler.WithHostDelay(0)),
		UserAgent:  crawler.UserAgent("test", "https://example.org/lien-he"),
		AuthorKey:  []byte("test-author-key"),
	}
}

// DemoPosts returns up to n shipped demo posts of platform ("" = all), newest an hour ago.
func DemoPosts(t testing.TB, platform string, n int) []*post.Post {
	t.Helper()
	f, err := models.FS().Open("demo/posts.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []*post.Post
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() && (n <= 0 || len(out) < n) {
		p, err := post.Decode(sc.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if platform == "" || p.Platform == platform {
			out = append(out, p)
		}
	}
	demosite.ShiftToNow(out, time.Now())
	return out
}

// DemoSite serves posts from a demosite on a local httptest server.
func DemoSite(t testing.TB, posts []*post.Post) (*demosite.Site, string) {
	t.Helper()
	site := demosite.New(posts)
	srv := httptest.NewServer(site)
	t.Cleanup(srv.Close)
	return site, srv.URL
}

// NewDemoPost makes a fresh post of platform with a unique native id, published now, for
// the demo site to serve. Its id is in the demo data's form "platform:demo:native" (the
// site reads the native id from it, see demosite.Native); crawling it yields a hashed id.
func NewDemoPost(platform, native string) *post.Post {
	now := time.Now().UTC().Truncate(time.Second)
	return &post.Post{Schema: 1, ID: strings.ToLower(platform) + ":demo:" + native, Platform: platform, Source: "demo",
		Author: post.Author{ID: "a1:0e1d2c3b4a59687766554433221100ff"}, Text: "Bài mới về lũ lụt ở miền Trung, nước lên nhanh " + native + ".",
		Lang: "vi", PublishedAt: now, FetchedAt: now}
}

// SharedFixture returns the path of a file under ../shared/fixtures (from the repo root)
// or skips the test when the shared folder is absent (fails it under LANGNGHE_CI=1).
func SharedFixture(t testing.TB, rel string) string {
	t.Helper()
	return testinfra.NeedShared(t, "fixtures/"+rel)
}
