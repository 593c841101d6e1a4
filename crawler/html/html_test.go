package html

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/langnghe/langnghe/crawler"
	"github.com/langnghe/langnghe/crawler/crawlertest"
	"github.com/langnghe/langnghe/crawler/demosite"
	"github.com/langnghe/langnghe/post"
)

func newXF(t *testing.T, urls ...string) *Source {
	t.Helper()
	s, err := New(Config{Common: crawler.Common{Name: "dien-dan", Kind: KindXenForo, AllowPrivate: true}, URLs: urls}, crawlertest.Env())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	crawlertest.Run(t, crawlertest.Case{Platform: "forum", Setup: func(t *testing.T) (crawler.Source, func()) {
		site, base := crawlertest.DemoSite(t, crawlertest.DemoPosts(t, "forum", 40))
		n := 0
		return newXF(t, base+demosite.ForumPath), func() {
			n++
			site.Add(crawlertest.NewDemoPost("forum", fmt.Sprintf("t-3079-p-%d", 900+n)))
		}
	}})
}

func file(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A XenForo 2 thread (our fixture): posts with data-author, data-timestamp, .bbWrapper,
// a quote that must not be counted as the replier's text, a smilie, a script, rel=next.
func TestXenForoThread(t *testing.T) {
	pages := map[string][]byte{
		"/t/hoi-ve-lua-dao-chuyen-khoan.4242/":       file(t, "testdata/xenforo_thread.html"),
		"/t/hoi-ve-lua-dao-chuyen-khoan.4242/page-2": file(t, "testdata/xenforo_thread_page2.html"),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(b)
	}))
	defer srv.Close()
	posts, _ := crawlertest.Fetch(t, newXF(t, srv.URL+"/t/hoi-ve-lua-dao-chuyen-khoan.4242/"), crawler.Cursor{})
	if len(posts) != 4 {
		t.Fatalf("got %d posts, want 3 on page 1 and 1 on page 2", len(posts))
	}
	want := []struct {
		id, text, notText string
		unix              int64
	}{
		{post.MakeID("forum", "127.0.0.1", "900001"), "yêu cầu chuyển khoản trước phí nhận quà không?\nMình thấy nghi lắm :confused:", "", 1763601300},
		{post.MakeID("forum", "127.0.0.1", "900002"), "Lừa đảo đấy bác, đừng chuyển đồng nào. Báo ngay cho ngân hàng & công an phường.", "said:", 1763602800},
		{post.MakeID("forum", "127.0.0.1", "900003"), "giả danh nhân viên ngân hàng tuần trước.", "document.write", 1763604300},
		{post.MakeID("forum", "127.0.0.1", "900010"), "đã báo ngân hàng khóa thẻ", "", 1763694000},
	}
	for i, w := range want {
		p := posts[i]
		if p.ID != w.id {
			t.Errorf("post %d id %q, want %q", i, p.ID, w.id)
		}
		if !strings.Contains(p.Text, w.text) {
			t.Errorf("post %s text %q lacks %q", p.ID, p.Text, w.text)
		}
		if w.notText != "" && strings.Contains(p.Text, w.notText) {
			t.Errorf("post %s text %q contains %q", p.ID, p.Text, w.notText)
		}
		if p.PublishedAt.Unix() != w.unix {
			t.Errorf("post %s published %s, want unix %d", p.ID, p.PublishedAt, w.unix)
		}
		if !strings.HasSuffix(p.URL, fmt.Sprintf("/post-%d", 900001+[]int{0, 1, 2, 9}[i])) {
			t.Errorf("post %s url %q", p.ID, p.URL)
		}
		if p.Title != "Hỏi về lừa đảo chuyển khoản qua mạng" {
			t.Errorf("post %s title %q", p.ID, p.Title)
		}
		if p.Author.ID == "" || strings.Contains(p.Author.ID, "nguoidung") {
			t.Errorf("post %s author %q not pseudonymized", p.ID, p.Author.ID)
		}
	}
	if strings.Contains(posts[1].Text, "Có ai nhận được") {
		t.Errorf("quoted text counted as the reply's: %q", posts[1].Text)
	}
}

