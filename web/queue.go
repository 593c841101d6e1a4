package web

// The triage queue: flagged posts newest first with near-duplicates grouped
// (GET /api/clusters), the analysts' decisions on posts (POST /api/triage, GET
// /api/triage/{id}) and those decisions as training data (GET /api/triage/export).

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/langnghe/langnghe/alerting"
	"github.com/langnghe/langnghe/dedup"
	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
	"github.com/langnghe/langnghe/triage"
)

// WithTriage stores the analysts' triage decisions in ts; without it the triage
// endpoints answer 404 and the queue shows no actions.
func WithTriage(ts triage.Store) Option { return func(s *Server) { s.wb.triage = ts } }

// Queue sizes.
const (
	DefaultQueueScan = 2000  // newest matching posts grouped per request
	MaxQueueScan     = 10000 // the most a request may ask for (scan=)
)

func (s *Server) queueRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/clusters", s.instrument("clusters", s.expensive("clusters", s.clusters)))
	mux.HandleFunc("GET /queue", s.instrument("queue_page", servePage("queue.html")))
	if s.wb.triage != nil {
		mux.HandleFunc("POST /api/triage", s.instrument("triage", s.triageAction))
		mux.HandleFunc("GET /api/triage/export", s.instrument("triage_export", s.triageExport))
		mux.HandleFunc("GET /api/triage/{id}", s.instrument("triage_history", s.triageHistory))
	}
}

