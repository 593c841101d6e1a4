// Package jsonapi is the generic JSON API source: a URL template, a path to the item list
// and field mappings turn any public JSON listing (a news site's comment endpoint, a
// forum's API) into posts. Pagination is by a page number ({page} in the URL) or by a
// cursor taken from the response ({cursor} in the URL and next_cursor). Replies nested in
// items (children) are flattened.
//
// Paths are dot-separated keys with numeric array indexes: "data.items", "data.children",
// "replys.items", "media.0.url".
package jsonapi

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
const Kind = "jsonapi"

// Fields maps post fields to paths inside one item.
type Fields struct {
	ID        string `yaml:"id" required:"true" help:"đường dẫn tới mã bài / path to the post id"`
	Text      string `yaml:"text" required:"true" help:"đường dẫn tới nội dung / path to the text"`
	Title     string `yaml:"title" help:"đường dẫn tới tiêu đề / path to the title"`
	Author    string `yaml:"author" help:"đường dẫn tới mã tác giả (sẽ được ẩn danh) / path to the author id (pseudonymized)"`
	Published string `yaml:"published_at" help:"đường dẫn tới thời điểm đăng / path to the publication time"`
	URL       string `yaml:"url" help:"đường dẫn tới liên kết của bài / path to the post's link"`
	Likes     string `yaml:"likes" help:"đường dẫn tới số lượt thích / path to the like count"`
	Shares    string `yaml:"shares" help:"đường dẫn tới số lượt chia sẻ / path to the share count"`
	Replies   string `yaml:"replies" help:"đường dẫn tới số trả lời / path to the reply count"`
}

// Config is one JSON API source.
type Config struct {
	crawler.Common `yaml:",inline"`
	// URL is the request URL; {page} and {cursor} are replaced (query-escaped).
	URL string `yaml:"url" required:"true" help:"URL yêu cầu; {page} và {cursor} được thay / request URL; {page} and {cursor} are replaced"`
	// Items is the path to the array of items in a response ("" = the response is the array).
	Items string `yaml:"items" help:"đường dẫn tới mảng mục trong phản hồi; trống = phản hồi là mảng / path to the array of items; empty = the response is the array"`
	// Children is the path, inside an item, to an array of reply items (optional).
	Children string `yaml:"children" help:"đường dẫn tới mảng trả lời trong một mục / path to the array of replies inside an item"`
	Fields   Fields `yaml:"fields" required:"true" help:"trường JSON của mỗi mục / JSON fields of each item"`
	// TextHTML says the text field holds HTML.
	TextHTML bool `yaml:"text_html" default:"false" help:"trường văn bản chứa HTML / the text field holds HTML"`
	// TimeFormat is "unix", "unix_ms", "rfc3339" (default: any of them, guessed) or a Go layout.
	TimeFormat string `yaml:"time_format" help:"unix, unix_ms, rfc3339 hoặc mẫu Go; trống = đoán / unix, unix_ms, rfc3339 or a Go layout; empty = guessed"`
	// NextCursor is the path to the next cursor in a response (with {cursor} in URL).
	NextCursor string `yaml:"next_cursor" help:"đường dẫn tới con trỏ trang sau (khi URL có {cursor}) / path to the next cursor (with {cursor} in the URL)"`
	// PageStart is the first page number (default 1).
	PageStart int `yaml:"page_start" default:"1" help:"số trang đầu tiên / first page number"`
	// Platform of the posts (default "web").
	Platform string `yaml:"platform" default:"web" help:"nền tảng của bài / platform of the posts"`
}

// Source is a configured JSON API. Its cursor uses Seen and Newest.
type Source struct {
	cfg     Config
	env     crawler.Env
	fetcher *crawler.Fetcher
}

