// Command scenario runs issue 15's distributed scenario once against the shared real
// components (Kafka, Elasticsearch, Mailpit from testinfra) and prints its figures.
//
// It builds langnghe, serves ~1,200 posts (400 of them scams) from an RSS feed on loopback,
// and starts 1 crawl, 2 classify, 1 index, 1 serve and 1 alert process configured only
// through one YAML file and flags, as the README tells an operator. Elasticsearch is
// reached through a loopback TCP proxy this program controls: it starts closed (so index,
// alert and serve must wait), opens, and is cut for 20 s mid-run. One classify and the
// index role are SIGKILLed once each and restarted. Everything it starts is stopped on
// exit; its topics, indices and group names carry a unique prefix.
//
//	. .testinfra/env && go run ./testinfra/cmd/scenario
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/langnghe/langnghe/testinfra"
	"github.com/segmentio/kafka-go"
)

const (
	totalPosts = 1200
	scamPosts  = 400
)

func main() {
	budget := flag.Duration("budget", 4*time.Minute+30*time.Second, "hard time limit of the whole run")
	keep := flag.Bool("keep", false, "keep the work directory, topics and indices")
	repo := flag.String("repo", ".", "repository root (where go build ./cmd/langnghe works)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *budget)
	defer cancel()
	s, err := newScenario(*repo, *keep)
	if err != nil {
		fmt.Fprintln(os.Stderr, "scenario:", err)
		os.Exit(2)
	}
	err = s.run(ctx)
	s.cleanup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "scenario:", err)
		os.Exit(1)
	}
}

type scenario struct {
	repo, dir, prefix, bin string
	keep                   bool
	kafkaAddr, esURL       string
	smtp, mailpit          string
	recipient              string
	proxy                  *testinfra.Proxy
	feed                   *feed
	feedSrv                *http.Server
	roles                  map[string]*role
	order                  []string
	t0                     time.Time
	rows                   [][2]string
	mu                     sync.Mutex
}

func newScenario(repo string, keep bool) (*scenario, error) {
	s := &scenario{repo: repo, keep: keep, roles: map[string]*role{}, t0: time.Now()}
	for k, dst := range map[string]*string{"LANGNGHE_TEST_KAFKA": &s.kafkaAddr, "LANGNGHE_TEST_ES": &s.esURL,
		"LANGNGHE_TEST_SMTP": &s.smtp, "LANGNGHE_TEST_MAILPIT": &s.mailpit} {
		*dst = os.Getenv(k)
		if *dst == "" {
			return nil, fmt.Errorf("%s is not set: source .testinfra/env (testinfra/up.sh starts the components)", k)
		}
	}
	for _, a := range []string{s.kafkaAddr, s.esURL, s.smtp, s.mailpit} {
		if !loopback(a) {
			return nil, fmt.Errorf("%s is not on loopback", a)
		}
	}
	dir, err := os.MkdirTemp("", "langnghe-scenario-")
	if err != nil {
		return nil, fmt.Errorf("work dir: %w", err)
	}
	s.dir = dir
	s.prefix = fmt.Sprintf("scen%d", time.Now().UnixNano()%1e9)
	s.recipient = s.prefix + "@example.vn"
	return s, nil
}

func loopback(a string) bool {
	if u, err := url.Parse(a); err == nil && u.Host != "" {
		a = u.Host
	}
	h, _, err := net.SplitHostPort(a)
	if err != nil {
		return false
	}
	ip := net.ParseIP(h)
	return h == "localhost" || (ip != nil && ip.IsLoopback())
}

func (s *scenario) logf(format string, a ...any) {
	fmt.Printf("[%6.1fs] %s\n", time.Since(s.t0).Seconds(), fmt.Sprintf(format, a...))
}

func (s *scenario) row(k string, format string, a ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rows = append(s.rows, [2]string{k, fmt.Sprintf(format, a...)})
}

