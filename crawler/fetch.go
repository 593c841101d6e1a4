package crawler

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/temoto/robotstxt"
)

// Defaults for FetchOptions.
const (
	DefaultMaxBody       = 10 << 20 // 10 MiB after decompression
	DefaultTimeout       = 30 * time.Second
	DefaultHostDelay     = time.Second
	DefaultMaxRetryAfter = 2 * time.Minute
	DefaultRobotsTTL     = time.Hour
	maxRobotsBody        = 512 << 10
	robotsRetry          = 5 * time.Minute // re-ask an unavailable robots.txt this soon
	maxHosts             = 4096
	maxRedirects         = 5
	// maxCrawlDelay caps a robots.txt Crawl-delay (some sites ask for hours); a source
	// that needs more should get a longer interval instead.
	maxCrawlDelay = 60 * time.Second
)

// FetchOptions configure a Fetcher. The zero value is usable: defaults apply.
type FetchOptions struct {
	// UserAgent is sent with every request; use UserAgent(version, contactURL).
	UserAgent string
	// MaxBody caps a response body after decompression (default 10 MiB).
	MaxBody int64
	// Timeout bounds one request including reading the body (default 30 s).
	Timeout time.Duration
	// AllowPrivate lets this source reach private, loopback and link-local addresses
	// (tests and the in-process demo site only).
	AllowPrivate bool
	// IgnoreRobots turns robots.txt off for this source. Only for sources the operator
	// owns; never set by default.
	IgnoreRobots bool
	// Encoding, when set, decodes every response body from it to UTF-8 (see legacy.go:
	// TCVN3/VNI through vntext.DecodeLegacy, WHATWG labels through x/text; VIQR is
	// left to the Runner) and says charset=utf-8 in Content-Type, whatever the server
	// declared.
	Encoding string
	// Source and Metrics label and count this fetcher's requests (Metrics may be nil).
	Source  string
	Metrics *Metrics

	// allowAddr admits single non-public addresses (tests: one loopback server allowed,
	// a redirect to another refused).
	allowAddr func(netip.AddrPort) bool
}

// UserAgent builds the User-Agent string: product, version and the operator's contact URL
// so site owners can reach whoever runs the crawler.
func UserAgent(version, contactURL string) string {
	if contactURL == "" {
		return "langnghe/" + version + " (public-opinion monitor)"
	}
	return "langnghe/" + version + " (+" + contactURL + ")"
}

// Politeness is shared by every Fetcher of a process: per-host spacing of requests
// (max of the configured delay and robots.txt Crawl-delay), 429/503 backoff and a bounded
// robots.txt cache. Safe for concurrent use. Memory is bounded by maxHosts hosts.
type Politeness struct {
	delay         time.Duration
	perHost       int
	maxRetryAfter time.Duration
	robotsTTL     time.Duration
	now           func() time.Time

	overrides map[string]HostRule

	mu    sync.Mutex
	hosts map[string]*hostState
	order []string // insertion order, for eviction
}

type hostState struct {
	delay     time.Duration // minimum gap between requests (WithHostDelay or an override)
	mu        sync.Mutex    // guards the fields below
	slots     chan struct{} // per-host concurrency: a slot is held until the body is closed
	next      time.Time     // earliest time of the next request
	blocked   time.Time     // Retry-After deadline
	robots    *robotstxt.RobotsData
	robotsAt  time.Time
	robotsRaw []byte
	robotsSt  int
	robotsWhy string // why robots.txt is unavailable (status or network error)
}

// PolitenessOption configures NewPoliteness.
type PolitenessOption func(*Politeness)

// WithHostDelay sets the minimum time between two requests to one host (default 1 s). 0
// turns rate limiting off (benchmarks against a local site); Crawl-delay still applies.
func WithHostDelay(d time.Duration) PolitenessOption { return func(p *Politeness) { p.delay = d } }

// WithHostConcurrency sets how many requests may be open to one host at once (default 2).
func WithHostConcurrency(n int) PolitenessOption {
	return func(p *Politeness) { p.perHost = max(n, 1) }
}

// HostRule overrides the politeness defaults for one host (e.g. a forum that asks for
// one request every 5 s). A nil Delay or zero Concurrency keeps the default.
type HostRule struct {
	Delay       *time.Duration `yaml:"delay"`
	Concurrency int            `yaml:"concurrency"`
}