// Cluster is one item of the queue: a post and its near-duplicates.
type Cluster struct {
	ID        string    `json:"id"` // the newest member's id
	Count     int       `json:"count"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Sources   []string  `json:"sources"`
	// Post is the newest member; Members the first 20 members, newest first.
	Post    *post.Post      `json:"post"`
	Members []ClusterMember `json:"members"`
	// Triage is the latest decision on any member (nil: none yet).
	Triage *triage.Record `json:"triage,omitempty"`
}

// ClusterMember is a post of a cluster.
type ClusterMember struct {
	ID          string    `json:"id"`
	PublishedAt time.Time `json:"published_at"`
	Source      string    `json:"source"`
}

type clustersResponse struct {
	Total     int       `json:"total"`     // posts matching the query
	Scanned   int       `json:"scanned"`   // the newest of them, grouped
	Truncated bool      `json:"truncated"` // Scanned < Total
	Clusters  int       `json:"clusters"`  // groups among the scanned posts
	Items     []Cluster `json:"items"`     // the page asked (offset, limit)
	Method    string    `json:"method"`
}

// clusters answers GET /api/clusters with the /api/search parameters (flagged=true unless
// given): the newest scan= matching posts (default 2,000) grouped into near-duplicates,
// newest group first, paged by offset and limit (default 50).
func (s *Server) clusters(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	scan, err := parseIntParam(v.Get("scan"), DefaultQueueScan, 1, MaxQueueScan)
	if err != nil {
		writeError(w, http.StatusBadRequest, paramError("scan", v.Get("scan"), "1.."+strconv.Itoa(MaxQueueScan)))
		return
	}
	limit, err := parseIntParam(v.Get("limit"), 50, 1, 500)
	if err != nil {
		writeError(w, http.StatusBadRequest, paramError("limit", v.Get("limit"), "1..500"))
		return
	}
	offset, err := parseIntParam(v.Get("offset"), 0, 0, MaxQueueScan)
	if err != nil {
		writeError(w, http.StatusBadRequest, paramError("offset", v.Get("offset"), "0.."+strconv.Itoa(MaxQueueScan)))
		return
	}
	for _, k := range []string{"scan", "limit", "offset", "sort", "aggs", "top", "interval"} {
		v.Del(k)
	}
	if v.Get("flagged") == "" {
		v.Set("flagged", "true")
	}
	q, err := ParseQuery(v, s.now())
	if err != nil {
		writeQueryError(w, err)
		return
	}
	var posts []*post.Post
	err = store.Scan(r.Context(), s.st, q, func(p *post.Post) error {
		if len(posts) == scan {
			return store.ErrStop
		}
		posts = append(posts, p)
		return nil
	}, store.ScanPage(min(scan+1, store.MaxLimit)))
	if err != nil {
		s.storeError(w, err)
		return
	}
	count := q
	count.Limit, count.Interval = 1, -1
	total := len(posts)
	if len(posts) == scan {
		if res, err := s.st.Search(r.Context(), count); err == nil {
			total = res.Total
		}
	}
	all := groupPosts(posts)
	out := clustersResponse{Total: total, Scanned: len(posts), Truncated: total > len(posts), Clusters: len(all), Items: []Cluster{},
		Method: "MinHash LSH over folded 3-word shingles, Jaccard >= 0.45"}
	if offset < len(all) {
		out.Items = all[offset:min(len(all), offset+limit)]
	}
	if err := s.attachTriage(r.Context(), out.Items); err != nil {
		s.log.Warn("queue: triage state unavailable", "err", err)
	}
	writeJSON(w, http.StatusOK, out)
}

// groupPosts groups posts (newest first) into clusters, newest cluster first.
func groupPosts(posts []*post.Post) []Cluster {
	texts := make([]string, len(posts))
	for i, p := range posts {
		texts[i] = p.Title + "\n" + p.Text
	}
	group := dedup.Group(texts)
	index := map[int]int{} // root -> index into out
	var out []Cluster
	for i, p := range posts {
		root := group[i]
		k, ok := index[root]
		if !ok {
			k = len(out)
			index[root] = k
			out = append(out, Cluster{ID: p.ID, Post: p, LastSeen: p.PublishedAt, FirstSeen: p.PublishedAt, Sources: []string{}})
		}
		c := &out[k]
		c.Count++
		if p.PublishedAt.Before(c.FirstSeen) {
			c.FirstSeen = p.PublishedAt
		}
		if len(c.Members) < 20 {
			c.Members = append(c.Members, ClusterMember{ID: p.ID, PublishedAt: p.PublishedAt, Source: p.Source})
		}
		if !contains(c.Sources, p.Source) && len(c.Sources) < 20 {
			c.Sources = append(c.Sources, p.Source)
		}
	}
	return out
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// attachTriage sets each cluster's latest decision on any of its listed members.
func (s *Server) attachTriage(ctx context.Context, items []Cluster) error {
	if s.wb.triage == nil {
		return nil
	}
	var ids []string
	for _, c := range items {
		for _, m := range c.Members {
			ids = append(ids, m.ID)
		}
	}
	latest, err := s.wb.triage.Latest(ctx, ids)
	if err != nil {
		return err
	}
	for i := range items {
		for _, m := range items[i].Members {
			if rec, ok := latest[m.ID]; ok && (items[i].Triage == nil || rec.At.After(items[i].Triage.At)) {
				rec := rec
				items[i].Triage = &rec
			}
		}
	}
	return nil
}

func parseIntParam(s string, def, lo, hi int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, errors.New("out of range")
	}
	return n, nil
}

// triageRequest is the body of POST /api/triage. ids lets one decision cover a whole
// cluster (at most 200 posts).
type triageRequest struct {
	IDs    []string `json:"ids"`
	Action string   `json:"action"`
	Note   string   `json:"note"`
}

// triageAction answers POST /api/triage (analysts and admins; CSRF-checked by Auth):
// records the action on each post and returns the records with their previous state.
func (s *Server) triageAction(w http.ResponseWriter, r *http.Request) {
	if roleOf(r) < RoleAnalyst {
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "cần vai trò analyst để phân loại / triage needs the analyst role"})
		return
	}
	var req triageRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, errors.New("JSON {ids, action, note}: "+err.Error()))
		return
	}
	if len(req.IDs) == 0 || len(req.IDs) > 200 || !triage.ValidAction(req.Action) {
		writeError(w, http.StatusBadRequest, errors.New("cần 1-200 ids và action reviewed, false_positive hoặc escalate / want 1-200 ids and action reviewed, false_positive or escalate"))
		return
	}
	for _, id := range req.IDs {
		if _, err := s.st.Get(r.Context(), id); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				writeJSON(w, http.StatusNotFound, map[string]string{"error": "không có bài này / no such post", "id": id})
				return
			}
			s.storeError(w, err)
			return
		}
	}
	p, _ := PrincipalFrom(r.Context())
	out := []triage.Record{}
	for _, id := range req.IDs {
		rec := &triage.Record{PostID: id, Action: req.Action, Note: req.Note, User: p.Name, Role: p.Role.String(), At: s.now().UTC()}
		if err := s.wb.triage.Record(r.Context(), rec); err != nil {
			s.log.Error("triage record", "err", err)
			writeError(w, http.StatusInternalServerError, err)
			return
		}
		s.log.Info("triage", "user", rec.User, "post", id, "action", rec.Action, "previous", rec.Previous)
		out = append(out, *rec)
	}
	writeJSON(w, http.StatusOK, map[string]any{"records": out})
}

// triageHistory answers GET /api/triage/{id}: every decision on the post, oldest first.
func (s *Server) triageHistory(w http.ResponseWriter, r *http.Request) {
	h, err := s.wb.triage.History(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	if h == nil {
		h = []triage.Record{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"records": h})
}

// triageExport answers GET /api/triage/export?task=toxicity|flagged (analysts and
// admins): the latest decision on each post as JSON Lines {"text", "label", ...} that
// `langnghe model train --data` reads (other fields are ignored there). task=toxicity
// (default): a false positive is "clean"; a reviewed or escalated post keeps its
// toxicity label when not clean (a confirmed example) and is left out otherwise.
// task=flagged: "flagged" for reviewed or escalated, "not_flagged" for false positives.
func (s *Server) triageExport(w http.ResponseWriter, r *http.Request) {
	if roleOf(r) < RoleAnalyst {
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "cần vai trò analyst để xuất dữ liệu / exporting needs the analyst role"})
		return
	}
	task := r.URL.Query().Get("task")
	if task == "" {
		task = "toxicity"
	}
	if task != "toxicity" && task != "flagged" {
		writeError(w, http.StatusBadRequest, paramError("task", task, "toxicity hoặc / or flagged"))
		return
	}
	latest := map[string]triage.Record{}
	var order []string
	err := s.wb.triage.All(r.Context(), func(rec triage.Record) error {
		if _, ok := latest[rec.PostID]; !ok {
			order = append(order, rec.PostID)
		}
		latest[rec.PostID] = rec
		return nil
	})
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="langnghe-triage-`+task+`-`+s.now().In(alerting.Zone).Format("20060102-1504")+`.jsonl"`)
	enc := json.NewEncoder(w)
	for _, id := range order {
		rec := latest[id]
		p, err := s.st.Get(r.Context(), id)
		if err != nil {
			continue // gone by retention: nothing to learn from
		}
		label := trainingLabel(task, rec.Action, p)
		if label == "" {
			continue
		}
		_ = enc.Encode(map[string]any{"text": p.Text, "label": label, "id": id, "action": rec.Action, "user": rec.User, "at": rec.At})
	}
}

func trainingLabel(task, action string, p *post.Post) string {
	if task == "flagged" {
		if action == triage.FalsePositive {
			return "not_flagged"
		}
		return "flagged"
	}
	if action == triage.FalsePositive {
		return "clean"
	}
	if p.Analysis != nil && p.Analysis.Toxicity.Label != "" && p.Analysis.Toxicity.Label != "clean" {
		return p.Analysis.Toxicity.Label
	}
	return ""
}
