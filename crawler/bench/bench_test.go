// Package bench holds the crawler benchmarks against a local test site (politeness off):
// pages/s and posts/s, overhead against a plain net/http loop fetching the same URLs in
// the same run, and resident memory over a 100,000-page crawl.
package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/langnghe/langnghe/crawler"
	"github.com/langnghe/langnghe/crawler/html"
	"github.com/langnghe/langnghe/post"
)

const postsPerPage = 20

// site serves an endless XenForo-like thread: page N holds 20 posts with unique ids and
// links to page N+1 with rel=next, up to pages.
func site(pages int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			fmt.Fprint(w, "User-agent: *\nDisallow: /private/\n")
			return
		}
		n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/t/bench.1/page-"))
		if err != nil || n < 1 || n > pages {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		var b strings.Builder
		b.WriteString(`<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Chủ đề thử tải</title>`)
		if n < pages {
			fmt.Fprintf(&b, `<link rel="next" href="/t/bench.1/page-%d">`, n+1)
		}
		b.WriteString(`</head><body><h1 class="p-title-value">Chủ đề thử tải</h1>`)
		ts := 1763601300 + n*60
		for i := 0; i < postsPerPage; i++ {
			id := n*postsPerPage + i
			fmt.Fprintf(&b, `<article class="message message--post js-post" data-author="user%d" data-content="post-%d"><header class="message-attribution"><ul class="message-attribution-main"><li><a href="/t/bench.1/post-%d"><time class="u-dt" data-timestamp="%d">x</time></a></li></ul></header><div class="message-content"><article class="message-body"><div class="bbWrapper">Bài số %d: giá xăng tăng, người dân <b>lo lắng</b> về chi phí đi lại hằng ngày.<br>Mong nhà nước sớm có biện pháp.</div></article></div></article>`,
				id%97, id, id, ts+i, id)
		}
		b.WriteString(`</body></html>`)
		io.WriteString(w, b.String())
	})
}

func newSource(b *testing.B, base string, pages int) *html.Source {
	b.Helper()
	env := crawler.Env{Politeness: crawler.NewPoliteness(crawler.WithHostDelay(0)), UserAgent: crawler.UserAgent("bench", "https://example.org"), AuthorKey: []byte("k")}
	s, err := html.New(html.Config{Common: crawler.Common{Name: "bench", Kind: html.KindXenForo, AllowPrivate: true, MaxPages: pages}, URLs: []string{base + "/t/bench.1/page-1"}, MaxLinks: 1}, env)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkCrawlerVsPlainHTTP crawls a chain of 200 pages (4,000 posts) with the
// XenForo source (colly, robots.txt, caps, extraction, post building) and fetches the
// same 200 URLs with a plain net/http loop that only reads the bodies, alternating three
// times per op so that load from other processes hits both alike, and reports both rates
// and their ratio, measured in the same run.
func BenchmarkCrawlerVsPlainHTTP(b *testing.B) {
	const pages, rounds = 200, 3
	srv := httptest.NewServer(site(pages))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	defer client.CloseIdleConnections()
	var crawlTime, plainTime time.Duration
	var posts int64
	for b.Loop() {
		for r := 0; r < rounds; r++ {
			s := newSource(b, srv.URL, pages)
			start := time.Now()
			if _, err := s.Fetch(context.Background(), crawler.Cursor{}, func(*post.Post) error { posts++; return nil }); err != nil {
				b.Fatal(err)
			}
			crawlTime += time.Since(start)

			start = time.Now()
			for i := 1; i <= pages; i++ {
				resp, err := client.Get(srv.URL + "/t/bench.1/page-" + strconv.Itoa(i))
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			plainTime += time.Since(start)
		}
	}
	n := float64(b.N * rounds)
	b.ReportMetric(pages*n/crawlTime.Seconds(), "crawler_pages/s")
	b.ReportMetric(float64(posts)/crawlTime.Seconds(), "crawler_posts/s")
	b.ReportMetric(pages*n/plainTime.Seconds(), "plain_http_pages/s")
	b.ReportMetric(crawlTime.Seconds()/plainTime.Seconds(), "overhead_x")
}

func residentMB() float64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pagesRes, _ := strconv.ParseFloat(f[1], 64)
	return pagesRes * float64(os.Getpagesize()) / (1 << 20)
}

func heapMB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapInuse) / (1 << 20)
}

// BenchmarkCrawlMemory100k crawls 100,000 pages (2,000,000 posts) in one pass and reports
// live heap (after a GC) and resident memory during the pass after 10,000, 50,000 and
// 100,000 pages: they stay flat because the visited set, robots cache and cursor are
// bounded (the visited set fills up by 50,000 pages).
func BenchmarkCrawlMemory100k(b *testing.B) {
	const pages = 100_000
	srv := httptest.NewServer(site(pages))
	defer srv.Close()
	for b.Loop() {
		s := newSource(b, srv.URL, pages)
		var n atomic.Int64
		samples := map[int64][2]float64{}
		start := time.Now()
		cur, err := s.Fetch(context.Background(), crawler.Cursor{}, func(*post.Post) error {
			switch c := n.Add(1); c {
			case 10_000 * postsPerPage, 50_000 * postsPerPage, 100_000 * postsPerPage:
				samples[c/postsPerPage] = [2]float64{heapMB(), residentMB()}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		if n.Load() != pages*postsPerPage {
			b.Fatalf("emitted %d posts, want %d", n.Load(), pages*postsPerPage)
		}
		for _, k := range []int64{10_000, 50_000, 100_000} {
			b.ReportMetric(samples[k][0], fmt.Sprintf("heap_MB@%dk_pages", k/1000))
			b.ReportMetric(samples[k][1], fmt.Sprintf("rss_MB@%dk_pages", k/1000))
		}
		b.ReportMetric(pages/elapsed.Seconds(), "pages/s")
		b.ReportMetric(float64(len(cur.Seen)), "cursor_ids")
	}
}
