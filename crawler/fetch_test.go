package crawler

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/temoto/robotstxt"
	xhtml "golang.org/x/net/html"
)

func testFetcher(opts FetchOptions, polOpts ...PolitenessOption) *Fetcher {
	opts.AllowPrivate = true
	if opts.UserAgent == "" {
		opts.UserAgent = UserAgent("test", "https://example.org/lien-he")
	}
	return NewFetcher(NewPoliteness(append([]PolitenessOption{WithHostDelay(0)}, polOpts...)...), opts)
}

func TestRobotsDisallowAndUserAgent(t *testing.T) {
	var uas []string
	var robotsHits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		uas = append(uas, r.UserAgent())
		if r.URL.Path == "/robots.txt" {
			robotsHits.Add(1)
			fmt.Fprint(w, "User-agent: *\nDisallow: /raovat/\nDisallow: /*.json$\n")
			return
		}
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	f := testFetcher(FetchOptions{})
	ctx := context.Background()
	if _, err := f.Get(ctx, srv.URL+"/tin/1", "", nil); err != nil {
		t.Fatalf("allowed path: %v", err)
	}
	for _, p := range []string{"/raovat/nha-dat", "/api/feed.json"} {
		_, err := f.Get(ctx, srv.URL+p, "", nil)
		if !errors.Is(err, ErrRobots) {
			t.Errorf("%s: err = %v, want ErrRobots", p, err)
		}
		if ErrorKind(err) != "robots" {
			t.Errorf("kind %q", ErrorKind(err))
		}
	}
	if robotsHits.Load() != 1 {
		t.Errorf("robots.txt fetched %d times, want 1 (cached)", robotsHits.Load())
	}
	for _, ua := range uas {
		if !strings.Contains(ua, "+https://example.org/lien-he") {
			t.Errorf("User-Agent %q lacks the contact URL", ua)
		}
	}
}

func TestRobotsServerErrorDisallowsAll(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	_, err := testFetcher(FetchOptions{}).Get(context.Background(), srv.URL+"/a", "", nil)
	if !errors.Is(err, ErrRobots) {
		t.Fatalf("robots.txt answering 500 must disallow (RFC 9309), got %v", err)
	}
}

func TestCrawlDelayHonoured(t *testing.T) {
	var times []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			fmt.Fprint(w, "User-agent: *\nCrawl-delay: 0.3\n")
			return
		}
		times = append(times, time.Now())
	}))
	defer srv.Close()
	f := testFetcher(FetchOptions{})
	for i := 0; i < 3; i++ {
		if _, err := f.Get(context.Background(), srv.URL+fmt.Sprintf("/p%d", i), "", nil); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i < len(times); i++ {
		if gap := times[i].Sub(times[i-1]); gap < 250*time.Millisecond {
			t.Errorf("requests %d and %d only %s apart, Crawl-delay is 0.3s", i-1, i, gap)
		}
	}
}

func TestRetryAfterBackoff(t *testing.T) {
	var n atomic.Int32
	var times []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		times = append(times, time.Now())
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	resp, err := testFetcher(FetchOptions{}).Get(context.Background(), srv.URL+"/x", "", nil)
	if err != nil || string(resp.Body) != "ok" {
		t.Fatalf("after one 429 the fetch should succeed: %v", err)
	}
	if gap := times[1].Sub(times[0]); gap < 900*time.Millisecond {
		t.Errorf("retried after %s, Retry-After said 1s", gap)
	}

	// A Retry-After longer than we wait fails the pass with ErrThrottled and blocks the host.
	srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv2.Close()
	f := testFetcher(FetchOptions{}, WithMaxRetryAfter(5*time.Second))
	if _, err := f.Get(context.Background(), srv2.URL+"/x", "", nil); !errors.Is(err, ErrThrottled) {
		t.Fatalf("err = %v, want ErrThrottled", err)
	}
	start := time.Now()
	if _, err := f.Get(context.Background(), srv2.URL+"/y", "", nil); !errors.Is(err, ErrThrottled) || time.Since(start) > time.Second {
		t.Fatalf("blocked host: err = %v after %s, want an immediate ErrThrottled", err, time.Since(start))
	}
}

func TestPrivateAddressesRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "secret") }))
	defer srv.Close()
	f := NewFetcher(NewPoliteness(WithHostDelay(0)), FetchOptions{})
	_, err := f.Get(context.Background(), srv.URL+"/", "", nil)
	if !errors.Is(err, ErrPrivateAddress) {
		t.Fatalf("loopback without allow_private: err = %v, want ErrPrivateAddress", err)
	}
	for _, a := range []string{"127.0.0.1", "10.1.2.3", "192.168.1.1", "172.16.0.1", "169.254.169.254", "::1", "fe80::1", "100.64.0.1", "0.0.0.0", "::ffff:127.0.0.1", "fc00::1"} {
		if PublicAddr(netip.MustParseAddr(a)) {
			t.Errorf("%s counted as public", a)
		}
	}
	for _, a := range []string{"1.1.1.1", "2606:4700::1111", "113.160.0.1"} {
		if !PublicAddr(netip.MustParseAddr(a)) {
			t.Errorf("%s counted as private", a)
		}
	}
}

func TestRedirectsRechecked(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			fmt.Fprint(w, "User-agent: *\nDisallow: /cam/\n")
		case "/to-file":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		case "/to-disallowed":
			http.Redirect(w, r, "/cam/x", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		}
	}))
	defer srv.Close()
	f := testFetcher(FetchOptions{})
	ctx := context.Background()
	if _, err := f.Get(ctx, srv.URL+"/to-file", "", nil); !errors.Is(err, ErrScheme) {
		t.Errorf("redirect to file://: %v, want ErrScheme", err)
	}
	if _, err := f.Get(ctx, srv.URL+"/to-disallowed", "", nil); !errors.Is(err, ErrRobots) {
		t.Errorf("redirect into a robots-disallowed path: %v, want ErrRobots", err)
	}
	if _, err := f.Get(ctx, srv.URL+"/loop", "", nil); err == nil {
		t.Error("endless redirect loop did not fail")
	}
	if _, err := f.Get(ctx, "ftp://example.org/x", "", nil); !errors.Is(err, ErrScheme) {
		t.Errorf("ftp URL: %v, want ErrScheme", err)
	}
}

func TestBodyCaps(t *testing.T) {
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zw.Write(bytes.Repeat([]byte("a"), 8<<20)) // 8 MiB of "a" is ~8 KiB gzipped
	zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			http.NotFound(w, r)
		case "/declared":
			w.Header().Set("Content-Length", "2147483648")
			w.WriteHeader(200)
		case "/endless": // a "2 GB" body with no length: streamed until we stop reading
			buf := bytes.Repeat([]byte("x"), 32<<10)
			for i := 0; i < 65536; i++ {
				if _, err := w.Write(buf); err != nil {
					return
				}
			}
		case "/bomb":
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(bomb.Bytes())
		case "/small-gzip":
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			zw.Write([]byte("xin chào"))
			zw.Close()
		}
	}))
	defer srv.Close()
	f := testFetcher(FetchOptions{MaxBody: 1 << 20})
	ctx := context.Background()
	for _, p := range []string{"/declared", "/endless", "/bomb"} {
		_, err := f.Get(ctx, srv.URL+p, "", nil)
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: err = %v, want ErrTooLarge", p, err)
		}
	}
	resp, err := f.Get(ctx, srv.URL+"/small-gzip", "", nil)
	if err != nil || string(resp.Body) != "xin chào" {
		t.Errorf("gzip body: %q, %v", resp.Body, err)
	}
}

func TestTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		select {
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	_, err := testFetcher(FetchOptions{Timeout: 200 * time.Millisecond}).Get(context.Background(), srv.URL+"/slow", "", nil)
	if err == nil || ErrorKind(err) != "timeout" {
		t.Fatalf("err = %v (kind %q), want a timeout", err, ErrorKind(err))
	}
}

