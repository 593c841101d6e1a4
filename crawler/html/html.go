// Package html is the configurable HTML page source: CSS selectors in YAML say where the
// links to follow are (thread lists), where each post block is, and how to read its id,
// author, time, text and link, and where the next page is. The "xenforo" preset fills the
// selectors for XenForo 2 forums such as voz.vn (thread list rows .structItem--thread,
// article.message--post with data-author, time[data-timestamp], .bbWrapper, rel=next).
// Pages are fetched with colly through the crawler's polite fetcher.
package html

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"github.com/gocolly/colly/v2"
	xhtml "golang.org/x/net/html"

	"github.com/langnghe/langnghe/crawler"
	"github.com/langnghe/langnghe/crawler/jsonapi"
	"github.com/langnghe/langnghe/post"
)

// Kinds of this source.
const (
	Kind        = "html"
	KindXenForo = "xenforo"
)

// Field says how to read one value: the first element matching Selector inside the post
// block (empty: the block itself), then its attribute Attr (comma-separated alternatives,
// first non-empty wins) or, with no Attr, its text. TrimPrefix is cut from the value.
// Exclude removes matching elements before text is read (quotes, signatures).
type Field struct {
	Selector   string `yaml:"selector" help:"bộ chọn CSS trong khối bài; trống = chính khối / CSS selector inside the post block; empty = the block itself"`
	Attr       string `yaml:"attr" help:"thuộc tính cần đọc (nhiều cái cách bằng dấu phẩy); trống = văn bản / attribute to read (comma-separated alternatives); empty = the text"`
	TrimPrefix string `yaml:"trim_prefix" help:"tiền tố bị cắt khỏi giá trị / prefix cut from the value"`
	Exclude    string `yaml:"exclude" help:"bộ chọn CSS của phần bỏ đi trước khi đọc (trích dẫn, chữ ký) / CSS selector of elements removed before reading (quotes, signatures)"`
}

// Rules are the selectors of a site.
type Rules struct {
	// Links selects <a> elements on list pages whose href leads to pages with posts.
	Links string `yaml:"links" help:"bộ chọn <a> trên trang danh sách dẫn tới trang có bài / selector of <a> on list pages leading to pages with posts"`
	// LinkTrim is a regexp removed from followed links (e.g. XenForo's "unread/$").
	LinkTrim string `yaml:"link_trim" help:"biểu thức chính quy cắt khỏi liên kết theo (vd. unread$) / regexp removed from followed links (e.g. unread$)"`
	// Post selects one block per post.
	Post   string `yaml:"post" help:"bộ chọn một khối cho mỗi bài / selector of one block per post"`
	ID     Field  `yaml:"id" help:"cách đọc mã bài trên nền tảng / how to read the post's platform id"`
	Author Field  `yaml:"author" help:"cách đọc tác giả (sẽ được ẩn danh) / how to read the author (pseudonymized)"`
	Time   Field  `yaml:"time" help:"cách đọc thời điểm đăng / how to read the publication time"`
	Text   Field  `yaml:"text" help:"cách đọc nội dung bài / how to read the post text"`
	URL    Field  `yaml:"url" help:"cách đọc liên kết tới bài / how to read the post's link"`
	// Title selects the page (thread) title, stored as the post title.
	Title string `yaml:"title" help:"bộ chọn tiêu đề trang (chủ đề) / selector of the page (thread) title"`
	// Next selects the next-page link (<a> or <link> with href).
	Next string `yaml:"next" help:"bộ chọn liên kết trang sau / selector of the next-page link"`
}

// XenForo is the preset for XenForo 2 forums (voz.vn style), logged out.
var XenForo = Rules{
	Links:    ".structItem--thread .structItem-title a[data-tp-primary], .structItem--thread .structItem-title a[href*='/t/'], .structItem--thread .structItem-title a[href*='/threads/']",
	LinkTrim: `(unread|latest|preview)$`,
	Post:     "article.message--post",
	ID:       Field{Attr: "data-content,id", TrimPrefix: "post-"},
	Author:   Field{Attr: "data-author"},
	Time:     Field{Selector: ".message-attribution-main time, header time", Attr: "data-timestamp,data-time,datetime"},
	Text:     Field{Selector: ".message-body .bbWrapper, .bbWrapper", Exclude: "blockquote.bbCodeBlock--quote, .bbCodeBlock--unfurl, script, style"},
	URL:      Field{Selector: ".message-attribution-main a[href*='post-'], header a[href*='post-']", Attr: "href"},
	Title:    "h1.p-title-value, title",
	Next:     "link[rel=next], a[rel=next]",
}

