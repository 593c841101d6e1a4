// Package bluesky is the Bluesky public AppView source (plain net/http, no login):
// app.bsky.feed.searchPosts (a query, newest first), app.bsky.feed.getAuthorFeed (public
// accounts of organisations) and app.bsky.feed.getPostThread (the replies to one post).
// Pages are followed by the response cursor while they still hold new posts.
package bluesky

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/langnghe/langnghe/crawler"
	"github.com/langnghe/langnghe/post"
)

// Kind is the config kind of this source.
const Kind = "bluesky"

// DefaultAppView is Bluesky's unauthenticated public API host.
const DefaultAppView = "https://public.api.bsky.app"

// Config is one Bluesky query.
type Config struct {
	crawler.Common `yaml:",inline"`
	// AppView is the API base URL (default https://public.api.bsky.app).
	AppView string `yaml:"appview" default:"https://public.api.bsky.app" help:"URL gốc của AppView công khai / base URL of the public AppView"`
	// Mode is "search" (default), "author" or "thread".
	Mode string `yaml:"mode" default:"search" enum:"search,author,thread" help:"search (tìm), author (bài của một tài khoản tổ chức) hoặc thread / search, author (an organisation's account) or thread"`
	// Query is the searchPosts query; SearchLang optionally filters by language ("vi").
	Query      string `yaml:"query" help:"chuỗi tìm cho mode search / search query for mode search"`
	SearchLang string `yaml:"search_lang" help:"lọc theo ngôn ngữ khi tìm, vd. vi / language filter of the search, e.g. vi"`
	// Actor is the handle or DID for getAuthorFeed (public accounts of organisations).
	Actor string `yaml:"actor" help:"handle hoặc DID của tài khoản công khai, cho mode author / handle or DID of a public account, for mode author"`
	// URI is the at:// URI of the post whose thread getPostThread reads.
	URI string `yaml:"uri" help:"URI at:// của bài có chuỗi cần đọc, cho mode thread / at:// URI of the post whose thread is read, for mode thread"`
	// Limit is the page size (default 50, at most 100).
	Limit int `yaml:"limit" default:"50" help:"số bài mỗi trang (tối đa 100) / page size (at most 100)"`
}

// Source is a configured Bluesky query. Its cursor uses Seen and Newest.
type Source struct {
	cfg     Config
	env     crawler.Env
	fetcher *crawler.Fetcher
}

// New validates cfg and returns the source.
func New(cfg Config, env crawler.Env) (*Source, error) {
	if cfg.AppView == "" {
		cfg.AppView = DefaultAppView
	}
	cfg.AppView = strings.TrimRight(cfg.AppView, "/")
	if err := cfg.Common.Validate(cfg.AppView); err != nil {
		return nil, err
	}
	need := func(field, v string) error {
		if v == "" {
			return fmt.Errorf("%w: source %s: %s is required for mode %s", crawler.ErrConfig, cfg.Name, field, cfg.Mode)
		}
		return nil
	}
	var err error
	switch cfg.Mode {
	case "", "search":
		cfg.Mode = "search"
		err = need("query", cfg.Query)
	case "author":
		err = need("actor", cfg.Actor)
	case "thread":
		err = need("uri", cfg.URI)
	default:
		err = fmt.Errorf("%w: source %s: mode %q (want search, author or thread)", crawler.ErrConfig, cfg.Name, cfg.Mode)
	}
	if err != nil {
		return nil, err
	}
	if cfg.Limit <= 0 || cfg.Limit > 100 {
		cfg.Limit = 50
	}
	return &Source{cfg: cfg, env: env, fetcher: cfg.Fetcher(env)}, nil
}

// Name implements crawler.Source.
func (s *Source) Name() string { return s.cfg.Name }

// Encoding implements crawler.Encoded.
func (s *Source) Encoding() string { return s.cfg.Encoding }

