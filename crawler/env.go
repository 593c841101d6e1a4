package crawler

import (
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/langnghe/langnghe/post"
)

// Env is what every source constructor needs from the process.
type Env struct {
	Politeness *Politeness
	Metrics    *Metrics
	UserAgent  string
	// AuthorKey is the HMAC key for post.PseudonymizeAuthor. Never logged.
	AuthorKey []byte
	Log       *slog.Logger
}

// Common is the part of every source's configuration that the crawler itself reads.
type Common struct {
	Name     string        `yaml:"name" required:"true" help:"tên nguồn, duy nhất trong tệp (trường source của bài, nhãn số đo) / source name, unique in the file (the post's source field, a metric label)"`
	Kind     string        `yaml:"kind" required:"true" help:"loại nguồn / source kind"`
	Interval time.Duration `yaml:"interval" default:"15m" help:"khoảng cách giữa hai lượt / time between two passes"`
	// Site overrides the host in post ids ("rss:<site>:h1<hash>"), so ids stay stable when a
	// source moves host or port (the demo site). Default: the URL's host without "www.".
	Site string `yaml:"site" help:"tên trang trong mã bài; mặc định: máy chủ của URL bỏ www. / site name in post ids; default: the URL's host without www."`
	// AllowPrivate permits private/loopback/link-local targets (tests, the demo site).
	AllowPrivate bool `yaml:"allow_private" default:"false" help:"cho phép địa chỉ riêng/loopback (thử nghiệm, demo) / allow private and loopback targets (tests, the demo)"`
	// MaxPages bounds the pages fetched in one pass (default 10).
	MaxPages int `yaml:"max_pages" default:"10" help:"số trang tối đa mỗi lượt / most pages fetched in one pass"`
	// MaxBody caps one response body in bytes (default 10 MiB).
	MaxBody int64 `yaml:"max_body" default:"10485760" help:"kích thước tối đa một phản hồi sau giải nén, byte / largest response body after decompression, bytes"`
	// Timeout bounds one request (default 30s).
	Timeout time.Duration `yaml:"timeout" default:"30s" help:"thời gian tối đa một yêu cầu / time limit of one request"`
	// Lookback: an unseen post older than the newest seen minus this is skipped (default 48h).
	Lookback time.Duration `yaml:"lookback" default:"48h" help:"bỏ bài chưa thấy cũ hơn bài mới nhất trừ khoảng này / skip unseen posts older than the newest minus this"`
	// Lang is the post language when the source does not say (default "vi").
	Lang string `yaml:"lang" default:"vi" help:"ngôn ngữ bài khi nguồn không ghi / post language when the source does not say"`
	// Encoding overrides what the server declares, for sites that mislabel their pages:
	// any WHATWG label (windows-1258), or a legacy Vietnamese encoding that classifier
	// converts: "tcvn3"/"abc" (.VnTime pages), "vni"/"vni-windows", "viqr" (see
	// legacy.go). Empty: posts are still checked for legacy text (vntext.FixLegacy).
	Encoding string `yaml:"encoding" help:"bảng mã thay cho khai báo của máy chủ: nhãn WHATWG (windows-1258) hoặc tcvn3, abc, vni, vni-windows, viqr / encoding overriding the server's: a WHATWG label (windows-1258) or tcvn3, abc, vni, vni-windows, viqr"`
}

// Validate checks the common fields; url is the source's main URL.
func (c *Common) Validate(mainURL string) error {
	if c.Name == "" {
		return fmt.Errorf("%w: name is required", ErrConfig)
	}
	if mainURL != "" {
		u, err := url.Parse(mainURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%w: source %s: %q is not an http(s) URL", ErrConfig, c.Name, mainURL)
		}
	}
	if c.Encoding != "" && !KnownEncoding(c.Encoding) {
		return fmt.Errorf("%w: source %s: encoding %q is not supported (use a WHATWG label such as windows-1258, or tcvn3, abc, vni, vni-windows, viqr)", ErrConfig, c.Name, c.Encoding)
	}
	if c.MaxPages <= 0 {
		c.MaxPages = 10
	}
	if c.Lang == "" {
		c.Lang = "vi"
	}
	if c.Interval <= 0 {
		c.Interval = DefaultInterval
	}
	return nil
}

// SiteOf returns c.Site or the host of u without "www." and port.
func (c *Common) SiteOf(u string) string {
	if c.Site != "" {
		return strings.ToLower(c.Site)
	}
	pu, err := url.Parse(u)
	if err != nil {
		return "unknown"
	}
	return strings.TrimPrefix(strings.ToLower(pu.Hostname()), "www.")
}

// Fetcher builds the source's fetcher from env and the common options.
func (c *Common) Fetcher(env Env) *Fetcher {
	return NewFetcher(env.Politeness, FetchOptions{UserAgent: env.UserAgent, MaxBody: c.MaxBody, Timeout: c.Timeout,
		AllowPrivate: c.AllowPrivate, Source: c.Name, Metrics: env.Metrics, Encoding: c.Encoding})
}

// Author pseudonymizes a native author id with env's key ("" stays "").
func (e Env) Author(platform, native string) post.Author {
	if native == "" || len(e.AuthorKey) == 0 {
		return post.Author{}
	}
	return post.Author{ID: post.PseudonymizeAuthor(e.AuthorKey, platform, native)}
}
