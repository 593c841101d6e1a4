package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/langnghe/langnghe/bus"
	"github.com/langnghe/langnghe/crawler"
	_ "github.com/langnghe/langnghe/crawler/all" // every source kind, for sources files
	"github.com/langnghe/langnghe/crawler/bluesky"
	"github.com/langnghe/langnghe/crawler/demosite"
	"github.com/langnghe/langnghe/crawler/html"
	"github.com/langnghe/langnghe/crawler/mastodon"
	"github.com/langnghe/langnghe/crawler/rss"
	"github.com/langnghe/langnghe/models"
	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/web"
)

// cmdCrawl runs the crawl role: the sources of the sources file on their intervals into
// posts.raw (cursors in a compacted Kafka topic; replicas in one consumer group split the
// hosts), or with --once one pass into a JSON Lines file without Kafka (cursors in the
// data dir).
func cmdCrawl(ctx context.Context, env *cliEnv, args []string) error {
	rf := newRoleFlags("crawl", env)
	rf.alias("sources", "crawl.sources")
	rf.note("Nguồn / sources: loại / kinds: " + strings.Join(crawler.Kinds(), ", ") +
		"; mẫu / samples: crawler/*/sample.yaml; các trường / fields: langnghe config sources KIND")
	once := rf.fs.Bool("once", false, "một lượt rồi dừng, ghi ra --out, không cần Kafka / one pass to --out, no Kafka")
	out := rf.fs.String("out", "", "tệp JSON Lines cho --once ('-' = stdout) / JSON Lines output of --once")
	fresh := rf.fs.Bool("fresh", false, "bỏ qua con trỏ đã lưu (chỉ với --once) / ignore saved cursors (--once only)")
	cfg, err := rf.parse(args, env)
	if err != nil {
		return err
	}
	switch {
	case cfg.Crawl.Sources.IsZero():
		return usageError{"thiếu crawl.sources (--sources, LANGNGHE_CRAWL_SOURCES) / crawl.sources is required (--sources, LANGNGHE_CRAWL_SOURCES; see crawler/*/sample.yaml)"}
	case *once && *out == "":
		return usageError{"--once cần --out / --once needs --out"}
	case !*once && (*out != "" || *fresh):
		return usageError{"--out và --fresh chỉ đi với --once / --out and --fresh go with --once"}
	}
	file, err := cfg.Crawl.Sources.load()
	if err != nil {
		return usageError{err.Error()}
	}
	a := newApp(cfg, env.stderr)
	defer a.close()
	// A generated key is only consistent within one data dir: distributed crawlers must
	// share a configured key so the same author gets the same pseudonym everywhere.
	key, err := a.authorKey(*once || len(cfg.Kafka.Brokers) == 0)
	if err != nil {
		return err
	}
	metrics := crawler.NewMetrics(a.reg)
	cenv := crawler.Env{Politeness: file.Politeness(), Metrics: metrics, UserAgent: crawler.UserAgent(version, file.Contact), AuthorKey: key, Log: a.log}
	scheduled, err := file.Build(cenv)
	if err != nil {
		return usageError{err.Error()}
	}
	if file.Contact == "" {
		a.log.Warn("sources file has no contact URL: site owners cannot reach you / tệp nguồn thiếu contact", "file", cfg.Crawl.Sources.String())
	}
	if *once {
		return a.crawlOnce(ctx, scheduled, file.Parallel, *out, *fresh, metrics, env)
	}

	ln, err := a.open(ctx, needs{bus: true, ui: true})
	if err != nil {
		return err
	}
	cursors, err := crawler.NewKafkaCursors(ctx, a.brokers, a.topic(crawler.DefaultCursorTopic), cfg.Kafka.Replication, a.producer)
	if err != nil {
		return err
	}
	runner := crawler.NewRunner(scheduled, cursors, a.kafkaSink(), crawler.WithMetrics(metrics), crawler.WithLogger(a.log))
	g := newTaskGroup()
	defer g.cancel()
	// Tasks keyed by host: replicas in the group split the hosts (see crawler.RunSharded).
	g.Go("crawl", func(ctx context.Context) error {
		return runner.RunSharded(ctx, a.brokers, a.group("crawl"), a.topic(crawler.DefaultTaskTopic),
			crawler.ShardOptions{Partitions: max(cfg.Kafka.Partitions, 12), Replication: cfg.Kafka.Replication})
	})
	g.Go("sources-status", func(ctx context.Context) error { return a.publishSources(ctx, runner) })
	srv := web.New(nil, append(a.webOptions(), web.WithChecks(append(a.readiness(), sourcesCheck(runner))...), web.WithSources(runner))...)
	g.Go("http", func(ctx context.Context) error { return serveHTTP(ctx, ln, a.guard(srv.Handler()), a.cfg.HTTP) })
	a.log.Info("vai trò đang chạy / role running", "role", "crawl", "sources", len(scheduled), "http", ln.Addr().String(), "brokers", strings.Join(a.brokers, ","))
	return g.waitAndStop(ctx, a.log)
}

