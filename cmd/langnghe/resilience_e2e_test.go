package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/langnghe/langnghe/alerting/notifiertest"
	"github.com/langnghe/langnghe/bus"
	"github.com/langnghe/langnghe/post"
	esstore "github.com/langnghe/langnghe/store/elasticsearch"
	"github.com/langnghe/langnghe/testinfra"
)

// httpStatus returns the status of GET u, 0 when nothing answers.
func httpStatus(u string) int {
	resp, err := http.Get(u)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func (r *role) running() bool {
	return r.cmd.ProcessState == nil && r.cmd.Process.Signal(syscall.Signal(0)) == nil
}

func hostOf(t *testing.T, rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

func countLines(path, substr string) int {
	b, _ := os.ReadFile(path)
	return strings.Count(string(b), substr)
}

// TestRolesWaitForDependencies starts `index` with Elasticsearch behind a closed proxy
// and `classify` with Kafka behind another: both keep running with /healthz 200 and
// /readyz 503 (naming what they wait for), log the wait once, become ready soon after
// the proxy opens, and then process posts end to end.
func TestRolesWaitForDependencies(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; skipped with -short")
	}
	brokers := testinfra.KafkaBrokers(t)
	esURL := testinfra.ElasticsearchURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	esProxy := newTCPProxy(t, hostOf(t, esURL))
	kafkaProxy := newTCPProxy(t, brokers[0])

	prefix := fmt.Sprintf("wait%d", time.Now().UnixNano())
	dir := t.TempDir()
	common := append(os.Environ(),
		"LANGNGHE_KAFKA_TOPIC_PREFIX="+prefix+".",
		"LANGNGHE_KAFKA_GROUP_PREFIX="+prefix,
		"LANGNGHE_ES_INDEX_PREFIX="+prefix,
		"LANGNGHE_DATA_DIR="+dir,
	)
	t.Cleanup(func() { deleteIndices(t, esURL, prefix) })
	indexListen, classifyListen := freePort(t), freePort(t)
	index := startRole(t, append(append([]string{}, common...), "LANGNGHE_KAFKA_BROKERS="+strings.Join(brokers, ","),
		"LANGNGHE_ES_URL=http://"+esProxy.addr, "LANGNGHE_HTTP_LISTEN="+indexListen), dir, "index")
	classify := startRole(t, append(append([]string{}, common...), "LANGNGHE_KAFKA_BROKERS="+kafkaProxy.addr,
		"LANGNGHE_HTTP_LISTEN="+classifyListen), dir, "classify")

	for _, r := range []struct {
		name, listen, dep string
		p                 *role
	}{{"index", indexListen, "elasticsearch", index}, {"classify", classifyListen, "kafka", classify}} {
		eventually(t, 30*time.Second, r.name+" /healthz while waiting", func() error {
			if c := httpStatus("http://" + r.listen + "/healthz"); c != 200 {
				return fmt.Errorf("healthz %d", c)
			}
			return nil
		})
		var v map[string]any
		code, err := getJSON("http://"+r.listen+"/readyz", &v)
		if err != nil || code != 503 || v["waiting_for"] != r.dep {
			t.Fatalf("%s /readyz while waiting: %d %v %v, want 503 waiting_for %s", r.name, code, v, err, r.dep)
		}
	}
	time.Sleep(4 * time.Second) // several attempts: still alive, still one log line
	for _, r := range []*role{index, classify} {
		if !r.running() {
			t.Fatalf("%s exited while waiting; log:\n%s", r.cmd.Args[1], tail(r.log, 20))
		}
		if n := countLines(r.log, "waiting for dependency"); n != 1 {
			t.Errorf("%s logged the wait %d times in 4 s, want once per kind of failure; log:\n%s", r.cmd.Args[1], n, tail(r.log, 20))
		}
	}

	esProxy.on()
	start := time.Now()
	eventually(t, 30*time.Second, "index ready after Elasticsearch appears", func() error {
		if c := httpStatus("http://" + indexListen + "/readyz"); c != 200 {
			return fmt.Errorf("readyz %d", c)
		}
		return nil
	})
	indexReady := time.Since(start)
	kafkaProxy.on()
	start = time.Now()
	eventually(t, 30*time.Second, "classify ready after Kafka appears", func() error {
		if c := httpStatus("http://" + classifyListen + "/readyz"); c != 200 {
			return fmt.Errorf("readyz %d", c)
		}
		return nil
	})
	classifyReady := time.Since(start)
	t.Logf("time to ready after the dependency appeared: index %v (Elasticsearch), classify %v (Kafka)", indexReady.Round(time.Millisecond), classifyReady.Round(time.Millisecond))

	posts := e2ePosts(300)
	replay := exec.CommandContext(ctx, buildBinary(t), "replay", "--in", writeJSONL(t, posts))
	replay.Env = append(append([]string{}, common...), "LANGNGHE_KAFKA_BROKERS="+strings.Join(brokers, ","), "LANGNGHE_HTTP_LISTEN=127.0.0.1:0")
	if out, err := replay.CombinedOutput(); err != nil {
		t.Fatalf("replay: %v\n%s", err, out)
	}
	st, err := esstore.New(ctx, esstore.Config{URLs: []string{esURL}, IndexPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	waitIndexed(t, st, len(posts), 2*time.Minute, nil)
	assertExactlyOnce(t, st, posts)
	if n := countLines(index.log, "dependency is up"); n != 1 {
		t.Errorf("index logged 'dependency is up' %d times, want 1", n)
	}
}

// exitWithin runs langnghe with args and env and returns its exit status and run time.
func exitWithin(t *testing.T, env []string, timeout time.Duration, args ...string) (int, time.Duration, string) {
	t.Helper()
	bin := buildBinary(t) // before the clock starts
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, time.Since(start), string(out)
	case ctx.Err() != nil:
		t.Fatalf("langnghe %s still running after %v; output:\n%s", strings.Join(args, " "), timeout, out)
	case errors.As(err, &ee):
		return ee.ExitCode(), time.Since(start), string(out)
	}
	t.Fatal(err)
	return 0, 0, ""
}

// TestRoleConfigErrorsExitAtOnce: waiting is for dependencies that are not up yet; a
// configuration error still ends the role at once with status 2: a malformed es.url, and
// an Elasticsearch that refuses the credentials (401). Ctrl-C while waiting stops the
// role promptly with status 0.
func TestRoleConfigErrorsExitAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; skipped with -short")
	}
	brokers := testinfra.KafkaBrokers(t)
	prefix := fmt.Sprintf("cfgerr%d", time.Now().UnixNano())
	dir := t.TempDir()
	env := append(os.Environ(), "LANGNGHE_KAFKA_BROKERS="+strings.Join(brokers, ","), "LANGNGHE_KAFKA_TOPIC_PREFIX="+prefix+".",
		"LANGNGHE_KAFKA_GROUP_PREFIX="+prefix, "LANGNGHE_DATA_DIR="+dir, "LANGNGHE_HTTP_LISTEN=127.0.0.1:0")

	code, took, out := exitWithin(t, append(env, "LANGNGHE_ES_URL=elasticsearch:9200"), 10*time.Second, "index")
	if code != 2 || !strings.Contains(out, "es.url") {
		t.Errorf("malformed es.url: exit %d after %v, want 2 naming es.url; output:\n%s", code, took, out)
	}

	auth := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":{"type":"security_exception","reason":"unable to authenticate user [langnghe]"},"status":401}`)
	}))
	defer auth.Close()
	code, took, out = exitWithin(t, append(env, "LANGNGHE_ES_URL="+auth.URL, "LANGNGHE_ES_USERNAME=langnghe", "LANGNGHE_ES_PASSWORD=wrong"), 30*time.Second, "index")
	if code != 2 || !strings.Contains(out, "401") || strings.Contains(out, "wrong") {
		t.Errorf("credentials refused: exit %d after %v, want 2 with the 401 and without the password; output:\n%s", code, took, out)
	}
	if took > 15*time.Second {
		t.Errorf("credentials refused: took %v to exit", took)
	}

	closed := newTCPProxy(t, brokers[0]) // never switched on
	listen := freePort(t)
	r := startRole(t, append(env[:len(env)-1:len(env)-1], "LANGNGHE_KAFKA_BROKERS="+closed.addr, "LANGNGHE_HTTP_LISTEN="+listen), dir, "classify")
	eventually(t, 20*time.Second, "classify waiting", func() error {
		if c := httpStatus("http://" + listen + "/readyz"); c != 503 {
			return fmt.Errorf("readyz %d", c)
		}
		return nil
	})
	start := time.Now()
	r.stop(t) // SIGINT; fails the test unless it exits 0 within 5 s
	t.Logf("Ctrl-C while waiting: stopped in %v", time.Since(start).Round(time.Millisecond))
}

