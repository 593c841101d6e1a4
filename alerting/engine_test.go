package alerting_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/langnghe/langnghe/alerting"
	"github.com/langnghe/langnghe/alerting/email"
	"github.com/langnghe/langnghe/alerting/notifiertest"
	"github.com/langnghe/langnghe/alerting/outbox"
	"github.com/langnghe/langnghe/internal/clocktest"
	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
	blevestore "github.com/langnghe/langnghe/store/bleve"
	"github.com/langnghe/langnghe/testinfra"
)

// sink is where a test's emails go: the real Mailpit when LANGNGHE_TEST_SMTP is set (CI
// with testinfra up), otherwise an outbox directory. Both are real notifiers. The sink
// counts what the server accepted per recipient, so emails() waits for Mailpit to store
// every accepted message before reading.
type sink struct {
	n   alerting.Notifier
	raw func(t testing.TB, rcpt string) [][]byte
}

type counting struct {
	alerting.Notifier
	mu       sync.Mutex
	accepted map[string]int
}

func (c *counting) Notify(ctx context.Context, n *alerting.Notification) error {
	err := c.Notifier.Notify(ctx, n)
	if err == nil {
		c.mu.Lock()
		for _, r := range n.Recipients {
			c.accepted[r]++
		}
		c.mu.Unlock()
	}
	return err
}

func (c *counting) count(rcpt string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.accepted[rcpt]
}

func newSink(t *testing.T) *sink {
	t.Helper()
	s := newRawSink(t)
	s.n = &counting{Notifier: s.n, accepted: map[string]int{}}
	return s
}

func newRawSink(t *testing.T) *sink {
	t.Helper()
	if os.Getenv(testinfra.EnvSMTP) != "" {
		addr := testinfra.SMTPAddr(t)
		mp := notifiertest.Mailpit{URL: testinfra.MailpitURL(t)}
		host, port, _ := strings.Cut(addr, ":")
		var p int
		fmt.Sscan(port, &p)
		n, err := email.New(email.Config{Host: host, Port: p, TLS: email.TLSNone, From: "canhbao@langnghe.test", Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		return &sink{n: n, raw: mp.Raw}
	}
	dir := filepath.Join(t.TempDir(), "outbox")
	return &sink{n: outbox.New(dir, "canhbao@langnghe.test"), raw: func(t testing.TB, rcpt string) [][]byte {
		entries, _ := os.ReadDir(dir)
		var out [][]byte
		for _, e := range entries {
			b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			if strings.HasSuffix(e.Name(), ".eml") && strings.Contains(string(b), rcpt) {
				out = append(out, b)
			}
		}
		return out
	}}
}

// emails returns the messages to rcpt once the server shows every one it accepted (up
// to 10 s), so a slow store never reads as a missing email.
func (s *sink) emails(t *testing.T, rcpt string) []notifiertest.Email {
	t.Helper()
	want := s.n.(*counting).count(rcpt)
	var raws [][]byte
	deadline := time.Now().Add(10 * time.Second)
	for {
		raws = s.raw(t, rcpt)
		if len(raws) >= want || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	out := make([]notifiertest.Email, len(raws))
	for i, r := range raws {
		out[i] = notifiertest.Parse(t, r)
	}
	return out
}

func uniqueRcpt(name string) string {
	return fmt.Sprintf("%s-%d@engine.test", strings.ToLower(name), time.Now().UnixNano())
}

// writeRules writes body (with %RCPT% replaced) as a rule file and loads it.
func writeRules(t *testing.T, body, rcpt string) *alerting.RuleSet {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(body, "%RCPT%", rcpt)), 0o644); err != nil {
		t.Fatal(err)
	}
	rs, errs := alerting.LoadFiles(path)
	if len(errs) > 0 {
		t.Fatalf("rules: %v", errs)
	}
	return rs
}

type fixture struct {
	t         *testing.T
	sink      *sink
	rules     *alerting.RuleSet
	statePath string
	clk       *clocktest.Clock
	opts      []alerting.Option
	e         *alerting.Engine
}

func newFixture(t *testing.T, rules *alerting.RuleSet, opts ...alerting.Option) *fixture {
	f := &fixture{t: t, sink: newSink(t), rules: rules, statePath: filepath.Join(t.TempDir(), "alerts", "state.json"),
		clk: clocktest.New(time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)), opts: opts}
	f.restart()
	return f
}