// crawlOnce runs one pass of every source into a JSON Lines file. Sources that fail are
// reported (file, kind, error) and make the exit status 1, after every other source's
// posts are written.
func (a *app) crawlOnce(ctx context.Context, scheduled []crawler.Scheduled, parallel int, out string, fresh bool, m *crawler.Metrics, env *cliEnv) error {
	var cursors crawler.CursorStore = crawler.NewMemCursors()
	if !fresh {
		if err := a.lockDataDir(); err != nil { // the cursors are shared with `run`
			return err
		}
		fc, err := crawler.NewFileCursors(filepath.Join(a.cfg.DataDir, "crawler", "cursors"))
		if err != nil {
			return err
		}
		cursors = fc
	}
	var w io.Writer = env.stdout
	var f *os.File
	if out != "-" {
		var err error
		if f, err = os.Create(out); err != nil {
			return usageError{err.Error()}
		}
		defer f.Close()
		w = f
	}
	sink := &jsonlSink{w: bufio.NewWriterSize(w, 1<<20)}
	runner := crawler.NewRunner(scheduled, cursors, sink, crawler.WithMetrics(m), crawler.WithLogger(a.log))
	start := time.Now()
	n, err := runner.RunOnce(ctx, parallel)
	if err != nil {
		return err
	}
	if f != nil {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("writing %s: %w", out, err)
		}
	}
	var failed []string
	for _, st := range runner.Status() {
		if st.State == "error" {
			failed = append(failed, fmt.Sprintf("%s (%s): %s", st.Name, st.LastErrorKind, st.LastError))
		}
	}
	a.log.Info("crawl --once xong / done", "posts", n, "sources", len(scheduled), "failed", len(failed), "seconds", time.Since(start).Seconds(), "out", out)
	if len(failed) > 0 {
		return fmt.Errorf("%d/%d nguồn lỗi / sources failed: %s", len(failed), len(scheduled), strings.Join(failed, "; "))
	}
	return nil
}

// jsonlSink writes posts as JSON Lines and flushes after every batch, so a saved cursor
// never runs ahead of the file.
type jsonlSink struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func (s *jsonlSink) Write(_ context.Context, posts []*post.Post) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range posts {
		b, err := post.Encode(p)
		if err != nil {
			return err
		}
		s.w.Write(b)
		if err := s.w.WriteByte('\n'); err != nil {
			return err
		}
	}
	return s.w.Flush()
}

// kafkaSink publishes posts to posts.raw keyed by id; Publish returns after the acks.
func (a *app) kafkaSink() crawler.Sink {
	return crawler.SinkFunc(func(ctx context.Context, posts []*post.Post) error {
		msgs := make([]bus.Message, 0, len(posts))
		for _, p := range posts {
			b, err := json.Marshal(p)
			if err != nil {
				return err
			}
			msgs = append(msgs, bus.Message{Key: []byte(p.ID), Value: b})
		}
		return a.producer.Publish(ctx, a.topic(bus.TopicRaw), msgs...)
	})
}