func (s *scenario) run(ctx context.Context) error {
	s.logf("work dir %s, prefix %s", s.dir, s.prefix)
	s.bin = filepath.Join(s.dir, "langnghe")
	build := exec.CommandContext(ctx, "go", "build", "-o", s.bin, "./cmd/langnghe")
	build.Dir, build.Stdout, build.Stderr = s.repo, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build: %w", err)
	}
	s.logf("built %s", s.bin)
	if err := s.startFeed(); err != nil {
		return err
	}
	esTarget, _ := url.Parse(s.esURL)
	p, err := testinfra.NewProxy(esTarget.Host)
	if err != nil {
		return err
	}
	s.proxy = p
	if err := s.writeConfig(); err != nil {
		return err
	}
	// Roles that need Elasticsearch start while the proxy is closed.
	for _, name := range []string{"serve", "index", "alert", "classify-1", "classify-2", "crawl"} {
		if err := s.start(ctx, name); err != nil {
			return err
		}
	}
	go s.pollReady(ctx)
	if err := sleep(ctx, 10*time.Second); err != nil {
		return err
	}
	for _, n := range []string{"index", "alert", "serve"} {
		r := s.roles[n]
		s.logf("%s before Elasticsearch: alive=%v ready=%v healthz=%d", n, r.alive(), r.readyAt() != (time.Time{}), httpStatus(r.base+"/healthz"))
		s.row("waiting on ES after 10 s: "+n, "alive=%v, /healthz %d, /readyz %d", r.alive(), httpStatus(r.base+"/healthz"), httpStatus(r.base+"/readyz"))
	}
	tOpen := time.Now()
	if err := s.proxy.On(); err != nil {
		return err
	}
	s.logf("Elasticsearch proxy opened")
	if err := s.waitAllReady(ctx, 60*time.Second); err != nil {
		return err
	}
	for _, n := range s.order {
		r := s.roles[n]
		ref, what := r.started, "after its start"
		if n == "index" || n == "alert" || n == "serve" {
			ref, what = tOpen, "after Elasticsearch appeared"
		}
		s.row("time to ready: "+n, "%.1f s %s", r.readyAt().Sub(ref).Seconds(), what)
	}
	split, err := s.waitSplit(ctx, 2, 30*time.Second)
	if err != nil {
		return err
	}
	s.row("classify partition split (2 replicas)", "%s", split)

	if err := s.waitIndexed(ctx, 300, 90*time.Second); err != nil {
		return err
	}
	// SIGKILL one classify replica: the other must take all partitions.
	tKill := time.Now()
	s.roles["classify-1"].kill()
	s.logf("SIGKILL classify-1")
	split1, err := s.waitSplit(ctx, 1, 60*time.Second)
	if err != nil {
		return err
	}
	s.row("classify failover after SIGKILL", "%.1f s until the survivor held all partitions (%s)", time.Since(tKill).Seconds(), split1)
	if err := s.start(ctx, "classify-1"); err != nil {
		return err
	}
	split2, err := s.waitSplit(ctx, 2, 30*time.Second)
	if err != nil {
		return err
	}
	s.row("classify split after restart", "%s (%.1f s after the restart)", split2, time.Since(s.roles["classify-1"].started).Seconds())

	// SIGKILL the only index replica and restart it.
	s.roles["index"].kill()
	s.logf("SIGKILL index")
	before := s.esCount(ctx)
	if err := sleep(ctx, 2*time.Second); err != nil {
		return err
	}
	if err := s.start(ctx, "index"); err != nil {
		return err
	}
	if err := s.waitRoleReady(ctx, "index", 30*time.Second); err != nil {
		return err
	}
	ix := s.roles["index"]
	// Ready is not writing: the new member joins the index group only once the killed
	// member's session has expired, so also time the first write after the restart.
	resumed := "no new post within 30 s"
	if waitFor(ctx, 30*time.Second, "index writing again", func() bool { return s.esCount(ctx) > before }) == nil {
		resumed = fmt.Sprintf("first new post %.1f s after the restart", time.Since(ix.started).Seconds())
	}
	s.row("index restart after SIGKILL", "ready %.1f s after the restart, %s (%d posts indexed at the kill)", ix.readyAt().Sub(ix.started).Seconds(), resumed, before)

	// Cut Elasticsearch (the proxy, not the shared node) for 20 s.
	if err := sleep(ctx, 3*time.Second); err != nil {
		return err
	}
	atCut := s.esCount(ctx)
	mailsAtCut := len(s.mails(ctx))
	s.proxy.Off()
	tCut := time.Now()
	s.logf("Elasticsearch proxy cut (%d posts indexed)", atCut)
	if err := sleep(ctx, 20*time.Second); err != nil {
		return err
	}
	if err := s.proxy.On(); err != nil {
		return err
	}
	s.logf("Elasticsearch proxy reopened after %.1f s", time.Since(tCut).Seconds())
	s.row("Elasticsearch cut", "%.1f s at %d posts indexed; emails %d at the cut, %d at the reopening", time.Since(tCut).Seconds(), atCut, mailsAtCut, len(s.mails(ctx)))
	tBack := time.Now()
	var back []string
	for _, n := range []string{"index", "alert", "serve"} {
		if err := s.waitRoleReady(ctx, n, 60*time.Second); err != nil {
			return err
		}
		back = append(back, fmt.Sprintf("%s %.1f s", n, time.Since(tBack).Seconds()))
	}
	s.row("ready again after the cut", "%s", strings.Join(back, ", "))

	// Let the pipeline drain and the alert groups flush.
	s.waitSettled(ctx)
	return s.measure(context.WithoutCancel(ctx), totalPosts)
}

