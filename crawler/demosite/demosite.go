// Package demosite is a small local website that publishes posts the way real sources do:
// an RSS feed (like a news site), a XenForo-like forum (thread list and paginated thread
// pages) and a Mastodon-like API (tag timeline with since_id/max_id and Link headers).
// `langnghe run --demo` crawls it with the real crawler, and the sources' conformance
// tests use it as the site that changes between passes.
package demosite

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/langnghe/langnghe/post"
)

// Paths of the site's sources.
const (
	FeedPath          = "/rss/tin-tuc.rss"
	ForumPath         = "/forum/"
	MastodonTag       = "tintuc"
	MastodonPath      = "/api/v1/timelines/tag/" + MastodonTag
	BlueskySearchPath = "/xrpc/app.bsky.feed.searchPosts"
	// PostsPerThreadPage is the forum page size.
	PostsPerThreadPage = 10
)

// Site serves posts grouped by platform: "rss" posts in the feed, "forum" posts in the
// forum (native ids of the form t-<thread>-p-<n>), "bluesky" posts on a Bluesky-like
// searchPosts endpoint, everything else on the Mastodon API.
// Safe for concurrent use; Add publishes more posts.
type Site struct {
	mu    sync.RWMutex
	posts []*post.Post
	mux   *http.ServeMux
}

// New returns a site serving posts. Their times are kept as given.
func New(posts []*post.Post) *Site {
	s := &Site{mux: http.NewServeMux()}
	for _, p := range posts {
		s.add(p)
	}
	s.mux.HandleFunc("GET /robots.txt", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "User-agent: *\nDisallow: /private/\n")
	})
	s.mux.HandleFunc("GET "+FeedPath, s.feed)
	s.mux.HandleFunc("GET "+ForumPath, s.forumList)
	s.mux.HandleFunc("GET /forum/t/{slug}/{page...}", s.thread)
	s.mux.HandleFunc("GET "+MastodonPath, s.mastodon)
	s.mux.HandleFunc("GET "+BlueskySearchPath, s.bluesky)
	return s
}

// ShiftToNow moves every post's times so the newest is an hour before now (the demo then
// looks like the last two weeks whatever day it runs).
func ShiftToNow(posts []*post.Post, now time.Time) {
	var newest time.Time
	for _, p := range posts {
		if p.PublishedAt.After(newest) {
			newest = p.PublishedAt
		}
	}
	shift := now.Add(-time.Hour).Sub(newest).Truncate(time.Hour)
	for _, p := range posts {
		p.PublishedAt = p.PublishedAt.Add(shift)
		p.FetchedAt = p.FetchedAt.Add(shift)
	}
}

// Add publishes one more post.
func (s *Site) Add(p *post.Post) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.add(p)
}

func (s *Site) add(p *post.Post) {
	cp := *p
	s.posts = append(s.posts, &cp)
}