// MinAuthorKeyBytes is the shortest author key accepted: an empty or short key makes the
// pseudonyms guessable (an empty data_dir/author.key used to empty every author).
const MinAuthorKeyBytes = 32

// authorKey returns the author pseudonymization key from author_key / author_key_file.
// With none configured and generate set, it uses data_dir/author.key, creating it (32
// random bytes, hex, mode 0600) only when the file is absent: an empty or short file is
// refused, never overwritten, since the key it was meant to hold may be recoverable. A key
// shorter than MinAuthorKeyBytes is a config error naming where it came from; the key
// itself is never printed or logged.
func (a *app) authorKey(generate bool) ([]byte, error) {
	k, err := readSecret(a.cfg.AuthorKey, a.cfg.AuthorKeyFile)
	if err != nil {
		return nil, usageError{"author_key_file: " + err.Error()}
	}
	switch {
	case a.cfg.AuthorKeyFile != "":
		return checkAuthorKey([]byte(k), "author_key_file "+a.cfg.AuthorKeyFile)
	case k != "":
		return checkAuthorKey([]byte(k), "author_key (LANGNGHE_AUTHOR_KEY, --author_key)")
	}
	if !generate {
		return nil, usageError{"cần author_key_file (hoặc LANGNGHE_AUTHOR_KEY) chung cho mọi bản crawl / author_key_file (or LANGNGHE_AUTHOR_KEY) is required, shared by every crawl replica"}
	}
	path := filepath.Join(a.cfg.DataDir, "author.key")
	if b, err := os.ReadFile(path); err == nil {
		return checkAuthorKey(bytes.TrimSpace(b), path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if err := os.MkdirAll(a.cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	key := []byte(hex.EncodeToString(raw))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) { // another process created it first
		b, rerr := os.ReadFile(path)
		if rerr != nil {
			return nil, rerr
		}
		return checkAuthorKey(bytes.TrimSpace(b), path)
	}
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", path, err)
	}
	_, err = f.Write(append(key, '\n'))
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	a.log.Info("đã tạo khóa ẩn danh tác giả / generated the author pseudonymization key", "file", path)
	return key, nil
}

// checkAuthorKey refuses a key shorter than MinAuthorKeyBytes with a one-line config
// error (exit 2) naming source, never the key.
func checkAuthorKey(k []byte, source string) ([]byte, error) {
	if len(k) < MinAuthorKeyBytes {
		return nil, usageError{fmt.Sprintf("khóa ẩn danh tác giả từ %s chỉ có %d byte, cần ít nhất %d; tạo bằng `openssl rand -hex 32` / the author key from %s has %d bytes, at least %d are required; make one with `openssl rand -hex 32`",
			source, len(k), MinAuthorKeyBytes, source, len(k), MinAuthorKeyBytes)}
	}
	return k, nil
}

// demoCrawl is the in-process demo site and the crawler that reads it for `run --demo`.
type demoCrawl struct {
	runner *crawler.Runner
	ln     net.Listener
	site   http.Handler
	base   string
	http   HTTPConfig // timeouts of the demo site's listener, as of every other
}

// newDemoCrawl starts nothing yet: it binds the demo site on a loopback port and builds
// the four demo sources (RSS, XenForo-like forum, Mastodon-like and Bluesky-like APIs),
// which are allowed to reach loopback explicitly. Cursors live in the data dir, so a
// restart does not publish the same posts again.
func (a *app) newDemoCrawl() (*demoCrawl, error) {
	f, err := models.FS().Open("demo/posts.jsonl")
	if err != nil {
		return nil, fmt.Errorf("demo posts: %w", err)
	}
	defer f.Close()
	posts, err := readPosts(f, "models/demo/posts.jsonl")
	if err != nil {
		return nil, err
	}
	demosite.ShiftToNow(posts, time.Now())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo site: %w", err)
	}
	d := &demoCrawl{ln: ln, site: demosite.New(posts), base: "http://" + ln.Addr().String(), http: a.cfg.HTTP}
	key, err := a.authorKey(true)
	if err != nil {
		ln.Close()
		return nil, err
	}
	metrics := crawler.NewMetrics(a.reg)
	env := crawler.Env{Politeness: crawler.NewPoliteness(crawler.WithHostDelay(0)), Metrics: metrics,
		UserAgent: crawler.UserAgent(version, "https://github.com/langnghe/langnghe"), AuthorKey: key, Log: a.log}
	common := func(name, kind, site string) crawler.Common {
		return crawler.Common{Name: name, Kind: kind, Site: site, AllowPrivate: true, MaxPages: 20, Interval: time.Minute, Lookback: 60 * 24 * time.Hour}
	}
	var scheduled []crawler.Scheduled
	add := func(s crawler.Source, err error, c crawler.Common) error {
		if err != nil {
			return err
		}
		scheduled = append(scheduled, crawler.Scheduled{Source: s, Kind: c.Kind, Interval: c.Interval})
		return nil
	}
	c1 := common("tin-tuc-demo", rss.Kind, "vnexpress.demo")
	c2 := common("dien-dan-demo", html.KindXenForo, "voz.demo")
	c3 := common("mastodon-vn-demo", mastodon.Kind, "mastodon.demo")
	c4 := common("bluesky-vn-demo", bluesky.Kind, "bsky.demo")
	s1, e1 := rss.New(rss.Config{Common: c1, URL: d.base + demosite.FeedPath}, env)
	s2, e2 := html.New(html.Config{Common: c2, URLs: []string{d.base + demosite.ForumPath}, MaxLinks: 200}, env)
	s3, e3 := mastodon.New(mastodon.Config{Common: c3, Instance: d.base, Tag: demosite.MastodonTag}, env)
	s4, e4 := bluesky.New(bluesky.Config{Common: c4, AppView: d.base, Query: "tin tức"}, env)
	if err := errors.Join(add(s1, e1, c1), add(s2, e2, c2), add(s3, e3, c3), add(s4, e4, c4)); err != nil {
		ln.Close()
		return nil, err
	}
	cursors, err := crawler.NewFileCursors(filepath.Join(a.cfg.DataDir, "crawler", "cursors"))
	if err != nil {
		ln.Close()
		return nil, err
	}
	d.runner = crawler.NewRunner(scheduled, cursors, a.kafkaSink(), crawler.WithMetrics(metrics), crawler.WithLogger(a.log))
	return d, nil
}

