package alerting_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/langnghe/langnghe/alerting"
	"github.com/langnghe/langnghe/alerting/email"
	"github.com/langnghe/langnghe/alerting/notifiertest"
	"github.com/langnghe/langnghe/bus"
	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/testinfra"
)

// streamRole is the alert role's core on a real Kafka topic: the engine plus its consumer.
type streamRole struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func startStream(t *testing.T, brokers []string, topic, group string, rules *alerting.RuleSet, statePath string, n alerting.Notifier) (*alerting.Engine, *streamRole) {
	t.Helper()
	e, err := alerting.NewEngine(rules, statePath, n, alerting.WithTick(200*time.Millisecond), alerting.WithRetryBackoff(100*time.Millisecond, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	c := bus.NewConsumer(brokers, group, topic, "alert", e.Process, bus.WithBatch(100, 50*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	r := &streamRole{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		errc := make(chan error, 1)
		go func() { errc <- c.Run(ctx) }()
		_ = e.Run(ctx)
		<-errc
	}()
	t.Cleanup(r.stop)
	return e, r
}

func (r *streamRole) stop() {
	r.cancel()
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
	}
}

func publish(t *testing.T, p *bus.Producer, topic string, posts ...*post.Post) {
	t.Helper()
	var msgs []bus.Message
	for _, ps := range posts {
		b, err := post.Encode(ps)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, bus.Message{Key: []byte(ps.ID), Value: b})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.Publish(ctx, topic, msgs...); err != nil {
		t.Fatal(err)
	}
}

// waitEmails polls until rcpt has want emails (or 30 s pass), then checks no more arrive
// for settle.
func waitEmails(t *testing.T, s *sink, rcpt string, want int, settle time.Duration) []notifiertest.Email {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(s.raw(t, rcpt)) < want && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(settle)
	return s.emails(t, rcpt)
}

const streamRules = `
rules:
  - id: lua-dao
    name: Lừa đảo
    kind: match
    query: 'narrative:scam source:forum.vn'
    recipients: [%RCPT%]
    group_by: source
    group_wait: 3s
    group_window: 1h
  - id: lua-dao-restart
    name: Lừa đảo
    kind: match
    query: 'narrative:scam source:other.vn'
    recipients: [%RCPT%]
    group_by: source
    group_wait: 15s
    group_window: 1h
  - id: lu-lut
    name: Lũ lụt
    kind: match
    query: '"lũ lụt" narrative:disaster'
    recipients: [other-%RCPT%]
    group_wait: 1s
    group_window: 1h
`

// TestKafkaMatchRuleAndRestart: classified posts on a real Kafka topic; the match rule
// fires once for the whole batch within seconds, the other rule (no matching post) does
// not. Then the role is stopped mid-window with posts pending and restarted on the same
// state file and consumer group: the pending posts are neither lost nor sent twice.
func TestKafkaMatchRuleAndRestart(t *testing.T) {
	brokers := testinfra.KafkaBrokers(t)
	topic := testinfra.KafkaTopic(t, "alert-classified", 2)
	group := "alert-test-" + filepath.Base(topic)
	s := newSink(t)
	rcpt := uniqueRcpt("kafka")
	rules := writeRules(t, streamRules, rcpt)
	statePath := filepath.Join(t.TempDir(), "state.json")
	prod := bus.NewProducer(brokers)
	defer prod.Close()

	_, role := startStream(t, brokers, topic, group, rules, statePath, s.n)
	now := time.Now()
	var batch []*post.Post
	for i := range 50 {
		batch = append(batch, mkPost(fmt.Sprint(i), "forum.vn", "scam", "lừa đảo chuyển khoản", now))
	}
	for i := range 20 {
		batch = append(batch, mkPost(fmt.Sprintf("x%d", i), "news.vn", "disaster", "mưa lớn", now)) // no "lũ lụt"
	}
	publish(t, prod, topic, batch...)
	got := waitEmails(t, s, rcpt, 1, 500*time.Millisecond)
	if len(got) != 1 || !strings.Contains(got[0].Subject, "50 bài mới") {
		t.Fatalf("after 50 matching posts: %v, want one email saying 50", subjects(got))
	}
	if other := s.emails(t, "other-"+rcpt); len(other) != 0 {
		t.Fatalf("the disaster rule fired without a matching post: %v", subjects(other))
	}

	// Mid-window restart: 30 posts of another source (a new group) consumed and pending,
	// then stop, restart, 20 more.
	var more []*post.Post
	for i := range 30 {
		more = append(more, mkPost(fmt.Sprintf("m%d", i), "other.vn", "scam", "lại lừa đảo", time.Now()))
	}
	publish(t, prod, topic, more...)
	time.Sleep(1500 * time.Millisecond) // consumed, well inside the 15 s group wait
	role.stop()
	if n := len(s.emails(t, rcpt)); n != 1 {
		t.Fatalf("%d emails right after stopping mid-window, want still 1", n)
	}
	_, role2 := startStream(t, brokers, topic, group, rules, statePath, s.n)
	defer role2.stop()
	more = more[:0]
	for i := range 20 {
		more = append(more, mkPost(fmt.Sprintf("n%d", i), "other.vn", "scam", "lừa đảo nữa", time.Now()))
	}
	publish(t, prod, topic, more...)
	got = waitEmails(t, s, rcpt, 2, 2*time.Second)
	if len(got) != 2 || !strings.Contains(got[1].Subject, "50 bài mới") {
		t.Fatalf("after restart: %v, want a second email saying 50 (30 pending + 20 new)", subjects(got))
	}
}

// ownMailpit starts a private Mailpit on other ports (the shared one must never be
// stopped) and returns a function that stops or starts it.
func ownMailpit(t *testing.T, smtpPort, httpPort int) (ctl func(cmd string), apiURL string) {
	t.Helper()
	testinfra.SMTPAddr(t) // the Mailpit binary is built by testinfra/up.sh mailpit
	script, _ := filepath.Abs("../testinfra/mailpit.sh")
	ctl = func(cmd string) {
		c := exec.Command(script, cmd)
		c.Env = append(os.Environ(), fmt.Sprintf("LANGNGHE_MAILPIT_SMTP_PORT=%d", smtpPort), fmt.Sprintf("LANGNGHE_MAILPIT_HTTP_PORT=%d", httpPort))
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("mailpit.sh %s: %v\n%s", cmd, err, out)
		}
	}
	ctl("clean")
	ctl("start")
	t.Cleanup(func() { ctl("clean") })
	return ctl, fmt.Sprintf("http://127.0.0.1:%d", httpPort)
}

// TestSMTPOutageDeliversEveryAlertOnceInOrder: the SMTP server goes down (a private
// Mailpit, stopped), alerts fire meanwhile and queue; the process even restarts during
// the outage; when the server returns every alert arrives exactly once, in firing order.
// The outage lasts LANGNGHE_TEST_SMTP_OUTAGE (default 15s; the scenario is 1m).
func TestSMTPOutageDeliversEveryAlertOnceInOrder(t *testing.T) {
	const smtpPort, httpPort = 21125, 28125
	ctl, api := ownMailpit(t, smtpPort, httpPort)
	outage := 15 * time.Second
	if v := os.Getenv("LANGNGHE_TEST_SMTP_OUTAGE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatal(err)
		}
		outage = d
	}
	n, err := email.New(email.Config{Host: "127.0.0.1", Port: smtpPort, TLS: email.TLSNone, From: "canhbao@langnghe.test", Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	mp := notifiertest.Mailpit{URL: api}
	rcpt := uniqueRcpt("outage")
	rules := writeRules(t, `
rules:
  - id: theo-nguon
    kind: match
    query: 'narrative:scam'
    recipients: [%RCPT%]
    group_by: source
    group_wait: 200ms
    group_window: 1h
`, rcpt)
	statePath := filepath.Join(t.TempDir(), "state.json")
	newEngine := func() (*alerting.Engine, context.CancelFunc, chan struct{}) {
		e, err := alerting.NewEngine(rules, statePath, n, alerting.WithTick(100*time.Millisecond), alerting.WithRetryBackoff(200*time.Millisecond, 2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = e.Run(ctx) }()
		return e, cancel, done
	}
	ctl("stop")
	start := time.Now()
	e, cancel, done := newEngine()
	const alerts = 6
	for i := range alerts {
		if err := e.Observe([]*post.Post{mkPost(fmt.Sprint(i), fmt.Sprintf("site%d.vn", i), "scam", "lừa đảo", time.Now())}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(400 * time.Millisecond) // each group fires separately, in this order
	}
	// Restart during the outage: the queue is on disk.
	time.Sleep(outage / 2)
	cancel()
	<-done
	e, cancel, done = newEngine()
	defer func() { cancel(); <-done }()
	queued := 0
	for _, h := range e.History() {
		if h.Status == alerting.StatusQueued {
			queued++
		}
	}
	if queued != alerts {
		t.Fatalf("%d alerts queued during the outage, want %d", queued, alerts)
	}
	time.Sleep(time.Until(start.Add(outage)))
	ctl("start")
	deadline := time.Now().Add(30 * time.Second)
	for len(mp.IDs(t, rcpt)) < alerts && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(time.Second)
	raws := mp.Raw(t, rcpt)
	if len(raws) != alerts {
		t.Fatalf("%d emails after the outage, want %d", len(raws), alerts)
	}
	for i, r := range raws {
		m := notifiertest.Parse(t, r)
		if !strings.Contains(m.AlertID, fmt.Sprintf("/site%d.vn/", i)) {
			t.Errorf("email %d is alert %s, want site%d.vn (firing order)", i, m.AlertID, i)
		}
	}
	t.Logf("SMTP outage %s: %d alerts queued, delivered once each, in order, %.1fs after the server returned", outage, alerts, time.Since(start.Add(outage)).Seconds())
}