func TestVisitedIsBounded(t *testing.T) {
	v := NewVisited(100)
	for i := uint64(0); i < 10000; i++ {
		v.Visited(i)
	}
	if v.Len() != 100 {
		t.Fatalf("holds %d, want 100", v.Len())
	}
	if ok, _ := v.IsVisited(9999); !ok {
		t.Error("newest entry evicted")
	}
	if ok, _ := v.IsVisited(0); ok {
		t.Error("oldest entry kept")
	}
}

// Real robots.txt files (protego's 2019 captures) parse, and their rules apply to us.
func TestRealRobotsFiles(t *testing.T) {
	for _, tc := range []struct {
		file, path string
		allowed    bool
	}{
		{"robots_www.vietnamplus.vn.txt", "/raovat/abc--123.html", false},
		{"robots_www.vietnamplus.vn.txt", "/thoisu.vnp", true},
		{"robots_www.reddit.com.txt", "/r/VietNam/.json", false},
		{"robots_www.reddit.com.txt", "/r/VietNam/", true},
		{"robots_www.vietcombank.com.vn.txt", "/vi/Personal", true},
	} {
		p := "../../shared/fixtures/robots/" + tc.file
		b, err := os.ReadFile(p)
		if err != nil {
			t.Skipf("shared fixture %s absent: %v", p, err)
		}
		rd, err := robotstxt.FromBytes(b)
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if got := rd.TestAgent(tc.path, UserAgent("test", "")); got != tc.allowed {
			t.Errorf("%s %s: allowed=%v, want %v", tc.file, tc.path, got, tc.allowed)
		}
	}
}

func TestCleanText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Lu\u0303 lu\u0323t", "Lũ lụt"},
		{"  a \t b\u00a0c  ", "a b c"},
		{"a\n\n\n\nb", "a\n\nb"},
		{"x\x00y\u200bz", "xyz"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
	} {
		if got := CleanText(tc.in); got != tc.want {
			t.Errorf("CleanText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := HTMLToText(`<p>Xin <b>chào</b><br/>bạn &amp; tôi</p><script>alert(1)</script><img alt=":)" src="s.gif">`); got != "Xin chào\nbạn & tôi\n\n:)" {
		t.Errorf("HTMLToText = %q", got)
	}
}

func FuzzHTMLToText(f *testing.F) {
	f.Add("<p>Xin <b>chào</b><br>bạn</p>")
	f.Add("<script>x</script><<>>&amp")
	f.Fuzz(func(t *testing.T, s string) {
		out := HTMLToText(s)
		if strings.Contains(out, "<script") {
			t.Fatalf("script tag survived: %q", out)
		}
	})
}

// NodeText (DOM walk) and HTMLToText (tokenizer) agree.
func TestNodeTextMatchesHTMLToText(t *testing.T) {
	for _, s := range []string{
		`<p>Xin <b>chào</b><br/>bạn &amp; tôi</p><script>alert(1)</script><img alt=":)" src="s.gif">`,
		"<div>dòng 1\n  vẫn dòng 1<div>khối 2</div></div><ul><li>a</li><li>b</li></ul>",
		`<blockquote>trích</blockquote>trả lời <template>x</template>`,
	} {
		doc, err := xhtml.Parse(strings.NewReader("<body>" + s + "</body>"))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := NodeText(doc, nil), HTMLToText(s); got != want {
			t.Errorf("NodeText = %q, HTMLToText = %q for %q", got, want, s)
		}
	}
}

// At most WithHostConcurrency requests are open to one host; a slot is held until the
// body is closed.
func TestHostConcurrency(t *testing.T) {
	var open, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		n := open.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
		open.Add(-1)
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	f := testFetcher(FetchOptions{}, WithHostConcurrency(2))
	done := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func() {
			_, err := f.Get(context.Background(), fmt.Sprintf("%s/p%d", srv.URL, i), "", nil)
			done <- err
		}()
	}
	for i := 0; i < 8; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if peak.Load() != 2 {
		t.Errorf("peak concurrent requests to one host = %d, want 2", peak.Load())
	}
}

