// Package mastodon is the Mastodon public API source (plain net/http, no login):
// /api/v1/timelines/tag/:hashtag, /api/v1/timelines/public and
// /api/v1/statuses/:id/context. Timelines are walked by Link headers: the first pass goes
// back from the newest status by max_id for at most max_pages pages; later passes go
// forward from the cursor's since id by min_id, so a backlog larger than one pass is
// finished in the next pass instead of being skipped. HTML content becomes plain text.
package mastodon

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
const Kind = "mastodon"

// Config is one Mastodon timeline.
type Config struct {
	crawler.Common `yaml:",inline"`
	// Instance is the server's base URL, e.g. https://mastodon.social.
	Instance string `yaml:"instance" required:"true" help:"URL gốc của máy chủ, vd. https://mastodon.social / the server's base URL, e.g. https://mastodon.social"`
	// Timeline is "tag" (default), "public" or "context".
	Timeline string `yaml:"timeline" default:"tag" enum:"tag,public,context" help:"dòng thời gian: tag, public hoặc context (trả lời của một bài) / timeline: tag, public or context (replies to one status)"`
	// Tag is the hashtag without # for the tag timeline.
	Tag string `yaml:"tag" help:"hashtag không có #, cho timeline tag / hashtag without #, for the tag timeline"`
	// Local limits public/tag timelines to the instance's own posts.
	Local bool `yaml:"local" default:"false" help:"chỉ bài của chính máy chủ / only the instance's own posts"`
	// StatusID is the status whose replies the context timeline reads.
	StatusID string `yaml:"status_id" help:"mã bài có các trả lời cần đọc, cho timeline context / status whose replies are read, for the context timeline"`
	// Limit is the page size (default 40, Mastodon's maximum).
	Limit int `yaml:"limit" default:"40" help:"số bài mỗi trang (tối đa 40) / page size (at most 40)"`
}

// Source is a configured timeline. Its cursor uses Since (the newest status id) and Seen.
type Source struct {
	cfg     Config
	env     crawler.Env
	fetcher *crawler.Fetcher
	site    string
}

// New validates cfg and returns the source.
func New(cfg Config, env crawler.Env) (*Source, error) {
	cfg.Instance = strings.TrimRight(cfg.Instance, "/")
	if err := cfg.Common.Validate(cfg.Instance); err != nil {
		return nil, err
	}
	if cfg.Instance == "" {
		return nil, fmt.Errorf("%w: source %s: instance is required", crawler.ErrConfig, cfg.Name)
	}
	switch cfg.Timeline {
	case "", "tag":
		cfg.Timeline = "tag"
		if cfg.Tag == "" {
			return nil, fmt.Errorf("%w: source %s: tag is required for the tag timeline", crawler.ErrConfig, cfg.Name)
		}
	case "public":
	case "context":
		if cfg.StatusID == "" {
			return nil, fmt.Errorf("%w: source %s: status_id is required for the context timeline", crawler.ErrConfig, cfg.Name)
		}
	default:
		return nil, fmt.Errorf("%w: source %s: timeline %q (want tag, public or context)", crawler.ErrConfig, cfg.Name, cfg.Timeline)
	}
	if cfg.Limit <= 0 || cfg.Limit > 40 {
		cfg.Limit = 40
	}
	return &Source{cfg: cfg, env: env, fetcher: cfg.Fetcher(env), site: cfg.SiteOf(cfg.Instance)}, nil
}

// Name implements crawler.Source.
func (s *Source) Name() string { return s.cfg.Name }

// Encoding implements crawler.Encoded.
func (s *Source) Encoding() string { return s.cfg.Encoding }

func (s *Source) firstURL(since string) string {
	q := url.Values{}
	q.Set("limit", strconv.Itoa(s.cfg.Limit))
	if s.cfg.Local {
		q.Set("local", "true")
	}
	if since != "" {
		q.Set("min_id", since)
	}
	path := "/api/v1/timelines/public"
	if s.cfg.Timeline == "tag" {
		path = "/api/v1/timelines/tag/" + url.PathEscape(s.cfg.Tag)
	}
	return s.cfg.Instance + path + "?" + q.Encode()
}

