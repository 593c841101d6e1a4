package main

import (
	"fmt"
	"html"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/langnghe/langnghe/store"
	blevestore "github.com/langnghe/langnghe/store/bleve"
)

// crashFeeds serves feeds RSS feeds on loopback, each listing its first show() of items
// posts, newest first, so a test can make new posts appear between runs. Item links are
// unique (https://crash.test/<feed>/<i>) so the store can be checked post by post.
func crashFeeds(t *testing.T, feeds, items int, show func() int) (base string, links []string) {
	t.Helper()
	texts := []string{
		"Lũ lụt ở Quảng Bình, nước ngập sâu, cần cứu trợ gấp",
		"Cảnh báo lừa đảo: giả danh công an gọi điện yêu cầu chuyển khoản trước",
		"Làm thủ tục hành chính mà chờ cả ngày, bệnh viện quá tải",
		"Hôm nay trời đẹp, đi ăn phở với bạn bè vui quá",
	}
	start := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Second)
	item := make([][]string, feeds)
	for f := range feeds {
		for i := range items {
			link := fmt.Sprintf("https://crash.test/%d/%d", f, i)
			links = append(links, link)
			at := start.Add(time.Duration(i) * time.Second)
			item[f] = append(item[f], fmt.Sprintf("<item><title>Tin %d-%d</title><link>%s</link><guid>%s</guid><pubDate>%s</pubDate><description>%s</description></item>",
				f, i, link, link, at.Format(time.RFC1123Z), html.EscapeString(fmt.Sprintf("%s (#%d-%d)", texts[i%len(texts)], f, i))))
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var f int
		if _, err := fmt.Sscanf(r.URL.Path, "/feed/%d.rss", &f); err != nil || f < 0 || f >= feeds {
			http.NotFound(w, r)
			return
		}
		var b strings.Builder
		fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>feed %d</title><link>https://crash.test/%d</link>`, f, f)
		for i := min(show(), items) - 1; i >= 0; i-- {
			b.WriteString(item[f][i])
		}
		b.WriteString("</channel></rss>")
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(b.String()))
	}))
	t.Cleanup(srv.Close)
	return srv.URL, links
}

// TestRunSurvivesKills is the embedded mode's at-least-once promise, end to end: `langnghe
// run` crawls 4 local feeds and is stopped at a random point with SIGKILL or SIGTERM six
// times, each time restarted on the same data dir; 250 new posts appear in each feed
// before every run, so every stop can land mid-stream (6,000 posts in all). In the end every
// post must be in the store exactly once, although the crawler saved its cursors (and so
// never fetches those posts again) as soon as the embedded broker acknowledged them.
// LANGNGHE_CRASH_SEED replays a run; the seed in use is logged.
func TestRunSurvivesKills(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; skipped with -short")
	}
	seed := time.Now().UnixNano()
	if s := os.Getenv("LANGNGHE_CRASH_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseInt(s, 10, 64); err != nil {
			t.Fatalf("LANGNGHE_CRASH_SEED: %v", err)
		}
	}
	t.Logf("seed %d (LANGNGHE_CRASH_SEED=%d replays it)", seed, seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))

	const feeds, items, rounds = 4, 1500, 6
	var round atomic.Int64
	base, links := crashFeeds(t, feeds, items, func() int { return int(round.Load()+1) * items / rounds })
	dir := t.TempDir()
	var src strings.Builder
	src.WriteString("contact: https://example.org/lien-he\nhost_delay: 0s\nsources:\n")
	for f := range feeds {
		fmt.Fprintf(&src, "  - name: feed-%d\n    kind: rss\n    url: %s/feed/%d.rss\n    allow_private: true\n    interval: 1h\n    lookback: 720h\n", f, base, f)
	}
	srcFile := filepath.Join(dir, "sources.yaml")
	if err := os.WriteFile(srcFile, []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	addr := freePort(t)
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "LANGNGHE_DATA_DIR=" + data, "LANGNGHE_HTTP_LISTEN=" + addr}
	api := "http://" + addr
	indexed := func() int {
		var st struct {
			Total int `json:"total"`
		}
		if code, err := getJSON(api+"/api/stats", &st); err != nil || code != 200 {
			return -1
		}
		return st.Total
	}
	// Each round kills or stops the process at a random point within the first seconds
	// of its life (start-up, crawl, classify and index all overlap there); at least one
	// round of each signal.
	for ; round.Load() < rounds; round.Add(1) {
		sig := syscall.SIGKILL
		if round.Load()%2 == 1 {
			sig = syscall.SIGTERM
		}
		delay := time.Duration(200+rng.IntN(2800)) * time.Millisecond
		r := startRole(t, env, dir, "run", "--sources", srcFile)
		time.Sleep(delay)
		before := indexed()
		start := time.Now()
		if err := r.cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- r.cmd.Wait() }()
		select {
		case err := <-done:
			if sig == syscall.SIGTERM && err != nil {
				t.Errorf("round %d: run exited with %v after SIGTERM; log:\n%s", round.Load(), err, tail(r.log, 20))
			}
		case <-time.After(6 * time.Second):
			_ = r.cmd.Process.Kill()
			<-done
			t.Errorf("round %d: run did not stop within 6 s of %s; log:\n%s", round.Load(), sig, tail(r.log, 20))
		}
		t.Logf("round %d: %d posts served, %s after %s, %d searchable just before, stopped in %s", round.Load(), feeds*int(round.Load()+1)*items/rounds, sig, delay, before, time.Since(start).Round(time.Millisecond))
	}

	// The last run goes on until the store stops growing (every cursor is saved, so no
	// crawl adds anything: what is missing now is lost).
	r := startRole(t, env, dir, "run", "--sources", srcFile)
	last, stable := -1, time.Now()
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		n := indexed()
		if n != last {
			last, stable = n, time.Now()
		}
		if n == len(links) || (n >= 0 && time.Since(stable) > 15*time.Second) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	r.stop(t)
	t.Logf("final run: %d of %d posts searchable", last, len(links))

	st, err := blevestore.Open(filepath.Join(data, "bleve"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	seen := map[string]int{}
	total := 0
	for off := 0; ; off += store.MaxLimit {
		res, err := st.Search(t.Context(), store.Query{Sort: store.SortOldest, Offset: off, Limit: store.MaxLimit, Interval: -1})
		if err != nil {
			t.Fatal(err)
		}
		total = res.Total
		for _, h := range res.Hits {
			seen[h.Post.URL]++
		}
		if len(res.Hits) < store.MaxLimit {
			break
		}
	}
	missing := 0
	for _, l := range links {
		if seen[l] != 1 {
			missing++
			if missing <= 5 {
				t.Errorf("post %s is in the store %d times, want once", l, seen[l])
			}
		}
	}
	if total != len(links) || missing > 0 {
		t.Errorf("store holds %d posts (%d distinct urls), want %d exactly once; %d missing or duplicated", total, len(seen), len(links), missing)
	}
}