// decodeBody known answers: TCVN3 bytes from a .VnTime document ("B¶o Th¾ng" is "Bảo
// Thắng") and VNI-Windows bytes ("Xin chaøo") go through vntext.DecodeLegacy; VIQR
// bodies stay as they are (converted later, on extracted text); WHATWG labels through
// x/text; a name nobody knows is a config error.
func TestDecodeBody(t *testing.T) {
	for _, c := range []struct{ enc, in, want string }{
		{"tcvn3", "B\xb6o Th\xbeng, M\xad\xeang Kh\xad\xacng", "Bảo Thắng, Mường Khương"},
		{"ABC", "\xa7\xb5 N\xbdng", "Đà Nẵng"},
		{"vni", "Xin cha\xf8o ca\xf9c ba\xefn", "Xin chào các bạn"},
		{"VNI-Windows", "\xd1a\xf8 Na\xfcng, n\xf6\xf4\xf9c", "Đà Nẵng, nước"},
		{"viqr", "Vie^.t Nam <a href=\"http://google.com\">", "Vie^.t Nam <a href=\"http://google.com\">"},
		{"windows-1258", "\xe0", "à"},
		{"", "Tiếng Việt", "Tiếng Việt"},
	} {
		got, err := decodeBody([]byte(c.in), c.enc)
		if err != nil || CleanText(string(got)) != c.want {
			t.Errorf("decodeBody(%q, %q) = %q, %v; want %q", c.in, c.enc, got, err, c.want)
		}
	}
	if _, err := decodeBody([]byte("x"), "vn5"); !errors.Is(err, ErrConfig) {
		t.Errorf("unknown encoding: %v, want ErrConfig", err)
	}
	for _, enc := range []string{"tcvn3", "abc", "vni", "vni-windows", "viqr", "windows-1258", "UTF-8", ""} {
		if !KnownEncoding(enc) {
			t.Errorf("KnownEncoding(%q) = false", enc)
		}
	}
}

// A redirect from an allowed site to 127.0.0.1 is refused: the address check runs at
// connect time for every hop, not only for the first URL.
func TestRedirectToLoopbackRefused(t *testing.T) {
	inside := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "admin panel") }))
	defer inside.Close()
	outside := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		http.Redirect(w, r, inside.URL+"/admin", http.StatusFound)
	}))
	defer outside.Close()
	allowed := netip.MustParseAddrPort(strings.TrimPrefix(outside.URL, "http://"))
	f := NewFetcher(NewPoliteness(WithHostDelay(0)), FetchOptions{allowAddr: func(ap netip.AddrPort) bool { return ap == allowed }})
	_, err := f.Get(context.Background(), outside.URL+"/go", "", nil)
	if !errors.Is(err, ErrPrivateAddress) || ErrorKind(err) != "private" {
		t.Fatalf("redirect to %s: err = %v (kind %q), want ErrPrivateAddress", inside.URL, err, ErrorKind(err))
	}
}

// A per-host rule overrides the default delay for that host only.
func TestHostRules(t *testing.T) {
	var times []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		times = append(times, time.Now())
	}))
	defer srv.Close()
	d := 300 * time.Millisecond
	pol := NewPoliteness(WithHostDelay(0), WithHostRules(map[string]HostRule{"127.0.0.1": {Delay: &d, Concurrency: 1}}))
	f := NewFetcher(pol, FetchOptions{AllowPrivate: true})
	for i := 0; i < 3; i++ {
		if _, err := f.Get(context.Background(), fmt.Sprintf("%s/p%d", srv.URL, i), "", nil); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i < len(times); i++ {
		if gap := times[i].Sub(times[i-1]); gap < 250*time.Millisecond {
			t.Errorf("requests %d and %d %s apart, the host rule says 300ms", i-1, i, gap)
		}
	}
}
