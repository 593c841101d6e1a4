// Package rss is the RSS 2.0 / Atom feed source: every feed item becomes a post (title,
// description or content as plain text, author pseudonymized, slash:comments as replies).
// Feeds are fetched with colly through the crawler's polite fetcher, with conditional
// requests (ETag / Last-Modified) so an unchanged feed costs one 304.
package rss

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gocolly/colly/v2"
	"golang.org/x/net/html/charset"

	"github.com/langnghe/langnghe/crawler"
	"github.com/langnghe/langnghe/post"
)

// Kind is the config kind of this source.
const Kind = "rss"

// Config is one feed.
type Config struct {
	crawler.Common `yaml:",inline"`
	// URL is the feed URL.
	URL string `yaml:"url" required:"true" help:"URL của feed RSS/Atom / feed URL (RSS or Atom)"`
	// FollowLinks fetches each new item's link and uses the article text (the element
	// matched by ArticleSelector) instead of the feed's description. Robots.txt and the
	// per-host rate limit apply to the article pages too.
	FollowLinks bool `yaml:"follow_links" default:"false" help:"tải trang bài của mỗi mục mới để lấy toàn văn / fetch each new item's page for the full article text"`
	// ArticleSelector is the CSS selector of the article body (default: common news
	// layouts, e.g. VnExpress's .fck_detail, then article, then main).
	ArticleSelector string `yaml:"article_selector" help:"bộ chọn CSS của thân bài khi follow_links; mặc định: các bố cục báo phổ biến / CSS selector of the article body with follow_links; default: common news layouts"`
}

// DefaultArticleSelector finds the body of most Vietnamese news articles.
const DefaultArticleSelector = "article.fck_detail, .fck_detail, .detail-content, .article-content, .singular-content, article, main"

// Source is a configured feed. Its cursor uses Seen, Newest and Validators.
type Source struct {
	cfg     Config
	env     crawler.Env
	fetcher *crawler.Fetcher
}

// New validates cfg and returns the source.
func New(cfg Config, env crawler.Env) (*Source, error) {
	if err := cfg.Common.Validate(cfg.URL); err != nil {
		return nil, err
	}
	return &Source{cfg: cfg, env: env, fetcher: cfg.Fetcher(env)}, nil
}

// Name implements crawler.Source.
func (s *Source) Name() string { return s.cfg.Name }

// Encoding implements crawler.Encoded.
func (s *Source) Encoding() string { return s.cfg.Encoding }

// Fetch implements crawler.Source: one GET of the feed (conditional), new items emitted.
func (s *Source) Fetch(ctx context.Context, cur crawler.Cursor, emit crawler.Emit) (crawler.Cursor, error) {
	tr := crawler.NewTracker(cur, s.cfg.Lookback)
	c, err := crawler.NewCollector(ctx, s.fetcher, 16)
	if err != nil {
		return cur, err
	}
	var fetchErr, emitErr error
	notModified := false
	crawler.Conditional(c, tr, func(u string) bool { return u == s.cfg.URL })
	c.OnRequest(func(r *colly.Request) {
		r.Headers.Set("Accept", "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8")
	})
	c.OnError(func(r *colly.Response, err error) {
		if crawler.NotModified(r) {
			notModified = true
			return
		}
		if r != nil && r.StatusCode >= 400 {
			fetchErr = fmt.Errorf("%w: GET %s: %d", crawler.ErrHTTPStatus, s.cfg.URL, r.StatusCode)
			return
		}
		fetchErr = fmt.Errorf("GET %s: %w", s.cfg.URL, err)
	})
	c.OnResponse(func(r *colly.Response) {
		items, err := Parse(r.Body, r.Headers.Get("Content-Type"))
		if err != nil {
			fetchErr = fmt.Errorf("%s: %w", s.cfg.URL, err)
			return
		}
		site := s.cfg.SiteOf(s.cfg.URL)
		now := time.Now().UTC()
		for _, it := range items {
			p := s.toPost(it, site, now)
			if p == nil || !tr.New(p.ID, p.PublishedAt) {
				continue
			}
			if s.cfg.FollowLinks && p.URL != "" {
				if err := s.follow(ctx, p); err != nil && ctx.Err() == nil {
					s.logf("bài không tải được, dùng mô tả / article not fetched, using the description", "url", p.URL, "err", err)
				}
			}
			if err := emit(p); err != nil {
				emitErr = err
				return
			}
			tr.Add(p.ID, p.PublishedAt)
		}
	})
	if err := c.Visit(s.cfg.URL); err != nil && fetchErr == nil && !notModified {
		fetchErr = fmt.Errorf("GET %s: %w", s.cfg.URL, err)
	}
	c.Wait()
	if emitErr != nil {
		return cur, emitErr
	}
	if fetchErr != nil {
		return cur, fetchErr
	}
	return tr.Cursor(), nil
}

