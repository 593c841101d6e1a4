package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/langnghe/langnghe/store"
)

// TestVersionStamped builds the binary the way the Dockerfile and `make build` do and
// checks `langnghe version` prints the stamped version and commit.
func TestVersionStamped(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "langnghe")
	build := exec.Command("go", "build", "-ldflags", "-X main.version=v9.8.7-test -X main.commit=abc1234", "-o", bin, ".")
	build.Env = append(build.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("langnghe version: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "v9.8.7-test") || !strings.Contains(string(out), "commit abc1234") {
		t.Fatalf("langnghe version = %q, want the stamped version and commit", out)
	}
}

// TestHealthcheck: exit 0 on a 2xx /readyz, 1 on 503 or nothing listening, 2 on a bad
// argument; with no URL it probes LANGNGHE_HTTP_LISTEN's /readyz on loopback.
func TestHealthcheck(t *testing.T) {
	var ready bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		if !ready {
			http.Error(w, `{"kafka":"connection refused"}`, http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	}))
	defer srv.Close()
	run := func(environ []string, args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := runCLI(context.Background(), append([]string{"healthcheck"}, args...), &cliEnv{stdout: &out, stderr: &errb, environ: environ})
		return code, out.String() + errb.String()
	}
	if code, out := run(nil, srv.URL+"/readyz"); code != 1 || !strings.Contains(out, "503") {
		t.Errorf("not ready: exit %d, want 1 with the status; output %q", code, out)
	}
	ready = true
	if code, out := run(nil, srv.URL+"/readyz"); code != 0 {
		t.Errorf("ready: exit %d, want 0; output %q", code, out)
	}
	u, _ := url.Parse(srv.URL)
	if code, out := run([]string{"LANGNGHE_HTTP_LISTEN=0.0.0.0:" + u.Port()}); code != 0 {
		t.Errorf("default URL from LANGNGHE_HTTP_LISTEN=0.0.0.0:%s: exit %d, want 0; output %q", u.Port(), code, out)
	}
	if code, _ := run(nil, "http://"+freePort(t)+"/readyz"); code != 1 {
		t.Errorf("nothing listening: exit %d, want 1", code)
	}
	if code, _ := run(nil, "a", "b"); code != 2 {
		t.Errorf("two URLs: exit %d, want 2", code)
	}
}

// opsRun is a `langnghe run --demo` process whose metrics the operations tests read.
type opsRun struct {
	base    string
	metrics string
	prom    *promServer // nil when Prometheus is not installed
}

// startOpsRun starts `run --demo` and waits until every stage processed posts, the lag
// monitor has polled and a crawl source succeeded, so every metric family has series.
func startOpsRun(t *testing.T) *opsRun {
	t.Helper()
	addr := freePort(t)
	dir := t.TempDir()
	r := &opsRun{base: "http://" + addr}
	if _, err := exec.LookPath("prometheus"); err == nil {
		// Scraping from the start, so rates cover the demo's burst of posts.
		r.prom = startPrometheus(t, addr)
	}
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "LANGNGHE_DATA_DIR=" + dir + "/data", "LANGNGHE_HTTP_LISTEN=" + addr}
	startRole(t, env, dir, "run", "--demo")
	want := []string{
		`langnghe_bus_processed_total{stage="index"}`,
		`langnghe_bus_processed_total{stage="classify"}`,
		`langnghe_bus_consumer_lag{`,
		`langnghe_indexer_freshness_seconds_count{since="fetched"}`,
		`langnghe_crawler_last_success_timestamp_seconds{`,
		`langnghe_build_info{`,
	}
	eventually(t, 90*time.Second, "every stage has processed posts", func() error {
		m, err := getText(r.base + "/metrics")
		if err != nil {
			return err
		}
		for _, w := range want {
			if !strings.Contains(m, w) {
				return fmt.Errorf("no %s yet", w)
			}
		}
		if v := metricValue(m, `langnghe_bus_processed_total{stage="index"}`); v < 50 {
			return fmt.Errorf("index processed %v posts, want at least 50", v)
		}
		r.metrics = m
		return nil
	})
	return r
}

func metricValue(text, series string) float64 {
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, _ := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v
		}
	}
	return -1
}

// TestOperations runs one `langnghe run --demo` and checks what operators rely on: the
// metrics' names and help pass promtool, no label carries a post id, URL or author, series
// counts stay bounded, `langnghe status` summarizes the running pipeline, and (promql_test.go)
// every Grafana panel query returns series from a real Prometheus scraping it.
func TestOperations(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; skipped with -short")
	}
	r := startOpsRun(t)
	t.Run("Cardinality", func(t *testing.T) { testCardinality(t, r) })
	t.Run("PromtoolCheckMetrics", func(t *testing.T) { testPromtoolMetrics(t, r) })
	t.Run("Status", func(t *testing.T) { testStatus(t, r) })
	t.Run("PromQL", func(t *testing.T) { testPromQL(t, r) })
}