// Config is one HTML source.
type Config struct {
	crawler.Common `yaml:",inline"`
	// URLs are the start pages (thread lists or threads).
	URLs []string `yaml:"urls" required:"true" help:"các trang bắt đầu (danh sách chủ đề hoặc chủ đề) / start pages (thread lists or threads)"`
	// Preset "xenforo" fills Rules; fields set in Rules override it.
	Preset string `yaml:"preset" enum:"xenforo,news_comments" help:"bộ quy tắc có sẵn; trường trong rules ghi đè / ready-made rules; fields in rules override it"`
	Rules  Rules  `yaml:"rules" help:"các bộ chọn CSS của trang / the site's CSS selectors"`
	// Platform of the posts (default "forum" for xenforo, else "web").
	Platform string `yaml:"platform" help:"nền tảng của bài; mặc định forum với xenforo, ngoài ra web / platform of the posts; default forum for xenforo, else web"`
	// MaxLinks bounds the links followed from list pages per pass (default 50).
	MaxLinks int `yaml:"max_links" default:"50" help:"số liên kết tối đa theo từ trang danh sách mỗi lượt / most links followed from list pages per pass"`
	// Comments reads reader comments that a news page loads from a JSON endpoint.
	Comments *Comments `yaml:"comments" help:"đọc bình luận độc giả từ điểm cuối JSON của trang tin / read reader comments from a news page's JSON endpoint"`
	// ThreadValidators bounds how many pages other than the start pages keep their
	// ETag/Last-Modified in the cursor for conditional requests: the most recently
	// fetched ones (default DefaultThreadValidators). Start pages always keep theirs.
	ThreadValidators int `yaml:"thread_validators" default:"100" help:"số trang (ngoài trang bắt đầu) giữ ETag/Last-Modified / pages besides the start pages keeping ETag/Last-Modified"`
}

// DefaultThreadValidators is the default Config.ThreadValidators.
const DefaultThreadValidators = 100

// Comments says how to find a page's comment endpoint and read it: the page's article id
// (ID, e.g. a <meta> content), the endpoint URL template with {id}, and the jsonapi-style
// mapping of the response. Each comment becomes a post with thread_url = the page.
type Comments struct {
	ID         Field          `yaml:"id" help:"cách đọc mã bài báo trên trang (vd. thẻ meta) / how to read the article id on the page (e.g. a meta tag)"`
	URL        string         `yaml:"url" required:"true" help:"mẫu URL điểm cuối bình luận, có {id} / comment endpoint URL template with {id}"`
	Items      string         `yaml:"items" help:"đường dẫn tới mảng bình luận trong phản hồi / path to the array of comments in the response"`
	Children   string         `yaml:"children" help:"đường dẫn tới mảng trả lời trong một mục / path to the array of replies inside an item"`
	Fields     jsonapi.Fields `yaml:"fields" help:"trường JSON của mỗi bình luận / JSON fields of each comment"`
	TextHTML   bool           `yaml:"text_html" default:"false" help:"trường văn bản chứa HTML / the text field holds HTML"`
	TimeFormat string         `yaml:"time_format" help:"unix, unix_ms, rfc3339 hoặc mẫu Go; trống = đoán / unix, unix_ms, rfc3339 or a Go layout; empty = guessed"`
	// Platform of the comment posts (default "comments").
	Platform string `yaml:"platform" default:"comments" help:"nền tảng của bài bình luận / platform of the comment posts"`
}

// KindVnExpress is the preset for news pages whose reader comments come from a JSON
// endpoint, shaped after VnExpress (section pages list articles; an article page carries
// its id in <meta name="tt_article_id">; comments come from the comment API as
// data.items[] with replies under replys.items, HTML content and Unix times).
const KindVnExpress = "news_comments"

