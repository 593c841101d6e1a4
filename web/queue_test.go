package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/langnghe/langnghe/classifier/learn"
	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store/storetest"
	"github.com/langnghe/langnghe/triage"
)

// campaign returns flagged copies of one scam text with small edits, emoji and accents
// dropped, published an hour apart before the fixtures' newest post.
func campaign() []*post.Post {
	texts := []string{
		"Chúc mừng bạn đã trúng thưởng xe SH, chuyển khoản trước 2 triệu phí hồ sơ để nhận xe ngay hôm nay.",
		"🎁 Chúc mừng bạn đã trúng thưởng xe SH, chuyển khoản trước 2 triệu phí hồ sơ để nhận xe ngay hôm nay!!",
		"Chuc mung ban da trung thuong xe SH, chuyen khoan truoc 2 trieu phi ho so de nhan xe ngay hom nay.",
	}
	var out []*post.Post
	for i, tx := range texts {
		p := storetest.Fixtures()[3] // a flagged scam post
		p.ID, p.Text, p.Source = "forum:camp:"+string(rune('a'+i)), tx, []string{"voz-forum", "bsky-vn", "mastodon-vn"}[i]
		p.Analysis.Evidence = nil
		p.Analysis.Toxicity = post.Label{Label: "offensive", Score: 0.8}
		p.PublishedAt = time.Date(2026, 11, 30, 10-i, 0, 0, 0, time.UTC)
		out = append(out, p)
	}
	return out
}

func queueServer(t *testing.T) (*httptest.Server, *triage.File) {
	t.Helper()
	ts, err := triage.OpenFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ts.Close() })
	srv, _ := exportServer(t, campaign(), WithTriage(ts))
	return srv, ts
}

func TestClustersGroupCampaign(t *testing.T) {
	srv, _ := queueServer(t)
	var res clustersResponse
	resp, body := get(t, srv.URL+"/api/clusters", "khach")
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	json.Unmarshal(body, &res)
	flagged := 0
	for _, p := range storetest.Fixtures() {
		if p.Analysis != nil && p.Analysis.Flagged {
			flagged++
		}
	}
	if res.Total != flagged+3 || res.Scanned != res.Total {
		t.Fatalf("total %d scanned %d, want %d flagged posts", res.Total, res.Scanned, flagged+3)
	}
	if res.Clusters != res.Total-2 {
		t.Errorf("%d clusters of %d posts, want the 3 campaign posts as one", res.Clusters, res.Total)
	}
	first := res.Items[0]
	if first.ID != "forum:camp:a" || first.Count != 3 || !first.FirstSeen.Equal(time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)) ||
		!first.LastSeen.Equal(time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)) || len(first.Sources) != 3 {
		t.Errorf("first item %s count %d first %s last %s sources %v", first.ID, first.Count, first.FirstSeen, first.LastSeen, first.Sources)
	}
	for i := 1; i < len(res.Items); i++ {
		if res.Items[i].Count != 1 || res.Items[i].LastSeen.After(res.Items[i-1].LastSeen) {
			t.Errorf("item %d: %s count %d at %s, want single posts newest first", i, res.Items[i].ID, res.Items[i].Count, res.Items[i].LastSeen)
		}
	}
}

func postTriage(t *testing.T, srv *httptest.Server, user string, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.URL+"/api/triage", strings.NewReader(body))
	req.Header.Set("X-User", user)
	req.Header.Set("Content-Type", "application/json")
	// The proxy user's CSRF token, as a page would read it from /api/me.
	_, me := get(t, srv.URL+"/api/me", user)
	var m struct{ CSRF string }
	json.Unmarshal(me, &m)
	req.Header.Set("X-CSRF-Token", m.CSRF)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestTriageAuditAndExport(t *testing.T) {
	srv, ts := queueServer(t)
	if code, b := postTriage(t, srv, "khach", `{"ids":["forum:camp:a"],"action":"reviewed"}`); code != http.StatusForbidden {
		t.Fatalf("viewer triage: %d %s", code, b)
	}
	req, _ := http.NewRequest("POST", srv.URL+"/api/triage", strings.NewReader(`{"ids":["forum:camp:a"],"action":"reviewed"}`))
	req.Header.Set("X-User", "lan")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("triage without CSRF token: %v %v", resp.StatusCode, err)
	}
	for _, c := range []struct{ body, want string }{
		{`{"ids":["forum:camp:a","forum:camp:b","forum:camp:c"],"action":"escalate"}`, ""},
		{`{"ids":["forum:camp:a"],"action":"false_positive","note":"quảng cáo"}`, "escalate"},
		{`{"ids":["xenforo:voz.vn:3002"],"action":"reviewed"}`, ""},
	} {
		code, b := postTriage(t, srv, "lan", c.body)
		var out struct{ Records []triage.Record }
		json.Unmarshal(b, &out)
		if code != 200 || len(out.Records) == 0 || out.Records[0].Previous != c.want || out.Records[0].User != "lan" || out.Records[0].Role != "analyst" {
			t.Fatalf("triage %s: %d %s", c.body, code, b)
		}
	}
	if code, _ := postTriage(t, srv, "lan", `{"ids":["no:such"],"action":"reviewed"}`); code != 404 {
		t.Errorf("triage of a missing post: %d", code)
	}
	if code, _ := postTriage(t, srv, "lan", `{"ids":["forum:camp:a"],"action":"delete"}`); code != 400 {
		t.Errorf("unknown action: %d", code)
	}
	// Durable: a reopened log has the same trail.
	ts2, err := triage.OpenFile(strings.TrimSuffix(ts.Path(), "/triage.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	h, _ := ts2.History(context.Background(), "forum:camp:a")
	ts2.Close()
	if len(h) != 2 || h[0].Action != "escalate" || h[1].Action != "false_positive" || h[1].Previous != "escalate" || h[1].Note != "quảng cáo" {
		t.Errorf("reopened history %+v", h)
	}
	// The queue shows the latest decision of the group.
	var res clustersResponse
	_, body := get(t, srv.URL+"/api/clusters", "khach")
	json.Unmarshal(body, &res)
	if tr := res.Items[0].Triage; tr == nil || tr.Action != "false_positive" {
		t.Errorf("queue item triage %+v, want the false positive", tr)
	}
	// Export: labelled JSON Lines that model training reads.
	resp, body := get(t, srv.URL+"/api/triage/export", "lan")
	ex, err := learn.ReadExamples(bytes.NewReader(body), "export")
	if resp.StatusCode != 200 || err != nil {
		t.Fatalf("export %d: %v\n%s", resp.StatusCode, err, body)
	}
	got := map[string]string{}
	for _, e := range ex {
		got[e.Text] = e.Label
	}
	want := map[string]string{campaign()[0].Text: "clean", campaign()[1].Text: "offensive", campaign()[2].Text: "offensive",
		storetest.Fixtures()[7].Text: "offensive"}
	if len(got) != len(want) {
		t.Errorf("exported %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("label of %q: %q, want %q", k, got[k], v)
		}
	}
	if resp, _ := get(t, srv.URL+"/api/triage/export", "khach"); resp.StatusCode != 403 {
		t.Errorf("viewer triage export: %d", resp.StatusCode)
	}
}