// TestAlertingSurvivesElasticsearchOutage runs classify and alert as processes on the
// real Kafka, Elasticsearch and Mailpit, with the alert role's Elasticsearch behind a
// proxy the test switches off for a while. During the outage match alerts keep arriving
// in Mailpit, history records are spooled (the backlog gauge counts them) and the log
// says once that alerting is degraded; after it, every history record is in the history
// index, the backlog is 0, and the log says once that alerting recovered.
func TestAlertingSurvivesElasticsearchOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; skipped with -short")
	}
	brokers := testinfra.KafkaBrokers(t)
	esURL := testinfra.ElasticsearchURL(t)
	smtpAddr := testinfra.SMTPAddr(t)
	mp := notifiertest.Mailpit{URL: testinfra.MailpitURL(t)}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	esProxy := newTCPProxy(t, hostOf(t, esURL))
	esProxy.on()

	prefix := fmt.Sprintf("esout%d", time.Now().UnixNano())
	postsPrefix := prefix + "-posts"
	historyIndex := prefix + "-alerts"
	t.Cleanup(func() {
		deleteIndices(t, esURL, postsPrefix)
		for _, ix := range []string{historyIndex, prefix + "-alerts-state"} {
			req, _ := http.NewRequest(http.MethodDelete, esURL+"/"+ix, nil)
			if r, err := http.DefaultClient.Do(req); err == nil {
				r.Body.Close()
			}
		}
	})
	dir := t.TempDir()
	rulesDir := filepath.Join(dir, "rules")
	os.MkdirAll(rulesDir, 0o755)
	rcpt := prefix + "@e2e.test"
	os.WriteFile(filepath.Join(rulesDir, "scam.yaml"), []byte(`rules:
  - id: lua-dao
    name: Lừa đảo
    kind: match
    severity: high
    query: {narratives: [scam]}
    recipients: [`+rcpt+`]
    group_by: source
    group_wait: 2s
    group_window: 1h
`), 0o644)
	host, port, _ := strings.Cut(smtpAddr, ":")
	listen := freePort(t)
	env := append(os.Environ(),
		"LANGNGHE_KAFKA_BROKERS="+strings.Join(brokers, ","),
		"LANGNGHE_KAFKA_TOPIC_PREFIX="+prefix+".",
		"LANGNGHE_KAFKA_GROUP_PREFIX="+prefix,
		"LANGNGHE_KAFKA_BATCH_SIZE=20",
		"LANGNGHE_DATA_DIR="+dir,
		"LANGNGHE_ES_URL=http://"+esProxy.addr,
		"LANGNGHE_ES_INDEX_PREFIX="+postsPrefix,
		"LANGNGHE_ALERTS_RULES_DIR="+rulesDir,
		"LANGNGHE_SMTP_HOST="+host, "LANGNGHE_SMTP_PORT="+port, "LANGNGHE_SMTP_TLS=none",
		"LANGNGHE_SMTP_FROM=canhbao@langnghe.test",
	)
	startRole(t, append(append([]string{}, env...), "LANGNGHE_HTTP_LISTEN=127.0.0.1:0"), dir, "classify")
	alert := startRole(t, append(append([]string{}, env...), "LANGNGHE_HTTP_LISTEN="+listen), dir, "alert")
	base := "http://" + listen
	eventually(t, 60*time.Second, "alert role ready", func() error {
		if c := httpStatus(base + "/readyz"); c != 200 {
			return fmt.Errorf("readyz %d", c)
		}
		return nil
	})

	p := bus.NewProducer(brokers)
	defer p.Close()
	publish := func(source string, n int) {
		t.Helper()
		var msgs []bus.Message
		for i := range n {
			ps := &post.Post{Schema: 1, ID: fmt.Sprintf("forum:%s:%d-%d", source, time.Now().UnixNano(), i), Platform: "forum", Source: source,
				URL: "https://" + source + "/t/" + fmt.Sprint(i), Text: "Cảnh báo lừa đảo: kẻ gian giả danh ngân hàng yêu cầu cung cấp mã OTP", PublishedAt: time.Now(), FetchedAt: time.Now()}
			b, _ := post.Encode(ps)
			msgs = append(msgs, bus.Message{Key: []byte(ps.ID), Value: b})
		}
		if err := p.Publish(ctx, prefix+"."+bus.TopicRaw, msgs...); err != nil {
			t.Fatal(err)
		}
	}
	waitEmails := func(want int, within time.Duration) {
		t.Helper()
		eventually(t, within, fmt.Sprintf("%d emails in Mailpit", want), func() error {
			if n := len(mp.IDs(t, rcpt)); n < want {
				return fmt.Errorf("%d emails", n)
			}
			return nil
		})
	}
	metric := func(name string) float64 {
		text, err := getText(base + "/metrics")
		if err != nil {
			return -1
		}
		m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindStringSubmatch(text)
		if m == nil {
			return -1
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v
	}

	publish("truoc.vn", 5)
	waitEmails(1, 60*time.Second)

	esProxy.off()
	outageStart := time.Now()
	const during = 4
	for i := range during {
		publish(fmt.Sprintf("trong-%d.vn", i), 3)
	}
	waitEmails(1+during, 60*time.Second)
	alertsDuring := len(mp.IDs(t, rcpt)) - 1
	eventually(t, 20*time.Second, "history backlog during the outage", func() error {
		if b := metric("langnghe_alerts_history_backlog"); b < during {
			return fmt.Errorf("backlog %v", b)
		}
		return nil
	})
	spooled := metric("langnghe_alerts_history_backlog")
	// Hold the outage for 20 s, as in the run: the role keeps running degraded,
	// without a WARN a second.
	time.Sleep(20*time.Second - time.Since(outageStart))
	if !alert.running() {
		t.Fatalf("alert role exited during the outage; log:\n%s", tail(alert.log, 30))
	}
	esProxy.on()
	outage := time.Since(outageStart)
	recoverStart := time.Now()
	eventually(t, 60*time.Second, "history backlog drained", func() error {
		if b := metric("langnghe_alerts_history_backlog"); b != 0 {
			return fmt.Errorf("backlog %v", b)
		}
		return nil
	})
	drainTook := time.Since(recoverStart)
	// Every alert is in the history index as sent.
	var hist struct {
		Total  int `json:"total"`
		Alerts []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"alerts"`
	}
	if _, err := getJSON(base+"/api/alerts?status=sent", &hist); err != nil || hist.Total != 1+during {
		t.Fatalf("/api/alerts: %d sent (%v), want %d", hist.Total, err, 1+during)
	}
	http.Post(esURL+"/"+historyIndex+"/_refresh", "application/json", nil)
	var cnt struct {
		Count int `json:"count"`
	}
	if _, err := getJSON(esURL+"/"+historyIndex+"/_count?q=status:sent", &cnt); err != nil || cnt.Count != 1+during {
		t.Errorf("history index %s holds %d sent alerts (%v), want %d", historyIndex, cnt.Count, err, 1+during)
	}
	// The state reached the versioned document again: the local fallback file is gone.
	eventually(t, 20*time.Second, "state back in Elasticsearch", func() error {
		if _, err := os.Stat(filepath.Join(dir, "alerts", "state.pending.json")); !os.IsNotExist(err) {
			return fmt.Errorf("state.pending.json still there (%v)", err)
		}
		return nil
	})
	logText, _ := os.ReadFile(alert.log)
	if n := strings.Count(string(logText), "alerting degraded"); n != 1 {
		t.Errorf("'alerting degraded' logged %d times, want once", n)
	}
	eventually(t, 20*time.Second, "recovery logged", func() error {
		if n := countLines(alert.log, "alerting recovered"); n != 1 {
			return fmt.Errorf("'alerting recovered' logged %d times", n)
		}
		return nil
	})
	warns := strings.Count(string(logText), "level=WARN")
	if warns > 3 {
		t.Errorf("%d WARN lines for a %v outage, want a few at most; log:\n%s", warns, outage.Round(time.Second), tail(alert.log, 40))
	}
	// One more alert after the outage, to show the role runs normally again.
	publish("sau.vn", 2)
	waitEmails(2+during, 60*time.Second)
	for _, l := range strings.Split(string(logText), "\n") {
		if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") || strings.Contains(l, "recovered") {
			t.Log(l)
		}
	}
	t.Logf("outage %v: %d alerts emailed during it, %v history records spooled, drained in %v after Elasticsearch answered; %d WARN lines",
		outage.Round(time.Millisecond), alertsDuring, spooled, drainTook.Round(time.Millisecond), warns)
}