// ---- configuration and processes

func (s *scenario) writeConfig() error {
	key := make([]byte, 32)
	f, _ := os.Open("/dev/urandom")
	io.ReadFull(f, key)
	f.Close()
	if err := os.WriteFile(filepath.Join(s.dir, "author.key"), []byte(fmt.Sprintf("%x\n", key)), 0o600); err != nil {
		return fmt.Errorf("author key: %w", err)
	}
	sources := fmt.Sprintf(`contact: https://example.org/lien-he
host_delay: 0s
sources:
  - name: scenario-feed
    kind: rss
    url: %s/rss.xml
    site: scenario.local
    allow_private: true
    interval: 5s
    lookback: 72h
`, s.feed.base)
	if err := os.WriteFile(filepath.Join(s.dir, "sources.yaml"), []byte(sources), 0o644); err != nil {
		return fmt.Errorf("sources: %w", err)
	}
	rules := fmt.Sprintf(`rules:
  - id: lua-dao-%[1]s
    name: "Lừa đảo (kịch bản %[1]s)"
    kind: match
    severity: high
    query: 'narrative:scam'
    recipients: [%[2]s]
    group_wait: 5s
    group_window: 20s
    top_posts: 5
`, s.prefix, s.recipient)
	if err := os.MkdirAll(filepath.Join(s.dir, "rules"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(s.dir, "rules", "scam.yaml"), []byte(rules), 0o644); err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	smtpHost, smtpPort, _ := net.SplitHostPort(s.smtp)
	cfg := fmt.Sprintf(`log_format: json
author_key_file: %[1]s/author.key
kafka:
  brokers: [%[2]s]
  topic_prefix: %[3]s.
  group_prefix: %[3]s
  partitions: 6
es:
  url: [http://%[4]s]
  index_prefix: %[3]s-posts
crawl:
  sources: %[1]s/sources.yaml
smtp:
  host: %[5]s
  port: %[6]s
  tls: none
  from: langnghe-scenario@example.vn
alerts:
  rules_dir: %[1]s/rules
  web_url: http://%[7]s
`, s.dir, s.kafkaAddr, s.prefix, s.proxy.Addr(), smtpHost, smtpPort, "SERVE_ADDR")
	ports := map[string]string{}
	for _, n := range []string{"serve", "crawl", "classify-1", "classify-2", "index", "alert"} {
		port, err := freePort()
		if err != nil {
			return err
		}
		ports[n] = port
	}
	cfg = strings.Replace(cfg, "SERVE_ADDR", ports["serve"], 1)
	if err := os.WriteFile(filepath.Join(s.dir, "langnghe.yaml"), []byte(cfg), 0o644); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	for n, p := range ports {
		cmd := strings.TrimSuffix(strings.TrimSuffix(n, "-1"), "-2")
		s.roles[n] = &role{name: n, cmd: cmd, listen: p, base: "http://" + p}
	}
	s.order = []string{"serve", "index", "alert", "classify-1", "classify-2", "crawl"}
	check := exec.Command(s.bin, "config", "check", filepath.Join(s.dir, "langnghe.yaml"))
	if out, err := check.CombinedOutput(); err != nil {
		return fmt.Errorf("config check: %w: %s", err, out)
	}
	return nil
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

type role struct {
	name, cmd, listen, base string
	mu                      sync.Mutex
	proc                    *exec.Cmd
	done                    chan struct{}
	started, ready          time.Time
	exits                   []string
}

func (r *role) alive() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done == nil {
		return false
	}
	select {
	case <-r.done:
		return false
	default:
		return true
	}
}

func (r *role) readyAt() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ready
}