func (s *Source) pageURL(cursor string) string {
	q := url.Values{}
	method := "app.bsky.feed.searchPosts"
	switch s.cfg.Mode {
	case "search":
		q.Set("q", s.cfg.Query)
		q.Set("sort", "latest")
		q.Set("limit", strconv.Itoa(s.cfg.Limit))
		if s.cfg.SearchLang != "" {
			q.Set("lang", s.cfg.SearchLang)
		}
	case "author":
		method = "app.bsky.feed.getAuthorFeed"
		q.Set("actor", s.cfg.Actor)
		q.Set("limit", strconv.Itoa(s.cfg.Limit))
	case "thread":
		method = "app.bsky.feed.getPostThread"
		q.Set("uri", s.cfg.URI)
		q.Set("depth", "10")
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	return s.cfg.AppView + "/xrpc/" + method + "?" + q.Encode()
}

// Fetch implements crawler.Source.
func (s *Source) Fetch(ctx context.Context, cur crawler.Cursor, emit crawler.Emit) (crawler.Cursor, error) {
	tr := crawler.NewTracker(cur, s.cfg.Lookback)
	now := time.Now().UTC()
	cursor := ""
	seenCursors := map[string]bool{}
	for page := 0; page < s.cfg.MaxPages; page++ {
		u := s.pageURL(cursor)
		resp, err := s.fetcher.Get(ctx, u, "application/json", nil)
		if err != nil {
			return cur, err
		}
		views, next, err := Parse(s.cfg.Mode, resp.Body)
		if err != nil {
			return cur, fmt.Errorf("%s: %w", u, err)
		}
		fresh := 0
		for _, v := range views {
			p := s.toPost(v, now)
			if p == nil || !tr.New(p.ID, p.PublishedAt) {
				continue
			}
			if err := emit(p); err != nil {
				return cur, err
			}
			tr.Add(p.ID, p.PublishedAt)
			fresh++
		}
		if fresh == 0 || next == "" || seenCursors[next] || s.cfg.Mode == "thread" {
			break
		}
		seenCursors[next] = true
		cursor = next
	}
	return tr.Cursor(), nil
}

func (s *Source) toPost(v PostView, now time.Time) *post.Post {
	did, rkey, ok := splitURI(v.URI)
	text := crawler.CleanText(v.Record.Text)
	if !ok || text == "" {
		return nil
	}
	published, err := time.Parse(time.RFC3339, v.Record.CreatedAt)
	if err != nil {
		if published, err = time.Parse(time.RFC3339, v.IndexedAt); err != nil {
			return nil
		}
	}
	lang := s.cfg.Lang
	if len(v.Record.Langs) > 0 && v.Record.Langs[0] != "" {
		lang = v.Record.Langs[0]
	}
	site := "bsky.app"
	if s.cfg.Site != "" {
		site = s.cfg.Site
	}
	return &post.Post{
		Schema: post.SchemaVersion, ID: post.MakeID(Kind, site, did+"/"+rkey), Platform: Kind, Source: s.cfg.Name,
		URL: "https://bsky.app/profile/" + did + "/post/" + rkey, Author: s.env.Author(Kind, did), Text: text, Lang: lang,
		PublishedAt: published.UTC(), FetchedAt: now,
		Metrics: post.Metrics{Likes: max(v.LikeCount, 0), Shares: max(v.RepostCount+v.QuoteCount, 0), Replies: max(v.ReplyCount, 0)},
	}
}

// splitURI splits at://did/app.bsky.feed.post/rkey.
func splitURI(uri string) (did, rkey string, ok bool) {
	rest, found := strings.CutPrefix(uri, "at://")
	if !found {
		return "", "", false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 || parts[1] != "app.bsky.feed.post" || parts[0] == "" || parts[2] == "" {
		return "", "", false
	}
	return parts[0], parts[2], true
}

// PostView is the part of app.bsky.feed.defs#postView the crawler reads.
type PostView struct {
	URI    string `json:"uri"`
	Author struct {
		DID    string `json:"did"`
		Handle string `json:"handle"`
	} `json:"author"`
	Record struct {
		Text      string   `json:"text"`
		CreatedAt string   `json:"createdAt"`
		Langs     []string `json:"langs"`
	} `json:"record"`
	IndexedAt   string `json:"indexedAt"`
	LikeCount   int    `json:"likeCount"`
	RepostCount int    `json:"repostCount"`
	ReplyCount  int    `json:"replyCount"`
	QuoteCount  int    `json:"quoteCount"`
}

type threadNode struct {
	Post    *PostView    `json:"post"`
	Parent  *threadNode  `json:"parent"`
	Replies []threadNode `json:"replies"`
}

// MaxThreadPosts bounds the posts read from one thread.
const MaxThreadPosts = 5000

// Parse decodes one response of mode ("search", "author" or "thread") into post views and
// the next cursor. Anything that is not the expected object is an error wrapping
// crawler.ErrParse.
func Parse(mode string, body []byte) ([]PostView, string, error) {
	b := bytes.TrimSpace(body)
	if len(b) == 0 || b[0] != '{' {
		return nil, "", fmt.Errorf("%w: want a JSON object, got %q", crawler.ErrParse, crawler.Truncate(string(b), 80))
	}
	var r struct {
		Posts []PostView `json:"posts"`
		Feed  []struct {
			Post   PostView        `json:"post"`
			Reason json.RawMessage `json:"reason"`
		} `json:"feed"`
		Thread *threadNode `json:"thread"`
		Cursor string      `json:"cursor"`
		Error  string      `json:"error"`
		Msg    string      `json:"message"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, "", fmt.Errorf("%w: %v", crawler.ErrParse, err)
	}
	if r.Error != "" {
		return nil, "", fmt.Errorf("%w: API error %s: %s", crawler.ErrParse, crawler.Truncate(r.Error, 60), crawler.Truncate(r.Msg, 200))
	}
	switch mode {
	case "search":
		if r.Posts == nil {
			return nil, "", fmt.Errorf("%w: no \"posts\" in searchPosts response", crawler.ErrParse)
		}
		return r.Posts, r.Cursor, nil
	case "author":
		if r.Feed == nil {
			return nil, "", fmt.Errorf("%w: no \"feed\" in getAuthorFeed response", crawler.ErrParse)
		}
		out := make([]PostView, 0, len(r.Feed))
		for _, it := range r.Feed {
			out = append(out, it.Post)
		}
		return out, r.Cursor, nil
	case "thread":
		if r.Thread == nil {
			return nil, "", fmt.Errorf("%w: no \"thread\" in getPostThread response", crawler.ErrParse)
		}
		var out []PostView
		var walk func(n *threadNode, depth int)
		walk = func(n *threadNode, depth int) {
			if n == nil || depth > 100 || len(out) >= MaxThreadPosts {
				return
			}
			if n.Post != nil {
				out = append(out, *n.Post)
			}
			for i := range n.Replies {
				walk(&n.Replies[i], depth+1)
			}
		}
		for p := r.Thread.Parent; p != nil && len(out) < 100; p = p.Parent {
			if p.Post != nil {
				out = append(out, *p.Post)
			}
		}
		walk(r.Thread, 0)
		return out, "", nil
	}
	return nil, "", fmt.Errorf("%w: unknown mode %q", crawler.ErrConfig, mode)
}

// Host implements crawler.Hoster.
func (s *Source) Host() string { return crawler.HostOfURL(s.cfg.AppView) }