// New validates cfg and returns the source.
func New(cfg Config, env crawler.Env) (*Source, error) {
	probe := strings.NewReplacer("{page}", "1", "{cursor}", "").Replace(cfg.URL)
	if err := cfg.Common.Validate(probe); err != nil {
		return nil, err
	}
	if cfg.URL == "" {
		return nil, fmt.Errorf("%w: source %s: url is required", crawler.ErrConfig, cfg.Name)
	}
	if cfg.Fields.ID == "" || cfg.Fields.Text == "" {
		return nil, fmt.Errorf("%w: source %s: fields.id and fields.text are required", crawler.ErrConfig, cfg.Name)
	}
	if strings.Contains(cfg.URL, "{cursor}") && cfg.NextCursor == "" {
		return nil, fmt.Errorf("%w: source %s: url has {cursor} but next_cursor is not set", crawler.ErrConfig, cfg.Name)
	}
	if cfg.Platform == "" {
		cfg.Platform = "web"
	}
	if cfg.PageStart == 0 {
		cfg.PageStart = 1
	}
	return &Source{cfg: cfg, env: env, fetcher: cfg.Fetcher(env)}, nil
}

// Name implements crawler.Source.
func (s *Source) Name() string { return s.cfg.Name }

// Encoding implements crawler.Encoded.
func (s *Source) Encoding() string { return s.cfg.Encoding }

func (s *Source) pageURL(page int, cursor string) string {
	return strings.NewReplacer("{page}", strconv.Itoa(page), "{cursor}", url.QueryEscape(cursor)).Replace(s.cfg.URL)
}

// Fetch implements crawler.Source: pages newest first while they hold new items.
func (s *Source) Fetch(ctx context.Context, cur crawler.Cursor, emit crawler.Emit) (crawler.Cursor, error) {
	tr := crawler.NewTracker(cur, s.cfg.Lookback)
	now := time.Now().UTC()
	paged := strings.Contains(s.cfg.URL, "{page}")
	cursored := strings.Contains(s.cfg.URL, "{cursor}")
	cursor := ""
	seen := map[string]bool{}
	for page := 0; page < s.cfg.MaxPages; page++ {
		u := s.pageURL(s.cfg.PageStart+page, cursor)
		if seen[u] {
			break // the API returned the same cursor again: an endless loop
		}
		seen[u] = true
		resp, err := s.fetcher.Get(ctx, u, "application/json", nil)
		if err != nil {
			return cur, err
		}
		items, next, err := Extract(resp.Body, s.cfg)
		if err != nil {
			return cur, fmt.Errorf("%s: %w", u, err)
		}
		base, _ := url.Parse(resp.URL)
		fresh := 0
		for _, it := range items {
			p := s.toPost(it, base, now)
			if p == nil || !tr.New(p.ID, p.PublishedAt) {
				continue
			}
			if err := emit(p); err != nil {
				return cur, err
			}
			tr.Add(p.ID, p.PublishedAt)
			fresh++
		}
		if len(items) == 0 || fresh == 0 || (!paged && !cursored) || (cursored && next == "") {
			break
		}
		cursor = next
	}
	return tr.Cursor(), nil
}

// Item is one extracted item's values as strings.
type Item struct {
	ID, Text, Title, Author, Published, URL string
	Likes, Shares, Replies                  int
}

// MaxItems bounds the items (with children) read from one response.
const MaxItems = 10000

// Extract reads the items (and their children) and the next cursor of one response.
// Bodies that are not JSON, or where the items path is not an array, are errors wrapping
// crawler.ErrParse naming the path.
func Extract(body []byte, cfg Config) ([]Item, string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, "", fmt.Errorf("%w: JSON: %v", crawler.ErrParse, err)
	}
	list, ok := Lookup(root, cfg.Items)
	if ok && list == nil {
		return nil, "", nil // "items": null past the last page
	}
	arr, isArr := list.([]any)
	if !ok || !isArr {
		return nil, "", fmt.Errorf("%w: items path %q is not an array in the response", crawler.ErrParse, cfg.Items)
	}
	var out []Item
	var walk func(items []any, depth int)
	walk = func(items []any, depth int) {
		for _, raw := range items {
			if len(out) >= MaxItems {
				return
			}
			it := Item{
				ID: str(raw, cfg.Fields.ID), Text: str(raw, cfg.Fields.Text), Title: str(raw, cfg.Fields.Title),
				Author: str(raw, cfg.Fields.Author), Published: str(raw, cfg.Fields.Published), URL: str(raw, cfg.Fields.URL),
				Likes: num(raw, cfg.Fields.Likes), Shares: num(raw, cfg.Fields.Shares), Replies: num(raw, cfg.Fields.Replies),
			}
			if cfg.TextHTML {
				it.Text = crawler.HTMLToText(it.Text)
			} else {
				it.Text = crawler.CleanText(it.Text)
			}
			if it.ID != "" && it.Text != "" {
				out = append(out, it)
			}
			if cfg.Children != "" && depth < 20 {
				if kids, ok := Lookup(raw, cfg.Children); ok {
					if ka, ok := kids.([]any); ok {
						walk(ka, depth+1)
					}
				}
			}
		}
	}
	walk(arr, 0)
	next := ""
	if cfg.NextCursor != "" {
		next = str(root, cfg.NextCursor)
	}
	return out, next, nil
}

