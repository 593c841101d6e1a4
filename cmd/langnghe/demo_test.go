package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/langnghe/langnghe/store"
	"github.com/langnghe/langnghe/vntext"
)

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func getJSON(url string, v any) (int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, json.NewDecoder(resp.Body).Decode(v)
}

func getText(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// eventually retries fn every 200 ms until it returns nil or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		if err = fn(); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: not reached within %s: %v", what, timeout, err)
}

// TestRunDemo starts `langnghe run --demo` as a real process with no configuration, and
// checks what the README promises: it becomes ready, a search typed without diacritics
// finds the flood posts, /metrics counts work in every stage, and Ctrl-C stops it cleanly
// within 5 s.
func TestRunDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; skipped with -short")
	}
	addr := freePort(t)
	dir := t.TempDir()
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "LANGNGHE_DATA_DIR=" + dir + "/data", "LANGNGHE_HTTP_LISTEN=" + addr}
	r := startRole(t, env, dir, "run", "--demo")
	base := "http://" + addr

	eventually(t, 60*time.Second, "/readyz answers 200", func() error {
		var body map[string]any
		code, err := getJSON(base+"/readyz", &body)
		if err == nil && code != 200 {
			err = fmt.Errorf("status %d: %v", code, body)
		}
		return err
	})

	var res store.Result
	eventually(t, 60*time.Second, "search for 'lu lut' finds the flood posts", func() error {
		res = store.Result{}
		if _, err := getJSON(base+"/api/search?q="+url.QueryEscape("lu lut")+"&limit=100", &res); err != nil {
			return err
		}
		if res.Total < 10 {
			return fmt.Errorf("total %d, want at least 10", res.Total)
		}
		return nil
	})
	for _, h := range res.Hits {
		folded := " " + vntext.FoldedText(h.Post.Text) + " "
		if !strings.Contains(folded, " lu ") || !strings.Contains(folded, " lut ") {
			t.Errorf("hit %s is not about floods: %q", h.Post.ID, h.Post.Text)
		}
		if len(h.Highlights) == 0 {
			t.Errorf("hit %s has no highlights", h.Post.ID)
		}
	}
	if len(res.Buckets) == 0 {
		t.Error("search returned no time buckets")
	}

	// The single-machine default serves the whole workbench, not only search and alerts.
	for _, path := range []string{"/queue", "/overview", "/alerts", "/api/alerts", "/api/alerts/rules",
		"/api/clusters", "/api/triage/export?task=toxicity", "/api/export?format=csv&q=lu+lut"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("run --demo: GET %s answered %d, want 200", path, resp.StatusCode)
		}
	}

	metrics, err := getText(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	for _, stage := range []string{"classify", "index"} {
		re := regexp.MustCompile(`(?m)^langnghe_bus_processed_total\{[^}]*stage="` + stage + `"[^}]*\} (\S+)$`)
		m := re.FindStringSubmatch(metrics)
		if m == nil {
			t.Errorf("/metrics has no langnghe_bus_processed_total for stage %s", stage)
			continue
		}
		if v, _ := strconv.ParseFloat(m[1], 64); v <= 0 {
			t.Errorf("stage %s processed %s messages, want > 0", stage, m[1])
		}
	}

	start := time.Now()
	r.stop(t)
	t.Logf("stopped in %s", time.Since(start).Round(time.Millisecond))
	if out := tail(r.log, 400); !strings.Contains(out, base+"/api/search") {
		t.Errorf("run --demo did not print where to look (%s/api/search); output:\n%s", base, out)
	}
}
