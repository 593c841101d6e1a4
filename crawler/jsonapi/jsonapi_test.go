package jsonapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/langnghe/langnghe/crawler"
	"github.com/langnghe/langnghe/crawler/crawlertest"
	"github.com/langnghe/langnghe/post"
)

func newSource(t *testing.T, cfg Config) *Source {
	t.Helper()
	cfg.Name = "binh-luan"
	cfg.AllowPrivate = true
	s, err := New(cfg, crawlertest.Env())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// commentsAPI is a small comments endpoint: newest first, 5 per page, ?page=N.
type commentsAPI struct {
	mu    sync.Mutex
	posts []*post.Post
}

func (a *commentsAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	ps := slices.Clone(a.posts)
	a.mu.Unlock()
	slices.SortFunc(ps, func(x, y *post.Post) int { return y.PublishedAt.Compare(x.PublishedAt) })
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	type item struct {
		ID      string `json:"id"`
		Body    string `json:"body"`
		User    string `json:"user"`
		Created int64  `json:"created"`
		Likes   int    `json:"likes"`
	}
	var items []item
	for i := (page - 1) * 5; i < len(ps) && i < page*5; i++ {
		items = append(items, item{ID: ps[i].ID[strings.LastIndexByte(ps[i].ID, ':')+1:], Body: ps[i].Text, User: ps[i].Author.ID, Created: ps[i].PublishedAt.Unix(), Likes: ps[i].Metrics.Likes})
	}
	json.NewEncoder(w).Encode(map[string]any{"result": map[string]any{"comments": items}})
}

func TestConformance(t *testing.T) {
	crawlertest.Run(t, crawlertest.Case{Platform: "comments", Setup: func(t *testing.T) (crawler.Source, func()) {
		api := &commentsAPI{posts: crawlertest.DemoPosts(t, "rss", 17)}
		srv := httptest.NewServer(api)
		t.Cleanup(srv.Close)
		n := 0
		s := newSource(t, Config{URL: srv.URL + "/api/comments?page={page}", Items: "result.comments", Platform: "comments",
			Fields: Fields{ID: "id", Text: "body", Author: "user", Published: "created", Likes: "likes"}, TimeFormat: "unix"})
		return s, func() {
			n++
			api.mu.Lock()
			api.posts = append(api.posts, crawlertest.NewDemoPost("rss", fmt.Sprint(777000+n)))
			api.mu.Unlock()
		}
	}})
}

func serve(t *testing.T, body []byte) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// The shape of VnExpress's comment API (usi-saas.vnexpress.net): HTML content with a
// reply_name span, replies nested under replys.items, Unix creation_time.
func TestVnExpressCommentsShape(t *testing.T) {
	b, err := os.ReadFile("testdata/vnexpress_comments.json")
	if err != nil {
		t.Fatal(err)
	}
	base := serve(t, b)
	posts, _ := crawlertest.Fetch(t, newSource(t, Config{URL: base + "/index/get?objectid=4219024&objecttype=1&siteid=1000000&offset=0&limit=25",
		Items: "data.items", Children: "replys.items", TextHTML: true, Platform: "comments", TimeFormat: "unix",
		Fields: Fields{ID: "comment_id", Text: "content", Author: "userid", Published: "creation_time", Likes: "userlike"}}), crawler.Cursor{})
	if len(posts) != 3 {
		t.Fatalf("got %d comments, want 2 top-level and 1 reply", len(posts))
	}
	if posts[0].Text != "Mong các cơ quan chức năng sớm kiểm tra đường dây lừa đảo này.\nNhà tôi cũng từng nhận cuộc gọi giả danh công an." {
		t.Errorf("text %q", posts[0].Text)
	}
	if posts[1].ID != post.MakeID("comments", "127.0.0.1", "38190015") || !strings.HasPrefix(posts[1].Text, "Nguyễn Văn A Đúng vậy") {
		t.Errorf("reply: %s %q", posts[1].ID, posts[1].Text)
	}
	if posts[0].Metrics.Likes != 12 || posts[0].PublishedAt.Unix() != 1610433000 {
		t.Errorf("likes %d published %s", posts[0].Metrics.Likes, posts[0].PublishedAt)
	}
	for _, p := range posts {
		if strings.Contains(p.Author.ID, "100") {
			t.Errorf("author not pseudonymized: %q", p.Author.ID)
		}
	}
}

// A real Reddit listing (go-reddit's 2020 search capture): data.children[].data.*,
// created_utc as a float, relative permalinks, data.after as the cursor.
func TestRedditListing(t *testing.T) {
	b, err := os.ReadFile(crawlertest.SharedFixture(t, "reddit/goreddit_subreddit_search-posts.json"))
	if err != nil {
		t.Fatal(err)
	}
	var probe struct {
		Data struct {
			Children []any `json:"children"`
			After    string
		}
	}
	json.Unmarshal(b, &probe)
	cfg := Config{Items: "data.children", NextCursor: "data.after", Platform: "reddit",
		Fields: Fields{ID: "data.name", Title: "data.title", Text: "data.title", Author: "data.author", Published: "data.created_utc", URL: "data.permalink", Likes: "data.ups", Replies: "data.num_comments"}}
	items, next, err := Extract(b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != len(probe.Data.Children) || len(items) == 0 {
		t.Fatalf("extracted %d items, the listing has %d", len(items), len(probe.Data.Children))
	}
	if next != probe.Data.After {
		t.Errorf("next cursor %q, want %q", next, probe.Data.After)
	}
	base := serve(t, b)
	cfg.URL = base + "/r/x/search.json?after={cursor}"
	cfg.MaxPages = 1
	posts, _ := crawlertest.Fetch(t, newSource(t, cfg), crawler.Cursor{})
	if len(posts) != len(items) {
		t.Fatalf("got %d posts", len(posts))
	}
	for _, p := range posts {
		if p.PublishedAt.Year() < 2015 || !strings.HasPrefix(p.URL, base+"/r/") {
			t.Errorf("%s: published %s url %q", p.ID, p.PublishedAt, p.URL)
		}
	}
}

func TestBadResponses(t *testing.T) {
	cfg := Config{Items: "data.items", Fields: Fields{ID: "id", Text: "t"}}
	for _, b := range []string{`{"data":{"items":{}}}`, `<html>`, `{"data":`, `[1,2]`} {
		if _, _, err := Extract([]byte(b), cfg); !errors.Is(err, crawler.ErrParse) {
			t.Errorf("Extract(%q) = %v, want ErrParse", b, err)
		}
	}
	// An API that returns the same cursor forever stops after one repeat.
	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		fmt.Fprintf(w, `{"items":[{"id":"%d","t":"bài %d"}],"next":"same"}`, hits, hits)
	}))
	defer srv.Close()
	s := newSource(t, Config{URL: srv.URL + "/x?c={cursor}", Items: "items", NextCursor: "next", Fields: Fields{ID: "id", Text: "t"}, Common: crawler.Common{MaxPages: 50}})
	crawlertest.Fetch(t, s, crawler.Cursor{})
	if hits > 3 {
		t.Errorf("endless cursor loop made %d requests", hits)
	}
	if _, err := New(Config{Common: crawler.Common{Name: "x"}, URL: "http://a/?c={cursor}", Fields: Fields{ID: "id", Text: "t"}}, crawlertest.Env()); !errors.Is(err, crawler.ErrConfig) {
		t.Errorf("{cursor} without next_cursor: %v", err)
	}
}

func FuzzExtract(f *testing.F) {
	if b, err := os.ReadFile("testdata/vnexpress_comments.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"data":{"items":[{"comment_id":1,"content":"<b>x","replys":{"items":[{"comment_id":2,"content":"y"}]}}]}}`))
	cfg := Config{Items: "data.items", Children: "replys.items", TextHTML: true, Fields: Fields{ID: "comment_id", Text: "content", Published: "creation_time", Likes: "userlike"}}
	f.Fuzz(func(t *testing.T, b []byte) {
		items, _, err := Extract(b, cfg)
		if err != nil && !errors.Is(err, crawler.ErrParse) {
			t.Fatalf("unexpected error: %v", err)
		}
		for _, it := range items {
			if it.ID == "" || it.Text == "" || it.Likes < 0 {
				t.Fatalf("bad item %+v", it)
			}
		}
	})
}
