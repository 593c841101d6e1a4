package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/langnghe/langnghe/alerting"
	"github.com/langnghe/langnghe/alerting/eshistory"
	"github.com/langnghe/langnghe/crawler/demosite"
	esstore "github.com/langnghe/langnghe/store/elasticsearch"
	"github.com/langnghe/langnghe/testinfra"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func httpGet(t *testing.T, u string) (int, string) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// syncBuffer is a log buffer a role writes while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startInProcess runs a role through runCLI until the test ends.
func startInProcess(t *testing.T, env []string, args ...string) *syncBuffer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &syncBuffer{}
	done := make(chan int, 1)
	go func() { done <- runCLI(ctx, args, &cliEnv{stdout: io.Discard, stderr: stderr, environ: env}) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("%s did not stop", args[0])
		}
	})
	return stderr
}

// With Elasticsearch, `serve` answers /api/sources from what the crawl role (a separate
// process) reports, and /api/alerts and /alerts from the history index the alert role
// writes, on the real Kafka and Elasticsearch; the crawl role's own listener keeps its
// /api/sources and health, and serves no search.
func TestServeShowsAlertsAndSourcesOfOtherRoles(t *testing.T) {
	brokers := testinfra.KafkaBrokers(t)
	esURL := testinfra.ElasticsearchURL(t)
	old := sourcesPublishEvery
	sourcesPublishEvery = 300 * time.Millisecond
	defer func() { sourcesPublishEvery = old }()

	uniq := fmt.Sprintf("lnop%d", time.Now().UnixNano())
	prefix := uniq + "-posts"
	ctx := context.Background()
	client, err := esstore.NewClient(esstore.Config{URLs: []string{esURL}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.DeleteIndex(ctx, prefix+"-*", uniq+"-alerts", uniq+"-sources") })

	site := httptest.NewServer(demosite.New(demoPosts(t)))
	defer site.Close()
	dir := t.TempDir()
	srcFile := filepath.Join(dir, "sources.yaml")
	os.WriteFile(srcFile, []byte(fmt.Sprintf("contact: https://example.org/lien-he\nhost_delay: 0s\nsources:\n  - {name: tin-tuc, kind: rss, url: \"%s/rss/tin-tuc.rss\", allow_private: true}\n", site.URL)), 0o600)
	env := []string{
		"LANGNGHE_KAFKA_BROKERS=" + strings.Join(brokers, ","), "LANGNGHE_KAFKA_TOPIC_PREFIX=" + uniq + ".", "LANGNGHE_KAFKA_GROUP_PREFIX=" + uniq,
		"LANGNGHE_ES_URL=" + esURL, "LANGNGHE_ES_INDEX_PREFIX=" + prefix, "LANGNGHE_AUTHOR_KEY=" + strings.Repeat("k3y", 16),
		"LANGNGHE_CRAWL_SOURCES=" + srcFile, "LANGNGHE_LOG_LEVEL=warn",
	}
	crawlAddr, serveAddr := freeAddr(t), freeAddr(t)
	crawlLog := startInProcess(t, append(env, "LANGNGHE_DATA_DIR="+filepath.Join(dir, "crawl")), "crawl", "--http.listen", crawlAddr)
	serveLog := startInProcess(t, append(env, "LANGNGHE_DATA_DIR="+filepath.Join(dir, "serve")), "serve", "--http.listen", serveAddr)

	// What the alert role records (its own path is eshistory's test); the subject is hostile.
	rec, err := eshistory.New(client, eshistory.IndexName(prefix))
	if err != nil {
		t.Fatal(err)
	}
	n := &alerting.Notification{ID: uniq + "-a1", RuleID: "lua-dao", Kind: alerting.KindMatch, Severity: "high", Count: 3,
		Subject: "<script>alert(1)</script> lừa đảo", Reason: "3 bài / posts", CreatedAt: time.Now().UTC(), Status: alerting.StatusSent, Recipients: []string{"a@example.vn"}}
	if err := rec.Record(ctx, n); err != nil {
		t.Fatal(err)
	}
	rec.Refresh(ctx)

	var sources struct {
		Total   int `json:"total"`
		Sources []struct {
			Name  string `json:"name"`
			State string `json:"state"`
		} `json:"sources"`
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		code, body := httpGet(t, "http://"+serveAddr+"/api/sources")
		if code == 200 {
			json.Unmarshal([]byte(body), &sources)
			if len(sources.Sources) == 1 && sources.Sources[0].Name == "tin-tuc" && sources.Sources[0].State == "ok" {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve /api/sources never showed tin-tuc ok: %d %s\ncrawl log:\n%s\nserve log:\n%s", code, body, crawlLog, serveLog)
		}
		time.Sleep(300 * time.Millisecond)
	}

	code, body := httpGet(t, "http://"+serveAddr+"/api/alerts?rule=lua-dao")
	if code != 200 || !strings.Contains(body, n.ID) {
		t.Errorf("serve /api/alerts: %d %s, want alert %s", code, body, n.ID)
	}
	code, body = httpGet(t, "http://"+serveAddr+"/alerts")
	if code != 200 || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt; lừa đảo") || strings.Contains(body, "<script>alert(1)") {
		t.Errorf("serve /alerts: %d, want the escaped subject; body:\n%.600s", code, body)
	}
	for path, want := range map[string]int{"/api/sources": 200, "/healthz": 200, "/metrics": 200, "/api/search?q=x": 404, "/api/alerts": 404} {
		if code, _ := httpGet(t, "http://"+crawlAddr+path); code != want {
			t.Errorf("crawl role %s: %d, want %d", path, code, want)
		}
	}
}

// The index and classify roles' listeners serve health and metrics only.
func TestPipelineRoleListenerIsHealthOnly(t *testing.T) {
	cfg := defaultConfig()
	a := newApp(cfg, io.Discard)
	h := a.healthServer().Handler()
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200, "/api/search?q=x": 404, "/": 404, "/api/alerts": 404, "/api/sources": 404} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != want {
			t.Errorf("%s: %d, want %d", path, rec.Code, want)
		}
	}
}
