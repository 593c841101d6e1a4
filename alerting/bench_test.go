package alerting_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/langnghe/langnghe/alerting"
	"github.com/langnghe/langnghe/alerting/email"
	"github.com/langnghe/langnghe/alerting/notifiertest"
	"github.com/langnghe/langnghe/alerting/outbox"
	"github.com/langnghe/langnghe/bus"
	"github.com/langnghe/langnghe/classifier"
	"github.com/langnghe/langnghe/models"
	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store/query"
	"github.com/langnghe/langnghe/testinfra"
)

// demoPosts returns the shipped demo posts classified by the default model.
func demoPosts(b *testing.B) []*post.Post {
	b.Helper()
	m, err := classifier.LoadDefault()
	if err != nil {
		b.Fatal(err)
	}
	f, err := models.FS().Open("demo/posts.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var out []*post.Post
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		p, err := post.Decode(sc.Bytes())
		if err != nil {
			b.Fatal(err)
		}
		a := m.Analyze(p.Text)
		p.Analysis = &a
		out = append(out, p)
	}
	return out
}

// rulesYAML writes n match rules with varied queries: text words, narratives, labels.
func rulesYAML(n int) string {
	words := []string{"lũ lụt", "lừa đảo", "chuyển khoản", "bệnh viện", "mất điện", "ngân hàng", "vắc xin", "cứu trợ", "otp", "thủ tục"}
	narr := []string{"scam", "disaster", "health_misinfo", "public_service_complaint", "hate_harassment"}
	var b strings.Builder
	b.WriteString("rules:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - id: r%d\n    kind: match\n    recipients: [bench@langnghe.test]\n    query: ", i)
		var q string
		switch i % 4 {
		case 0:
			q = words[i%len(words)]
		case 1:
			q = "narrative:" + narr[i%len(narr)]
		case 2:
			q = fmt.Sprintf("%s sentiment:negative", words[(i/4)%len(words)])
		case 3:
			q = fmt.Sprintf("narrative:%s flagged:true (platform:forum OR platform:facebook)", narr[(i/4)%len(narr)])
		}
		fmt.Fprintf(&b, "%q\n", q)
	}
	return b.String()
}

func loadBenchRules(b *testing.B, n int) *alerting.RuleSet {
	path := filepath.Join(b.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, []byte(rulesYAML(n)), 0o644); err != nil {
		b.Fatal(err)
	}
	rs, errs := alerting.LoadFiles(path)
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	return rs
}

// BenchmarkObserve measures the cost of evaluating match rules on the stream: one op is
// one batch of 500 classified demo posts (fresh ids) through Engine.Observe, including the
// state save. The 1-rule case is the baseline; posts/s gives the time per million posts.
func BenchmarkObserve(b *testing.B) {
	posts := demoPosts(b)
	for _, n := range []int{1, 200} {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			rs := loadBenchRules(b, n)
			e, err := alerting.NewEngine(rs, filepath.Join(b.TempDir(), "state.json"), outbox.New(b.TempDir(), ""))
			if err != nil {
				b.Fatal(err)
			}
			batch := make([]*post.Post, 500)
			seq := 0
			b.ResetTimer()
			for b.Loop() {
				for i := range batch {
					p := *posts[seq%len(posts)]
					p.ID = fmt.Sprintf("forum:bench:%d", seq)
					batch[i] = &p
					seq++
				}
				if err := e.Observe(batch); err != nil {
					b.Fatal(err)
				}
				if seq%20000 == 0 {
					_ = e.Tick(context.Background()) // flush groups so state stays bounded like in production
				}
			}
			perPost := b.Elapsed().Seconds() / float64(seq)
			b.ReportMetric(1/perPost, "posts/s")
			b.ReportMetric(perPost*1e6, "s/1Mposts")
		})
	}
}