func (s *scenario) start(ctx context.Context, name string) error {
	r := s.roles[name]
	logf, err := os.OpenFile(filepath.Join(s.dir, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("log of %s: %w", name, err)
	}
	cmd := exec.Command(s.bin, r.cmd, "--config", filepath.Join(s.dir, "langnghe.yaml"),
		"--http.listen", r.listen, "--data_dir", filepath.Join(s.dir, "data-"+name))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s: %w", name, err)
	}
	done := make(chan struct{})
	r.mu.Lock()
	r.proc, r.done, r.started, r.ready = cmd, done, time.Now(), time.Time{}
	r.mu.Unlock()
	go func() {
		err := cmd.Wait()
		logf.Close()
		r.mu.Lock()
		r.exits = append(r.exits, fmt.Sprint(err))
		r.mu.Unlock()
		close(done)
	}()
	s.logf("started %s (pid %d) on %s", name, cmd.Process.Pid, r.listen)
	return nil
}

// kill sends SIGKILL to the role's process group and waits for it to end.
func (r *role) kill() {
	r.signal(syscall.SIGKILL)
	<-r.done
}

func (r *role) signal(sig syscall.Signal) {
	r.mu.Lock()
	p := r.proc
	r.mu.Unlock()
	if p != nil && p.Process != nil {
		_ = syscall.Kill(-p.Process.Pid, sig)
	}
}

func (s *scenario) pollReady(ctx context.Context) {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, n := range s.order {
			r := s.roles[n]
			if !r.alive() {
				continue
			}
			ok := httpStatus(r.base+"/readyz")/100 == 2
			r.mu.Lock()
			if ok && r.ready.IsZero() {
				r.ready = time.Now()
			} else if !ok {
				r.ready = time.Time{}
			}
			r.mu.Unlock()
		}
	}
}

func (s *scenario) waitAllReady(ctx context.Context, d time.Duration) error {
	for _, n := range s.order {
		if err := s.waitRoleReady(ctx, n, d); err != nil {
			return err
		}
	}
	return nil
}

func (s *scenario) waitRoleReady(ctx context.Context, n string, d time.Duration) error {
	return waitFor(ctx, d, n+" ready", func() bool {
		r := s.roles[n]
		return r.alive() && !r.readyAt().IsZero()
	})
}

