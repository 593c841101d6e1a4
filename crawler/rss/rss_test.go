package rss

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/langnghe/langnghe/crawler"
	"github.com/langnghe/langnghe/crawler/crawlertest"
	"github.com/langnghe/langnghe/crawler/demosite"
	"github.com/langnghe/langnghe/post"
)

func newSource(t *testing.T, url string) *Source {
	t.Helper()
	s, err := New(Config{Common: crawler.Common{Name: "tin-tuc", AllowPrivate: true}, URL: url}, crawlertest.Env())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	crawlertest.Run(t, crawlertest.Case{Platform: Kind, Setup: func(t *testing.T) (crawler.Source, func()) {
		site, base := crawlertest.DemoSite(t, crawlertest.DemoPosts(t, "rss", 20))
		n := 0
		return newSource(t, base+demosite.FeedPath), func() {
			n++
			site.Add(crawlertest.NewDemoPost("rss", fmt.Sprint(9000000+n)))
		}
	}})
}

func serveFile(t *testing.T, path, contentType string) string {
	t.Helper()
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/rss/tin-moi-nhat.rss"
}

// The VnExpress feed as a browser copied it: links and guids wrapped in newlines, CDATA
// descriptions with <img> and </br>, +0700 dates, slash:comments.
func TestVnExpressBrowserCopy(t *testing.T) {
	path := crawlertest.SharedFixture(t, "rss/vnexpress_tin-moi-nhat_2017-08-30_browser-copy.xml")
	posts, cur, err := crawlertest.Collect(context.Background(), newSource(t, serveFile(t, path, "text/xml")), crawler.Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 25 {
		t.Fatalf("got %d posts, want the 25 items", len(posts))
	}
	for _, p := range posts {
		if strings.ContainsAny(p.URL, " \n") || !strings.HasPrefix(p.URL, "http") {
			t.Errorf("link not trimmed: %q", p.URL)
		}
		if strings.Contains(p.Text, "<img") || strings.Contains(p.Text, "</br>") {
			t.Errorf("HTML left in text: %q", p.Text)
		}
		if p.PublishedAt.Year() != 2017 || p.PublishedAt.Month() != 8 {
			t.Errorf("%s published %s, want August 2017", p.ID, p.PublishedAt)
		}
		if err := p.Validate(); err != nil {
			t.Error(err)
		}
	}
	if len(cur.Seen) != 25 {
		t.Errorf("cursor remembers %d ids, want 25", len(cur.Seen))
	}
}

func TestVnExpressOneItemWithEnclosure(t *testing.T) {
	path := crawlertest.SharedFixture(t, "rss/vnexpress_the-gioi_2025-02-06_one-item.xml")
	posts, _, err := crawlertest.Collect(context.Background(), newSource(t, serveFile(t, path, "application/rss+xml")), crawler.Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 1 {
		t.Fatalf("got %d posts, want 1", len(posts))
	}
	if posts[0].Title == "" || posts[0].PublishedAt.Year() != 2025 {
		t.Errorf("item parsed wrong: %+v", posts[0])
	}
}

func TestAtomAndWindows1258(t *testing.T) {
	posts, _, err := crawlertest.Collect(context.Background(), newSource(t, serveFile(t, "testdata/atom.xml", "application/atom+xml")), crawler.Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 2 {
		t.Fatalf("atom: %d posts, want 2", len(posts))
	}
	if p := posts[0]; p.URL != "https://phuong.example/tin/cat-dien-21-11" || !strings.Contains(p.Text, "Khu phố 3 mất điện từ 8h") || strings.Contains(p.Text, "alert") {
		t.Errorf("atom entry 1: url %q text %q", p.URL, p.Text)
	}
	if posts[0].Author.ID == "" || !strings.HasPrefix(posts[0].Author.ID, "a1:") {
		t.Errorf("atom author not pseudonymized: %q", posts[0].Author.ID)
	}

	// Declared in the XML only, and in both the header (colly converts) and the XML
	// (which must then not be decoded a second time).
	for _, ctype := range []string{"text/xml", "text/xml; charset=windows-1258"} {
		posts, _, err = crawlertest.Collect(context.Background(), newSource(t, serveFile(t, "testdata/windows1258.xml", ctype)), crawler.Cursor{})
		if err != nil {
			t.Fatal(err)
		}
		if len(posts) != 1 || posts[0].Title != "Lũ lụt ở Quảng Bình" || !strings.Contains(posts[0].Text, "người dân sơ tán khẩn cấp") {
			t.Fatalf("%s: windows-1258 feed not converted to NFC UTF-8: %+v", ctype, posts)
		}
	}
}

func TestBadFeeds(t *testing.T) {
	for _, tc := range []struct {
		name, body, ctype string
		want              error
	}{
		{"malformed XML", "<rss><channel><item><title>x</title>", "text/xml", crawler.ErrParse},
		{"HTML page instead of a feed", "<!DOCTYPE html><html><body>Not a feed</body></html>", "text/html", crawler.ErrParse},
		{"JSON", `{"items":[]}`, "application/json", crawler.ErrParse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(dir+"/f", []byte(tc.body), 0o600)
			_, _, err := crawlertest.Collect(context.Background(), newSource(t, serveFile(t, dir+"/f", tc.ctype)), crawler.Cursor{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), "/rss/tin-moi-nhat.rss") {
				t.Errorf("error does not name the URL: %v", err)
			}
		})
	}
}

func TestConditionalRequest(t *testing.T) {
	_, base := crawlertest.DemoSite(t, crawlertest.DemoPosts(t, "rss", 5))
	var codes []int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		resp, err := http.DefaultClient.Do(mustReq(base+r.URL.Path, r.Header))
		if err != nil {
			t.Error(err)
			return
		}
		defer resp.Body.Close()
		_ = rec
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		codes = append(codes, resp.StatusCode)
		w.WriteHeader(resp.StatusCode)
		buf := make([]byte, 1<<20)
		for {
			n, err := resp.Body.Read(buf)
			w.Write(buf[:n])
			if err != nil {
				break
			}
		}
	}))
	defer srv.Close()
	s := newSource(t, srv.URL+demosite.FeedPath)
	_, cur, err := crawlertest.Collect(context.Background(), s, crawler.Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	if _, err := s.Fetch(context.Background(), cur, func(*post.Post) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 0 || len(codes) < 2 || codes[len(codes)-1] != http.StatusNotModified {
		t.Errorf("second pass: %d posts, status codes %v; want 0 posts and a final 304", n, codes)
	}
}

func mustReq(url string, h http.Header) *http.Request {
	r, _ := http.NewRequest(http.MethodGet, url, nil)
	r.Header = h.Clone()
	return r
}

func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/atom.xml", "testdata/windows1258.xml"} {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`<rss><channel><item><title>a</title><guid>1</guid><pubDate>Mon, 02 Jan 2006 15:04:05 -0700</pubDate></item></channel></rss>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		items, err := Parse(b, "text/xml")
		if err != nil && !errors.Is(err, crawler.ErrParse) {
			t.Fatalf("error does not wrap ErrParse: %v", err)
		}
		for _, it := range items {
			_ = crawler.CleanText(crawler.HTMLToText(it.Content))
		}
	})
}