// VnExpress fills the news_comments preset; URL's host is the comment API.
var VnExpress = Config{
	Rules: Rules{
		Links: "h3.title-news a[href], h2.title-news a[href], h4.title-news a[href]",
		Title: "h1.title-detail, h1",
	},
	Comments: &Comments{
		ID:       Field{Selector: `meta[name="tt_article_id"]`, Attr: "content"},
		URL:      "https://usi-saas.vnexpress.net/index/get?objectid={id}&objecttype=1&siteid=1000000&offset=0&limit=100",
		Items:    "data.items",
		Children: "replys.items",
		Fields:   jsonapi.Fields{ID: "comment_id", Text: "content", Author: "userid", Published: "creation_time", Likes: "userlike"},
		TextHTML: true, TimeFormat: "unix",
	},
}

// Source is a configured HTML source. Its cursor uses Seen and Newest, and Validators:
// every page is fetched conditionally (If-None-Match / If-Modified-Since from the
// ETag / Last-Modified of the previous pass); a 304 means nothing new on that page, so
// neither its posts nor its links are read again, but the next page it had is still
// visited (conditionally), since a thread grows at its last page. A list page that
// answers 304 is taken to list no changed thread (a forum list moves a thread with a new
// post to the top, which changes the page). The start pages always
// keep their validators; other pages (threads, next pages) only the newest
// ThreadValidators.
type Source struct {
	cfg      Config
	env      crawler.Env
	fetcher  *crawler.Fetcher
	linkTrim *regexp.Regexp
}

// New validates cfg, applies the preset and returns the source.
func New(cfg Config, env crawler.Env) (*Source, error) {
	if len(cfg.URLs) == 0 {
		return nil, fmt.Errorf("%w: source %s: urls is required", crawler.ErrConfig, cfg.Name)
	}
	for _, u := range cfg.URLs {
		if err := cfg.Common.Validate(u); err != nil {
			return nil, err
		}
	}
	switch {
	case cfg.Preset == KindXenForo || cfg.Kind == KindXenForo:
		cfg.Rules = merge(XenForo, cfg.Rules)
		if cfg.Platform == "" {
			cfg.Platform = "forum"
		}
	case cfg.Preset == KindVnExpress || cfg.Kind == KindVnExpress:
		cfg.Rules = merge(VnExpress.Rules, cfg.Rules)
		if cfg.Comments == nil {
			c := *VnExpress.Comments
			cfg.Comments = &c
		}
	case cfg.Preset != "":
		return nil, fmt.Errorf("%w: source %s: unknown preset %q (known: xenforo, news_comments)", crawler.ErrConfig, cfg.Name, cfg.Preset)
	}
	if c := cfg.Comments; c != nil {
		if !strings.Contains(c.URL, "{id}") || c.Fields.ID == "" || c.Fields.Text == "" {
			return nil, fmt.Errorf("%w: source %s: comments needs url with {id}, fields.id and fields.text", crawler.ErrConfig, cfg.Name)
		}
		if c.Platform == "" {
			c.Platform = "comments"
		}
	}
	if cfg.Platform == "" {
		cfg.Platform = "web"
	}
	if cfg.MaxLinks <= 0 {
		cfg.MaxLinks = 50
	}
	if cfg.ThreadValidators <= 0 {
		cfg.ThreadValidators = DefaultThreadValidators
	}
	if cfg.Rules.Post == "" && cfg.Rules.Links == "" && cfg.Comments == nil {
		return nil, fmt.Errorf("%w: source %s: rules.post, rules.links or comments is required", crawler.ErrConfig, cfg.Name)
	}
	for _, sel := range []string{cfg.Rules.Links, cfg.Rules.Post, cfg.Rules.Next, cfg.Rules.Title, cfg.Rules.ID.Selector, cfg.Rules.Author.Selector, cfg.Rules.Time.Selector, cfg.Rules.Text.Selector, cfg.Rules.URL.Selector, cfg.Rules.Text.Exclude} {
		if sel == "" {
			continue
		}
		if _, err := compileSelector(sel); err != nil {
			return nil, fmt.Errorf("%w: source %s: selector %q: %v", crawler.ErrConfig, cfg.Name, sel, err)
		}
	}
	s := &Source{cfg: cfg, env: env, fetcher: cfg.Fetcher(env)}
	if cfg.Rules.LinkTrim != "" {
		re, err := regexp.Compile(cfg.Rules.LinkTrim)
		if err != nil {
			return nil, fmt.Errorf("%w: source %s: link_trim: %v", crawler.ErrConfig, cfg.Name, err)
		}
		s.linkTrim = re
	}
	return s, nil
}