// serveSite serves the demo site until ctx ends.
func (d *demoCrawl) serveSite(ctx context.Context) error { return serveHTTP(ctx, d.ln, d.site, d.http) }

// run crawls the demo site every minute until ctx ends.
func (d *demoCrawl) run(ctx context.Context) error { return d.runner.Run(ctx) }

// newFileCrawl builds the crawler for a sources file inside `run` (the embedded mode):
// cursors in the data dir, the author key from config or generated in the data dir.
func (a *app) newFileCrawl(src SourcesRef) (*crawler.Runner, error) {
	file, err := src.load()
	if err != nil {
		return nil, usageError{err.Error()}
	}
	key, err := a.authorKey(true)
	if err != nil {
		return nil, err
	}
	metrics := crawler.NewMetrics(a.reg)
	scheduled, err := file.Build(crawler.Env{Politeness: file.Politeness(), Metrics: metrics, UserAgent: crawler.UserAgent(version, file.Contact), AuthorKey: key, Log: a.log})
	if err != nil {
		return nil, usageError{err.Error()}
	}
	cursors, err := crawler.NewFileCursors(filepath.Join(a.cfg.DataDir, "crawler", "cursors"))
	if err != nil {
		return nil, err
	}
	return crawler.NewRunner(scheduled, cursors, a.kafkaSink(), crawler.WithMetrics(metrics), crawler.WithLogger(a.log)), nil
}