// follow_links replaces the description with the article body found by the selector;
// robots.txt still applies to article pages (a disallowed article keeps its description).
func TestFollowLinks(t *testing.T) {
	var srvURL string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			fmt.Fprint(w, "User-agent: *\nDisallow: /cam/\n")
		case "/feed.rss":
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprintf(w, `<rss version="2.0"><channel><item><title>Lũ ở miền Trung</title><link>%[1]s/bai/1.html</link><guid>1</guid><description>Tóm tắt ngắn.</description><pubDate>Fri, 20 Nov 2026 09:00:00 +0700</pubDate></item>
<item><title>Bài cấm</title><link>%[1]s/cam/2.html</link><guid>2</guid><description>Chỉ có mô tả.</description><pubDate>Fri, 20 Nov 2026 08:00:00 +0700</pubDate></item></channel></rss>`, srvURL)
		case "/bai/1.html":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<html><body><nav>Trang chủ</nav><article class="fck_detail"><p class="Normal">Nước lũ dâng cao ở Quảng Bình.</p><figure>ảnh</figure><p class="Normal">Hàng nghìn hộ dân phải sơ tán.</p><script>x()</script></article><div class="box_comment">bình luận</div></body></html>`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	srvURL = srv.URL
	s, err := New(Config{Common: crawler.Common{Name: "tin", AllowPrivate: true}, URL: srv.URL + "/feed.rss", FollowLinks: true}, crawlertest.Env())
	if err != nil {
		t.Fatal(err)
	}
	posts, _, err := crawlertest.Collect(context.Background(), s, crawler.Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 2 {
		t.Fatalf("got %d posts", len(posts))
	}
	if want := "Lũ ở miền Trung\n\nNước lũ dâng cao ở Quảng Bình.\n\nHàng nghìn hộ dân phải sơ tán."; posts[0].Text != want {
		t.Errorf("article text %q, want %q", posts[0].Text, want)
	}
	if !strings.Contains(posts[1].Text, "Chỉ có mô tả.") {
		t.Errorf("robots-disallowed article should keep the description: %q", posts[1].Text)
	}
}