func compileSelector(sel string) (cascadia.SelectorGroup, error) { return cascadia.ParseGroup(sel) }

func merge(base, over Rules) Rules {
	pick := func(a, b string) string {
		if b != "" {
			return b
		}
		return a
	}
	pf := func(a, b Field) Field {
		if b != (Field{}) {
			return b
		}
		return a
	}
	return Rules{Links: pick(base.Links, over.Links), LinkTrim: pick(base.LinkTrim, over.LinkTrim), Post: pick(base.Post, over.Post),
		ID: pf(base.ID, over.ID), Author: pf(base.Author, over.Author), Time: pf(base.Time, over.Time), Text: pf(base.Text, over.Text),
		URL: pf(base.URL, over.URL), Title: pick(base.Title, over.Title), Next: pick(base.Next, over.Next)}
}

// Name implements crawler.Source.
func (s *Source) Name() string { return s.cfg.Name }

// Encoding implements crawler.Encoded.
func (s *Source) Encoding() string { return s.cfg.Encoding }

// Fetch implements crawler.Source: start pages, links from list pages (at most MaxLinks),
// next pages (at most MaxPages per start or linked page chain in total), new posts emitted.
func (s *Source) Fetch(ctx context.Context, cur crawler.Cursor, emit crawler.Emit) (crawler.Cursor, error) {
	tr := crawler.NewTracker(cur, s.cfg.Lookback)
	c, err := crawler.NewCollector(ctx, s.fetcher, 0)
	if err != nil {
		return cur, err
	}
	var firstErr error
	fail := func(err error) {
		if firstErr == nil {
			firstErr = err
		}
	}
	pages, links := 0, 0
	maxPages := s.cfg.MaxPages * max(1, len(s.cfg.URLs)+s.cfg.MaxLinks)
	// The frontier is a FIFO visited iteratively (never from inside a callback), so a long
	// rel=next chain costs no stack; it holds at most MaxLinks links plus one next page
	// per page being read.
	var frontier []string
	visit := func(u string) { frontier = append(frontier, u) }
	now := time.Now().UTC()
	crawler.FixEncoding(c)
	crawler.Conditional(c, tr, nil)
	notModified := false // the last Visit was answered 304
	c.OnRequest(func(r *colly.Request) {
		r.Headers.Set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
	})
	c.OnError(func(r *colly.Response, err error) {
		if crawler.NotModified(r) {
			notModified = true
			// Unchanged page: its posts and links are known, but a thread's last page
			// may have changed, so go on to the next page it had.
			if v, ok := tr.Validator(crawler.RequestedURL(r.Request)); ok && v.Next != "" {
				visit(v.Next)
			}
			return
		}
		u := ""
		if r != nil && r.Request != nil {
			u = r.Request.URL.String()
		}
		if r != nil && r.StatusCode >= 400 {
			fail(fmt.Errorf("%w: GET %s: %d", crawler.ErrHTTPStatus, u, r.StatusCode))
			return
		}
		fail(fmt.Errorf("GET %s: %w", u, err))
	})
	c.OnResponse(func(r *colly.Response) {
		ct := strings.ToLower(r.Headers.Get("Content-Type"))
		if ct != "" && !strings.Contains(ct, "html") {
			fail(fmt.Errorf("%w: %s: content type %q is not HTML", crawler.ErrParse, r.Request.URL, crawler.Truncate(ct, 60)))
		}
	})
	c.OnHTML("html", func(e *colly.HTMLElement) {
		if firstErr != nil {
			return
		}
		page := Extract(e.DOM, e.Request.URL, s.cfg.Rules, s.linkTrim)
		site := s.cfg.SiteOf(e.Request.URL.String())
		for _, x := range page.Posts {
			p := s.toPost(x, site, page.Title, e.Request.URL.String(), now)
			if !tr.New(p.ID, p.PublishedAt) {
				continue
			}
			if err := emit(p); err != nil {
				fail(err)
				return
			}
			tr.Add(p.ID, p.PublishedAt)
		}
		if s.cfg.Comments != nil {
			if err := s.comments(ctx, e, page.Title, tr, emit, now); err != nil {
				fail(err)
				return
			}
		}
		for _, l := range page.Links {
			if links >= s.cfg.MaxLinks {
				break
			}
			links++
			visit(l)
		}
		if page.Next != "" {
			visit(page.Next)
		}
		tr.SetNext(crawler.RequestedURL(e.Request), page.Next)
	})
	frontier = append(frontier, s.cfg.URLs...)
	for len(frontier) > 0 && firstErr == nil && pages < maxPages && ctx.Err() == nil {
		u := frontier[0]
		frontier = frontier[1:]
		pages++
		notModified = false
		if err := c.Visit(u); err != nil {
			var av *colly.AlreadyVisitedError
			if errors.As(err, &av) || notModified {
				continue
			}
			fail(fmt.Errorf("GET %s: %w", u, err))
		}
	}
	c.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		return cur, firstErr
	}
	tr.TrimValidators(s.isStart, s.cfg.ThreadValidators)
	return tr.Cursor(), nil
}