func waitFor(ctx context.Context, d time.Duration, what string, cond func() bool) error {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting for %s", d, what)
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func (s *scenario) cleanup() {
	for _, r := range s.roles {
		if r.alive() {
			r.signal(syscall.SIGTERM)
		}
	}
	for _, r := range s.roles {
		if !r.alive() {
			continue
		}
		select {
		case <-r.done:
		case <-time.After(15 * time.Second):
			fmt.Printf("%s did not stop within 15 s of SIGTERM; SIGKILL\n", r.name)
			r.kill()
		}
	}
	if s.proxy != nil {
		s.proxy.Off()
	}
	if s.feedSrv != nil {
		s.feedSrv.Close()
	}
	if s.keep {
		fmt.Printf("kept %s, topics %s.*, indices %s-*\n", s.dir, s.prefix, s.prefix)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodDelete, s.esURL+"/"+s.prefix+"-*", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	cl := &kafka.Client{Addr: kafka.TCP(s.kafkaAddr), Timeout: 20 * time.Second}
	if md, err := cl.Metadata(ctx, &kafka.MetadataRequest{}); err == nil {
		var mine []string
		for _, t := range md.Topics {
			if strings.HasPrefix(t.Name, s.prefix+".") {
				mine = append(mine, t.Name)
			}
		}
		if len(mine) > 0 {
			_, _ = cl.DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: mine})
		}
	}
	fmt.Printf("logs kept in %s (topics and indices %s deleted)\n", s.dir, s.prefix)
}

// ---- the feed

type feed struct {
	base  string
	start time.Time
	once  sync.Once
	mu    sync.Mutex
	pub   time.Time
}

// count is how many posts the feed shows now: 150 at the first request, then 12 a
// second, so posts keep arriving through the kills and the outage (all 1,200 by ~90 s).
func (f *feed) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.start.IsZero() {
		return 0
	}
	n := 150 + int(time.Since(f.start).Seconds()*12)
	return min(n, totalPosts)
}

var scamTemplates = []string{
	"Quý khách đã trúng thưởng 1 chiếc SH Mode mã %d, vui lòng truy cập đường link sau và nộp phí vận chuyển để nhận giải",
	"Mẹ ơi con đang bị kẹt ở sân bay, điện thoại sắp hết pin, mẹ chuyển gấp %d triệu vào số tài khoản này giúp con nhé",
	"Tuyển CTV làm tại nhà, mỗi ngày chỉ cần 1-2 tiếng like video, hoa hồng %d00k/ngày, ib ngay",
}

var plainTemplates = []string{
	"Sáng nay UBND phường tổ chức lễ ra quân dọn vệ sinh môi trường tại khu dân cư số %d",
	"Thư viện thành phố mở thêm phòng đọc cho thiếu nhi, buổi giới thiệu sách lần thứ %d diễn ra cuối tuần",
	"Giải chạy bộ vì cộng đồng năm nay có %d vận động viên đăng ký tham gia",
	"Chợ phiên nông sản sạch tuần này bày bán %d loại rau củ của các hợp tác xã ngoại thành",
}

// text of post i: every third post is a scam, so 400 of 1,200.
func postText(i int) (string, bool) {
	if i%3 == 0 {
		return fmt.Sprintf(scamTemplates[(i/3)%len(scamTemplates)], i+1), true
	}
	return fmt.Sprintf(plainTemplates[i%len(plainTemplates)], i+1), false
}