// WithHostRules sets per-host overrides, keyed by host name without port ("voz.vn").
func WithHostRules(rules map[string]HostRule) PolitenessOption {
	return func(p *Politeness) {
		p.overrides = map[string]HostRule{}
		for h, r := range rules {
			p.overrides[strings.ToLower(h)] = r
		}
	}
}

func hostname(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// WithMaxRetryAfter sets the longest Retry-After the fetcher waits for inside one pass;
// longer ones fail the pass with ErrThrottled and the host stays blocked until then.
func WithMaxRetryAfter(d time.Duration) PolitenessOption {
	return func(p *Politeness) { p.maxRetryAfter = d }
}

// NewPoliteness returns the shared politeness state.
func NewPoliteness(opts ...PolitenessOption) *Politeness {
	p := &Politeness{delay: DefaultHostDelay, perHost: 2, maxRetryAfter: DefaultMaxRetryAfter, robotsTTL: DefaultRobotsTTL, now: time.Now, hosts: map[string]*hostState{}}
	for _, o := range opts {
		o(p)
	}
	return p
}

func (p *Politeness) host(h string) *hostState {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s, ok := p.hosts[h]; ok {
		return s
	}
	if len(p.order) >= maxHosts {
		old := p.order[0]
		p.order = p.order[1:]
		delete(p.hosts, old)
	}
	delay, per := p.delay, p.perHost
	if o, ok := p.overrides[strings.ToLower(hostname(h))]; ok {
		if o.Delay != nil {
			delay = *o.Delay
		}
		if o.Concurrency > 0 {
			per = o.Concurrency
		}
	}
	s := &hostState{slots: make(chan struct{}, per), delay: delay}
	p.hosts[h] = s
	p.order = append(p.order, h)
	return s
}

// Fetcher is a source's HTTP client. Create one per source with NewFetcher; it is safe
// for concurrent use.
type Fetcher struct {
	opts   FetchOptions
	pol    *Politeness
	client *http.Client
	rt     *politeTransport
}

// NewFetcher returns a fetcher with its own connection pool whose dialer enforces the
// address policy, sharing pol with other fetchers.
func NewFetcher(pol *Politeness, opts FetchOptions) *Fetcher {
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.UserAgent == "" {
		opts.UserAgent = UserAgent("dev", "")
	}
	if pol == nil {
		pol = NewPoliteness()
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: addressControl(opts.AllowPrivate, opts.allowAddr)}
	base := &http.Transport{
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: opts.Timeout,
		IdleConnTimeout:       60 * time.Second,
		MaxIdleConnsPerHost:   4,
		DisableCompression:    true, // we ask for gzip ourselves and cap the decompressed size
	}
	rt := &politeTransport{base: base, pol: pol, opts: opts}
	f := &Fetcher{opts: opts, pol: pol, rt: rt}
	f.client = &http.Client{Transport: rt, Timeout: opts.Timeout, CheckRedirect: checkRedirect}
	return f
}

// Client returns the safe, polite client (for colly's SetClient/WithTransport and plain
// net/http sources).
func (f *Fetcher) Client() *http.Client { return f.client }

// Transport returns the polite transport (robots, rate limit, caps) for use by colly.
func (f *Fetcher) Transport() http.RoundTripper { return f.rt }

// Options returns the effective options.
func (f *Fetcher) Options() FetchOptions { return f.opts }

// CheckRedirect re-checks every redirect target: http/https only and at most 5 hops. The
// address policy, robots.txt and politeness apply again because the redirected request
// goes through the same transport and dialer.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("%w: more than %d redirects at %s", ErrHTTPStatus, maxRedirects, req.URL)
	}
	return CheckRedirect(req, via)
}

// CheckRedirect is the redirect policy, exported for colly's SetRedirectHandler.
func CheckRedirect(req *http.Request, via []*http.Request) error {
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return fmt.Errorf("%w: redirect to %s", ErrScheme, req.URL)
	}
	if len(via) >= maxRedirects {
		return fmt.Errorf("%w: more than %d redirects at %s", ErrHTTPStatus, maxRedirects, req.URL)
	}
	return nil
}

