package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/langnghe/langnghe/alerting"
	"github.com/langnghe/langnghe/alerting/notifiertest"
	"github.com/langnghe/langnghe/bus"
	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/testinfra"
)

// TestAlertRoleRealKafkaMailpit runs the classify and alert roles as real processes on the
// real Kafka with SMTP to the real Mailpit. A rule file with an error is rejected with
// file:line in the log while the good file's rule fires: 40 scam posts published into
// posts.raw give one email. Then the alert process is killed (SIGKILL) with 25 posts of
// another source pending in their group, restarted, and 15 more arrive: one more email
// counting 40 (its rule's group_wait of 30s covers the restart), and nothing repeated. /api/alerts shows both as sent.
func TestAlertRoleRealKafkaMailpit(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; skipped with -short")
	}
	brokers := testinfra.KafkaBrokers(t)
	smtpAddr := testinfra.SMTPAddr(t)
	mp := notifiertest.Mailpit{URL: testinfra.MailpitURL(t)}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	prefix := fmt.Sprintf("alerte2e%d", time.Now().UnixNano())
	dir := t.TempDir()
	rulesDir := filepath.Join(dir, "rules")
	os.MkdirAll(rulesDir, 0o755)
	rcpt := prefix + "@e2e.test"
	os.WriteFile(filepath.Join(rulesDir, "good.yaml"), []byte(`rules:
  - id: lua-dao
    name: Lừa đảo
    kind: match
    severity: high
    query: {narratives: [scam], source: [forum.vn]}
    recipients: [`+rcpt+`]
    group_by: source
    group_wait: 3s
    group_window: 1h
  # The restart part: a group_wait longer than a SIGKILLed member's session timeout
  # (10 s) plus start-up, so the posts before and after the restart share one email.
  - id: lua-dao-cho-lau
    name: Lừa đảo
    kind: match
    severity: high
    query: {narratives: [scam], source: [other.vn]}
    recipients: [`+rcpt+`]
    group_by: source
    group_wait: 30s
    group_window: 1h
`), 0o644)
	os.WriteFile(filepath.Join(rulesDir, "bad.yaml"), []byte("rules:\n  - id: bad\n    kind: threshold\n    query: {narratives: [scam]}\n    window: 1h\n    count: -1\n    recipients: [x@e2e.test]\n"), 0o644)
	host, port, _ := strings.Cut(smtpAddr, ":")
	listen := freePort(t)
	env := append(os.Environ(),
		"LANGNGHE_KAFKA_BROKERS="+strings.Join(brokers, ","),
		"LANGNGHE_KAFKA_TOPIC_PREFIX="+prefix+".",
		"LANGNGHE_KAFKA_GROUP_PREFIX="+prefix,
		"LANGNGHE_KAFKA_BATCH_SIZE=20",
		"LANGNGHE_DATA_DIR="+dir,
		"LANGNGHE_ALERTS_RULES_DIR="+rulesDir,
		"LANGNGHE_ALERTS_WEB_URL=http://ui.e2e.test",
		"LANGNGHE_SMTP_HOST="+host, "LANGNGHE_SMTP_PORT="+port, "LANGNGHE_SMTP_TLS=none",
		"LANGNGHE_SMTP_FROM=canhbao@langnghe.test",
	)
	classifyEnv := append(append([]string{}, env...), "LANGNGHE_HTTP_LISTEN=127.0.0.1:0")
	alertEnv := append(append([]string{}, env...), "LANGNGHE_HTTP_LISTEN="+listen)
	startRole(t, classifyEnv, dir, "classify")
	alert := startRole(t, alertEnv, dir, "alert")
	base := "http://" + listen
	eventually(t, 60*time.Second, "alert role ready", func() error {
		var v map[string]any
		code, err := getJSON(base+"/readyz", &v)
		if err == nil && code != 200 {
			err = fmt.Errorf("readyz %d %v", code, v)
		}
		return err
	})
	logText, _ := os.ReadFile(alert.log)
	if !strings.Contains(string(logText), "bad.yaml:6: rules[0].count: cần ≥ 1") {
		t.Errorf("the bad rule file is not reported with file:line; log:\n%s", logText)
	}

	p := bus.NewProducer(brokers)
	defer p.Close()
	rawTopic := prefix + "." + bus.TopicRaw
	publishRaw := func(source string, n int) {
		var msgs []bus.Message
		for i := range n {
			ps := &post.Post{Schema: 1, ID: fmt.Sprintf("forum:%s:%d-%d", source, time.Now().UnixNano(), i), Platform: "forum", Source: source,
				URL:  "https://" + source + "/t/" + fmt.Sprint(i),
				Text: "Cảnh báo lừa đảo: kẻ gian giả danh ngân hàng yêu cầu cung cấp mã OTP", PublishedAt: time.Now(), FetchedAt: time.Now()}
			b, _ := post.Encode(ps)
			msgs = append(msgs, bus.Message{Key: []byte(ps.ID), Value: b})
		}
		if err := p.Publish(ctx, rawTopic, msgs...); err != nil {
			t.Fatal(err)
		}
	}
	countEmails := func(want int) []notifiertest.Email {
		deadline := time.Now().Add(60 * time.Second)
		for len(mp.IDs(t, rcpt)) < want && time.Now().Before(deadline) {
			time.Sleep(200 * time.Millisecond)
		}
		var out []notifiertest.Email
		for _, r := range mp.Raw(t, rcpt) {
			out = append(out, notifiertest.Parse(t, r))
		}
		return out
	}

	publishRaw("forum.vn", 40)
	got := countEmails(1)
	if len(got) != 1 || !strings.Contains(got[0].Subject, "(forum.vn): 40 bài mới") {
		t.Fatalf("first email: %d %v", len(got), emailSubjects(got))
	}
	if !strings.Contains(got[0].HTML, `<mark title="scam">lừa đảo</mark>`) || !strings.Contains(got[0].HTML, "http://ui.e2e.test/?") {
		t.Errorf("email lacks highlights or the UI link:\n%s", got[0].HTML)
	}

	publishRaw("other.vn", 25)
	statePath := filepath.Join(dir, "alerts", "state.json")
	eventually(t, 30*time.Second, "25 posts pending in the state file", func() error {
		b, _ := os.ReadFile(statePath)
		if !strings.Contains(string(b), `"key":"other.vn","first"`) || !strings.Contains(string(b), `"count":25`) {
			return fmt.Errorf("not yet")
		}
		return nil
	})
	alert.kill()
	alert = startRole(t, alertEnv, dir, "alert")
	publishRaw("other.vn", 15)
	if got = countEmails(2); len(got) < 2 {
		t.Fatalf("after SIGKILL and restart: %v, want a second email for other.vn; restarted alert role's log:\n%s",
			emailSubjects(got), tail(alert.log, 20))
	}
	time.Sleep(3 * time.Second) // a repeat would show by now (each new group waits 30 s)
	got = countEmails(0)        // no wait: every email so far, a repeat included
	if len(got) != 2 || !strings.Contains(got[1].Subject, "(other.vn): 40 bài mới") {
		t.Fatalf("after SIGKILL and restart: %v, want a second email for other.vn counting 40", emailSubjects(got))
	}
	var hist struct {
		Total  int                      `json:"total"`
		Alerts []*alerting.Notification `json:"alerts"`
	}
	eventually(t, 30*time.Second, "/api/alerts", func() error {
		_, err := getJSON(base+"/api/alerts?status=sent", &hist)
		if err == nil && hist.Total != 2 {
			err = fmt.Errorf("total %d", hist.Total)
		}
		return err
	})
}

func emailSubjects(es []notifiertest.Email) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Subject)
	}
	return out
}
