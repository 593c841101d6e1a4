// Package notifiertest is the conformance suite every alerting.Notifier passes: delivery
// of a complete, escaped bilingual email; redelivery in order after failures, each
// notification once; and recognisable (or absent) duplicates when Notify repeats.
package notifiertest

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/langnghe/langnghe/alerting"
	"github.com/langnghe/langnghe/post"
)

// Harness is one notifier under test.
type Harness struct {
	Notifier alerting.Notifier
	// Raw returns the raw RFC 5322 messages delivered to rcpt so far, in arrival order.
	Raw func(t testing.TB, rcpt string) [][]byte
	// Break makes deliveries fail transiently (server down, directory gone); Repair undoes it.
	Break, Repair func(t testing.TB)
	// Idempotent: repeating Notify for one notification leaves one message (outbox).
	// Otherwise repeats must at least share the Message-ID.
	Idempotent bool
}

// Email is a parsed delivered message.
type Email struct {
	MessageID, Subject, AlertID string
	To                          []string
	Text, HTML                  string
}

// Parse decodes a raw message: headers, the text/plain and the text/html parts.
func Parse(t testing.TB, raw []byte) Email {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parsing delivered message: %v\n%s", err, raw)
	}
	dec := new(mime.WordDecoder)
	subj, err := dec.DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("subject: %v", err)
	}
	e := Email{MessageID: m.Header.Get("Message-Id"), Subject: subj, AlertID: m.Header.Get("X-Langnghe-Alert")}
	if to, err := m.Header.AddressList("To"); err == nil {
		for _, a := range to {
			e.To = append(e.To, a.Address)
		}
	}
	var walk func(ct string, cte string, body io.Reader)
	walk = func(ct string, cte string, body io.Reader) {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			t.Fatalf("content type %q: %v", ct, err)
		}
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatalf("multipart: %v", err)
				}
				walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p)
			}
		}
		var r io.Reader = body
		if strings.EqualFold(cte, "quoted-printable") {
			r = quotedprintable.NewReader(body)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("reading %s part: %v", mt, err)
		}
		switch mt {
		case "text/plain":
			e.Text = string(b)
		case "text/html":
			e.HTML = string(b)
		}
	}
	walk(m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), m.Body)
	return e
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// HostilePost is a classified post whose text tries HTML injection and remote images.
func HostilePost(id, source, rcptTag string) *post.Post {
	text := `Cảnh báo lừa đảo chuyển khoản <script>alert("x")</script> <img src="http://evil.example/t.png"> ` + rcptTag + ` "quote" & more`
	start := strings.Index(text, "lừa đảo")
	return &post.Post{
		Schema: 1, ID: "forum:" + source + ":" + id, Platform: "forum", Source: source,
		URL:         "javascript:alert(1)",
		Text:        text,
		PublishedAt: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC), FetchedAt: time.Date(2026, 11, 20, 8, 1, 0, 0, time.UTC),
		Analysis: &post.Analysis{Model: "test", Sentiment: post.Label{Label: "negative", Score: -0.6}, Toxicity: post.Label{Label: "clean"},
			Narratives: []post.Narrative{{ID: "scam", Score: 0.9}}, Flagged: true,
			Evidence: []post.Evidence{{For: "scam", Term: "lừa đảo", Start: start, End: start + len("lừa đảo")}}},
	}
}

// kibanaState is the decoded URL of the Kibana line of a plain-text email.
func kibanaState(text string) string {
	for _, line := range strings.Split(text, "\n") {
		if _, u, ok := strings.Cut(line, "Kibana: "); ok {
			d, err := url.QueryUnescape(strings.TrimSpace(u))
			if err == nil {
				return d
			}
		}
	}
	return ""
}

// RuleQuery is the query of the conformance rule, in the store's query language: the
// emails must show it and carry it into the web UI and Kibana links.
const RuleQuery = `narrative:scam ("chuyển khoản" OR "mã OTP") -"quảng cáo"`