// The real voz.vn thread list of 2020 (logged-in capture): the preset finds all 23 thread
// links, absolute, without XenForo's /unread suffix, and the next page.
func TestVozForumListFixtures(t *testing.T) {
	for _, tc := range []struct {
		file, page, next string
		links            int
	}{
		{"forum-html/voz_2020_forum_view_diem-bao.33.html", "https://voz.vn/f/diem-bao.33/", "https://voz.vn/f/diem-bao.33/page-2", 23},
		{"forum-html/voz_2020_forum_view_may-tinh-de-ban.68_page-14.html", "https://voz.vn/f/may-tinh-de-ban.68/page-14", "https://voz.vn/f/may-tinh-de-ban.68/page-15", 20},
		{"forum-html/voz_2020_whats_new_posts.html", "https://voz.vn/whats-new/posts/680543/", "https://voz.vn/whats-new/posts/680543/page-2", 20},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b := file(t, crawlertest.SharedFixture(t, tc.file))
			doc, err := goquery.NewDocumentFromReader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(tc.page)
			page := Extract(doc.Selection, u, XenForo, regexp.MustCompile(XenForo.LinkTrim))
			if len(page.Links) != tc.links {
				t.Errorf("found %d thread links, want %d: %v", len(page.Links), tc.links, page.Links)
			}
			for _, l := range page.Links {
				if !strings.HasPrefix(l, "https://voz.vn/t/") || strings.HasSuffix(l, "unread") {
					t.Errorf("thread link %q not absolute or kept /unread", l)
				}
			}
			if page.Next != tc.next {
				t.Errorf("next %q, want %q", page.Next, tc.next)
			}
			if len(page.Posts) != 0 {
				t.Errorf("a thread list yielded %d posts", len(page.Posts))
			}
		})
	}
}