// BenchmarkMatch is the pure predicate cost: folding a post once and testing it against
// every rule, without state (what Observe does per post before saving).
func BenchmarkMatch(b *testing.B) {
	posts := demoPosts(b)
	for _, n := range []int{1, 200} {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			rs := loadBenchRules(b, n)
			var ms []*alerting.Matcher
			for _, r := range rs.Rules {
				ms = append(ms, alerting.NewMatcher(r.Query))
			}
			i, hits := 0, 0
			now := time.Now()
			for b.Loop() {
				p := posts[i%len(posts)]
				i++
				doc := query.NewDoc(p)
				for _, m := range ms {
					if m.Match(doc, now) {
						hits++
					}
				}
			}
			b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "posts/s")
			b.ReportMetric(b.Elapsed().Seconds()/float64(i)*1e6, "s/1Mposts")
		})
	}
}

// BenchmarkLatencyRawToMailpit: one op publishes one post into posts.raw on the real
// Kafka; the classify stage and the alert role (match rule, group_by source so every post
// is its own group, group_wait 1ms) carry it to SMTP; the op ends when Mailpit lists the
// email. Reports p50 and p99. Run with -benchtime=100x for a meaningful p99.
func BenchmarkLatencyRawToMailpit(b *testing.B) {
	brokers := testinfra.KafkaBrokers(b)
	smtpAddr := testinfra.SMTPAddr(b)
	mp := notifiertest.Mailpit{URL: testinfra.MailpitURL(b)}
	raw := testinfra.KafkaTopic(b, "bench-raw", 1)
	classified := testinfra.KafkaTopic(b, "bench-classified", 1)
	model, err := classifier.LoadDefault()
	if err != nil {
		b.Fatal(err)
	}
	prod := bus.NewProducer(brokers)
	defer prod.Close()
	stage := classifier.NewStage(model, prod, classified)
	rcpt := fmt.Sprintf("latency-%d@bench.test", time.Now().UnixNano())
	path := filepath.Join(b.TempDir(), "rules.yaml")
	os.WriteFile(path, []byte(`rules:
  - id: lua-dao
    kind: match
    query: 'narrative:scam'
    recipients: [`+rcpt+`]
    group_by: source
    group_wait: 1ms
    group_window: 1h
`), 0o644)
	rs, errs := alerting.LoadFiles(path)
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	host, port, _ := strings.Cut(smtpAddr, ":")
	var p int
	fmt.Sscan(port, &p)
	n, err := email.New(email.Config{Host: host, Port: p, TLS: email.TLSNone, From: "canhbao@langnghe.test", Timeout: 5 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	e, err := alerting.NewEngine(rs, filepath.Join(b.TempDir(), "state.json"), n)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cc := bus.NewConsumer(brokers, "bench-classify-"+raw, raw, "classify", stage.Process, bus.WithBatch(100, 5*time.Millisecond))
	ac := bus.NewConsumer(brokers, "bench-alert-"+raw, classified, "alert", e.Process, bus.WithBatch(100, 5*time.Millisecond))
	go cc.Run(ctx)
	go ac.Run(ctx)
	go e.Run(ctx)
	var lat []time.Duration
	i := 0
	b.ResetTimer()
	for b.Loop() {
		ps := &post.Post{Schema: 1, ID: fmt.Sprintf("forum:s%d.vn:%d", i, i), Platform: "forum", Source: fmt.Sprintf("s%d.vn", i),
			Text: "Cảnh báo lừa đảo: kẻ gian giả danh ngân hàng yêu cầu cung cấp mã OTP", PublishedAt: time.Now(), FetchedAt: time.Now()}
		i++
		v, _ := post.Encode(ps)
		start := time.Now()
		if err := prod.Publish(ctx, raw, bus.Message{Key: []byte(ps.ID), Value: v}); err != nil {
			b.Fatal(err)
		}
		deadline := start.Add(60 * time.Second)
		for len(mp.IDs(b, rcpt)) < i {
			if time.Now().After(deadline) {
				b.Fatalf("email %d not in Mailpit within 60s", i)
			}
			time.Sleep(10 * time.Millisecond)
		}
		lat = append(lat, time.Since(start))
	}
	sort.Slice(lat, func(a, c int) bool { return lat[a] < lat[c] })
	pct := func(q float64) float64 { return lat[min(len(lat)-1, int(q*float64(len(lat))))].Seconds() * 1000 }
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
