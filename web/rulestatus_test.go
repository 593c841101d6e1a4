package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/langnghe/langnghe/alerting"
	"github.com/langnghe/langnghe/post"
	blevestore "github.com/langnghe/langnghe/store/bleve"
)

// TestAlertPageListsRulesWithLastEvaluation: with the alert engine of the process, the
// alerts page and GET /api/alerts/rules list every rule with when it was last evaluated
// and last fired; a rule not evaluated since start says so.
func TestAlertPageListsRulesWithLastEvaluation(t *testing.T) {
	st, err := blevestore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	path := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, []byte(linkRules), 0o644); err != nil {
		t.Fatal(err)
	}
	rules, errs := alerting.LoadFiles(path)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	clk := time.Date(2026, 11, 19, 23, 0, 0, 0, time.UTC)
	e, err := alerting.NewEngine(rules, filepath.Join(t.TempDir(), "state.json"), &recorder{},
		alerting.WithStore(st), alerting.WithClock(func() time.Time { return clk }))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(st, WithAlerts(e)).Handler())
	t.Cleanup(srv.Close)

	var before struct{ Rules []alerting.RuleStatus }
	getJSON(t, srv.URL+"/api/alerts/rules", &before)
	if len(before.Rules) != 4 {
		t.Fatalf("rules %+v, want the 4 of the rule file", before.Rules)
	}
	for _, r := range before.Rules {
		if !r.LastEvaluated.IsZero() {
			t.Errorf("%s evaluated before anything ran: %v", r.ID, r.LastEvaluated)
		}
	}
	posts := []*post.Post{linkPost("m0", "scam", "chuyển khoản trước rồi mới giao hàng", clk.Add(-time.Hour))}
	if err := e.Observe(posts); err != nil {
		t.Fatal(err)
	}
	clk = clk.Add(time.Minute)
	if err := e.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	var after struct{ Rules []alerting.RuleStatus }
	getJSON(t, srv.URL+"/api/alerts/rules", &after)
	byID := map[string]alerting.RuleStatus{}
	for _, r := range after.Rules {
		byID[r.ID] = r
	}
	if got := byID["khop"].LastEvaluated; !got.Equal(clk.Add(-time.Minute)) {
		t.Errorf("match rule last evaluated %v, want when the posts were observed (%v)", got, clk.Add(-time.Minute))
	}
	if got := byID["nguong"].LastEvaluated; !got.Equal(clk) {
		t.Errorf("threshold rule last evaluated %v, want the tick (%v)", got, clk)
	}
	if byID["khop"].LastFired.IsZero() {
		t.Errorf("match rule fired (group_wait 30s passed) but LastFired is zero: %+v", byID["khop"])
	}
	_, body := getPage(t, srv.URL+"/alerts")
	for _, want := range []string{`id="rules"`, `data-id="khop"`, `data-id="tom-tat"`, "Đánh giá lần cuối / last evaluated", "06:01 20/11/2026 (giờ VN)"} {
		if !strings.Contains(body, want) {
			t.Errorf("alerts page lacks %q", want)
		}
	}
}

func getPage(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