// Response is a fully read, size-capped, decompressed response.
type Response struct {
	URL        string // final URL after redirects
	StatusCode int
	Header     http.Header
	Body       []byte
}

// Get fetches url with optional conditional-request validators. A 304 returns a Response
// with StatusCode 304 and no error. Other non-2xx statuses return ErrHTTPStatus.
func (f *Fetcher) Get(ctx context.Context, url string, accept string, v *Validator) (*Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrScheme, url, err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if v != nil {
		if v.ETag != "" {
			req.Header.Set("If-None-Match", v.ETag)
		}
		if v.LastModified != "" {
			req.Header.Set("If-Modified-Since", v.LastModified)
		}
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, unwrapURLError(err))
	}
	defer resp.Body.Close()
	out := &Response{URL: resp.Request.URL.String(), StatusCode: resp.StatusCode, Header: resp.Header}
	if resp.StatusCode == http.StatusNotModified {
		return out, nil
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: reading body: %w", url, err)
	}
	out.Body = body
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return out, fmt.Errorf("%w: GET %s: %s", ErrHTTPStatus, url, resp.Status)
	}
	return out, nil
}

// unwrapURLError keeps the cause of a *url.Error (our sentinels) visible to errors.Is and
// drops the duplicated URL text.
func unwrapURLError(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil && (errors.Is(inner, ErrRobots) || errors.Is(inner, ErrPrivateAddress) || errors.Is(inner, ErrScheme) || errors.Is(inner, ErrThrottled) || errors.Is(inner, ErrHTTPStatus)) {
			return inner
		}
	}
	return err
}

// politeTransport applies robots.txt, per-host spacing and backoff, the User-Agent and the
// body caps to every request, including colly's and redirected ones.
type politeTransport struct {
	base *http.Transport
	pol  *Politeness
	opts FetchOptions
}

func (t *politeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return nil, fmt.Errorf("%w: %s", ErrScheme, req.URL)
	}
	ctx := req.Context()
	hs := t.pol.host(req.URL.Host)
	if req.URL.Path == "/robots.txt" {
		return t.robotsResponse(ctx, req, hs)
	}
	crawlDelay := time.Duration(0)
	if !t.opts.IgnoreRobots {
		rd, err := t.robots(ctx, req, hs)
		if err != nil {
			return nil, err
		}
		path := req.URL.EscapedPath()
		if req.URL.RawQuery != "" {
			path += "?" + req.URL.RawQuery
		}
		if !rd.TestAgent(path, t.ua()) {
			hs.mu.Lock()
			st, why := hs.robotsSt, hs.robotsWhy
			hs.mu.Unlock()
			if st >= 500 {
				return nil, fmt.Errorf("%w: robots.txt of %s unavailable (%s), nothing fetched until it answers: %s", ErrRobots, req.URL.Host, why, req.URL)
			}
			return nil, fmt.Errorf("%w: %s", ErrRobots, req.URL)
		}
		if g := rd.FindGroup(t.ua()); g != nil {
			crawlDelay = min(g.CrawlDelay, maxCrawlDelay)
		}
	}
	for attempt := 0; ; attempt++ {
		select { // per-host concurrency slot, released when the body is closed
		case hs.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		release := sync.OnceFunc(func() { <-hs.slots })
		if err := t.wait(ctx, hs, crawlDelay); err != nil {
			release()
			return nil, err
		}
		r2 := req.Clone(ctx)
		r2.Header.Set("User-Agent", t.ua())
		if r2.Header.Get("Accept-Encoding") == "" {
			r2.Header.Set("Accept-Encoding", "gzip")
		}
		resp, err := t.base.RoundTrip(r2)
		if err != nil {
			release()
			t.opts.Metrics.request(t.opts.Source, "error")
			return nil, classifyDialError(err)
		}
		t.opts.Metrics.request(t.opts.Source, strconv.Itoa(resp.StatusCode))
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			wait := retryAfter(resp.Header.Get("Retry-After"), t.pol.now())
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			release()
			hs.mu.Lock()
			until := t.pol.now().Add(wait)
			if until.After(hs.blocked) {
				hs.blocked = until
			}
			hs.mu.Unlock()
			if wait > t.pol.maxRetryAfter || attempt >= 2 {
				return nil, fmt.Errorf("%w: %s answered %d, Retry-After %s", ErrThrottled, req.URL.Host, resp.StatusCode, wait)
			}
			continue
		}
		out, err := t.capBody(resp, release)
		if err != nil {
			release()
		}
		return out, err
	}
}

