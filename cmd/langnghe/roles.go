package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/langnghe/langnghe/bus"
	"github.com/langnghe/langnghe/classifier"
	"github.com/langnghe/langnghe/crawler"
	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/web"
)

// shutdownGrace bounds how long a role may take to stop after Ctrl-C.
const shutdownGrace = 4 * time.Second

func cmdRun(ctx context.Context, env *cliEnv, args []string) error {
	rf := newRoleFlags("run", env)
	demo := rf.fs.Bool("demo", false, "thu thập trang mẫu trong tiến trình (~200 bài) / crawl an in-process demo site (~200 posts)")
	rf.alias("sources", "crawl.sources")
	cfg, err := rf.parse(args, env)
	if err != nil {
		return err
	}
	a := newApp(cfg, env.stderr)
	defer a.close()
	if err := a.lockDataDir(); err != nil { // cursors, alert state, outbox, bleve
		return err
	}
	ln, err := a.open(ctx, needs{bus: true, embedded: true, store: true, ui: true})
	if err != nil {
		return err
	}
	classify, err := a.classifyConsumer()
	if err != nil {
		return err
	}
	index := a.indexConsumer()
	alertEng, alertConsumer, err := a.alerting() // SMTP, or the outbox when none is configured
	if err != nil {
		return err
	}

	g := newTaskGroup()
	defer g.cancel()
	g.Go("classify", classify.Run)
	g.Go("index", index.Run)
	g.Go("retention", a.retention().Run)
	g.Go("alert", alertEng.Run)
	g.Go("alert-consume", alertConsumer.Run)
	g.Go("lag", a.lagTask)
	g.Go("trim", a.trimEmbedded)
	var runner *crawler.Runner
	if *demo { // crawl an in-process demo site with the real crawler (see crawl.go)
		d, err := a.newDemoCrawl()
		if err != nil {
			return err
		}
		runner = d.runner
		g.Go("demo-site", d.serveSite)
		g.Go("crawl", d.run)
	} else if !cfg.Crawl.Sources.IsZero() {
		if runner, err = a.newFileCrawl(cfg.Crawl.Sources); err != nil {
			return err
		}
		g.Go("crawl", runner.Run)
	}
	var handler http.Handler
	if runner != nil {
		handler = web.MountSources(a.alertServer(alertEng, sourcesCheck(runner)).Handler(), runner)
	} else {
		handler = a.alertServer(alertEng).Handler()
	}
	g.Go("serve", func(ctx context.Context) error { return serveHTTP(ctx, ln, a.guard(handler), a.cfg.HTTP) })
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(env.stdout, "Lắng Nghe đang chạy / is running\n  giao diện / UI:   %s/\n  tìm kiếm / API:   %s/api/search?q=lu+lut\n  chỉ số / metrics: %s/metrics\n  sẵn sàng / ready: %s/readyz\n  Kafka: %s\nNhấn Ctrl-C để dừng / press Ctrl-C to stop.\n",
		base, base, base, base, strings.Join(a.brokers, ","))

	return g.waitAndStop(ctx, a.log)
}

// sourcesCheck lists failing crawl sources in /readyz without making the process unready.
func sourcesCheck(r *crawler.Runner) web.Check {
	return web.Check{Name: "sources", Fn: r.Check, Soft: true}
}