func (s *scenario) startFeed() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("feed: %w", err)
	}
	f := &feed{base: "http://" + ln.Addr().String(), pub: time.Now().Add(-time.Hour).Truncate(time.Second)}
	mux := http.NewServeMux()
	mux.HandleFunc("/rss.xml", func(w http.ResponseWriter, r *http.Request) {
		f.once.Do(func() { f.mu.Lock(); f.start = time.Now(); f.mu.Unlock() })
		n := f.count()
		var b bytes.Buffer
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Kịch bản</title><link>` + f.base + `/</link><description>scenario</description>`)
		for i := n - 1; i >= 0; i-- { // newest first
			text, _ := postText(i)
			fmt.Fprintf(&b, "<item><title>Bài %d</title><link>%s/p/%d</link><guid>%s/p/%d</guid><pubDate>%s</pubDate><description>%s</description></item>",
				i+1, f.base, i, f.base, i, f.pub.Add(time.Duration(i)*time.Second).Format(time.RFC1123Z), text)
		}
		b.WriteString("</channel></rss>")
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Write(b.Bytes())
	})
	s.feed = f
	s.feedSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go s.feedSrv.Serve(ln)
	return nil
}

// ---- measurements

func httpStatus(u string) int {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func getJSON(ctx context.Context, method, u, body string, v any) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, u, resp.StatusCode, b)
	}
	return resp.StatusCode, json.Unmarshal(b, v)
}

// esCount counts posts through the alias, straight from Elasticsearch (not the proxy).
func (s *scenario) esCount(ctx context.Context) int {
	var v struct{ Count int }
	_, _ = getJSON(ctx, http.MethodGet, s.esURL+"/"+s.prefix+"-posts/_count", "", &v)
	return v.Count
}

func (s *scenario) waitIndexed(ctx context.Context, n int, d time.Duration) error {
	return waitFor(ctx, d, fmt.Sprintf("%d posts indexed", n), func() bool { return s.esCount(ctx) >= n })
}

// waitSplit waits until the classify group has members consumers, each with partitions,
// and describes the split.
func (s *scenario) waitSplit(ctx context.Context, members int, d time.Duration) (string, error) {
	var desc string
	err := waitFor(ctx, d, fmt.Sprintf("%d classify members", members), func() bool {
		cl := &kafka.Client{Addr: kafka.TCP(s.kafkaAddr), Timeout: 5 * time.Second}
		resp, err := cl.DescribeGroups(ctx, &kafka.DescribeGroupsRequest{GroupIDs: []string{s.prefix + "-classify"}})
		if err != nil || len(resp.Groups) == 0 || resp.Groups[0].GroupState != "Stable" {
			return false
		}
		var parts []string
		total := 0
		for _, m := range resp.Groups[0].Members {
			n := 0
			for _, t := range m.MemberAssignments.Topics {
				n += len(t.Partitions)
			}
			if n == 0 {
				return false
			}
			total += n
			parts = append(parts, fmt.Sprint(n))
		}
		sort.Strings(parts)
		desc = strings.Join(parts, "/") + fmt.Sprintf(" of %d partitions", total)
		return len(resp.Groups[0].Members) == members && total == 6
	})
	return desc, err
}

// waitSettled waits until every post the feed shows is indexed and the alert emails have
// stopped changing for longer than the rule's group window, or the budget runs short.
func (s *scenario) waitSettled(ctx context.Context) {
	last, lastMail, since := -1, -1, time.Now()
	for {
		dl, ok := ctx.Deadline()
		if ok && time.Until(dl) < 25*time.Second {
			s.logf("budget nearly spent: measuring now")
			return
		}
		n, m := s.esCount(ctx), len(s.mails(ctx))
		if n != last || m != lastMail {
			last, lastMail, since = n, m, time.Now()
			s.logf("indexed %d/%d, emails %d", n, s.feed.count(), m)
		}
		if n >= s.feed.count() && s.feed.count() == totalPosts && time.Since(since) > 30*time.Second {
			return
		}
		if sleep(ctx, time.Second) != nil {
			return
		}
	}
}

type mail struct {
	ID, Subject string
}

func (s *scenario) mails(ctx context.Context) []mail {
	var v struct{ Messages []mail }
	q := url.Values{"query": {`to:"` + s.recipient + `"`}, "limit": {"500"}}
	_, _ = getJSON(ctx, http.MethodGet, s.mailpit+"/api/v1/search?"+q.Encode(), "", &v)
	return v.Messages
}

var countRe = regexp.MustCompile(`(\d+) bài mới`)

func (s *scenario) measure(ctx context.Context, expected int) error {
	// Posts: count and distinct ids through the alias (a terms aggregation: exact, where
	// cardinality is an estimate that read 1,199 for 1,200); scam posts.
	var agg struct {
		Hits struct {
			Total struct{ Value int }
		}
		Aggregations struct {
			Distinct struct {
				Buckets []struct{} `json:"buckets"`
			}
			Dups struct {
				Buckets []struct {
					Key      string
					DocCount int `json:"doc_count"`
				}
			}
			Scam struct {
				DocCount int `json:"doc_count"`
			}
		}
	}
	body := `{"size":0,"track_total_hits":true,"aggs":{"distinct":{"terms":{"field":"id","size":5000}},
	"dups":{"terms":{"field":"id","min_doc_count":2,"size":50}},
	"scam":{"filter":{"term":{"analysis.narratives.id":"scam"}}}}}`
	if _, err := getJSON(ctx, http.MethodPost, s.esURL+"/"+s.prefix+"-posts/_search", body, &agg); err != nil {
		s.row("posts indexed", "ERROR %v", err)
	}
	dupIDs := 0
	for _, b := range agg.Aggregations.Dups.Buckets {
		dupIDs += b.DocCount - 1
	}
	s.row("posts indexed / expected", "%d / %d (feed served %d, %d of them scam-templated)", agg.Hits.Total.Value, expected, s.feed.count(), scamPosts*s.feed.count()/totalPosts)
	s.row("distinct ids / duplicate docs", "%d / %d", len(agg.Aggregations.Distinct.Buckets), dupIDs)
	s.row("indexed posts with narrative scam", "%d", agg.Aggregations.Scam.DocCount)

	// Classify work split from each replica's /metrics (the restarted one counts from 0).
	var work []string
	for _, n := range []string{"classify-1", "classify-2"} {
		work = append(work, fmt.Sprintf("%s %s", n, metric(s.roles[n].base+"/metrics", `langnghe_bus_processed_total{stage="classify"}`)))
	}
	s.row("classify processed (since last start)", "%s", strings.Join(work, ", "))

	// Emails.
	ms := s.mails(ctx)
	covered, ids, repeats := 0, map[string]int{}, 0
	for _, m := range ms {
		if c := countRe.FindStringSubmatch(m.Subject); c != nil {
			var k int
			fmt.Sscan(c[1], &k)
			covered += k
		}
		var msg struct{ Text string }
		if _, err := getJSON(ctx, http.MethodGet, s.mailpit+"/api/v1/message/"+m.ID, "", &msg); err != nil {
			continue
		}
		for _, line := range strings.Split(msg.Text, "\n") {
			if i := strings.Index(line, "http://"); i >= 0 && strings.Contains(line, "ids=") {
				u, err := url.Parse(strings.TrimSpace(line[i:]))
				if err != nil {
					continue
				}
				for _, id := range strings.Split(u.Query().Get("ids"), ",") {
					if id != "" {
						ids[id]++
						if ids[id] == 2 {
							repeats++
						}
					}
				}
				break
			}
		}
	}
	s.row("emails in Mailpit to "+s.recipient, "%d", len(ms))
	s.row("posts covered by emails", "%d by the subjects' counts; %d distinct ids in the links, %d repeated", covered, len(ids), repeats)

	// Alert history: the index vs the alert role vs serve.
	var hist struct{ Count int }
	_, herr := getJSON(ctx, http.MethodGet, s.esURL+"/"+s.prefix+"-alerts/_count", "", &hist)
	var histDocs struct {
		Hits struct {
			Hits []struct {
				Source struct{ Count int } `json:"_source"`
			}
		}
	}
	_, _ = getJSON(ctx, http.MethodGet, s.esURL+"/"+s.prefix+"-alerts/_search?size=1000", "", &histDocs)
	histPosts := 0
	for _, h := range histDocs.Hits.Hits {
		histPosts += h.Source.Count
	}
	var roleAlerts, serveAlerts struct{ Total int }
	_, aerr := getJSON(ctx, http.MethodGet, s.roles["alert"].base+"/api/alerts?limit=1000", "", &roleAlerts)
	_, serr := getJSON(ctx, http.MethodGet, s.roles["serve"].base+"/api/alerts?limit=1000", "", &serveAlerts)
	s.row("alert history docs in "+s.prefix+"-alerts", "%d (posts counted in them: %d) %s", hist.Count, histPosts, errNote(herr))
	s.row("alert role /api/alerts total", "%d %s", roleAlerts.Total, errNote(aerr))
	s.row("serve /api/alerts total", "%d %s", serveAlerts.Total, errNote(serr))
	var src json.RawMessage
	_, srcErr := getJSON(ctx, http.MethodGet, s.roles["serve"].base+"/api/sources", "", &src)
	s.row("serve /api/sources", "%s %s", summarizeSources(src), errNote(srcErr))

	// Log lines.
	for _, n := range s.order {
		w, e, sample := levels(filepath.Join(s.dir, n+".log"))
		r := s.roles[n]
		r.mu.Lock()
		exits := strings.Join(r.exits, "; ")
		r.mu.Unlock()
		v := fmt.Sprintf("WARN %d, ERROR %d", w, e)
		if exits != "" {
			v += " (exits: " + exits + ")"
		}
		s.row("log "+n, "%s", v)
		for _, l := range sample {
			fmt.Printf("  %s: %s\n", n, l)
		}
	}
	s.print()
	return nil
}

func errNote(err error) string {
	if err == nil {
		return ""
	}
	return "(" + err.Error() + ")"
}

func summarizeSources(raw json.RawMessage) string {
	var list []map[string]any
	if json.Unmarshal(raw, &list) != nil {
		var wrapped map[string]json.RawMessage
		if json.Unmarshal(raw, &wrapped) == nil {
			for _, v := range wrapped {
				if json.Unmarshal(v, &list) == nil && len(list) > 0 {
					break
				}
			}
		}
	}
	var parts []string
	for _, m := range list {
		parts = append(parts, fmt.Sprintf("%v state=%v", m["name"], m["state"]))
	}
	if len(parts) == 0 {
		s := string(raw)
		if len(s) > 200 {
			s = s[:200]
		}
		return s
	}
	return fmt.Sprintf("%d source(s): %s", len(parts), strings.Join(parts, ", "))
}

func metric(u, series string) string {
	resp, err := http.Get(u)
	if err != nil {
		return "?"
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			return rest
		}
	}
	return "0"
}

// levels counts WARN and ERROR lines of a JSON log and returns a few distinct messages.
func levels(path string) (warn, errs int, sample []string) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, nil
	}
	defer f.Close()
	seen := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l struct{ Level, Msg string }
		if json.Unmarshal(sc.Bytes(), &l) != nil {
			continue
		}
		switch l.Level {
		case "WARN":
			warn++
		case "ERROR":
			errs++
		default:
			continue
		}
		k := l.Level + " " + l.Msg
		if seen[k] == 0 && len(seen) < 8 {
			line := sc.Text()
			if len(line) > 400 {
				line = line[:400] + "…"
			}
			sample = append(sample, line)
		}
		seen[k]++
	}
	return warn, errs, sample
}

func (s *scenario) print() {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Println()
	fmt.Println("| figure | value |")
	fmt.Println("| --- | --- |")
	for _, r := range s.rows {
		fmt.Printf("| %s | %s |\n", r[0], r[1])
	}
}