func (t *politeTransport) ua() string {
	if ua := t.opts.UserAgent; ua != "" {
		return ua
	}
	return UserAgent("dev", "")
}

// wait sleeps until the host may be asked again, then reserves the next slot.
func (t *politeTransport) wait(ctx context.Context, hs *hostState, crawlDelay time.Duration) error {
	hs.mu.Lock()
	now := t.pol.now()
	at := hs.next
	if hs.blocked.After(at) {
		at = hs.blocked
	}
	if at.Sub(now) > t.pol.maxRetryAfter {
		hs.mu.Unlock()
		return fmt.Errorf("%w: host blocked until %s", ErrThrottled, at.UTC().Format(time.RFC3339))
	}
	if at.Before(now) {
		at = now
	}
	gap := max(hs.delay, crawlDelay)
	hs.next = at.Add(gap)
	hs.mu.Unlock()
	if d := at.Sub(now); d > 0 {
		timer := time.NewTimer(d)
		defer timer.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
	}
	return nil
}

// robots returns the host's parsed robots.txt, fetching it when missing or stale.
func (t *politeTransport) robots(ctx context.Context, req *http.Request, hs *hostState) (*robotstxt.RobotsData, error) {
	hs.mu.Lock()
	rd, at := hs.robots, hs.robotsAt
	hs.mu.Unlock()
	if rd != nil && t.pol.now().Sub(at) < t.pol.robotsTTL {
		return rd, nil
	}
	if err := t.wait(ctx, hs, 0); err != nil {
		return nil, err
	}
	u := *req.URL
	u.Path, u.RawPath, u.RawQuery, u.Fragment = "/robots.txt", "", "", ""
	rreq, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	rreq.Header.Set("User-Agent", t.ua())
	status, body, why := 0, []byte(nil), ""
	resp, err := t.base.RoundTrip(rreq)
	if err != nil {
		err = classifyDialError(err)
		if errors.Is(err, ErrPrivateAddress) || ctx.Err() != nil {
			return nil, err
		}
		// Unreachable robots.txt: treat like 5xx (disallow all), per RFC 9309.
		status, why = http.StatusServiceUnavailable, oneLine(err.Error(), 120)
	} else {
		status = resp.StatusCode
		why = resp.Status
		body, _ = io.ReadAll(io.LimitReader(resp.Body, maxRobotsBody))
		resp.Body.Close()
	}
	fetchedAt := t.pol.now()
	if status >= 500 {
		fetchedAt = fetchedAt.Add(robotsRetry - t.pol.robotsTTL) // ask again soon, not after the full TTL
	}
	rd, err = robotstxt.FromStatusAndBytes(status, body)
	if err != nil {
		rd, _ = robotstxt.FromStatusAndBytes(http.StatusOK, nil)
	}
	hs.mu.Lock()
	hs.robots, hs.robotsAt, hs.robotsRaw, hs.robotsSt, hs.robotsWhy = rd, fetchedAt, body, status, why
	hs.mu.Unlock()
	return rd, nil
}

// robotsResponse answers a request for /robots.txt (colly asks for it) from the cache.
func (t *politeTransport) robotsResponse(ctx context.Context, req *http.Request, hs *hostState) (*http.Response, error) {
	if _, err := t.robots(ctx, req, hs); err != nil {
		return nil, err
	}
	hs.mu.Lock()
	body, st := hs.robotsRaw, hs.robotsSt
	hs.mu.Unlock()
	if t.opts.IgnoreRobots {
		body, st = nil, http.StatusNotFound
	}
	return &http.Response{
		StatusCode: st, Status: strconv.Itoa(st) + " " + http.StatusText(st), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"text/plain"}}, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)), Request: req,
	}, nil
}

