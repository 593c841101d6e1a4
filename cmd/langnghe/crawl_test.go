package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/langnghe/langnghe/bus"
	"github.com/langnghe/langnghe/crawler/demosite"
	"github.com/langnghe/langnghe/post"
)

func demoPosts(t *testing.T) []*post.Post {
	t.Helper()
	f, err := os.Open("../../models/demo/posts.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ps, err := readPosts(f, "posts.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	demosite.ShiftToNow(ps, time.Now())
	return ps
}

// `crawl --once --out F.jsonl` crawls every configured source once into a file without
// Kafka; a second run continues from the saved cursors and writes nothing; --fresh
// ignores them. A source that fails (robots.txt) is reported with exit status 1 while the
// others' posts are still written.
func TestCrawlOnce(t *testing.T) {
	srv := httptest.NewServer(demosite.New(demoPosts(t)))
	defer srv.Close()
	dir := t.TempDir()
	sources := filepath.Join(dir, "sources.yaml")
	cfg := fmt.Sprintf(`contact: https://example.org/lien-he
host_delay: 0s
sources:
  - {name: tin-tuc, kind: rss, url: "%[1]s/rss/tin-tuc.rss", allow_private: true}
  - {name: dien-dan, kind: xenforo, urls: ["%[1]s/forum/"], allow_private: true, max_links: 100}
  - {name: mastodon, kind: mastodon, instance: "%[1]s", tag: tintuc, allow_private: true}
`, srv.URL)
	os.WriteFile(sources, []byte(cfg), 0o600)
	env := []string{"LANGNGHE_DATA_DIR=" + dir + "/data"}
	run := func(args ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		code := runCLI(context.Background(), append([]string{"crawl", "--sources", sources}, args...), &cliEnv{stdout: &stdout, stderr: &stderr, environ: env})
		return code, stderr.String()
	}
	out := filepath.Join(dir, "posts.jsonl")
	if code, errOut := run("--once", "--out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	count := func() int {
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for i, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
			if len(line) == 0 {
				continue
			}
			p, err := post.Decode(line)
			if err != nil {
				t.Fatalf("%s:%d: %v", out, i+1, err)
			}
			if p.Author.ID != "" && !strings.HasPrefix(p.Author.ID, "a1:") {
				t.Fatalf("author %q", p.Author.ID)
			}
			n++
		}
		return n
	}
	if n := count(); n != 35+78+53+34-34 { // no bluesky source configured
		t.Errorf("first pass wrote %d posts, want 166", n)
	}
	if st, err := os.Stat(filepath.Join(dir, "data", "author.key")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("generated author key: %v, mode %v; want 0600", err, st)
	}
	if code, errOut := run("--once", "--out", out); code != 0 || count() != 0 {
		t.Errorf("second pass: exit %d, %d posts; want 0 new posts (cursors): %s", code, count(), errOut)
	}
	if code, _ := run("--once", "--out", out, "--fresh"); code != 0 || count() != 166 {
		t.Errorf("--fresh pass wrote %d posts, want 166", count())
	}

	// Without allow_private, loopback is refused for that source only.
	os.WriteFile(sources, []byte(cfg+fmt.Sprintf("  - {name: khong-cho-phep, kind: rss, url: \"%s/rss/tin-tuc.rss\"}\n", srv.URL)), 0o600)
	code, errOut := run("--once", "--out", out, "--fresh")
	if code != 1 || !strings.Contains(errOut, "khong-cho-phep (private)") || count() != 166 {
		t.Errorf("exit %d, %d posts, stderr %s; want exit 1 naming the refused source and the other 166 posts written", code, count(), errOut)
	}

	for _, args := range [][]string{{"--once"}, {"--out", out}} {
		if code, _ := run(args...); code != 2 {
			t.Errorf("crawl %v: exit %d, want 2 (usage)", args, code)
		}
	}
}

