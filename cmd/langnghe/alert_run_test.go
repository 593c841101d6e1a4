package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/langnghe/langnghe/alerting"
	"github.com/langnghe/langnghe/alerting/notifiertest"
)

// TestRunDemoAlertsToOutbox: `langnghe run --demo` with no SMTP configured runs the alert
// rules too; the demo's scam posts produce .eml files in <data_dir>/outbox (bilingual,
// escaped, with the UI link) and the alerts are listed by /api/alerts and /alerts.
func TestRunDemoAlertsToOutbox(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; skipped with -short")
	}
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules")
	os.MkdirAll(rules, 0o755)
	os.WriteFile(filepath.Join(rules, "r.yaml"), []byte(`rules:
  - id: lua-dao
    name: Lừa đảo
    kind: match
    query: {narratives: [scam]}
    recipients: [truc-ban@langnghe.invalid]
    group_wait: 1s
`), 0o644)
	listen := freePort(t)
	env := append(os.Environ(), "LANGNGHE_DATA_DIR="+filepath.Join(dir, "data"), "LANGNGHE_HTTP_LISTEN="+listen,
		"LANGNGHE_ALERTS_RULES_DIR="+rules, "LANGNGHE_KAFKA_BROKERS=", "LANGNGHE_ES_URL=", "LANGNGHE_SMTP_HOST=")
	startRole(t, env, dir, "run", "--demo")
	var files []string
	eventually(t, 60*time.Second, "an .eml in the outbox", func() error {
		files, _ = filepath.Glob(filepath.Join(dir, "data", "outbox", "*.eml"))
		if len(files) == 0 {
			return fmt.Errorf("no .eml yet")
		}
		return nil
	})
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	m := notifiertest.Parse(t, b)
	if !strings.HasPrefix(m.AlertID, "lua-dao/") || !strings.Contains(m.Subject, "Lừa đảo") || m.Text == "" ||
		!strings.Contains(m.HTML, `href="http://`+listen+`/?`) || !strings.Contains(m.Text, "q=narrative%3Ascam") {
		t.Errorf("outbox email: %+v", m)
	}
	var hist struct {
		Total  int                      `json:"total"`
		Alerts []*alerting.Notification `json:"alerts"`
	}
	eventually(t, 20*time.Second, "/api/alerts lists the outbox alert as sent", func() error {
		if _, err := getJSON("http://"+listen+"/api/alerts?status=sent", &hist); err != nil {
			return err
		}
		if hist.Total == 0 || hist.Alerts[0].Via != "outbox" {
			return fmt.Errorf("history %+v", hist)
		}
		return nil
	})
	page, err := getText("http://" + listen + "/alerts")
	if err != nil || !strings.Contains(page, "qua / via outbox") {
		t.Errorf("/alerts page: %v\n%.1000s", err, page)
	}
}