// Crawling the real listing through a local server follows the thread links (bounded by
// max_links) into thread pages and emits their posts.
func TestVozListToThreads(t *testing.T) {
	list := file(t, crawlertest.SharedFixture(t, "forum-html/voz_2020_forum_view_diem-bao.33.html"))
	thread := file(t, "testdata/xenforo_thread_page2.html")
	var mu sync.Mutex
	var threads []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch {
		case r.URL.Path == "/f/diem-bao.33/":
			w.Write(list)
		case strings.HasPrefix(r.URL.Path, "/t/"):
			mu.Lock()
			threads = append(threads, r.URL.Path)
			mu.Unlock()
			w.Write(bytes.ReplaceAll(thread, []byte("900010"), []byte(fmt.Sprint(len(threads)))))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	s, err := New(Config{Common: crawler.Common{Name: "voz", AllowPrivate: true, MaxPages: 1}, Preset: KindXenForo, URLs: []string{srv.URL + "/f/diem-bao.33/"}, MaxLinks: 5}, crawlertest.Env())
	if err != nil {
		t.Fatal(err)
	}
	posts, _ := crawlertest.Fetch(t, s, crawler.Cursor{})
	if len(threads) != 5 || len(posts) != 5 {
		t.Errorf("followed %d threads and emitted %d posts, want 5 and 5 (max_links)", len(threads), len(posts))
	}
}

func TestBadPages(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/json":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"a":1}`)
		case "/truncated":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<html><body><article class="message message--post" data-content="post-1" data-author="x"><div class="bbWrapper">nửa bài`)
		case "/loop": // endless pagination: next points to itself with a new query each time
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, `<html><head><link rel="next" href="/loop?p=%s1"></head><body></body></html>`, r.URL.Query().Get("p"))
		case "/gone":
			http.Error(w, "gone", http.StatusGone)
		}
	}))
	defer srv.Close()
	run := func(path string, maxPages int) ([]*post.Post, error) {
		s, err := New(Config{Common: crawler.Common{Name: "x", Kind: KindXenForo, AllowPrivate: true, MaxPages: maxPages}, URLs: []string{srv.URL + path}, MaxLinks: 1}, crawlertest.Env())
		if err != nil {
			t.Fatal(err)
		}
		var out []*post.Post
		_, err = s.Fetch(context.Background(), crawler.Cursor{}, func(p *post.Post) error { out = append(out, p); return nil })
		return out, err
	}
	if _, err := run("/json", 1); !errors.Is(err, crawler.ErrParse) {
		t.Errorf("JSON instead of HTML: %v, want ErrParse", err)
	}
	if ps, err := run("/truncated", 1); err != nil || len(ps) != 1 || ps[0].Text != "nửa bài" {
		t.Errorf("truncated page: %v, %v; want the one readable post", ps, err)
	}
	if _, err := run("/loop", 3); err != nil {
		t.Errorf("endless pagination should stop at max_pages without error: %v", err)
	}
	if _, err := run("/gone", 1); !errors.Is(err, crawler.ErrHTTPStatus) {
		t.Errorf("410: %v, want ErrHTTPStatus", err)
	}
	if _, err := New(Config{Common: crawler.Common{Name: "x"}, URLs: []string{"http://a/"}, Rules: Rules{Post: "article[["}}, crawlertest.Env()); !errors.Is(err, crawler.ErrConfig) {
		t.Errorf("bad selector: %v, want ErrConfig", err)
	}
}

func FuzzExtract(f *testing.F) {
	for _, p := range []string{"testdata/xenforo_thread.html", "testdata/xenforo_thread_page2.html"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`<article class="message--post" data-content="post-1"><time data-timestamp="99999999999999999999"></time><div class="bbWrapper"><<<</div></article>`))
	u, _ := url.Parse("https://dien-dan.example/t/x.1/")
	trim := regexp.MustCompile(XenForo.LinkTrim)
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := goquery.NewDocumentFromReader(bytes.NewReader(b))
		if err != nil {
			return
		}
		page := Extract(doc.Selection, u, XenForo, trim)
		for _, p := range page.Posts {
			if p.ID == "" || p.Text == "" {
				t.Fatalf("extracted a post without id or text: %+v", p)
			}
		}
	})
}

// A news section lists articles; each article page carries its id and its reader
// comments come from a JSON endpoint (the VnExpress shape, our fixture): comments and
// their nested replies become posts whose thread_url is the article.
func TestNewsCommentsPreset(t *testing.T) {
	comments := file(t, "../jsonapi/testdata/vnexpress_comments.json")
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/thoi-su":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<html><body><article class="item-news"><h3 class="title-news"><a href="/lua-dao-4219024.html">Cảnh báo lừa đảo</a></h3></article><article class="item-news"><h3 class="title-news"><a href="/khong-binh-luan.html">Bài không có id</a></h3></article></body></html>`)
		case r.URL.Path == "/lua-dao-4219024.html":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<html><head><meta name="tt_article_id" content="4219024"></head><body><h1 class="title-detail">Cảnh báo lừa đảo qua điện thoại</h1></body></html>`)
		case r.URL.Path == "/khong-binh-luan.html":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<html><body><h1>Không có bình luận</h1></body></html>`)
		case r.URL.Path == "/index/get":
			asked = append(asked, r.URL.Query().Get("objectid"))
			w.Header().Set("Content-Type", "application/json")
			w.Write(comments)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	cm := *VnExpress.Comments
	cm.URL = srv.URL + "/index/get?objectid={id}&objecttype=1&siteid=1000000&offset=0&limit=100"
	s, err := New(Config{Common: crawler.Common{Name: "binh-luan", Kind: KindVnExpress, AllowPrivate: true}, URLs: []string{srv.URL + "/thoi-su"}, Comments: &cm}, crawlertest.Env())
	if err != nil {
		t.Fatal(err)
	}
	var got []*post.Post
	cur, err := s.Fetch(context.Background(), crawler.Cursor{}, func(p *post.Post) error { got = append(got, p); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || strings.Join(asked, ",") != "4219024" {
		t.Fatalf("got %d comments, endpoint asked for %v; want 3 comments of article 4219024", len(got), asked)
	}
	for _, p := range got {
		if p.Platform != "comments" || p.ThreadURL != srv.URL+"/lua-dao-4219024.html" || p.Title != "Cảnh báo lừa đảo qua điện thoại" {
			t.Errorf("comment %s: platform %q thread %q title %q", p.ID, p.Platform, p.ThreadURL, p.Title)
		}
	}
	if got[1].Text != "Nguyễn Văn A Đúng vậy, mọi người nên báo ngay cho ngân hàng." {
		t.Errorf("reply text %q", got[1].Text)
	}
	var again int
	if _, err := s.Fetch(context.Background(), cur, func(*post.Post) error { again++; return nil }); err != nil || again != 0 {
		t.Errorf("second pass: %d comments, %v; want 0", again, err)
	}
}

// Legacy encodings: a Windows-1258 page that declares its charset only in <meta> (colly
// ignores that), a .VnTime (TCVN3/ABC) page mislabelled windows-1252, read with
// `encoding: tcvn3`, and a VNI-Times page (hand-written, testdata/vni.html) read with
// `encoding: vni-windows`. All come out as NFC UTF-8.
func TestLegacyEncodings(t *testing.T) {
	pages := map[string]struct {
		file, ctype string
	}{
		"/cp1258": {"testdata/windows1258.html", "text/html"},
		"/tcvn3":  {"testdata/tcvn3.html", "text/html; charset=windows-1252"},
		"/vni":    {"testdata/vni.html", "text/html; charset=windows-1252"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pg, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", pg.ctype)
		w.Write(file(t, pg.file))
	}))
	defer srv.Close()
	rules := Rules{Post: ".tin", ID: Field{Attr: "data-id"}, Time: Field{Selector: "time"}, Text: Field{Selector: ".nd"}, Title: "title"}
	for path, tc := range map[string]struct{ enc, want, title string }{
		"/cp1258": {"", "Nước lũ dâng cao ở Quảng Bình, người dân sơ tán khẩn cấp.", "Báo cũ"},
		"/tcvn3":  {"tcvn3", "nước lũ dâng cao ở quảng bình, người dân sơ tán khẩn cấp.", "bản tin cũ"},
		"/vni":    {"vni-windows", "Nước lũ dâng cao ở Quảng Bình, người dân sơ tán khẩn cấp.", "Bản tin cũ"},
	} {
		s, err := New(Config{Common: crawler.Common{Name: "cu", AllowPrivate: true, Encoding: tc.enc}, URLs: []string{srv.URL + path}, Rules: rules}, crawlertest.Env())
		if err != nil {
			t.Fatal(err)
		}
		posts, _ := crawlertest.Fetch(t, s, crawler.Cursor{})
		if len(posts) != 1 || posts[0].Text != tc.want || posts[0].Title != tc.title {
			for _, p := range posts {
				t.Logf("got text %q title %q", p.Text, p.Title)
			}
			t.Errorf("%s: got %d posts, want text %q title %q", path, len(posts), tc.want, tc.title)
		}
	}
	if _, err := New(Config{Common: crawler.Common{Name: "x", Encoding: "vn5"}, URLs: []string{"http://a/"}, Rules: rules}, crawlertest.Env()); !errors.Is(err, crawler.ErrConfig) {
		t.Errorf("encoding vn5: %v, want ErrConfig (unknown)", err)
	}
}