// forbiddenLabels name per-post or per-person data; none may be a label.
var forbiddenLabels = regexp.MustCompile(`(?i)^(id|post_?id|url|link|author(_id)?|user(name)?|text|key|title)$`)

func testCardinality(t *testing.T, r *opsRun) {
	// Every post the demo indexed: none of their ids, URLs or author ids may be a label value.
	// Indexed posts become searchable shortly after the index stage counts them (the
	// store refreshes in the background), so wait for them rather than race the refresh.
	var res store.Result
	eventually(t, 30*time.Second, "the indexed posts are searchable", func() error {
		res = store.Result{}
		if _, err := getJSON(r.base+"/api/search?q=&limit=500", &res); err != nil {
			return err
		}
		if len(res.Hits) < 50 {
			return fmt.Errorf("search returned %d posts, want at least 50 to check against", len(res.Hits))
		}
		return nil
	})
	perPost := map[string]string{}
	for _, h := range res.Hits {
		perPost[h.Post.ID] = "post id"
		if h.Post.URL != "" {
			perPost[h.Post.URL] = "post URL"
		}
		if h.Post.Author.ID != "" {
			perPost[h.Post.Author.ID] = "author id"
		}
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(r.metrics))
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for name, mf := range mfs {
		n := len(mf.GetMetric())
		total += n
		// Per family: stages × reasons, sources × status codes, partitions × groups, handlers
		// × codes. Anything past 64 grows with the data, not with the deployment.
		if n > 64 {
			t.Errorf("%s has %d series; labels must not grow with the data", name, n)
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if forbiddenLabels.MatchString(l.GetName()) {
					t.Errorf("%s has a label %q", name, l.GetName())
				}
				v := l.GetValue()
				if what, ok := perPost[v]; ok {
					t.Errorf("%s{%s=%q}: the label value is a %s", name, l.GetName(), v, what)
				}
				if strings.Contains(v, "://") {
					t.Errorf("%s{%s=%q}: a URL in a label", name, l.GetName(), v)
				}
			}
		}
	}
	t.Logf("%d families, %d series, checked against %d posts", len(mfs), total, len(res.Hits))
}

// promtoolPath finds promtool the way testinfra/prometheus.sh does: on PATH (Debian's
// prometheus package).
func promtoolPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (testinfra/prometheus.sh installs Debian's prometheus package)")
	}
	return p
}

func testPromtoolMetrics(t *testing.T, r *opsRun) {
	cmd := exec.Command(promtoolPath(t), "check", "metrics")
	cmd.Stdin = strings.NewReader(r.metrics)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}

func testStatus(t *testing.T, r *opsRun) {
	var out, errb bytes.Buffer
	code := runCLI(context.Background(), []string{"status", "--targets", r.base + ",http://" + freePort(t), "--window", "1s"}, &cliEnv{stdout: &out, stderr: &errb})
	if code != 0 {
		t.Fatalf("status exit %d: %s", code, errb.String())
	}
	s := out.String()
	t.Logf("langnghe status:\n%s", s)
	for _, want := range []string{"classify", "index", "langnghe-classify", "posts.raw", "LỖI / DOWN", "demo"} {
		if !strings.Contains(s, want) {
			t.Errorf("status output lacks %q", want)
		}
	}
	// The processed count for index must be the one the process reports.
	re := regexp.MustCompile(`(?m)^index\s+\S+\s+(\d+)`)
	m := re.FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no index line in status output")
	}
	if n, _ := strconv.Atoi(m[1]); n < 50 {
		t.Errorf("status says index processed %d, want at least 50", n)
	}
}

// TestLogFormat: log_format json gives one JSON object per line; text stays the default;
// anything else is a config error naming the key.
func TestLogFormat(t *testing.T) {
	cfg, err := loadConfig("", []string{"LANGNGHE_LOG_FORMAT=json"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	newApp(cfg, &buf).log.Info("xin chào", "posts", 3)
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil || rec["msg"] != "xin chào" || rec["posts"] != float64(3) {
		t.Errorf("log_format json wrote %q (%v)", buf.String(), err)
	}
	cfg, _ = loadConfig("", nil, nil)
	buf.Reset()
	newApp(cfg, &buf).log.Info("xin chào")
	if !strings.HasPrefix(buf.String(), "time=") {
		t.Errorf("default format is not text: %q", buf.String())
	}
	if _, err := loadConfig("", []string{"LANGNGHE_LOG_FORMAT=xml"}, nil); err == nil || !strings.Contains(err.Error(), "log_format") {
		t.Errorf("log_format xml: got %v, want a config error naming log_format", err)
	}
}