// Lookup follows a dot path through objects and arrays; "" is v itself.
func Lookup(v any, path string) (any, bool) {
	if path == "" {
		return v, true
	}
	for _, seg := range strings.Split(path, ".") {
		switch t := v.(type) {
		case map[string]any:
			next, ok := t[seg]
			if !ok {
				return nil, false
			}
			v = next
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(t) {
				return nil, false
			}
			v = t[i]
		default:
			return nil, false
		}
	}
	return v, true
}

func str(v any, path string) string {
	if path == "" {
		return ""
	}
	x, ok := Lookup(v, path)
	if !ok {
		return ""
	}
	switch t := x.(type) {
	case string:
		return t
	case json.Number:
		return t.String()
	case bool:
		return strconv.FormatBool(t)
	}
	return ""
}

func num(v any, path string) int {
	s := str(v, path)
	if s == "" {
		return 0
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > 1e12 {
		return 0
	}
	return int(f)
}

// ParseTime reads a time in format ("unix", "unix_ms", "rfc3339", a Go layout, or ""
// to guess). It returns the zero time when the value does not fit.
func ParseTime(s, format string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	unix := func(ms bool) time.Time {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return time.Time{}
		}
		if ms || f > 1e12 {
			f /= 1000
		}
		if f < 315532800 || f > 7258118400 {
			return time.Time{}
		}
		return time.Unix(int64(f), 0).UTC()
	}
	switch format {
	case "unix":
		return unix(false)
	case "unix_ms":
		return unix(true)
	case "", "rfc3339":
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t
		}
		if format == "" {
			if t := unix(false); !t.IsZero() {
				return t
			}
			for _, l := range []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "02/01/2006 15:04"} {
				if t, err := time.Parse(l, s); err == nil {
					return t
				}
			}
		}
		return time.Time{}
	}
	t, err := time.Parse(format, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

func (s *Source) toPost(it Item, base *url.URL, now time.Time) *post.Post {
	published := ParseTime(it.Published, s.cfg.TimeFormat)
	if published.IsZero() {
		published = now
	}
	link := it.URL
	if link != "" && base != nil {
		if u, err := base.Parse(link); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
			link = u.String()
		} else {
			link = ""
		}
	}
	site := s.cfg.SiteOf(strings.NewReplacer("{page}", "1", "{cursor}", "").Replace(s.cfg.URL))
	author := ""
	if it.Author != "" {
		author = site + "/" + it.Author
	}
	return &post.Post{
		Schema: post.SchemaVersion, ID: post.MakeID(s.cfg.Platform, site, it.ID), Platform: s.cfg.Platform, Source: s.cfg.Name,
		URL: link, Author: s.env.Author(s.cfg.Platform, author), Title: crawler.CleanText(it.Title), Text: it.Text, Lang: s.cfg.Lang,
		PublishedAt: published.UTC(), FetchedAt: now, Metrics: post.Metrics{Likes: it.Likes, Shares: it.Shares, Replies: it.Replies},
	}
}

// Host implements crawler.Hoster.
func (s *Source) Host() string {
	return crawler.HostOfURL(strings.NewReplacer("{page}", "1", "{cursor}", "").Replace(s.cfg.URL))
}
