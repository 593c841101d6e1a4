package html

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/langnghe/langnghe/crawler"
	"github.com/langnghe/langnghe/crawler/crawlertest"
	"github.com/langnghe/langnghe/post"
)

// condForum is a small XenForo-like forum that answers conditional requests: the thread
// list carries an ETag, thread pages a Last-Modified; a request whose validator matches
// the current one gets 304. Every request is logged with the validators it carried.
type condForum struct {
	mu      sync.Mutex
	version int                 // bumps the list's ETag
	threads map[string][]string // page path -> post ids on it
	lastMod map[string]time.Time
	next    map[string]string
	log     []condReq
	ts      int64
}

type condReq struct {
	Path, IfNoneMatch, IfModifiedSince string
	Status                             int
}

func (r condReq) String() string {
	return fmt.Sprintf("%s inm=%q ims=%t -> %d", r.Path, r.IfNoneMatch, r.IfModifiedSince != "", r.Status)
}

const condList = "/forums/tin-tuc.7/"

func newCondForum() *condForum {
	t0 := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	return &condForum{
		version: 1,
		threads: map[string][]string{"/t/a.1/": {"101"}, "/t/a.1/page-2": {"102"}, "/t/b.2/": {"201"}},
		lastMod: map[string]time.Time{"/t/a.1/": t0, "/t/a.1/page-2": t0, "/t/b.2/": t0},
		next:    map[string]string{"/t/a.1/": "/t/a.1/page-2"},
		ts:      time.Now().Add(-time.Hour).Unix(),
	}
}

// addPost adds a post to a thread page and moves the thread up the list (a new ETag).
func (f *condForum) addPost(page, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.threads[page] = append(f.threads[page], id)
	f.lastMod[page] = f.lastMod[page].Add(time.Hour)
	f.version++
}

func (f *condForum) takeLog() []condReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.log
	f.log = nil
	return l
}

func (f *condForum) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.URL.Path == "/robots.txt" {
		http.NotFound(w, r)
		return
	}
	req := condReq{Path: r.URL.Path, IfNoneMatch: r.Header.Get("If-None-Match"), IfModifiedSince: r.Header.Get("If-Modified-Since")}
	defer func() { f.log = append(f.log, req) }()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	var b strings.Builder
	if r.URL.Path == condList {
		etag := fmt.Sprintf(`"list-v%d"`, f.version)
		w.Header().Set("ETag", etag)
		if req.IfNoneMatch == etag {
			req.Status = http.StatusNotModified
			w.WriteHeader(req.Status)
			return
		}
		b.WriteString(`<html><head><title>Tin tức</title></head><body>`)
		for _, t := range []string{"/t/a.1/", "/t/b.2/"} {
			fmt.Fprintf(&b, `<div class="structItem structItem--thread"><div class="structItem-title"><a href="%s" data-tp-primary="on">Chủ đề</a></div></div>`, t)
		}
		b.WriteString(`</body></html>`)
		req.Status = http.StatusOK
		w.Write([]byte(b.String()))
		return
	}
	ids, ok := f.threads[r.URL.Path]
	if !ok {
		req.Status = http.StatusNotFound
		http.NotFound(w, r)
		return
	}
	lm := f.lastMod[r.URL.Path].Format(http.TimeFormat)
	w.Header().Set("Last-Modified", lm)
	if req.IfModifiedSince == lm {
		req.Status = http.StatusNotModified
		w.WriteHeader(req.Status)
		return
	}
	b.WriteString(`<html><head><title>Cảnh báo lừa đảo</title>`)
	if n := f.next[r.URL.Path]; n != "" {
		fmt.Fprintf(&b, `<link rel="next" href="%s">`, n)
	}
	b.WriteString(`</head><body><h1 class="p-title-value">Cảnh báo lừa đảo chuyển khoản</h1>`)
	for i, id := range ids {
		fmt.Fprintf(&b, `<article class="message message--post" data-author="thanh-vien-%s" data-content="post-%s">`+
			`<header class="message-attribution"><time data-timestamp="%d"></time></header>`+
			`<div class="message-body"><div class="bbWrapper">Bài số %s: có người gọi điện giả danh ngân hàng.</div></div></article>`,
			id, id, f.ts+int64(i), id)
	}
	b.WriteString(`</body></html>`)
	req.Status = http.StatusOK
	w.Write([]byte(b.String()))
}