// Fetch implements crawler.Source.
func (s *Source) Fetch(ctx context.Context, cur crawler.Cursor, emit crawler.Emit) (crawler.Cursor, error) {
	tr := crawler.NewTracker(cur, s.cfg.Lookback)
	if s.cfg.Timeline == "context" {
		u := s.cfg.Instance + "/api/v1/statuses/" + url.PathEscape(s.cfg.StatusID) + "/context"
		resp, err := s.fetcher.Get(ctx, u, "application/json", nil)
		if err != nil {
			return cur, err
		}
		ctxResp, err := ParseContext(resp.Body)
		if err != nil {
			return cur, fmt.Errorf("%s: %w", u, err)
		}
		if err := s.emitAll(append(ctxResp.Ancestors, ctxResp.Descendants...), tr, emit); err != nil {
			return cur, err
		}
		return tr.Cursor(), nil
	}
	newest := cur.Since
	forward := cur.Since != "" // min_id paging upward from the cursor
	u := s.firstURL(cur.Since)
	visited := map[string]bool{}
	for page := 0; page < s.cfg.MaxPages && u != "" && !visited[u]; page++ {
		visited[u] = true
		resp, err := s.fetcher.Get(ctx, u, "application/json", nil)
		if err != nil {
			return cur, err
		}
		statuses, err := ParseStatuses(resp.Body)
		if err != nil {
			return cur, fmt.Errorf("%s: %w", u, err)
		}
		if len(statuses) == 0 {
			break
		}
		for _, st := range statuses {
			if idLess(newest, st.ID) {
				newest = st.ID
			}
		}
		if err := s.emitAll(statuses, tr, emit); err != nil {
			return cur, err
		}
		rel := "next"
		if forward {
			rel = "prev"
		}
		u = s.sameHost(LinkRel(resp.Header.Get("Link"), rel))
	}
	tr.SetSince(newest)
	return tr.Cursor(), nil
}

// sameHost keeps pagination on the configured instance.
func (s *Source) sameHost(u string) string {
	if u == "" {
		return ""
	}
	a, err1 := url.Parse(u)
	b, err2 := url.Parse(s.cfg.Instance)
	if err1 != nil || err2 != nil || a.Host != b.Host || a.Scheme != b.Scheme {
		return ""
	}
	return u
}

func (s *Source) emitAll(statuses []Status, tr *crawler.Tracker, emit crawler.Emit) error {
	now := time.Now().UTC()
	for _, st := range statuses {
		p := s.toPost(st, now)
		if p == nil || !tr.New(p.ID, p.PublishedAt) {
			continue
		}
		if err := emit(p); err != nil {
			return err
		}
		tr.Add(p.ID, p.PublishedAt)
	}
	return nil
}

func (s *Source) toPost(st Status, now time.Time) *post.Post {
	if st.Reblog != nil {
		return nil // a boost repeats another status; the original is crawled where it is public
	}
	if st.Visibility != "" && st.Visibility != "public" {
		return nil // unlisted/private/direct: not meant for discovery
	}
	text := crawler.HTMLToText(st.Content)
	if sp := crawler.CleanText(st.SpoilerText); sp != "" {
		text = sp + "\n\n" + text
	}
	if text == "" || st.ID == "" {
		return nil
	}
	published, err := time.Parse(time.RFC3339, st.CreatedAt)
	if err != nil {
		return nil
	}
	lang := st.Language
	if lang == "" {
		lang = s.cfg.Lang
	}
	author := st.Account.URL
	if author == "" && st.Account.Acct != "" {
		author = st.Account.Acct + "@" + s.site
	}
	link := st.URL
	if link == "" {
		link = st.URI
	}
	return &post.Post{
		Schema: post.SchemaVersion, ID: post.MakeID(Kind, s.site, st.ID), Platform: Kind, Source: s.cfg.Name, URL: link,
		Author: s.env.Author(Kind, author), Text: text, Lang: lang, PublishedAt: published.UTC(), FetchedAt: now,
		Metrics: post.Metrics{Likes: max(st.Favourites, 0), Shares: max(st.Reblogs, 0), Replies: max(st.Replies, 0)},
	}
}

