package web

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/langnghe/langnghe/post"
	blevestore "github.com/langnghe/langnghe/store/bleve"
	"github.com/langnghe/langnghe/store/storetest"
)

// overviewNow is noon in Hanoi on 1 December 2026: "today" runs from
// 2026-11-30T17:00:00Z, the baseline from 2026-11-23T17:00:00Z to then.
var overviewNow = time.Date(2026, 12, 1, 5, 0, 0, 0, time.UTC)

// overviewPosts builds posts whose overview numbers are known by construction: today 6
// posts (4 scam, 2 disaster; 3 negative, 1 neutral, 2 positive; voz 3, tuoitre 2, bsky
// 1), a baseline of 14 scam and 14 flood posts over the 7 days before, and posts just
// outside both windows (a second before the baseline, after now).
func overviewPosts() []*post.Post {
	n := 0
	mk := func(at time.Time, narrative, sentiment, source string) *post.Post {
		n++
		p := storetest.Fixtures()[0]
		p.ID = fmt.Sprintf("forum:ov:%d", n)
		p.Source, p.Platform, p.PublishedAt, p.FetchedAt = source, "forum", at, at
		p.Text = "bài số " + fmt.Sprint(n)
		p.Title = ""
		p.Analysis = &post.Analysis{Model: "test", Sentiment: post.Label{Label: sentiment}, Toxicity: post.Label{Label: "clean"},
			Narratives: []post.Narrative{{ID: narrative, Score: 1}}, Flagged: narrative == "scam"}
		return p
	}
	dayStart := time.Date(2026, 11, 30, 17, 0, 0, 0, time.UTC)
	out := []*post.Post{
		mk(dayStart, "scam", "negative", "voz"), // the first instant of the Hanoi day
		mk(dayStart.Add(3*time.Hour), "scam", "negative", "voz"),
		mk(dayStart.Add(5*time.Hour), "scam", "negative", "tuoitre"),
		mk(dayStart.Add(8*time.Hour), "scam", "neutral", "bsky"),
		mk(dayStart.Add(9*time.Hour), "disaster", "positive", "voz"),
		mk(overviewNow.Add(-time.Minute), "disaster", "positive", "tuoitre"),
		mk(overviewNow.Add(time.Hour), "scam", "negative", "voz"),                   // after now: not today yet
		mk(dayStart.AddDate(0, 0, -7).Add(-time.Second), "scam", "negative", "voz"), // before the baseline
		mk(dayStart.Add(-time.Second), "scam", "negative", "voz"),                   // the baseline's last second
	}
	for i := 0; i < 13; i++ { // 13 more scam posts, 14 flood posts over the 7 baseline days
		out = append(out, mk(dayStart.Add(-time.Duration(i+1)*12*time.Hour), "scam", "negative", "voz"))
	}
	for i := 0; i < 14; i++ {
		out = append(out, mk(dayStart.Add(-time.Duration(i)*12*time.Hour-time.Hour), "flood", "negative", "tuoitre"))
	}
	return out
}

func overviewServer(t *testing.T) *httptest.Server {
	t.Helper()
	st, err := blevestore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Index(context.Background(), overviewPosts()); err != nil {
		t.Fatal(err)
	}
	st.Refresh(context.Background())
	srv := httptest.NewServer(New(st, WithClock(func() time.Time { return overviewNow }),
		WithNarratives([]NarrativeLabel{{ID: "scam", NameVI: "Lừa đảo", NameEN: "Scam"}, {ID: "disaster", NameVI: "Thiên tai", NameEN: "Disaster"}})).Handler())
	t.Cleanup(srv.Close)
	return srv
}

func overviewGet(t *testing.T, u string) Overview {
	t.Helper()
	resp, body := get(t, u, "")
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d %s", u, resp.StatusCode, body)
	}
	var o Overview
	if err := json.Unmarshal(body, &o); err != nil {
		t.Fatal(err)
	}
	return o
}

func termOf(l []OverviewTerm, id string) (OverviewTerm, bool) {
	for _, x := range l {
		if x.Term == id {
			return x, true
		}
	}
	return OverviewTerm{}, false
}

func change(t OverviewTerm) float64 {
	if t.Change == nil {
		return math.NaN()
	}
	return *t.Change
}

