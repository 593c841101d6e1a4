package alerting_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/langnghe/langnghe/alerting"
	"github.com/langnghe/langnghe/internal/clocktest"
	"github.com/langnghe/langnghe/post"
)

const silenceRules = `
rules:
  - id: lua-dao
    kind: match
    query: 'chuyen khoan narrative:scam'
    recipients: [%RCPT%]
    group_wait: 30s
`

// TestRunTimeSilenceMutesMatchAlerts: a silence added to a SilenceFile (as the /alerts
// page does) mutes the rule in an engine that reads the same file from another handle
// (another process), survives a restart of both, and stops muting once it expires.
func TestRunTimeSilenceMutesMatchAlerts(t *testing.T) {
	rcpt := uniqueRcpt(t.Name())
	path := filepath.Join(t.TempDir(), "alerts", "silences.json")
	clk := clocktest.New(time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC))
	web, err := alerting.OpenSilenceFile(path, alerting.WithSilenceClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	engineSide, err := alerting.OpenSilenceFile(path, alerting.WithSilenceClock(clk.Now), alerting.WithSilenceReload(0))
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, writeRules(t, silenceRules, rcpt), alerting.WithSilences(engineSide))
	f.clk = clk // one clock for the engine and the silences
	f.restart()

	s, err := alerting.NewSilence("lua-dao", "", clk.Now().Add(time.Hour), clk.Now(), "đang xử lý", func(id string) bool { return id == "lua-dao" })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := web.Add(context.Background(), s, "admin1"); err != nil {
		t.Fatal(err)
	}
	observe := func(id string) {
		t.Helper()
		if err := f.e.Observe([]*post.Post{mkPost(id, "a.vn", "scam", "chuyển khoản gấp "+id, clk.Now())}); err != nil {
			t.Fatal(err)
		}
		f.step(31 * time.Second)
	}
	observe("1")
	if n := len(f.sink.emails(t, rcpt)); n != 0 {
		t.Fatalf("%d emails while the rule is silenced, want 0", n)
	}
	// A restart of the engine and a fresh handle on the file: the silence is still there.
	again, err := alerting.OpenSilenceFile(path, alerting.WithSilenceClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	f.opts = []alerting.Option{alerting.WithSilences(again)}
	f.restart()
	list, err := again.List(context.Background())
	if err != nil || len(list) != 1 || list[0].Rule != "lua-dao" || list[0].CreatedBy != "admin1" || list[0].ID == "" {
		t.Fatalf("after reopening: %v %+v", err, list)
	}
	observe("2")
	if n := len(f.sink.emails(t, rcpt)); n != 0 {
		t.Fatalf("%d emails after a restart while silenced, want 0", n)
	}
	// Past its expiry the silence is gone from the list and the rule fires again.
	clk.Add(time.Hour)
	if list, _ := again.List(context.Background()); len(list) != 0 {
		t.Errorf("expired silence still listed: %+v", list)
	}
	observe("3")
	got := f.sink.emails(t, rcpt)
	if len(got) != 1 || !strings.Contains(got[0].Text, "/t/3") {
		t.Fatalf("%d emails after expiry, want 1 with post 3", len(got))
	}
}

// TestRunTimeSilenceByQueryAndRemoval: a query silence mutes only the posts it matches;
// removing it (from another handle) unmutes at once; bad silences are refused.
func TestRunTimeSilenceByQueryAndRemoval(t *testing.T) {
	rcpt := uniqueRcpt(t.Name())
	path := filepath.Join(t.TempDir(), "silences.json")
	clk := clocktest.New(time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC))
	web, _ := alerting.OpenSilenceFile(path, alerting.WithSilenceClock(clk.Now))
	engineSide, _ := alerting.OpenSilenceFile(path, alerting.WithSilenceClock(clk.Now), alerting.WithSilenceReload(0))
	f := newFixture(t, writeRules(t, silenceRules, rcpt), alerting.WithSilences(engineSide))
	f.clk = clk
	f.restart()
	s, err := alerting.NewSilence("", "source:noisy.vn", clk.Now().Add(24*time.Hour), clk.Now(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	added, err := web.Add(context.Background(), s, "admin1")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.e.Observe([]*post.Post{mkPost("1", "noisy.vn", "scam", "chuyển khoản", clk.Now()), mkPost("2", "a.vn", "scam", "chuyển khoản", clk.Now())}); err != nil {
		t.Fatal(err)
	}
	f.step(31 * time.Second)
	got := f.sink.emails(t, rcpt)
	if len(got) != 1 || strings.Contains(got[0].Text, "noisy.vn/t/1") || !strings.Contains(got[0].Text, "a.vn/t/2") {
		t.Fatalf("%d emails; want one with post 2 only", len(got))
	}
	if err := web.Remove(context.Background(), added.ID); err != nil {
		t.Fatal(err)
	}
	if err := web.Remove(context.Background(), added.ID); !errors.Is(err, alerting.ErrNoSilence) {
		t.Errorf("second removal: %v, want ErrNoSilence", err)
	}
	f.step(10 * time.Minute)
	if err := f.e.Observe([]*post.Post{mkPost("3", "noisy.vn", "scam", "chuyển khoản", clk.Now())}); err != nil {
		t.Fatal(err)
	}
	f.step(31 * time.Second)
	if got := f.sink.emails(t, rcpt); len(got) != 2 || !strings.Contains(got[1].Text+got[0].Text, "noisy.vn/t/3") {
		t.Fatalf("%d emails after removing the silence, want 2 (the second with post 3)", len(got))
	}
	for _, c := range []struct{ rule, q string }{{"", ""}, {"", "-"}, {"nope", ""}, {"", `"unclosed`}, {"", "sentiment:vui"}} {
		if _, err := alerting.NewSilence(c.rule, c.q, clk.Now().Add(time.Hour), clk.Now(), "", func(id string) bool { return id == "lua-dao" }); err == nil {
			t.Errorf("silence rule=%q query=%q accepted", c.rule, c.q)
		}
	}
	if _, err := alerting.NewSilence("lua-dao", "", clk.Now().Add(-time.Minute), clk.Now(), "", nil); err == nil {
		t.Error("a silence that already expired was accepted")
	}
	if b, _ := os.ReadFile(path); strings.Contains(string(b), "noisy") {
		t.Errorf("removed silence still in the file: %s", b)
	}
}