// rawCount sums the end offsets of every partition of topic.
func rawCount(t *testing.T, broker, topic string) int64 {
	t.Helper()
	conn, err := kafka.Dial("tcp", broker)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	parts, err := conn.ReadPartitions(topic)
	if err != nil {
		return 0
	}
	var n int64
	for _, p := range parts {
		pc, err := kafka.DialLeader(context.Background(), "tcp", broker, topic, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		first, last, err := pc.ReadOffsets()
		pc.Close()
		if err != nil {
			t.Fatal(err)
		}
		n += last - first
	}
	return n
}

// The crawl role publishes to posts.raw, serves /api/sources, keeps cursors in the
// compacted Kafka topic (a restarted replica publishes nothing again) and refuses to run
// without a shared author key.
func TestCrawlRoleKafka(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the binary; skipped with -short")
	}
	ctx := context.Background()
	emb, err := bus.StartEmbedded(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Close()
	srv := httptest.NewServer(demosite.New(demoPosts(t)))
	defer srv.Close()
	dir := t.TempDir()
	sources := filepath.Join(dir, "sources.yaml")
	os.WriteFile(sources, []byte(fmt.Sprintf(`contact: https://example.org/lien-he
host_delay: 0s
sources:
  - {name: tin-tuc, kind: rss, url: "%[1]s/rss/tin-tuc.rss", allow_private: true, interval: 1s}
  - {name: mastodon, kind: mastodon, instance: "%[1]s", tag: tintuc, allow_private: true, interval: 1s}
`, srv.URL)), 0o600)
	addr := freePort(t)
	broker := emb.Brokers()[0]
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "LANGNGHE_DATA_DIR=" + dir + "/data", "LANGNGHE_HTTP_LISTEN=" + addr,
		"LANGNGHE_KAFKA_BROKERS=" + broker, "LANGNGHE_KAFKA_TOPIC_PREFIX=crawltest.", "LANGNGHE_CRAWL_SOURCES=" + sources}

	var stderr bytes.Buffer
	if code := runCLI(ctx, []string{"crawl"}, &cliEnv{stdout: io.Discard, stderr: &stderr, environ: env}); code != 2 || !strings.Contains(stderr.String(), "author_key") {
		t.Errorf("crawl without an author key: exit %d, %s; want 2 naming author_key", code, stderr.String())
	}
	env = append(env, "LANGNGHE_AUTHOR_KEY=shared-test-key-0123456789abcdef0123456789")
	r := startRole(t, env, dir, "crawl")
	want := int64(35 + 53)
	eventually(t, 60*time.Second, "posts.raw holds the crawled posts", func() error {
		if n := rawCount(t, broker, "crawltest."+bus.TopicRaw); n != want {
			return fmt.Errorf("%d messages, want %d", n, want)
		}
		return nil
	})
	var status struct {
		Total, Broken int
		Sources       []struct{ Name, State string }
	}
	if _, err := getJSON("http://"+addr+"/api/sources", &status); err != nil || status.Total != 2 || status.Broken != 0 {
		t.Errorf("/api/sources: %+v, %v", status, err)
	}
	r.stop(t)

	r = startRole(t, env, dir, "crawl")
	eventually(t, 30*time.Second, "restarted crawler makes passes", func() error {
		var st struct{ Sources []struct{ Passes int } }
		if _, err := getJSON("http://"+addr+"/api/sources", &st); err != nil {
			return err
		}
		for _, s := range st.Sources {
			if s.Passes < 2 {
				return fmt.Errorf("passes %+v", st.Sources)
			}
		}
		return nil
	})
	if n := rawCount(t, broker, "crawltest."+bus.TopicRaw); n != want {
		t.Errorf("after a restart posts.raw holds %d messages, want still %d (cursors in Kafka)", n, want)
	}
	r.stop(t)
}

// `run --sources FILE` crawls real sources in the embedded mode, through classify and
// index into the store.
func TestRunWithSources(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; skipped with -short")
	}
	srv := httptest.NewServer(demosite.New(demoPosts(t)))
	defer srv.Close()
	dir := t.TempDir()
	sources := filepath.Join(dir, "sources.yaml")
	os.WriteFile(sources, []byte(fmt.Sprintf("contact: https://example.org/lien-he\nhost_delay: 0s\nsources:\n  - {name: dien-dan, kind: xenforo, urls: [\"%s/forum/\"], allow_private: true, max_links: 100}\n", srv.URL)), 0o600)
	addr := freePort(t)
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "LANGNGHE_DATA_DIR=" + dir + "/data", "LANGNGHE_HTTP_LISTEN=" + addr}
	r := startRole(t, env, dir, "run", "--sources", sources)
	base := "http://" + addr
	defer func() {
		if t.Failed() {
			t.Logf("log:\n%s", tail(r.log, 40))
		}
	}()
	eventually(t, 60*time.Second, "the forum posts are searchable", func() error {
		var res struct{ Total int }
		if _, err := getJSON(base+"/api/search?q=&platform=forum&limit=1", &res); err != nil {
			return err
		}
		if res.Total != 78 {
			return fmt.Errorf("total %d, want 78", res.Total)
		}
		return nil
	})
	var st struct {
		Total, Broken int
	}
	if _, err := getJSON(base+"/api/sources", &st); err != nil || st.Total != 1 || st.Broken != 0 {
		t.Errorf("/api/sources: %+v %v", st, err)
	}
	r.stop(t)
}