// The forum source sends If-None-Match / If-Modified-Since from the validators its
// cursor kept, takes a 304 as "nothing new" (no error, no posts), and still walks on from
// an unchanged first thread page to the thread's changed last page.
func TestConditionalRequests(t *testing.T) {
	f := newCondForum()
	srv := httptest.NewServer(f)
	defer srv.Close()
	s := newXF(t, srv.URL+condList)

	passes := []struct {
		name   string
		change func()
		want   []string // requests in order: path, validators sent, status
		posts  []string // native ids emitted
	}{{
		name: "first pass: no validators yet, everything fetched",
		want: []string{
			condList + ` inm="" ims=false -> 200`,
			`/t/a.1/ inm="" ims=false -> 200`,
			`/t/b.2/ inm="" ims=false -> 200`,
			`/t/a.1/page-2 inm="" ims=false -> 200`,
		},
		posts: []string{"101", "201", "102"},
	}, {
		name: "nothing changed: the list answers 304, nothing else is fetched",
		want: []string{condList + ` inm="\"list-v1\"" ims=false -> 304`},
	}, {
		name:   "a reply on page 2 of thread a: page 1 and thread b answer 304, page 2 is fetched",
		change: func() { f.addPost("/t/a.1/page-2", "103") },
		want: []string{
			condList + ` inm="\"list-v1\"" ims=false -> 200`,
			`/t/a.1/ inm="" ims=true -> 304`,
			`/t/b.2/ inm="" ims=true -> 304`,
			`/t/a.1/page-2 inm="" ims=true -> 200`,
		},
		posts: []string{"103"},
	}, {
		name: "nothing changed again: the list's new ETag was kept",
		want: []string{condList + ` inm="\"list-v2\"" ims=false -> 304`},
	}}
	var cur crawler.Cursor
	for i, p := range passes {
		if p.change != nil {
			p.change()
		}
		var got []string
		next, err := s.Fetch(context.Background(), cur, func(x *post.Post) error {
			got = append(got, x.URL[strings.LastIndex(x.URL, "post-")+len("post-"):])
			return nil
		})
		if err != nil {
			t.Fatalf("pass %d (%s): %v", i+1, p.name, err)
		}
		var reqs []string
		for _, r := range f.takeLog() {
			reqs = append(reqs, r.String())
		}
		if !slices.Equal(reqs, p.want) {
			t.Errorf("pass %d (%s): requests\n  %s\nwant\n  %s", i+1, p.name, strings.Join(reqs, "\n  "), strings.Join(p.want, "\n  "))
		}
		if !slices.Equal(got, p.posts) {
			t.Errorf("pass %d (%s): posts %v, want %v", i+1, p.name, got, p.posts)
		}
		cur = next
	}
	if n := len(cur.Validators); n != 4 {
		t.Errorf("cursor keeps %d validators, want 4 (list + 3 thread pages): %v", n, cur.Validators)
	}
}

// Only the start pages and the newest thread_validators other pages keep validators.
func TestConditionalValidatorsBounded(t *testing.T) {
	f := newCondForum()
	srv := httptest.NewServer(f)
	defer srv.Close()
	list := srv.URL + condList
	s, err := New(Config{Common: crawler.Common{Name: "dien-dan", Kind: KindXenForo, AllowPrivate: true}, URLs: []string{list}, ThreadValidators: 1}, crawlertest.Env())
	if err != nil {
		t.Fatal(err)
	}
	cur, err := s.Fetch(context.Background(), crawler.Cursor{}, func(*post.Post) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cur.Validators[list]; !ok || len(cur.Validators) != 2 {
		t.Errorf("validators %v: want the list page and one thread page", cur.Validators)
	}
}
