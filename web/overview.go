package web

// The overview page and GET /api/overview: today's volume (the Vietnamese calendar day),
// the top narratives with their change against the previous 7 days' daily average,
// today's sentiment split and top sources. Two aggregation searches over the store (today,
// and the 7 days before), with whatever filters the request carries (q, narrative, ...).

import (
	"net/http"
	"time"

	"github.com/langnghe/langnghe/alerting"
	"github.com/langnghe/langnghe/store"
)

// Days are Asia/Ho_Chi_Minh days (alerting.Zone), UTC+7. Vietnam has kept UTC+7
// without daylight saving since 1975, so the fixed zone is exact and needs no tzdata.

// BaselineDays is how many whole days before today the baseline averages.
const BaselineDays = 7

// OverviewTerm is one entry of a top list with its names and its baseline.
type OverviewTerm struct {
	Term   string `json:"term"`
	NameVI string `json:"name_vi"`
	NameEN string `json:"name_en"`
	Count  int    `json:"count"` // today
	// Baseline is the term's daily average over the BaselineDays days before today;
	// Change is (Count - Baseline) / Baseline, nil when the baseline is 0 (new today).
	Baseline float64  `json:"baseline"`
	Change   *float64 `json:"change"`
}

// Overview is the body of GET /api/overview.
type Overview struct {
	// Day is today's date in Asia/Ho_Chi_Minh; From/To the UTC instants of its start and
	// of now plus 1 ms (today so far, To exclusive). BaselineFrom is the start of the baseline (From minus
	// BaselineDays days).
	Day          string    `json:"day"`
	Zone         string    `json:"zone"`
	From         time.Time `json:"from"`
	To           time.Time `json:"to"`
	BaselineFrom time.Time `json:"baseline_from"`
	BaselineDays int       `json:"baseline_days"`
	// Elapsed is the part of today gone by (0..1): today's counts are so far, the
	// baseline's are whole days.
	Elapsed    float64           `json:"elapsed"`
	Volume     OverviewTerm      `json:"volume"` // Term "total"
	Hourly     []store.Bucket    `json:"hourly"` // today's posts per hour
	Narratives []OverviewTerm    `json:"narratives"`
	Sentiments []OverviewTerm    `json:"sentiments"`
	Sources    []OverviewTerm    `json:"sources"`
	Flagged    int               `json:"flagged"`
	Authors    int               `json:"authors"`
	Toxicities []OverviewTerm    `json:"toxicities"`
	Terms      []store.TermCount `json:"terms"`
}

func (s *Server) overviewRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/overview", s.instrument("overview", s.overview))
	mux.HandleFunc("GET /overview", s.instrument("overview_page", servePage("overview.html")))
}

// overview answers GET /api/overview. It takes the search filters (q, narrative,
// source, ...; from/to are replaced by today and the baseline) and top=N (default 10).
func (s *Server) overview(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	v := r.URL.Query()
	v.Del("from")
	v.Del("to")
	v.Del("offset")
	v.Set("limit", "1")
	v.Set("aggs", "true")
	q, err := ParseQuery(v, now)
	if err != nil {
		writeQueryError(w, err)
		return
	}
	local := now.In(alerting.Zone)
	dayStart := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, alerting.Zone)
	baseStart := dayStart.AddDate(0, 0, -BaselineDays)
	// To is exclusive: one millisecond past now counts a post published at now, and the
	// page's links carry this exact window.
	end := now.Add(time.Millisecond)
	out := Overview{Day: dayStart.Format("2006-01-02"), Zone: "Asia/Ho_Chi_Minh", From: dayStart.UTC(), To: end.UTC(),
		BaselineFrom: baseStart.UTC(), BaselineDays: BaselineDays, Elapsed: now.Sub(dayStart).Hours() / 24}

	today := q
	today.From, today.To, today.Interval = dayStart, end, time.Hour
	// The baseline's top lists are looked up by today's terms, so they are made long.
	base := q
	base.From, base.To, base.Interval, base.TopN = baseStart, dayStart, -1, store.MaxTopN
	tres, err := s.st.Search(r.Context(), today)
	if err != nil {
		s.storeError(w, err)
		return
	}
	bres, err := s.st.Search(r.Context(), base)
	if err != nil {
		s.storeError(w, err)
		return
	}
	flaggedQ := today
	yes := true
	flaggedQ.Flagged, flaggedQ.Aggs, flaggedQ.Interval = &yes, false, -1
	fres, err := s.st.Search(r.Context(), flaggedQ)
	if err != nil {
		s.storeError(w, err)
		return
	}
	out.Flagged = fres.Total
	out.Volume = withBaseline(OverviewTerm{Term: "total", NameVI: "tổng số bài", NameEN: "all posts", Count: tres.Total}, bres.Total)
	out.Hourly = nonNilBuckets(tres.Buckets)
	ta, ba := aggsOrEmpty(tres.Aggs), aggsOrEmpty(bres.Aggs)
	out.Authors, out.Terms = ta.Authors, nonNil(ta.Terms)
	out.Narratives = s.compare(ta.Narratives, ba.Narratives, func(id string) (string, string) { return s.narrativeName(id) })
	out.Sentiments = s.compare(ta.Sentiments, ba.Sentiments, func(id string) (string, string) { return labelName("sentiment", id) })
	out.Toxicities = s.compare(ta.Toxicities, ba.Toxicities, func(id string) (string, string) { return labelName("toxicity", id) })
	// Source names are the configuration's, shown as they are.
	out.Sources = s.compare(ta.Sources, ba.Sources, func(id string) (string, string) { return id, id })
	writeJSON(w, http.StatusOK, out)
}

// compare pairs today's top list with the baseline's counts.
func (s *Server) compare(today, base []store.TermCount, name func(string) (string, string)) []OverviewTerm {
	baseOf := map[string]int{}
	for _, b := range base {
		baseOf[b.Term] = b.Count
	}
	out := make([]OverviewTerm, 0, len(today))
	for _, tc := range today {
		vi, en := name(tc.Term)
		out = append(out, withBaseline(OverviewTerm{Term: tc.Term, NameVI: vi, NameEN: en, Count: tc.Count}, baseOf[tc.Term]))
	}
	return out
}

func withBaseline(t OverviewTerm, baseTotal int) OverviewTerm {
	t.Baseline = float64(baseTotal) / BaselineDays
	if t.Baseline > 0 {
		c := (float64(t.Count) - t.Baseline) / t.Baseline
		t.Change = &c
	}
	return t
}

func aggsOrEmpty(a *store.Aggs) store.Aggs {
	if a == nil {
		return store.Aggs{}
	}
	return *a
}

func nonNilBuckets(b []store.Bucket) []store.Bucket {
	if b == nil {
		return []store.Bucket{}
	}
	return b
}
