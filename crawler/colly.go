package crawler

import (
	"context"
	"net/http"
	"strings"

	"github.com/gocolly/colly/v2"
)

// DefaultVisitedCap bounds the visited set of one collector.
const DefaultVisitedCap = 50_000

// NewCollector returns a colly collector for one pass of an HTML or feed source: requests
// go through f's polite, safe transport; robots.txt is honoured (colly ignores it unless
// told otherwise, so it is switched on here, on top of the transport's own check); the
// visited set is bounded (Visited), cookies are off (we never log in), and colly's body
// cap sits just above f's (3x when f decodes an encoding) so that f's ErrTooLarge fires
// instead of a silent truncation.
// Create one collector per pass: its robots map and visited set then live only as long
// as the pass.
func NewCollector(ctx context.Context, f *Fetcher, visitedCap int) (*colly.Collector, error) {
	if visitedCap <= 0 {
		visitedCap = DefaultVisitedCap
	}
	opts := f.Options()
	// A configured encoding is decoded in the transport, so colly counts UTF-8 bytes:
	// up to 3 per byte read from a single-byte encoding.
	bodyCap := int(opts.MaxBody) + 1
	if opts.Encoding != "" {
		bodyCap = 3*int(opts.MaxBody) + 1
	}
	c := colly.NewCollector(
		colly.UserAgent(opts.UserAgent),
		colly.MaxBodySize(bodyCap),
		colly.StdlibContext(ctx),
	)
	c.IgnoreRobotsTxt = opts.IgnoreRobots
	c.SetClient(&http.Client{Transport: f.Transport(), Timeout: opts.Timeout})
	if err := c.SetStorage(NewVisited(visitedCap)); err != nil {
		return nil, err
	}
	c.DisableCookies()
	c.SetRedirectHandler(CheckRedirect)
	c.SetRequestTimeout(opts.Timeout)
	return c, nil
}

// FixEncoding registers a colly callback that honours a charset declared only inside an
// HTML document (<meta>, BOM), which colly ignores, before OnHTML parses it. (A source's
// configured `encoding:` is applied earlier, by the Fetcher.)
func FixEncoding(c *colly.Collector) {
	c.OnResponse(func(r *colly.Response) {
		ct := strings.ToLower(r.Headers.Get("Content-Type"))
		if !strings.Contains(ct, "charset") && strings.Contains(ct, "html") {
			r.Body = ToUTF8(r.Body, ct)
		}
	})
}