func (s *Source) toPost(it Item, site string, now time.Time) *post.Post {
	native := it.GUID
	if native == "" {
		native = it.Link
	}
	if native == "" {
		return nil
	}
	text := it.Title
	if body := crawler.HTMLToText(it.Content); body != "" {
		text = strings.TrimSpace(text + "\n\n" + body)
	}
	published := it.Published
	if published.IsZero() {
		published = now
	}
	author := ""
	if it.Author != "" {
		author = site + "/" + it.Author
	}
	return &post.Post{
		Schema:      post.SchemaVersion,
		ID:          post.MakeID(Kind, site, native),
		Platform:    Kind,
		Source:      s.cfg.Name,
		URL:         it.Link,
		Author:      s.env.Author(Kind, author),
		Title:       it.Title,
		Text:        crawler.CleanText(text),
		Lang:        s.cfg.Lang,
		PublishedAt: published.UTC(),
		FetchedAt:   now,
		Metrics:     post.Metrics{Replies: it.Comments},
	}
}

// Item is one feed entry, normalized across RSS 2.0 and Atom.
type Item struct {
	GUID      string
	Link      string
	Title     string // plain text
	Content   string // HTML (description, content:encoded, Atom content or summary)
	Author    string // native author name as the feed gives it
	Published time.Time
	Comments  int
}

type rssDoc struct {
	XMLName xml.Name
	Channel struct {
		Items []rssItem `xml:"item"`
	} `xml:"channel"`
	Items   []rssItem   `xml:"item"`  // RSS 1.0 (RDF) puts items at the top level
	Entries []atomEntry `xml:"entry"` // Atom
}

type rssItem struct {
	Title       string `xml:"title"`
	Link        string `xml:"link"`
	GUID        string `xml:"guid"`
	Description string `xml:"description"`
	Encoded     string `xml:"http://purl.org/rss/1.0/modules/content/ encoded"`
	PubDate     string `xml:"pubDate"`
	DCDate      string `xml:"http://purl.org/dc/elements/1.1/ date"`
	Author      string `xml:"author"`
	Creator     string `xml:"http://purl.org/dc/elements/1.1/ creator"`
	Comments    string `xml:"http://purl.org/rss/1.0/modules/slash/ comments"`
}

type atomEntry struct {
	ID    string `xml:"id"`
	Title string `xml:"title"`
	Links []struct {
		Href string `xml:"href,attr"`
		Rel  string `xml:"rel,attr"`
	} `xml:"link"`
	Published string `xml:"published"`
	Updated   string `xml:"updated"`
	Content   string `xml:"content"`
	Summary   string `xml:"summary"`
	Author    struct {
		Name string `xml:"name"`
	} `xml:"author"`
}

// MaxItems bounds the items taken from one feed.
const MaxItems = 5000