// capBody decompresses gzip/deflate bodies and makes reading past MaxBody an ErrTooLarge.
func (t *politeTransport) capBody(resp *http.Response, onClose func()) (*http.Response, error) {
	if resp.ContentLength > t.opts.MaxBody && resp.Header.Get("Content-Encoding") == "" {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %s declares %d bytes, cap %d", ErrTooLarge, resp.Request.URL, resp.ContentLength, t.opts.MaxBody)
	}
	var body io.ReadCloser = resp.Body
	switch strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))) {
	case "gzip", "x-gzip":
		body = &lazyDecoder{raw: resp.Body, open: func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }}
	case "deflate":
		body = &lazyDecoder{raw: resp.Body, open: func(r io.Reader) (io.Reader, error) { return flate.NewReader(r), nil }}
	}
	if body != resp.Body {
		resp.Header.Del("Content-Encoding")
		resp.Header.Del("Content-Length")
		resp.ContentLength = -1
		resp.Uncompressed = true
	}
	resp.Body = &cappedBody{r: body, left: t.opts.MaxBody, url: resp.Request.URL.String(), cap: t.opts.MaxBody, onClose: onClose}
	if lr := legacyReader(resp.Body, t.opts.Encoding); lr != nil {
		resp.Body = readCloser{Reader: lr, Closer: resp.Body}
		ct := resp.Header.Get("Content-Type")
		if i := strings.Index(ct, ";"); i >= 0 {
			ct = ct[:i]
		}
		if ct == "" {
			ct = "text/html"
		}
		resp.Header.Set("Content-Type", ct+"; charset=utf-8")
		resp.Header.Del("Content-Length")
		resp.ContentLength = -1
	}
	return resp, nil
}

type lazyDecoder struct {
	raw  io.ReadCloser
	open func(io.Reader) (io.Reader, error)
	r    io.Reader
	err  error
}

func (d *lazyDecoder) Read(p []byte) (int, error) {
	if d.r == nil && d.err == nil {
		d.r, d.err = d.open(d.raw)
		if d.err != nil {
			d.err = fmt.Errorf("%w: bad compressed body: %v", ErrParse, d.err)
		}
	}
	if d.err != nil {
		return 0, d.err
	}
	return d.r.Read(p)
}

func (d *lazyDecoder) Close() error { return d.raw.Close() }

type cappedBody struct {
	r       io.ReadCloser
	left    int64
	cap     int64
	url     string
	onClose func()
}

func (c *cappedBody) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// One more byte means the body is over the cap.
		var one [1]byte
		n, err := c.r.Read(one[:])
		if n > 0 {
			return 0, fmt.Errorf("%w: %s is over %d bytes", ErrTooLarge, c.url, c.cap)
		}
		return 0, err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

func (c *cappedBody) Close() error {
	err := c.r.Close()
	if c.onClose != nil {
		c.onClose()
	}
	return err
}

// retryAfter parses a Retry-After header (seconds or HTTP date); missing or bad values
// mean 30 s, and the result is at least 1 s.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 30 * time.Second
	}
	if n, err := strconv.Atoi(v); err == nil {
		return max(time.Duration(n)*time.Second, time.Second)
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), time.Second)
	}
	return 30 * time.Second
}

// addressControl refuses connections to private, loopback, link-local, unspecified and
// multicast addresses unless allowPrivate. It runs at connect time, after DNS resolution,
// so it also covers redirects and DNS names that point inside.
func addressControl(allowPrivate bool, allowAddr func(netip.AddrPort) bool) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		if allowPrivate {
			return nil
		}
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: cannot parse %s", ErrPrivateAddress, address)
		}
		if allowAddr != nil && allowAddr(ap) {
			return nil
		}
		if !PublicAddr(ap.Addr()) {
			return fmt.Errorf("%w: %s", ErrPrivateAddress, ap.Addr())
		}
		return nil
	}
}

// PublicAddr reports whether a may be crawled without allow_private.
func PublicAddr(a netip.Addr) bool {
	a = a.Unmap()
	switch {
	case !a.IsValid(), a.IsLoopback(), a.IsPrivate(), a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast(),
		a.IsUnspecified(), a.IsMulticast(), a.IsInterfaceLocalMulticast():
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64 can reach inside
}

func classifyDialError(err error) error {
	if errors.Is(err, ErrPrivateAddress) {
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Err != nil {
			return oe.Err
		}
	}
	return err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isNetwork(err error) bool {
	var oe *net.OpError
	var de *net.DNSError
	return errors.As(err, &oe) || errors.As(err, &de) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED)
}

type readCloser struct {
	io.Reader
	io.Closer
}
