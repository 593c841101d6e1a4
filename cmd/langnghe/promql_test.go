package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// promServer is a Prometheus process a test started: Debian's prometheus binary, the one
// testinfra/prometheus.sh installs and runs, found the same way (on PATH). The test runs
// its own instance on a free loopback port, scraping the langnghe it started every second
// and loading deploy/prometheus/rules, so it neither depends on nor disturbs the shared
// instance's targets.
type promServer struct {
	url string
	cmd *exec.Cmd
}

func startPrometheus(t *testing.T, target string) *promServer {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Skip("prometheus not installed (testinfra/prometheus.sh installs Debian's prometheus package)")
	}
	rules, err := filepath.Abs(filepath.Join(repoRoot, "deploy", "prometheus", "rules"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: [%q]
scrape_configs:
  - job_name: langnghe
    static_configs:
      - targets: [%q]
        labels: {role: run}
`, filepath.Join(rules, "*.yml"), target)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freePort(t)
	logf, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--storage.tsdb.retention.time=1h")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logf.Close()
	p := &promServer{url: "http://" + addr, cmd: cmd}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	eventually(t, 60*time.Second, "prometheus ready", func() error {
		resp, err := http.Get(p.url + "/-/ready")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	})
	return p
}

type promResponse struct {
	Status    string          `json:"status"`
	Error     string          `json:"error"`
	ErrorType string          `json:"errorType"`
	Data      json.RawMessage `json:"data"`
}

func (p *promServer) query(q string) ([]json.RawMessage, error) {
	resp, err := http.Get(p.url + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var pr promResponse
	if err := json.NewDecoder(resp.Body).Decode(&pr); err != nil {
		return nil, err
	}
	if pr.Status != "success" {
		return nil, fmt.Errorf("%s: %s", pr.ErrorType, pr.Error)
	}
	var data struct {
		Result []json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(pr.Data, &data); err != nil {
		return nil, err
	}
	return data.Result, nil
}

// grafanaQueries lists every panel's PromQL in deploy/grafana/dashboards/*.json.
func grafanaQueries(t *testing.T) map[string]string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(repoRoot, "deploy", "grafana", "dashboards", "*.json"))
	if len(files) == 0 {
		t.Fatal("no Grafana dashboards")
	}
	out := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			Panels []struct {
				Title   string `json:"title"`
				Type    string `json:"type"`
				Targets []struct {
					RefID string `json:"refId"`
					Expr  string `json:"expr"`
				} `json:"targets"`
			} `json:"panels"`
		}
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, p := range d.Panels {
			if p.Type == "row" {
				continue
			}
			if len(p.Targets) == 0 {
				t.Errorf("%s: panel %q has no query", filepath.Base(f), p.Title)
			}
			for _, tg := range p.Targets {
				out[fmt.Sprintf("%s: %s [%s]", filepath.Base(f), p.Title, tg.RefID)] = tg.Expr
			}
		}
	}
	return out
}

// grafanaVars replaces Grafana's built-in interval variables the way Grafana would for a
// few minutes' dashboard range.
var grafanaVars = strings.NewReplacer("$__rate_interval", "5m", "$__interval", "15s", "$__range", "5m")

// testPromQL: a real Prometheus has scraped the running `langnghe run --demo`; every
// Grafana panel query must parse and return at least one series, and every alert and
// recording rule in deploy/prometheus/rules must evaluate without error.
func testPromQL(t *testing.T, r *opsRun) {
	if r.prom == nil {
		t.Skip("prometheus not installed (testinfra/prometheus.sh installs Debian's prometheus package)")
	}
	p := r.prom
	eventually(t, 60*time.Second, "Prometheus has scraped the processed posts", func() error {
		res, err := p.query(`langnghe_bus_processed_total{job="langnghe", stage="index"} > 0`)
		if err == nil && len(res) == 0 {
			err = fmt.Errorf("no series yet")
		}
		return err
	})
	time.Sleep(3 * time.Second) // a few more scrapes, so rate() has samples on both sides
	queries := grafanaQueries(t)
	for name, expr := range queries {
		res, err := p.query(grafanaVars.Replace(expr))
		switch {
		case err != nil:
			t.Errorf("%s: %s: %v", name, expr, err)
		case len(res) == 0:
			t.Errorf("%s: %s: no series", name, expr)
		}
	}
	t.Logf("%d Grafana queries checked against %s", len(queries), p.url)

	var rules struct {
		Groups []struct {
			Rules []struct {
				Name           string `json:"name"`
				Health         string `json:"health"`
				LastError      string `json:"lastError"`
				LastEvaluation string `json:"lastEvaluation"`
			} `json:"rules"`
		} `json:"groups"`
	}
	eventually(t, 30*time.Second, "every rule evaluated", func() error {
		resp, err := http.Get(p.url + "/api/v1/rules")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var pr promResponse
		if err := json.NewDecoder(resp.Body).Decode(&pr); err != nil {
			return err
		}
		if err := json.Unmarshal(pr.Data, &rules); err != nil {
			return err
		}
		n := 0
		for _, g := range rules.Groups {
			for _, rule := range g.Rules {
				n++
				if rule.Health != "ok" {
					return fmt.Errorf("rule %s: health %q %s", rule.Name, rule.Health, rule.LastError)
				}
			}
		}
		if n == 0 {
			return fmt.Errorf("no rules loaded")
		}
		return nil
	})
}