// Parse decodes an RSS 2.0, RSS 1.0 or Atom document (any declared charset). Malformed XML,
// or a document that is no feed (HTML, JSON), is an error wrapping crawler.ErrParse.
func Parse(body []byte, contentType string) ([]Item, error) {
	var doc rssDoc
	dec := xml.NewDecoder(bytes.NewReader(bytes.TrimLeft(body, " \t\r\n\ufeff")))
	dec.Strict = false
	dec.Entity = xml.HTMLEntity
	dec.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		if utf8.Valid(body) {
			// Already UTF-8: colly converted it (charset in Content-Type) or the
			// declaration is wrong. Decoding again would garble it.
			return r, nil
		}
		return charset.NewReaderLabel(label, r)
	}
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: feed XML: %v", crawler.ErrParse, err)
	}
	switch strings.ToLower(doc.XMLName.Local) {
	case "rss", "rdf", "feed":
	default:
		return nil, fmt.Errorf("%w: not a feed: root element <%s> (content type %q)", crawler.ErrParse, crawler.Truncate(doc.XMLName.Local, 40), crawler.Truncate(contentType, 60))
	}
	var out []Item
	for _, it := range append(doc.Channel.Items, doc.Items...) {
		author := strings.TrimSpace(it.Creator)
		if author == "" {
			author = strings.TrimSpace(it.Author)
		}
		date := it.PubDate
		if strings.TrimSpace(date) == "" {
			date = it.DCDate
		}
		n, _ := strconv.Atoi(strings.TrimSpace(it.Comments))
		content := it.Encoded
		if strings.TrimSpace(content) == "" {
			content = it.Description
		}
		out = append(out, Item{GUID: strings.TrimSpace(it.GUID), Link: strings.TrimSpace(it.Link), Title: crawler.CleanText(crawler.HTMLToText(it.Title)),
			Content: content, Author: author, Published: ParseTime(date), Comments: max(n, 0)})
		if len(out) >= MaxItems {
			return out, nil
		}
	}
	for _, e := range doc.Entries {
		link := ""
		for _, l := range e.Links {
			if l.Rel == "" || l.Rel == "alternate" {
				link = strings.TrimSpace(l.Href)
				break
			}
		}
		content := e.Content
		if strings.TrimSpace(content) == "" {
			content = e.Summary
		}
		date := e.Published
		if strings.TrimSpace(date) == "" {
			date = e.Updated
		}
		out = append(out, Item{GUID: strings.TrimSpace(e.ID), Link: link, Title: crawler.CleanText(crawler.HTMLToText(e.Title)), Content: content,
			Author: strings.TrimSpace(e.Author.Name), Published: ParseTime(date)})
		if len(out) >= MaxItems {
			break
		}
	}
	return out, nil
}

var layouts = []string{
	time.RFC1123Z, time.RFC1123, time.RFC3339Nano, time.RFC3339,
	"Mon, 2 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05 MST", "Mon, 02 Jan 2006 15:04 -0700",
	"2 Jan 2006 15:04:05 -0700", "Mon, 02 Jan 06 15:04:05 -0700", "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02",
}

// ParseTime parses the date formats feeds use; it returns the zero time when none fits.
func ParseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			if t.Year() < 1990 || t.Year() > 2200 {
				return time.Time{}
			}
			return t
		}
	}
	return time.Time{}
}

// Host implements crawler.Hoster.
func (s *Source) Host() string { return crawler.HostOfURL(s.cfg.URL) }

// follow replaces p.Text with the article text of p.URL when one is found.
func (s *Source) follow(ctx context.Context, p *post.Post) error {
	c, err := crawler.NewCollector(ctx, s.fetcher, 4)
	if err != nil {
		return err
	}
	sel := s.cfg.ArticleSelector
	if sel == "" {
		sel = DefaultArticleSelector
	}
	var text string
	var ferr error
	c.OnHTML("html", func(e *colly.HTMLElement) {
		for _, alt := range strings.Split(sel, ",") {
			node := e.DOM.Find(strings.TrimSpace(alt)).First()
			if node.Length() == 0 {
				continue
			}
			node.Find("script, style, figure, .box_comment, .social, nav").Remove()
			if h, err := node.Html(); err == nil {
				if t := crawler.HTMLToText(h); t != "" {
					text = t
					return
				}
			}
		}
	})
	c.OnError(func(_ *colly.Response, err error) { ferr = err })
	if err := c.Visit(p.URL); err != nil && ferr == nil {
		ferr = err
	}
	c.Wait()
	if ferr != nil {
		return ferr
	}
	if text != "" {
		p.Text = crawler.CleanText(p.Title + "\n\n" + text)
	}
	return nil
}

func (s *Source) logf(msg string, args ...any) {
	if s.env.Log != nil {
		s.env.Log.Debug(msg, append([]any{"source", s.cfg.Name}, args...)...)
	}
}