func TestOverviewNumbers(t *testing.T) {
	srv := overviewServer(t)
	o := overviewGet(t, srv.URL+"/api/overview")
	if o.Day != "2026-12-01" || !o.From.Equal(time.Date(2026, 11, 30, 17, 0, 0, 0, time.UTC)) ||
		!o.BaselineFrom.Equal(time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)) || o.Elapsed != 0.5 {
		t.Errorf("day %s from %s baseline from %s elapsed %v; want the Hanoi day 2026-12-01 half gone", o.Day, o.From, o.BaselineFrom, o.Elapsed)
	}
	// Volume: 6 today against (14 scam + 14 flood) / 7 = 4 a day: +50%.
	if v := o.Volume; v.Count != 6 || v.Baseline != 4 || change(v) != 0.5 {
		t.Errorf("volume %+v (change %v), want 6 against 4 a day, +0.5", v, change(v))
	}
	hourly := 0
	for _, b := range o.Hourly {
		hourly += b.Count
	}
	if hourly != 6 {
		t.Errorf("hourly buckets add up to %d, want 6", hourly)
	}
	if o.Flagged != 4 {
		t.Errorf("flagged today %d, want 4", o.Flagged)
	}
	// Narratives: scam first, 4 against 14/7 = 2 (+100%), named in Vietnamese; disaster
	// new today (no change); flood, absent today, not listed.
	if len(o.Narratives) != 2 || o.Narratives[0].Term != "scam" {
		t.Fatalf("narratives %+v, want scam then disaster", o.Narratives)
	}
	if sc := o.Narratives[0]; sc.Count != 4 || sc.Baseline != 2 || change(sc) != 1 || sc.NameVI != "Lừa đảo" || sc.NameEN != "Scam" {
		t.Errorf("scam %+v (change %v), want 4 against 2, +1, Lừa đảo", sc, change(sc))
	}
	if d := o.Narratives[1]; d.Term != "disaster" || d.Count != 2 || d.Baseline != 0 || d.Change != nil || d.NameVI != "Thiên tai" {
		t.Errorf("disaster %+v, want 2, no baseline, no change", d)
	}
	// Sentiment split with Vietnamese names: negative 3 of today's 6; baseline 28 negative.
	for id, want := range map[string][2]any{"negative": {3, "tiêu cực"}, "neutral": {1, "trung tính"}, "positive": {2, "tích cực"}} {
		s, ok := termOf(o.Sentiments, id)
		if !ok || s.Count != want[0] || s.NameVI != want[1] {
			t.Errorf("sentiment %s: %+v, want %v %v", id, s, want[0], want[1])
		}
	}
	if s, _ := termOf(o.Sentiments, "negative"); s.Baseline != 4 || change(s) != -0.25 {
		t.Errorf("negative baseline %v change %v, want 4 and -0.25", s.Baseline, change(s))
	}
	// Top sources: voz 3, tuoitre 2, bsky 1, in that order.
	var srcs []string
	for _, s := range o.Sources {
		srcs = append(srcs, fmt.Sprintf("%s=%d", s.Term, s.Count))
	}
	if fmt.Sprint(srcs) != "[voz=3 tuoitre=2 bsky=1]" {
		t.Errorf("sources %v", srcs)
	}
	if v, _ := termOf(o.Sources, "voz"); v.Baseline != 2 {
		t.Errorf("voz baseline %v, want 14/7 = 2", v.Baseline)
	}
}

// The overview takes the search filters: narrative:scam narrows today and the baseline.
func TestOverviewFiltered(t *testing.T) {
	srv := overviewServer(t)
	o := overviewGet(t, srv.URL+"/api/overview?q=narrative:scam")
	if v := o.Volume; v.Count != 4 || v.Baseline != 2 || change(v) != 1 {
		t.Errorf("filtered volume %+v, want 4 against 2", v)
	}
	resp, body := get(t, srv.URL+"/api/overview?q=lu+(lut", "")
	if resp.StatusCode != 400 {
		t.Errorf("syntax error: %d %s, want 400", resp.StatusCode, body)
	}
	resp, body = get(t, srv.URL+"/overview", "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `src="/overview.js"`) {
		t.Errorf("/overview page: %d", resp.StatusCode)
	}
}