func (s *Source) isStart(u string) bool { return slices.Contains(s.cfg.URLs, u) }

func (s *Source) toPost(x Extracted, site, title, pageURL string, now time.Time) *post.Post {
	published := x.Time
	if published.IsZero() {
		published = now
	}
	native := x.ID
	link := x.URL
	if link == "" {
		link = pageURL + "#post-" + native
	}
	author := ""
	if x.Author != "" {
		author = site + "/" + x.Author
	}
	return &post.Post{
		Schema: post.SchemaVersion, ID: post.MakeID(s.cfg.Platform, site, native), Platform: s.cfg.Platform, Source: s.cfg.Name,
		URL: link, ThreadURL: pageURL, Author: s.env.Author(s.cfg.Platform, author), Title: title, Text: x.Text, Lang: s.cfg.Lang,
		PublishedAt: published.UTC(), FetchedAt: now,
	}
}

// Page is what Extract found on one page.
type Page struct {
	Title string
	Posts []Extracted
	Links []string // absolute URLs of pages to follow
	Next  string   // absolute URL of the next page, or ""
}

// Extracted is one post block's values.
type Extracted struct {
	ID, Author, Text, URL string
	Time                  time.Time
}

// MaxPostsPerPage bounds the post blocks read from one page.
const MaxPostsPerPage = 1000

// Extract applies rules to a parsed page. Blocks with no id or no text are skipped.
// It never fails: a page that matches nothing yields an empty Page.
func Extract(root *goquery.Selection, pageURL *url.URL, r Rules, linkTrim *regexp.Regexp) Page {
	var p Page
	if r.Title != "" {
		// Alternatives are tried in the order written, not document order.
		for _, alt := range strings.Split(r.Title, ",") {
			if t := crawler.CleanText(root.Find(strings.TrimSpace(alt)).First().Text()); t != "" {
				p.Title = t
				break
			}
		}
	}
	if r.Post != "" {
		root.Find(r.Post).EachWithBreak(func(_ int, b *goquery.Selection) bool {
			x := Extracted{
				ID:     value(b, r.ID),
				Author: value(b, r.Author),
				URL:    resolve(pageURL, value(b, r.URL)),
				Time:   parseTime(value(b, r.Time)),
				Text:   text(b, r.Text),
			}
			x.ID = strings.Map(func(r rune) rune {
				if r <= ' ' {
					return -1
				}
				return r
			}, x.ID)
			if x.ID != "" && x.Text != "" {
				p.Posts = append(p.Posts, x)
			}
			return len(p.Posts) < MaxPostsPerPage
		})
	}
	seen := map[string]bool{}
	if r.Links != "" {
		root.Find(r.Links).Each(func(_ int, a *goquery.Selection) {
			href, _ := a.Attr("href")
			u := resolve(pageURL, href)
			if u == "" {
				return
			}
			if linkTrim != nil {
				u = linkTrim.ReplaceAllString(u, "")
			}
			if !seen[u] {
				seen[u] = true
				p.Links = append(p.Links, u)
			}
		})
	}
	if r.Next != "" {
		href, _ := root.Find(r.Next).First().Attr("href")
		if n := resolve(pageURL, href); n != "" && n != pageURL.String() {
			p.Next = n
		}
	}
	return p
}