// Detection: the same .VnTime page with no `encoding:` configured. Colly reads it as the
// windows-1252 it claims to be ("n\u00adíc l\u00f2"); the Runner's FixPostText
// (vntext.DetectLegacy) recognises TCVN3 in the extracted title and text and converts
// them before the posts reach the sink. A Unicode page in the same pass is left alone.
func TestLegacyDetected(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/tcvn3":
			w.Header().Set("Content-Type", "text/html; charset=windows-1252")
			w.Write(file(t, "testdata/tcvn3.html"))
		case "/cp1258":
			w.Header().Set("Content-Type", "text/html")
			w.Write(file(t, "testdata/windows1258.html"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	rules := Rules{Post: ".tin", ID: Field{Attr: "data-id"}, Time: Field{Selector: "time"}, Text: Field{Selector: ".nd"}, Title: "title"}
	var scheduled []crawler.Scheduled
	for _, path := range []string{"/tcvn3", "/cp1258"} {
		s, err := New(Config{Common: crawler.Common{Name: "cu" + path[1:], AllowPrivate: true}, URLs: []string{srv.URL + path}, Rules: rules}, crawlertest.Env())
		if err != nil {
			t.Fatal(err)
		}
		scheduled = append(scheduled, crawler.Scheduled{Source: s, Kind: "html"})
	}
	var got []*post.Post
	sink := crawler.SinkFunc(func(_ context.Context, ps []*post.Post) error { got = append(got, ps...); return nil })
	r := crawler.NewRunner(scheduled, crawler.NewMemCursors(), sink)
	for _, sc := range scheduled {
		if _, err := r.Pass(context.Background(), sc); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string][2]string{
		"cutcvn3":  {"nước lũ dâng cao ở quảng bình, người dân sơ tán khẩn cấp.", "bản tin cũ"},
		"cucp1258": {"Nước lũ dâng cao ở Quảng Bình, người dân sơ tán khẩn cấp.", "Báo cũ"},
	}
	if len(got) != 2 {
		t.Fatalf("got %d posts, want 2", len(got))
	}
	for _, p := range got {
		if w := want[p.Source]; p.Text != w[0] || p.Title != w[1] {
			t.Errorf("%s: text %q title %q; want %q, %q", p.Source, p.Text, p.Title, w[0], w[1])
		}
	}
}

// A configured encoding is decoded in the transport, so the UTF-8 colly reads is longer
// than the raw body (up to 3 bytes per byte): a TCVN3 page under max_body must come
// through whole, not cut silently at max_body bytes of UTF-8.
func TestLegacyEncodingBodyCap(t *testing.T) {
	body := []byte(`<html><head><title>t</title></head><body><div class="tin" data-id="dai-1"><time>2026-11-20T09:00:00+07:00</time><p class="nd">`)
	body = append(body, bytes.Repeat([]byte("b\xb6 "), 800)...) // "bả ": 3 bytes in, 5 out
	body = append(body, "h\xd5t.</p></div></body></html>"...)   // "hết."
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=windows-1252")
		w.Write(body)
	}))
	defer srv.Close()
	rules := Rules{Post: ".tin", ID: Field{Attr: "data-id"}, Time: Field{Selector: "time"}, Text: Field{Selector: ".nd"}}
	s, err := New(Config{Common: crawler.Common{Name: "dai", AllowPrivate: true, Encoding: "tcvn3", MaxBody: int64(len(body)) + 100}, URLs: []string{srv.URL + "/"}, Rules: rules}, crawlertest.Env())
	if err != nil {
		t.Fatal(err)
	}
	posts, _ := crawlertest.Fetch(t, s, crawler.Cursor{})
	if len(posts) != 1 || !strings.HasSuffix(posts[0].Text, "bả hết.") || strings.Count(posts[0].Text, "bả") != 800 {
		for _, p := range posts {
			t.Logf("text ends %q, %d × bả", p.Text[max(0, len(p.Text)-40):], strings.Count(p.Text, "bả"))
		}
		t.Errorf("got %d posts, want 1 whose text is 800 × bả then hết.", len(posts))
	}
}