// readPosts decodes JSON Lines of posts; the first bad line fails with file:line.
func readPosts(r io.Reader, name string) ([]*post.Post, error) {
	var out []*post.Post
	err := eachLine(r, func(line int, b []byte) error {
		p, err := post.Decode(b)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, line, err)
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

// eachLine calls fn for every non-empty line, with 1-based line numbers; lines may be up
// to 16 MiB (a 1 MB post with escapes fits).
func eachLine(r io.Reader, fn func(line int, b []byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	n := 0
	for sc.Scan() {
		n++
		b := sc.Bytes()
		if len(trimSpace(b)) == 0 {
			continue
		}
		if err := fn(n, b); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", n+1, err)
	}
	return nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

func cmdClassify(ctx context.Context, env *cliEnv, args []string) error {
	rf := newRoleFlags("classify", env)
	in := rf.fs.String("in", "", "tệp JSON Lines vào (ngoại tuyến); '-' = stdin / input JSON Lines (offline)")
	out := rf.fs.String("out", "", "tệp JSON Lines ra; '-' = stdout / output JSON Lines")
	cfg, err := rf.parse(args, env)
	if err != nil {
		return err
	}
	a := newApp(cfg, env.stderr)
	defer a.close()
	if *in != "" || *out != "" {
		if *in == "" || *out == "" {
			return usageError{"--in và --out đi cùng nhau / --in and --out go together"}
		}
		return a.classifyFile(*in, *out, env)
	}
	return a.runConsumerRole(ctx, "classify", false)
}

func cmdIndex(ctx context.Context, env *cliEnv, args []string) error {
	rf := newRoleFlags("index", env)
	cfg, err := rf.parse(args, env)
	if err != nil {
		return err
	}
	a := newApp(cfg, env.stderr)
	defer a.close()
	return a.runConsumerRole(ctx, "index", true)
}

// runConsumerRole runs one consumer stage with /metrics and health on http.listen.
func (a *app) runConsumerRole(ctx context.Context, role string, needStore bool) error {
	ln, err := a.open(ctx, needs{bus: true, store: needStore})
	if err != nil {
		return err
	}
	var c *bus.Consumer
	if needStore {
		c = a.indexConsumer()
	} else if c, err = a.classifyConsumer(); err != nil {
		return err
	}
	g := newTaskGroup()
	defer g.cancel()
	g.Go(role, c.Run)
	g.Go("lag", a.lagTask)
	if needStore { // the index role deletes posts past the retention period (hourly)
		g.Go("retention", a.retention().Run)
	}
	// Health and metrics only: search, alerts and sources are served by `serve`.
	g.Go("http", func(ctx context.Context) error { return serveHTTP(ctx, ln, a.healthServer().Handler(), a.cfg.HTTP) })
	a.log.Info("vai trò đang chạy / role running", "role", role, "http", ln.Addr().String(), "brokers", strings.Join(a.brokers, ","))
	return g.waitAndStop(ctx, a.log)
}

func cmdServe(ctx context.Context, env *cliEnv, args []string) error {
	rf := newRoleFlags("serve", env)
	cfg, err := rf.parse(args, env)
	if err != nil {
		return err
	}
	a := newApp(cfg, env.stderr)
	defer a.close()
	ln, err := a.open(ctx, needs{store: true, ui: true})
	if err != nil {
		return err
	}
	g := newTaskGroup()
	defer g.cancel()
	g.Go("serve", func(ctx context.Context) error {
		return serveHTTP(ctx, ln, a.guard(a.server(a.sharedViews()...).Handler()), a.cfg.HTTP)
	})
	fmt.Fprintf(env.stdout, "API: http://%s/api/search\n", ln.Addr())
	return g.waitAndStop(ctx, a.log)
}

// cmdReplay publishes posts from a JSON Lines file into posts.raw. Invalid lines are
// reported with file:line and skipped; the exit status is 1 if any were skipped.
func cmdReplay(ctx context.Context, env *cliEnv, args []string) error {
	rf := newRoleFlags("replay", env)
	in := rf.fs.String("in", "", "tệp JSON Lines các bài / JSON Lines file of posts ('-' = stdin)")
	batch := rf.fs.Int("batch", 500, "số bài mỗi lần gửi / posts per publish call")
	cfg, err := rf.parse(args, env)
	if err != nil {
		return err
	}
	if *in == "" {
		return usageError{"thiếu --in / --in is required"}
	}
	a := newApp(cfg, env.stderr)
	defer a.close()
	if err := a.startBus(ctx, false); err != nil {
		return err
	}
	r := env.input()
	if *in != "-" {
		f, err := os.Open(*in)
		if err != nil {
			return usageError{err.Error()}
		}
		defer f.Close()
		r = f
	}
	return a.replay(ctx, r, *in, *batch, env.stderr)
}

func (a *app) replay(ctx context.Context, r io.Reader, name string, batch int, stderr io.Writer) error {
	var msgs []bus.Message
	sent, skipped := 0, 0
	flush := func() error {
		if len(msgs) == 0 {
			return nil
		}
		if err := a.producer.Publish(ctx, a.topic(bus.TopicRaw), msgs...); err != nil {
			return fmt.Errorf("publishing after %d posts: %w", sent, err)
		}
		sent += len(msgs)
		msgs = msgs[:0]
		return nil
	}
	start := time.Now()
	err := eachLine(r, func(line int, b []byte) error {
		p, err := post.Decode(b)
		if err != nil {
			skipped++
			fmt.Fprintf(stderr, "%s:%d: bỏ qua / skipped: %v\n", name, line, err)
			return nil
		}
		msgs = append(msgs, bus.Message{Key: []byte(p.ID), Value: append([]byte(nil), b...)})
		if len(msgs) >= batch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	a.log.Info("replay xong / replay done", "sent", sent, "skipped", skipped, "seconds", time.Since(start).Seconds())
	if skipped > 0 {
		return fmt.Errorf("%d dòng không hợp lệ bị bỏ qua / invalid lines skipped", skipped)
	}
	return nil
}

// classifyFile classifies JSON Lines offline. Lines may be full posts or minimal objects
// with "text"; every other field is kept, and one line is written per input line, in order.
func (a *app) classifyFile(in, out string, env *cliEnv) error {
	model, err := a.loadModel()
	if err != nil {
		return fmt.Errorf("loading model: %w", err)
	}
	r := env.input()
	if in == "-" {
		in = "stdin" // how errors name it
	} else {
		f, err := os.Open(in)
		if err != nil {
			return usageError{err.Error()}
		}
		defer f.Close()
		r = f
	}
	// The output goes to a temporary file beside out, renamed over it only on success: a
	// failed run leaves neither an empty nor a half-written file. A device or a pipe
	// (/dev/stdout, a FIFO) is written directly: renaming over it would replace it.
	var w io.Writer = env.stdout
	var tmp *os.File
	if out != "-" && isSpecialFile(out) {
		f, err := os.OpenFile(out, os.O_WRONLY, 0)
		if err != nil {
			return usageError{err.Error()}
		}
		defer f.Close()
		w = f
	} else if out != "-" {
		tmp, err = os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*.tmp")
		if err != nil {
			return usageError{err.Error()}
		}
		defer func() {
			if tmp != nil { // not renamed: failed
				tmp.Close()
				os.Remove(tmp.Name())
			}
		}()
		w = tmp
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	n, pseudonymized := 0, 0
	var key []byte // loaded on the first raw author id: most files carry none
	authorKey := func() ([]byte, error) {
		if key == nil {
			k, err := a.authorKey(true)
			if err != nil {
				return nil, err
			}
			key = k
		}
		return key, nil
	}
	err = eachLine(r, func(line int, b []byte) error {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(b, &obj); err != nil {
			return fmt.Errorf("%s:%d: không phải một đối tượng JSON; cần JSON Lines, mỗi dòng một bài hoặc {\"text\": \"...\"} / not a JSON object: want JSON Lines, one post or {\"text\": \"...\"} per line (%v)", in, line, err)
		}
		var p post.Post
		for field, dst := range map[string]*string{"text": &p.Text, "title": &p.Title} {
			if raw, ok := obj[field]; ok {
				if err := json.Unmarshal(raw, dst); err != nil {
					return fmt.Errorf("%s:%d: %s: must be a string", in, line, field)
				}
			}
		}
		if changed, err := pseudonymizeLineAuthor(obj, authorKey); err != nil {
			return fmt.Errorf("%s:%d: %w", in, line, err)
		} else if changed {
			pseudonymized++
		}
		// The same function as the classify role, so text in a legacy encoding is
		// converted (and stored converted) here too.
		classifier.Classify(model, &p)
		for field, v := range map[string]string{"text": p.Text, "title": p.Title} {
			if _, ok := obj[field]; ok {
				obj[field], _ = json.Marshal(v)
			}
		}
		enc, err := json.Marshal(p.Analysis)
		if err != nil {
			return err
		}
		obj["analysis"] = enc
		outLine, err := json.Marshal(obj)
		if err != nil {
			return err
		}
		bw.Write(outLine)
		n++
		return bw.WriteByte('\n')
	})
	if err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	if tmp != nil {
		if err := commitTemp(tmp, out); err != nil {
			return err
		}
		tmp = nil
	}
	a.log.Info("đã phân loại / classified", "lines", n, "authors_pseudonymized", pseudonymized, "out", out)
	return nil
}

// pseudonymizeLineAuthor makes the author of one classify --in line what the crawler
// would have stored: author.id becomes the keyed pseudonym of the platform and the raw id
// (one already a pseudonym is kept), and every other author field (a name, a handle) is
// dropped, since beside a pseudonym it would name the account the pseudonym hides. The
// output file is often shared with other analysts, so the offline path must not pass on
// what replay and the classify role refuse. It reports whether the line changed; an
// author that is not an object, or an id that is not a string, is an error naming the
// field (never its value). key is called only when a raw id must be hashed.
func pseudonymizeLineAuthor(obj map[string]json.RawMessage, key func() ([]byte, error)) (bool, error) {
	raw, ok := obj["author"]
	if !ok || string(raw) == "null" {
		return false, nil
	}
	var author map[string]json.RawMessage
	if err := json.Unmarshal(raw, &author); err != nil {
		return false, errors.New(`author: must be an object {"id": "..."}`)
	}
	var id string
	if rawID, ok := author["id"]; ok && string(rawID) != "null" {
		if err := json.Unmarshal(rawID, &id); err != nil {
			return false, errors.New("author.id: must be a string")
		}
	}
	changed := len(author) > 1 || len(author) == 1 && id == ""
	if !post.IsPseudonym(id) {
		var platform string
		json.Unmarshal(obj["platform"], &platform) // absent or not a string: hashed without one
		k, err := key()
		if err != nil {
			return false, err
		}
		id, changed = post.PseudonymizeAuthor(k, platform, id), true
	}
	if !changed {
		return false, nil
	}
	if id == "" {
		delete(obj, "author")
	} else {
		obj["author"], _ = json.Marshal(post.Author{ID: id})
	}
	return true, nil
}

// isSpecialFile reports whether path exists and, following links, is not a regular
// file or a directory: a device, a pipe or a socket.
func isSpecialFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.Mode().IsRegular() && !fi.IsDir()
}

// commitTemp syncs, closes and renames tmp to path (mode 0644, as os.Create would give).
func commitTemp(tmp *os.File, path string) error {
	err := tmp.Chmod(0o644)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