// ServeHTTP implements http.Handler.
func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Native returns the platform's own id from a demo post's id "platform:site:native" (the
// form of the demo data the site serves; crawled post ids are hashed, see post.MakeID).
func Native(id string) string {
	parts := strings.SplitN(id, ":", 3)
	if len(parts) < 3 {
		return id
	}
	return parts[2]
}

func (s *Site) byPlatform(match func(string) bool) []*post.Post {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*post.Post
	for _, p := range s.posts {
		if match(p.Platform) {
			out = append(out, p)
		}
	}
	return out
}

func base(r *http.Request) string { return "http://" + r.Host }

// feed serves RSS 2.0 with ETag, newest first, at most 50 items.
func (s *Site) feed(w http.ResponseWriter, r *http.Request) {
	ps := s.byPlatform(func(p string) bool { return p == "rss" })
	slices.SortFunc(ps, func(a, b *post.Post) int { return b.PublishedAt.Compare(a.PublishedAt) })
	if len(ps) > 50 {
		ps = ps[:50]
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:slash="http://purl.org/rss/1.0/modules/slash/"><channel><title>Tin tức demo</title>`)
	fmt.Fprintf(&b, "<link>%s/</link><description>Trang tin mẫu / demo news</description>\n", base(r))
	for _, p := range ps {
		n := Native(p.ID)
		title, _, _ := strings.Cut(p.Text, ".")
		fmt.Fprintf(&b, "<item><title>%s</title><link>%s/bai/%s</link><guid isPermaLink=\"false\">%s</guid><description><![CDATA[<p>%s</p>]]></description><pubDate>%s</pubDate><dc:creator>%s</dc:creator><slash:comments>%d</slash:comments></item>\n",
			html.EscapeString(crop(title, 80)), base(r), n, n, strings.ReplaceAll(html.EscapeString(p.Text), "]]>", ""), p.PublishedAt.Format(time.RFC1123Z), html.EscapeString(p.Author.ID), p.Metrics.Replies)
	}
	b.WriteString("</channel></rss>\n")
	body := b.String()
	sum := sha256.Sum256([]byte(body))
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	fmt.Fprint(w, body)
}

func crop(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// threadOf splits a forum native id "t-3079-p-7" into thread "3079" and post number 7.
func threadOf(native string) (string, int) {
	var t string
	var n int
	if _, err := fmt.Sscanf(strings.ReplaceAll(native, "-", " "), "t %s p %d", &t, &n); err != nil {
		return "0", 0
	}
	return t, n
}

func (s *Site) threads() map[string][]*post.Post {
	out := map[string][]*post.Post{}
	for _, p := range s.byPlatform(func(p string) bool { return p == "forum" }) {
		t, _ := threadOf(Native(p.ID))
		out[t] = append(out[t], p)
	}
	for _, ps := range out {
		slices.SortFunc(ps, func(a, b *post.Post) int {
			return cmp.Or(a.PublishedAt.Compare(b.PublishedAt), strings.Compare(a.ID, b.ID))
		})
	}
	return out
}

const pageHead = `<!DOCTYPE html><html lang="vi" data-template="%s"><head><meta charset="utf-8"><title>%s | Diễn đàn demo</title>%s</head><body><div class="p-body-content">`

// forumList serves the XenForo-like thread list.
func (s *Site) forumList(w http.ResponseWriter, r *http.Request) {
	th := s.threads()
	ids := make([]string, 0, len(th))
	for id := range th {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, pageHead, "forum_view", "Chuyện trò linh tinh", "")
	fmt.Fprint(w, `<div class="structItemContainer">`)
	for _, id := range ids {
		first := th[id][0]
		fmt.Fprintf(w, `<div class="structItem structItem--thread js-inlineModContainer" data-author="%s"><div class="structItem-cell structItem-cell--main"><div class="structItem-title"><a href="/forum/t/chu-de.%s/" data-tp-primary="on">%s</a></div></div></div>`+"\n",
			html.EscapeString(first.Author.ID), id, html.EscapeString(crop(first.Text, 60)))
	}
	fmt.Fprint(w, `</div></div></body></html>`)
}

// thread serves /forum/t/<slug>.<id>/ and /forum/t/<slug>.<id>/page-N like XenForo 2.
func (s *Site) thread(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("slug")
	id := slug[strings.LastIndexByte(slug, '.')+1:]
	ps := s.threads()[id]
	if len(ps) == 0 {
		http.NotFound(w, r)
		return
	}
	page := 1
	if rest := strings.TrimPrefix(r.PathValue("page"), "page-"); rest != "" {
		n, err := strconv.Atoi(strings.TrimSuffix(rest, "/"))
		if err != nil || n < 1 {
			http.NotFound(w, r)
			return
		}
		page = n
	}
	pages := (len(ps) + PostsPerThreadPage - 1) / PostsPerThreadPage
	if page > pages {
		http.NotFound(w, r)
		return
	}
	lo, hi := (page-1)*PostsPerThreadPage, min(page*PostsPerThreadPage, len(ps))
	next := ""
	if page < pages {
		next = fmt.Sprintf(`<link rel="next" href="/forum/t/%s/page-%d">`, slug, page+1)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, pageHead, "thread_view", html.EscapeString(crop(ps[0].Text, 60)), next)
	for _, p := range ps[lo:hi] {
		n := Native(p.ID)
		fmt.Fprintf(w, `<article class="message message--post js-post js-inlineModContainer" data-author="%s" data-content="post-%s" id="js-post-%s">
<div class="message-inner"><div class="message-cell message-cell--main"><header class="message-attribution message-attribution--split"><ul class="message-attribution-main listInline"><li class="u-concealed"><a href="/forum/t/%s/post-%s" rel="nofollow"><time class="u-dt" dir="auto" datetime="%s" data-timestamp="%d">%s</time></a></li></ul></header>
<div class="message-content js-messageContent"><div class="message-userContent lbContainer js-lbContainer"><article class="message-body js-selectToQuote"><div class="bbWrapper">%s</div></article></div></div>
<footer class="message-footer"><div class="reactionsBar" data-likes="%d"></div></footer></div></div></article>
`, html.EscapeString(p.Author.ID), n, n, slug, n, p.PublishedAt.Format(time.RFC3339), p.PublishedAt.Unix(), p.PublishedAt.Format("02/01/2006"), html.EscapeString(p.Text), p.Metrics.Likes)
	}
	if next != "" {
		fmt.Fprintf(w, `<div class="pageNav"><a href="/forum/t/%s/page-%d" class="pageNav-jump pageNav-jump--next" rel="next">Tiếp</a></div>`, slug, page+1)
	}
	fmt.Fprint(w, `</div></body></html>`)
}

type mastoAccount struct {
	ID   string `json:"id"`
	Acct string `json:"acct"`
	URL  string `json:"url"`
}

type mastoStatus struct {
	ID         string       `json:"id"`
	CreatedAt  string       `json:"created_at"`
	URL        string       `json:"url"`
	URI        string       `json:"uri"`
	Visibility string       `json:"visibility"`
	Language   string       `json:"language"`
	Content    string       `json:"content"`
	Account    mastoAccount `json:"account"`
	Favourites int          `json:"favourites_count"`
	Reblogs    int          `json:"reblogs_count"`
	Replies    int          `json:"replies_count"`
	Reblog     *mastoStatus `json:"reblog"`
}

// idLess orders Mastodon snowflake ids (decimal strings).
func idLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// mastodon serves the tag timeline: newest first, limit (default 20, max 40), max_id,
// since_id and min_id, with a Link header like Mastodon's.
func (s *Site) mastodon(w http.ResponseWriter, r *http.Request) {
	ps := s.byPlatform(func(p string) bool { return p != "rss" && p != "forum" && p != "bluesky" })
	slices.SortFunc(ps, func(a, b *post.Post) int {
		x, y := Native(a.ID), Native(b.ID)
		switch {
		case idLess(y, x):
			return -1
		case idLess(x, y):
			return 1
		}
		return 0
	})
	q := r.URL.Query()
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit <= 0 {
		limit = 20
	}
	limit = min(limit, 40)
	maxID, sinceID, minID := q.Get("max_id"), q.Get("since_id"), q.Get("min_id")
	var sel []*post.Post
	for _, p := range ps {
		n := Native(p.ID)
		if (maxID != "" && !idLess(n, maxID)) || (sinceID != "" && !idLess(sinceID, n)) || (minID != "" && !idLess(minID, n)) {
			continue
		}
		sel = append(sel, p)
	}
	if minID != "" && len(sel) > limit { // min_id pages upward: the oldest after min_id
		sel = sel[len(sel)-limit:]
	}
	if len(sel) > limit {
		sel = sel[:limit]
	}
	out := make([]mastoStatus, 0, len(sel))
	for _, p := range sel {
		n := Native(p.ID)
		acct := strings.TrimPrefix(p.Author.ID, "a1:")
		out = append(out, mastoStatus{ID: n, CreatedAt: p.PublishedAt.UTC().Format("2006-01-02T15:04:05.000Z"), URL: base(r) + "/@demo/" + n, URI: base(r) + "/users/demo/statuses/" + n,
			Visibility: "public", Language: cmp.Or(p.Lang, "vi"), Content: "<p>" + strings.ReplaceAll(html.EscapeString(p.Text), "\n", "<br />") + "</p>",
			Account: mastoAccount{ID: acct, Acct: acct, URL: base(r) + "/@" + acct}, Favourites: p.Metrics.Likes, Reblogs: p.Metrics.Shares, Replies: p.Metrics.Replies})
	}
	if len(out) > 0 {
		self := base(r) + MastodonPath
		w.Header().Set("Link", fmt.Sprintf(`<%s?limit=%d&max_id=%s>; rel="next", <%s?limit=%d&min_id=%s>; rel="prev"`, self, limit, out[len(out)-1].ID, self, limit, out[0].ID))
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(out)
}

// bluesky serves app.bsky.feed.searchPosts over the "bluesky" posts, newest first, with
// an offset cursor (the query is ignored: every post matches).
func (s *Site) bluesky(w http.ResponseWriter, r *http.Request) {
	ps := s.byPlatform(func(p string) bool { return p == "bluesky" })
	slices.SortFunc(ps, func(a, b *post.Post) int {
		return cmp.Or(b.PublishedAt.Compare(a.PublishedAt), strings.Compare(b.ID, a.ID))
	})
	limit, err := strconv.Atoi(r.URL.Query().Get("limit"))
	if err != nil || limit <= 0 || limit > 100 {
		limit = 25
	}
	off, _ := strconv.Atoi(r.URL.Query().Get("cursor"))
	off = max(off, 0)
	type record struct {
		Type      string   `json:"$type"`
		Text      string   `json:"text"`
		CreatedAt string   `json:"createdAt"`
		Langs     []string `json:"langs"`
	}
	type view struct {
		URI    string `json:"uri"`
		CID    string `json:"cid"`
		Author struct {
			DID    string `json:"did"`
			Handle string `json:"handle"`
		} `json:"author"`
		Record      record `json:"record"`
		IndexedAt   string `json:"indexedAt"`
		LikeCount   int    `json:"likeCount"`
		RepostCount int    `json:"repostCount"`
		ReplyCount  int    `json:"replyCount"`
	}
	out := struct {
		Posts  []view `json:"posts"`
		Cursor string `json:"cursor,omitempty"`
	}{Posts: []view{}}
	for i := off; i < len(ps) && i < off+limit; i++ {
		p := ps[i]
		v := view{URI: "at://did:plc:" + shortHash(p.Author.ID) + "/app.bsky.feed.post/" + Native(p.ID), CID: "bafy" + Native(p.ID),
			Record:    record{Type: "app.bsky.feed.post", Text: p.Text, CreatedAt: p.PublishedAt.UTC().Format(time.RFC3339Nano), Langs: []string{cmp.Or(p.Lang, "vi")}},
			IndexedAt: p.PublishedAt.UTC().Format(time.RFC3339Nano), LikeCount: p.Metrics.Likes, RepostCount: p.Metrics.Shares, ReplyCount: p.Metrics.Replies}
		v.Author.DID = v.URI[len("at://"):strings.Index(v.URI, "/app.")]
		v.Author.Handle = "demo.bsky.example"
		out.Posts = append(out.Posts, v)
	}
	if off+limit < len(ps) {
		out.Cursor = strconv.Itoa(off + limit)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(out)
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}