// restart builds a new engine on the same state file, as a restarted process would.
func (f *fixture) restart() {
	opts := append([]alerting.Option{alerting.WithClock(f.clk.Now), alerting.WithLinks(alerting.Links{WebURL: "http://ui.test"})}, f.opts...)
	e, err := alerting.NewEngine(f.rules, f.statePath, f.sink.n, opts...)
	if err != nil {
		f.t.Fatal(err)
	}
	f.e = e
}

// step advances the clock, ticks and delivers everything queued.
func (f *fixture) step(d time.Duration) {
	f.t.Helper()
	f.clk.Add(d)
	if err := f.e.Tick(context.Background()); err != nil {
		f.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := f.e.Deliver(ctx); err != nil {
		f.t.Fatal(err)
	}
}

func mkPost(id, source, narrative, text string, published time.Time) *post.Post {
	p := &post.Post{Schema: 1, ID: "forum:" + source + ":" + id, Platform: "forum", Source: source, URL: "https://" + source + "/t/" + id,
		Text: text, PublishedAt: published, FetchedAt: published,
		Analysis: &post.Analysis{Model: "test", Sentiment: post.Label{Label: "negative", Score: -0.5}, Toxicity: post.Label{Label: "clean"}}}
	if narrative != "" {
		p.Analysis.Narratives = []post.Narrative{{ID: narrative, Score: 0.8}}
	}
	return p
}

const matchRules = `
rules:
  - id: lua-dao
    name: Lừa đảo chuyển khoản
    kind: match
    severity: high
    query: 'chuyen khoan narrative:scam'
    recipients: [%RCPT%]
    group_wait: 30s
    group_window: 5m
silences:
  - rule: lua-dao
    query: 'source:silenced.vn'
    until: 2026-11-21T00:00:00Z
`

// TestMatchRuleFiresOnlyForMatches: the folded-text query matches accentless and accented
// spellings; a post missing a word, of another narrative, or from a silenced source does not.
func TestMatchRuleFiresOnlyForMatches(t *testing.T) {
	rcpt := uniqueRcpt(t.Name())
	f := newFixture(t, writeRules(t, matchRules, rcpt))
	now := f.clk.Now()
	posts := []*post.Post{
		mkPost("1", "a.vn", "scam", "Họ bắt tôi Chuyển Khoản trước", now),    // match
		mkPost("2", "a.vn", "scam", "chuyen khoan 5 trieu de nhan qua", now), // match (no accents)
		mkPost("3", "a.vn", "scam", "họ bắt chuyển tiền", now),               // no: "khoan" missing
		mkPost("4", "a.vn", "disaster", "chuyển khoản ủng hộ lũ lụt", now),   // no: narrative
		mkPost("5", "silenced.vn", "scam", "chuyển khoản gấp", now),          // no: silenced
		mkPost("6", "a.vn", "", "chuyển khoản", now),                         // no: no narrative
	}
	if err := f.e.Observe(posts); err != nil {
		t.Fatal(err)
	}
	f.step(29 * time.Second)
	if got := f.sink.emails(t, rcpt); len(got) != 0 {
		t.Fatalf("%d emails before group_wait, want 0", len(got))
	}
	f.step(2 * time.Second)
	got := f.sink.emails(t, rcpt)
	if len(got) != 1 {
		t.Fatalf("%d emails, want 1", len(got))
	}
	if !strings.Contains(got[0].Text, "2 bài mới khớp luật") || !strings.Contains(got[0].Text, "https://a.vn/t/1") ||
		!strings.Contains(got[0].Text, "https://a.vn/t/2") || strings.Contains(got[0].Text, "/t/3") || strings.Contains(got[0].Text, "/t/5") {
		t.Errorf("email text:\n%s", got[0].Text)
	}
	if !strings.Contains(got[0].Text, "[[Chuyển]] [[Khoản]]") {
		t.Errorf("query terms not highlighted:\n%s", got[0].Text)
	}
	if !strings.Contains(got[0].HTML, `href="http://ui.test/?`) || !strings.Contains(got[0].HTML, "q=chuyen&#43;khoan") {
		t.Errorf("no web UI link in HTML:\n%s", got[0].HTML)
	}
	// Nothing more to send: later ticks stay quiet.
	f.step(10 * time.Minute)
	if n := len(f.sink.emails(t, rcpt)); n != 1 {
		t.Fatalf("%d emails after quiet ticks, want 1", n)
	}
}

// TestMatchRuleQueryLanguage: a match rule written in the store's query language (OR,
// phrases, exclusion, field filter) fires on the stream for exactly the posts the query
// describes; a silence by query in the same language mutes the posts it matches; the
// email shows the query string and links the web UI search with it.
func TestMatchRuleQueryLanguage(t *testing.T) {
	const q = `narrative:scam (chuyển khoản OR "mã OTP") -"quảng cáo"`
	rcpt := uniqueRcpt(t.Name())
	f := newFixture(t, writeRules(t, `
rules:
  - id: lua-dao-otp
    kind: match
    query: '`+q+`'
    recipients: [%RCPT%]
    group_wait: 30s
silences:
  - query: 'source:silenced.vn OR "thử nghiệm"'
    until: 2026-11-21T00:00:00Z
`, rcpt))
	now := f.clk.Now()
	posts := []*post.Post{
		mkPost("1", "a.vn", "scam", "Đừng gửi MÃ OTP cho ai", now),            // match: phrase, any case
		mkPost("2", "a.vn", "scam", "chuyen khoan gap 5 trieu", now),          // match: no accents
		mkPost("3", "a.vn", "scam", "chuyển khoản nhận quảng cáo", now),       // no: excluded phrase
		mkPost("4", "a.vn", "scam", "mã số OTP", now),                         // no: phrase not consecutive
		mkPost("5", "a.vn", "disaster", "mã OTP cứu trợ", now),                // no: narrative
		mkPost("6", "a.vn", "scam", "chuyển khoản thử nghiệm", now),           // no: silenced by phrase
		mkPost("7", "silenced.vn", "scam", "mã OTP", now),                     // no: silenced by source
		mkPost("8", "a.vn", "scam", "chuyển tiền, không phải khoản vay", now), // match: unquoted words need not be adjacent
	}
	if err := f.e.Observe(posts); err != nil {
		t.Fatal(err)
	}
	f.step(31 * time.Second)
	got := f.sink.emails(t, rcpt)
	if len(got) != 1 {
		t.Fatalf("%d emails, want 1", len(got))
	}
	txt := got[0].Text
	for _, id := range []string{"1", "2", "8"} {
		if !strings.Contains(txt, "https://a.vn/t/"+id) {
			t.Errorf("post %s missing from the email:\n%s", id, txt)
		}
	}
	for _, id := range []string{"3", "4", "5", "6", "7"} {
		if strings.Contains(txt, "/t/"+id) {
			t.Errorf("post %s in the email:\n%s", id, txt)
		}
	}
	if !strings.Contains(txt, "3 bài mới khớp luật") || !strings.Contains(txt, "Truy vấn / query: "+q) ||
		!strings.Contains(txt, "http://ui.test/?") || !strings.Contains(txt, "q="+url.QueryEscape(q)) {
		t.Errorf("email text:\n%s", txt)
	}
}

// TestBurstOneEmailPerGroupWindow: 200 matching posts in 20 seconds give one email (with
// all 200 counted); 100 more over the next 4 minutes give exactly one more, one group
// window after the first, and nothing between.
func TestBurstOneEmailPerGroupWindow(t *testing.T) {
	rcpt := uniqueRcpt(t.Name())
	f := newFixture(t, writeRules(t, matchRules, rcpt))
	for i := range 200 {
		p := mkPost(fmt.Sprint(i), "a.vn", "scam", fmt.Sprintf("bài %d: chuyển khoản ngay", i), f.clk.Now())
		if err := f.e.Observe([]*post.Post{p}); err != nil {
			t.Fatal(err)
		}
		if i%10 == 9 {
			f.step(time.Second)
		}
	}
	f.step(11 * time.Second) // 31 s after the first post
	got := f.sink.emails(t, rcpt)
	if len(got) != 1 || !strings.Contains(got[0].Subject, "200 bài mới") {
		t.Fatalf("after the burst: %d emails %v, want 1 saying 200", len(got), subjects(got))
	}
	for i := range 100 {
		p := mkPost(fmt.Sprint(1000+i), "a.vn", "scam", "lại chuyển khoản", f.clk.Now())
		if err := f.e.Observe([]*post.Post{p}); err != nil {
			t.Fatal(err)
		}
		f.step(2400 * time.Millisecond) // 100 × 2.4 s = 4 min
	}
	if got := f.sink.emails(t, rcpt); len(got) != 1 {
		t.Fatalf("%d emails within the group window, want 1", len(got))
	}
	f.step(61 * time.Second)
	got = f.sink.emails(t, rcpt)
	if len(got) != 2 || !strings.Contains(got[1].Subject, "100 bài mới") {
		t.Fatalf("after the group window: %v, want a second email saying 100", subjects(got))
	}
}

func subjects(es []notifiertest.Email) []string {
	var s []string
	for _, e := range es {
		s = append(s, e.Subject)
	}
	return s
}

// TestRestartMidWindow: the process restarts with posts pending in a group; Kafka then
// redelivers the last uncommitted ones. The email still goes out once, counting every post
// once. A restart after queueing but before delivery sends it once; a restart after
// delivery does not send it again.
func TestRestartMidWindow(t *testing.T) {
	rcpt := uniqueRcpt(t.Name())
	f := newFixture(t, writeRules(t, matchRules, rcpt))
	batch := func(from, to int) []*post.Post {
		var ps []*post.Post
		for i := from; i < to; i++ {
			ps = append(ps, mkPost(fmt.Sprint(i), "a.vn", "scam", "chuyển khoản", f.clk.Now()))
		}
		return ps
	}
	if err := f.e.Observe(batch(0, 100)); err != nil {
		t.Fatal(err)
	}
	f.step(10 * time.Second)
	f.restart()
	if err := f.e.Observe(batch(80, 200)); err != nil { // 80..99 redelivered
		t.Fatal(err)
	}
	f.step(25 * time.Second)
	got := f.sink.emails(t, rcpt)
	if len(got) != 1 || !strings.Contains(got[0].Subject, "200 bài mới") {
		t.Fatalf("got %v, want one email saying 200", subjects(got))
	}

	// Queued but not delivered when the process stops.
	if err := f.e.Observe(batch(300, 310)); err != nil {
		t.Fatal(err)
	}
	f.clk.Add(6 * time.Minute)
	if err := f.e.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.restart()
	f.step(time.Second)
	f.restart()
	f.step(10 * time.Minute)
	got = f.sink.emails(t, rcpt)
	if len(got) != 2 || !strings.Contains(got[1].Subject, "10 bài mới") {
		t.Fatalf("got %v, want two emails, the second saying 10", subjects(got))
	}
	hist := f.e.History()
	if len(hist) != 2 || hist[0].Status != alerting.StatusSent || hist[1].Status != alerting.StatusSent {
		t.Fatalf("history %+v", hist)
	}
}

const storeRules = `
rules:
  - id: nguong
    kind: threshold
    query: 'narrative:disaster'
    window: 1h
    count: 5
    every: 1m
    repeat_interval: 2h
    recipients: [%RCPT%]
  - id: dot-bien
    kind: spike
    query: 'narrative:scam'
    window: 1h
    every: 10m
    baseline_windows: 12
    k: 3
    min_count: 10
    recipients: [%RCPT%]
  - id: tom-tat
    kind: digest
    at: "07:00"
    lookback: 24h
    query: ''
    recipients: [%RCPT%]
`

// TestStoreRules runs threshold, spike and digest rules against a real (embedded bleve)
// store, each firing when it should and not when it should not.
func TestStoreRules(t *testing.T) {
	st, err := blevestore.Open(filepath.Join(t.TempDir(), "bleve"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	storeRulesCase(t, st)
}

// TestDigestCatchUpWaitsForThePipeline: an engine started after the digest's time (a
// fresh install at 09:00, or a restart) sends the missed digest once the pipeline has had
// the catch-up delay to index what it resumed with, not at once over an empty store (the
// demo's first digest said "0 posts" while its posts were being indexed).
func TestDigestCatchUpWaitsForThePipeline(t *testing.T) {
	st, err := blevestore.Open(filepath.Join(t.TempDir(), "bleve"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rcpt := uniqueRcpt(t.Name())
	f := newFixture(t, writeRules(t, storeRules, rcpt), alerting.WithStore(st)) // 09:00 in Vietnam
	f.step(0)
	if got := f.sink.emails(t, rcpt); len(got) != 0 {
		t.Fatalf("digest at start-up, before the pipeline indexed anything: %v", subjects(got))
	}
	var posts []*post.Post
	for i := range 3 {
		posts = append(posts, mkPost(fmt.Sprintf("c%d", i), "news.vn", "disaster", "lũ lụt", f.clk.Now().Add(-time.Duration(i+1)*time.Hour)))
	}
	indexPosts(t, st, posts)
	f.step(30 * time.Second)
	if got := f.sink.emails(t, rcpt); len(got) != 0 {
		t.Fatalf("digest 30s after start-up (catch-up delay 1m): %v", subjects(got))
	}
	f.step(31 * time.Second)
	got := f.sink.emails(t, rcpt)
	if len(got) != 1 || !strings.Contains(got[0].Text, "Tóm tắt 24h qua: 3 bài khớp") {
		t.Fatalf("the missed digest after the catch-up delay: %v\n%s", subjects(got), lastText(got))
	}
	f.step(time.Hour)
	if got := f.sink.emails(t, rcpt); len(got) != 1 {
		t.Fatalf("digest repeated the same day: %v", subjects(got))
	}
}

// TestStoreRulesElasticsearch runs the same case on the real Elasticsearch.
func TestStoreRulesElasticsearch(t *testing.T) {
	storeRulesCase(t, openES(t, "lntest-alert"))
}

func storeRulesCase(t *testing.T, st store.Store) {
	rcpt := uniqueRcpt(t.Name())
	f := newFixture(t, writeRules(t, storeRules, rcpt), alerting.WithStore(st))
	// Clock: 2026-11-20 02:00 UTC = 09:00 in Vietnam; digest at 07:00 already passed
	// today, more than... within 12h, so a digest is due at once. Set the clock to 06:00
	// Vietnam time (23:00 UTC the day before) to test its schedule separately.
	f.clk.Set(time.Date(2026, 11, 19, 23, 0, 0, 0, time.UTC))
	now := f.clk.Now()
	var posts []*post.Post
	// Disaster: 4 posts in the last hour (below 5), 10 older ones.
	for i := range 4 {
		posts = append(posts, mkPost(fmt.Sprintf("d%d", i), "news.vn", "disaster", "lũ lụt miền Trung", now.Add(-time.Duration(i+1)*time.Minute)))
	}
	for i := range 10 {
		posts = append(posts, mkPost(fmt.Sprintf("dold%d", i), "news.vn", "disaster", "lũ lụt năm ngoái", now.Add(-3*time.Hour)))
	}
	// Scam: 3 per hour for 12 hours before, then 4 in the last hour (no spike).
	for h := 1; h <= 12; h++ {
		for j := range 3 {
			posts = append(posts, mkPost(fmt.Sprintf("s%d-%d", h, j), "forum.vn", "scam", "lừa đảo", now.Add(-time.Duration(h)*time.Hour-time.Duration(j+1)*time.Minute)))
		}
	}
	for j := range 4 {
		posts = append(posts, mkPost(fmt.Sprintf("snow%d", j), "forum.vn", "scam", "lừa đảo", now.Add(-time.Duration(j+1)*time.Minute)))
	}
	index := func(ps []*post.Post) { indexPosts(t, st, ps) }
	index(posts)
	f.step(0)
	if got := f.sink.emails(t, rcpt); len(got) != 0 {
		t.Fatalf("fired below threshold / without spike / before digest time: %v", subjects(got))
	}

	// Fifth disaster post: the threshold fires once; the repeat interval holds it back.
	index([]*post.Post{mkPost("d-5", "news.vn", "disaster", "lũ lụt", now.Add(-30*time.Second))})
	f.step(time.Minute)
	f.step(time.Minute)
	got := f.sink.emails(t, rcpt)
	if len(got) != 1 || !strings.Contains(got[0].Subject, "nguong") && !strings.Contains(got[0].Text, "ngưỡng 5") {
		t.Fatalf("after the 5th post: %v", subjects(got))
	}
	if !strings.Contains(got[0].Text, "5 bài khớp trong 1h qua (ngưỡng 5)") {
		t.Errorf("threshold reason missing:\n%s", got[0].Text)
	}

	// Scam spike: 20 posts in the current hour.
	var burst []*post.Post
	for j := range 20 {
		burst = append(burst, mkPost(fmt.Sprintf("sb%d", j), "forum.vn", "scam", "lừa đảo chuyển khoản", f.clk.Now().Add(-time.Duration(j+1)*time.Second)))
	}
	index(burst)
	f.step(10 * time.Minute)
	got = f.sink.emails(t, rcpt)
	if len(got) != 2 || !strings.Contains(got[1].Text, "vượt nền") {
		t.Fatalf("after the scam burst: %v", subjects(got))
	}
	// Digest: at 07:00 Vietnam time (00:00 UTC), once, grouped by narrative.
	f.clk.Set(time.Date(2026, 11, 19, 23, 59, 0, 0, time.UTC))
	f.step(0)
	if n := len(f.sink.emails(t, rcpt)); n != 2 {
		t.Fatalf("digest before 07:00: %d emails", n)
	}
	f.step(time.Minute)
	got = f.sink.emails(t, rcpt)
	if len(got) != 3 || !strings.Contains(got[2].Text, "== Chủ đề / narrative scam") || !strings.Contains(got[2].Text, "== Chủ đề / narrative disaster") {
		t.Fatalf("digest: %v\n%s", subjects(got), got[len(got)-1].Text)
	}
	f.restart()
	f.step(time.Minute)
	f.step(2 * time.Hour) // threshold repeat interval passed; digest must not repeat
	got = f.sink.emails(t, rcpt)
	var kinds []string
	for _, e := range got {
		kinds = append(kinds, e.AlertID)
	}
	sort.Strings(kinds)
	if len(got) != 3 {
		t.Fatalf("after restart: %v", kinds)
	}
}

// TestThresholdPerKey: with group_by, a threshold rule counts each listed value on its
// own: the key that reaches the count fires (its email names it and links its own
// search), the other does not; later the other key fires independently.
func TestThresholdPerKey(t *testing.T) {
	st, err := blevestore.Open(filepath.Join(t.TempDir(), "bleve"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rcpt := uniqueRcpt(t.Name())
	f := newFixture(t, writeRules(t, `
rules:
  - id: theo-chu-de
    kind: threshold
    query: 'narrative:scam OR narrative:disaster'
    group_by: narrative
    window: 1h
    count: 3
    every: 1m
    recipients: [%RCPT%]
`, rcpt), alerting.WithStore(st))
	now := f.clk.Now()
	var posts []*post.Post
	for i := range 3 {
		posts = append(posts, mkPost(fmt.Sprintf("s%d", i), "a.vn", "scam", "lừa đảo", now.Add(-time.Minute)))
	}
	for i := range 2 {
		posts = append(posts, mkPost(fmt.Sprintf("d%d", i), "a.vn", "disaster", "lũ lụt", now.Add(-time.Minute)))
	}
	ctx := context.Background()
	if err := st.Index(ctx, posts); err != nil {
		t.Fatal(err)
	}
	st.Refresh(ctx)
	f.step(time.Second)
	got := f.sink.emails(t, rcpt)
	if len(got) != 1 || !strings.Contains(got[0].Subject, "(scam)") || !strings.Contains(got[0].Text, "q="+url.QueryEscape("(narrative:scam OR narrative:disaster) narrative:scam")+"&") {
		t.Fatalf("after 3 scam + 2 disaster posts: %v", subjects(got))
	}
	if err := st.Index(ctx, []*post.Post{mkPost("d2", "a.vn", "disaster", "lũ lụt", now)}); err != nil {
		t.Fatal(err)
	}
	st.Refresh(ctx)
	f.step(time.Minute)
	got = f.sink.emails(t, rcpt)
	if len(got) != 2 || !strings.Contains(got[1].Subject, "(disaster)") {
		t.Fatalf("after the third disaster post: %v", subjects(got))
	}
}

// TestSpikeBaselineStep: a topic with a daily rush hour (20 posts at the same hour every
// day, 2 in other hours). At today's rush hour a spike rule comparing with the previous
// hours fires; the same rule with baseline_step 24h (the same hour on previous days) does
// not, and fires when today's rush hour is three times the usual.
func TestSpikeBaselineStep(t *testing.T) {
	st, err := blevestore.Open(filepath.Join(t.TempDir(), "bleve"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC) // window [11:00, 12:00)
	var posts []*post.Post
	for h := 1; h <= 24*8; h++ {
		start := now.Add(-time.Duration(h) * time.Hour)
		n := 2
		if start.Hour() == 11 {
			n = 20 + h%3 // the rush hour, with a little noise
		}
		for j := range n {
			posts = append(posts, mkPost(fmt.Sprintf("p%d-%d", h, j), "a.vn", "disaster", "kẹt xe", start.Add(time.Duration(j+1)*time.Minute)))
		}
	}
	if err := st.Index(ctx, posts); err != nil {
		t.Fatal(err)
	}
	st.Refresh(ctx)
	rules := func(rcpt string) *alerting.RuleSet {
		return writeRules(t, `
rules:
  - id: gio-lien-ke
    kind: spike
    query: 'narrative:disaster'
    window: 1h
    every: 1h
    baseline_windows: 6
    min_count: 10
    recipients: [%RCPT%]
  - id: cung-gio
    kind: spike
    query: 'narrative:disaster'
    window: 1h
    every: 1h
    baseline_windows: 6
    baseline_step: 24h
    min_count: 10
    recipients: [same-hour-%RCPT%]
`, rcpt)
	}
	rcpt := uniqueRcpt(t.Name())
	f := newFixture(t, rules(rcpt), alerting.WithStore(st))
	f.clk.Set(now)
	f.step(0)
	if n := len(f.sink.emails(t, rcpt)); n != 1 {
		t.Errorf("adjacent-hours baseline: %d emails, want 1 (the daily rush looks like a spike)", n)
	}
	if n := len(f.sink.emails(t, "same-hour-"+rcpt)); n != 0 {
		t.Errorf("same-hour baseline fired on an ordinary rush hour")
	}
	// Tomorrow's rush hour is three times the usual.
	var burst []*post.Post
	for j := range 60 {
		burst = append(burst, mkPost(fmt.Sprintf("b%d", j), "a.vn", "disaster", "kẹt xe", now.Add(23*time.Hour+time.Duration(j)*time.Second)))
	}
	for h := 1; h < 24; h++ { // the ordinary hours of the day in between
		for j := range 2 {
			burst = append(burst, mkPost(fmt.Sprintf("q%d-%d", h, j), "a.vn", "disaster", "kẹt xe", now.Add(time.Duration(h-1)*time.Hour+time.Duration(j+1)*time.Minute)))
		}
	}
	if err := st.Index(ctx, burst); err != nil {
		t.Fatal(err)
	}
	st.Refresh(ctx)
	f.clk.Set(now.Add(24 * time.Hour))
	f.step(0)
	got := f.sink.emails(t, "same-hour-"+rcpt)
	if len(got) != 1 || !strings.Contains(got[0].Text, "60 bài trong 1h gần nhất") {
		t.Fatalf("same-hour baseline on a real spike: %v", subjects(got))
	}
}

// lastText is the text of the last email, or "" when there is none.
func lastText(es []notifiertest.Email) string {
	if len(es) == 0 {
		return ""
	}
	return es[len(es)-1].Text
}

// indexPosts indexes ps into st and refreshes it, so searches see them.
func indexPosts(t *testing.T, st store.Store, ps []*post.Post) {
	t.Helper()
	if err := st.Index(context.Background(), ps); err != nil {
		t.Fatal(err)
	}
	if err := st.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
}