func value(b *goquery.Selection, f Field) string {
	sel := b
	if f.Selector != "" {
		sel = b.Find(f.Selector).First()
	}
	if sel.Length() == 0 {
		return ""
	}
	v := ""
	if f.Attr == "" {
		v = sel.Text()
	} else {
		for _, a := range strings.Split(f.Attr, ",") {
			if s, ok := sel.Attr(strings.TrimSpace(a)); ok && strings.TrimSpace(s) != "" {
				v = s
				break
			}
		}
	}
	v = strings.TrimSpace(v)
	if f.TrimPrefix != "" {
		v = strings.TrimPrefix(v, f.TrimPrefix)
		v = strings.TrimPrefix(v, "js-"+f.TrimPrefix)
	}
	return crawler.Truncate(v, 512)
}

func text(b *goquery.Selection, f Field) string {
	sel := b
	if f.Selector != "" {
		sel = b.Find(f.Selector).First()
	}
	if sel.Length() == 0 {
		return ""
	}
	var skip func(*xhtml.Node) bool
	if f.Exclude != "" {
		if m := matcher(f.Exclude); m != nil {
			skip = m.Match
		}
	}
	return crawler.NodeText(sel.Get(0), skip)
}

var matchers sync.Map // selector string -> cascadia.SelectorGroup

// matcher compiles a selector once per process (selectors come from config, so the set
// is small); nil for an invalid selector (New already rejected those).
func matcher(sel string) cascadia.SelectorGroup {
	if m, ok := matchers.Load(sel); ok {
		return m.(cascadia.SelectorGroup)
	}
	m, err := cascadia.ParseGroup(sel)
	if err != nil {
		return nil
	}
	matchers.Store(sel, m)
	return m
}

func resolve(base *url.URL, href string) string {
	href = strings.TrimSpace(href)
	if href == "" || strings.HasPrefix(href, "#") || strings.HasPrefix(strings.ToLower(href), "javascript:") {
		return ""
	}
	u, err := base.Parse(href)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	u.Fragment = ""
	return u.String()
}

var timeLayouts = []string{time.RFC3339, "2006-01-02T15:04:05-0700", "2006-01-02 15:04:05", "02/01/2006 15:04", "02/01/2006"}

// parseTime reads Unix seconds (XenForo's data-timestamp / data-time) or a date string.
func parseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n > 1e12 { // milliseconds
			n /= 1000
		}
		if n < 315532800 || n > 7258118400 { // 1980..2200
			return time.Time{}
		}
		return time.Unix(n, 0).UTC()
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// Host implements crawler.Hoster: the host of the first start URL.
func (s *Source) Host() string { return crawler.HostOfURL(s.cfg.URLs[0]) }

// comments fetches and emits the reader comments of one page, when the page has an id.
func (s *Source) comments(ctx context.Context, e *colly.HTMLElement, title string, tr *crawler.Tracker, emit crawler.Emit, now time.Time) error {
	c := s.cfg.Comments
	id := value(e.DOM, c.ID)
	if id == "" {
		return nil // a list page, or an article without comments
	}
	u := strings.ReplaceAll(c.URL, "{id}", url.QueryEscape(id))
	resp, err := s.fetcher.Get(ctx, u, "application/json", nil)
	if err != nil {
		return err
	}
	items, _, err := jsonapi.Extract(resp.Body, jsonapi.Config{Items: c.Items, Children: c.Children, Fields: c.Fields, TextHTML: c.TextHTML})
	if err != nil {
		return fmt.Errorf("%s: %w", u, err)
	}
	page := e.Request.URL.String()
	site := s.cfg.SiteOf(page)
	for _, it := range items {
		published := jsonapi.ParseTime(it.Published, c.TimeFormat)
		if published.IsZero() {
			published = now
		}
		author := ""
		if it.Author != "" {
			author = site + "/" + it.Author
		}
		p := &post.Post{
			Schema: post.SchemaVersion, ID: post.MakeID(c.Platform, site, it.ID), Platform: c.Platform, Source: s.cfg.Name,
			URL: page + "#comment-" + url.PathEscape(it.ID), ThreadURL: page, Author: s.env.Author(c.Platform, author), Title: title,
			Text: it.Text, Lang: s.cfg.Lang, PublishedAt: published.UTC(), FetchedAt: now,
			Metrics: post.Metrics{Likes: it.Likes, Shares: it.Shares, Replies: it.Replies},
		}
		if !tr.New(p.ID, p.PublishedAt) {
			continue
		}
		if err := emit(p); err != nil {
			return err
		}
		tr.Add(p.ID, p.PublishedAt)
	}
	return nil
}