// ruleFile writes a match rule for RuleQuery to rcpt, grouped by source.
func ruleFile(t testing.TB, rcpt string) *alerting.RuleSet {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "r.yaml")
	body := fmt.Sprintf(`rules:
  - id: lua-dao
    name: "Lừa đảo chuyển khoản"
    kind: match
    severity: high
    query: '%s'
    recipients: [%q]
    group_by: source
    group_wait: 10s
    group_window: 1m
`, RuleQuery, rcpt)
	if err := writeFile(path, body); err != nil {
		t.Fatal(err)
	}
	rs, errs := alerting.LoadFiles(path)
	if len(errs) > 0 {
		t.Fatalf("rules: %v", errs)
	}
	return rs
}

// Run runs the suite. newHarness is called once per subtest.
func Run(t *testing.T, newHarness func(t *testing.T) *Harness) {
	t.Run("DeliversEscapedBilingualEmail", func(t *testing.T) {
		h := newHarness(t)
		rcpt := fmt.Sprintf("duty-%d@conformance.test", time.Now().UnixNano())
		e, clk := newEngine(t, h, rcpt)
		if err := e.Observe([]*post.Post{HostilePost("1", "site-a", "tag1")}); err != nil {
			t.Fatal(err)
		}
		clk.add(11 * time.Second)
		if err := e.Tick(context.Background()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := e.Deliver(ctx); err != nil {
			t.Fatal(err)
		}
		raws := waitRaw(t, h, rcpt, 1)
		if len(raws) != 1 {
			t.Fatalf("delivered %d messages, want 1", len(raws))
		}
		m := Parse(t, raws[0])
		checks := []struct {
			what string
			ok   bool
		}{
			{"subject Vietnamese first", strings.HasPrefix(m.Subject, "[Lắng Nghe][cao] Lừa đảo chuyển khoản (site-a)")},
			{"recipient", len(m.To) == 1 && m.To[0] == rcpt},
			{"Message-ID from the alert id", strings.Contains(m.MessageID, "@langnghe>") && m.AlertID != ""},
			{"plain text part", strings.Contains(m.Text, "Lý do / why: 1 bài mới khớp luật")},
			{"plain text highlights evidence", strings.Contains(m.Text, "[[lừa đảo]]")},
			{"HTML part", strings.Contains(m.HTML, "<mark title=\"scam\">lừa đảo</mark>")},
			{"HTML escapes crawled script", !strings.Contains(m.HTML, "<script") && strings.Contains(m.HTML, "&lt;script&gt;")},
			{"no remote images", !strings.Contains(strings.ToLower(m.HTML), "<img")},
			{"no javascript: link", !strings.Contains(m.HTML, "javascript:") && !strings.Contains(m.Text, "javascript:")},
			{"web UI link", strings.Contains(m.HTML, `href="http://ui.test/?`)},
			{"Kibana link", strings.Contains(m.HTML, `href="http://kibana.test/app/discover#/?_g=`)},
			{"query string shown", strings.Contains(m.Text, "Truy vấn / query: "+RuleQuery) && strings.Contains(m.HTML, html.EscapeString(RuleQuery))},
			{"web UI link carries the query string", strings.Contains(m.Text, "http://ui.test/?") && strings.Contains(m.Text, "q="+url.QueryEscape(RuleQuery))},
			// A match alert's links select exactly its posts: the query AND their ids.
			{"Kibana link carries the query as KQL and the alerted post", strings.Contains(kibanaState(m.Text), "query:(language:kuery,query:'("+alerting.KQL(alerting.QuerySpec{Text: RuleQuery})+") and id:(")},
		}
		for _, c := range checks {
			if !c.ok {
				t.Errorf("%s: failed\nsubject: %s\ntext:\n%s\nhtml:\n%s", c.what, m.Subject, m.Text, m.HTML)
			}
		}
	})

	t.Run("RedeliversInOrderAfterFailure", func(t *testing.T) {
		h := newHarness(t)
		rcpt := fmt.Sprintf("redeliver-%d@conformance.test", time.Now().UnixNano())
		e, clk := newEngine(t, h, rcpt, alerting.WithRetryBackoff(20*time.Millisecond, 100*time.Millisecond))
		var sources []string
		for i := range 3 {
			src := fmt.Sprintf("site-%c", 'a'+i)
			sources = append(sources, src)
			if err := e.Observe([]*post.Post{HostilePost(fmt.Sprint(i), src, "r")}); err != nil {
				t.Fatal(err)
			}
		}
		clk.add(11 * time.Second)
		if err := e.Tick(context.Background()); err != nil {
			t.Fatal(err)
		}
		h.Break(t)
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		err := e.Deliver(ctx)
		cancel()
		if err == nil {
			t.Fatal("Deliver returned nil while the notifier was broken")
		}
		hist := e.History()
		if len(hist) != 3 || hist[2].Status != alerting.StatusQueued || hist[2].Attempts < 2 || hist[2].LastError == "" {
			t.Fatalf("after failures want 3 queued with ≥2 attempts on the head, got %+v", hist)
		}
		if got := h.Raw(t, rcpt); len(got) != 0 {
			t.Fatalf("%d messages delivered while broken", len(got))
		}
		h.Repair(t)
		ctx, cancel = context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := e.Deliver(ctx); err != nil {
			t.Fatal(err)
		}
		raws := waitRaw(t, h, rcpt, 3)
		if len(raws) != 3 {
			t.Fatalf("delivered %d messages after repair, want 3", len(raws))
		}
		for i, raw := range raws {
			m := Parse(t, raw)
			if !strings.Contains(m.Subject, "("+sources[i]+")") {
				t.Errorf("message %d is %q, want the %s group (in order)", i, m.Subject, sources[i])
			}
		}
		for _, n := range e.History() {
			if n.Status != alerting.StatusSent {
				t.Errorf("alert %s status %s, want sent", n.ID, n.Status)
			}
		}
	})

	t.Run("RepeatedNotifyIsRecognisable", func(t *testing.T) {
		h := newHarness(t)
		rcpt := fmt.Sprintf("repeat-%d@conformance.test", time.Now().UnixNano())
		n := &alerting.Notification{ID: "rule/key/1", Seq: 1, RuleID: "rule", Severity: "info", Recipients: []string{rcpt},
			Subject: "Thử / test", Text: "xin chào", HTML: "<p>xin chào</p>", CreatedAt: time.Now()}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		for range 2 {
			if err := h.Notifier.Notify(ctx, n); err != nil {
				t.Fatal(err)
			}
		}
		want := 2
		if h.Idempotent {
			want = 1
		}
		raws := waitRaw(t, h, rcpt, want)
		if len(raws) != want {
			t.Fatalf("%d messages after two Notify calls, want %d", len(raws), want)
		}
		first := Parse(t, raws[0]).MessageID
		for _, r := range raws {
			if id := Parse(t, r).MessageID; id != first || id == "" {
				t.Errorf("Message-ID %q differs from %q", id, first)
			}
		}
	})

	t.Run("NoRecipientsIsPermanent", func(t *testing.T) {
		h := newHarness(t)
		n := &alerting.Notification{ID: "x/1", Subject: "s", Text: "t", CreatedAt: time.Now()}
		err := h.Notifier.Notify(context.Background(), n)
		if err == nil || !isPermanent(err) {
			t.Fatalf("Notify without recipients = %v, want an ErrPermanent error", err)
		}
	})
}

func newEngine(t *testing.T, h *Harness, rcpt string, opts ...alerting.Option) (*alerting.Engine, *clock) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
	opts = append([]alerting.Option{alerting.WithClock(clk.now), alerting.WithLinks(alerting.Links{WebURL: "http://ui.test", KibanaURL: "http://kibana.test", KibanaIndex: "langnghe-posts"})}, opts...)
	e, err := alerting.NewEngine(ruleFile(t, rcpt), filepath.Join(t.TempDir(), "state.json"), h.Notifier, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return e, clk
}

// waitRaw polls until want messages arrived (SMTP servers store asynchronously), then
// waits a little longer so extra duplicates would be seen too.
func waitRaw(t testing.TB, h *Harness, rcpt string, want int) [][]byte {
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := h.Raw(t, rcpt)
		if len(got) >= want || time.Now().After(deadline) {
			time.Sleep(300 * time.Millisecond)
			return h.Raw(t, rcpt)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