// Status is the part of a Mastodon Status entity the crawler reads. Old (1.x) and new
// (4.x) servers both fit: missing fields stay empty.
type Status struct {
	ID          string  `json:"id"`
	CreatedAt   string  `json:"created_at"`
	URL         string  `json:"url"`
	URI         string  `json:"uri"`
	Visibility  string  `json:"visibility"`
	Language    string  `json:"language"`
	Content     string  `json:"content"`
	SpoilerText string  `json:"spoiler_text"`
	Account     Account `json:"account"`
	Favourites  int     `json:"favourites_count"`
	Reblogs     int     `json:"reblogs_count"`
	Replies     int     `json:"replies_count"`
	Reblog      *Status `json:"reblog"`
}

// Account is the status author; only used to derive the pseudonymous id.
type Account struct {
	ID   string `json:"id"`
	Acct string `json:"acct"`
	URL  string `json:"url"`
}

// UnmarshalJSON accepts ids given as numbers (some old servers and mocks do).
func (s *Status) UnmarshalJSON(b []byte) error {
	type plain Status
	var aux struct {
		plain
		ID json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*s = Status(aux.plain)
	id := bytes.TrimSpace(aux.ID)
	switch {
	case len(id) == 0 || string(id) == "null":
		s.ID = ""
	case id[0] == '"':
		if err := json.Unmarshal(id, &s.ID); err != nil {
			return err
		}
	default:
		var n json.Number
		if err := json.Unmarshal(id, &n); err != nil {
			return fmt.Errorf("status id: %s is neither a string nor a number", crawler.Truncate(string(id), 40))
		}
		s.ID = n.String()
	}
	return nil
}

// ParseStatuses decodes a timeline page (a JSON array of statuses). Anything else is an
// error wrapping crawler.ErrParse (an error object, HTML, truncated JSON).
func ParseStatuses(body []byte) ([]Status, error) {
	b := bytes.TrimSpace(body)
	if len(b) == 0 || b[0] != '[' {
		return nil, fmt.Errorf("%w: want a JSON array of statuses, got %q", crawler.ErrParse, crawler.Truncate(string(b), 80))
	}
	var out []Status
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("%w: statuses: %v", crawler.ErrParse, err)
	}
	return out, nil
}

// Context is the reply tree around a status.
type Context struct {
	Ancestors   []Status `json:"ancestors"`
	Descendants []Status `json:"descendants"`
}

// ParseContext decodes /api/v1/statuses/:id/context.
func ParseContext(body []byte) (Context, error) {
	var c Context
	b := bytes.TrimSpace(body)
	if len(b) == 0 || b[0] != '{' {
		return c, fmt.Errorf("%w: want a context object, got %q", crawler.ErrParse, crawler.Truncate(string(b), 80))
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("%w: context: %v", crawler.ErrParse, err)
	}
	return c, nil
}

// LinkRel returns the URL of rel in an RFC 8288 Link header, or "".
func LinkRel(header, rel string) string {
	for _, part := range strings.Split(header, ",") {
		part = strings.TrimSpace(part)
		if !strings.HasPrefix(part, "<") {
			continue
		}
		end := strings.Index(part, ">")
		if end < 0 {
			continue
		}
		for _, param := range strings.Split(part[end+1:], ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(param), "=")
			if ok && strings.EqualFold(k, "rel") {
				for _, r := range strings.Fields(strings.Trim(v, `"`)) {
					if r == rel {
						return part[1:end]
					}
				}
			}
		}
	}
	return ""
}

// idLess orders Mastodon snowflake ids (decimal strings of varying length).
func idLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// Host implements crawler.Hoster.
func (s *Source) Host() string { return crawler.HostOfURL(s.cfg.Instance) }
