package web

// The analyst workbench's own routes: the post page and its API, facet counts, the label
// names the pages show, and the static pages (search, post, sources). Crawled text leaves
// here only as JSON strings; the pages insert it with textContent.

import (
	"errors"
	"io/fs"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
	"github.com/langnghe/langnghe/triage"
)

// NarrativeLabel names a narrative for the UI (from classifier.Narratives).
type NarrativeLabel struct {
	ID       string `json:"id"`
	NameVI   string `json:"name_vi"`
	NameEN   string `json:"name_en"`
	Severity string `json:"severity,omitempty"`
}

// WithNarratives gives the UI the narratives' Vietnamese and English names; without it
// the pages show narrative ids.
func WithNarratives(n []NarrativeLabel) Option {
	return func(s *Server) { s.wb.narratives = n }
}

// workbench is the state of the routes in this file.
type workbench struct {
	narratives []NarrativeLabel
	platformOf sync.Map     // source name -> platform; a source crawls one platform
	exportMax  int          // export.go; 0: DefaultExportMax
	triage     triage.Store // queue.go; nil: no triage
}

func (s *Server) workbenchRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/posts/{id}", s.instrument("post", s.postAPI))
	mux.HandleFunc("GET /api/facets", s.instrument("facets", s.facets))
	mux.HandleFunc("GET /api/labels", s.instrument("labels", s.labels))
	mux.HandleFunc("GET /api/export", s.instrument("export", s.expensive("export", s.export)))
	s.queueRoutes(mux)    // queue.go
	s.overviewRoutes(mux) // overview.go
	mux.HandleFunc("GET /posts/{id}", s.instrument("post_page", servePage("post.html")))
	mux.HandleFunc("GET /sources", s.instrument("sources_page", servePage("sources.html")))
}

// servePage serves one embedded page whatever the path below it (the page reads its
// parameters from location).
func servePage(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, err := fs.ReadFile(uiFiles, "ui/"+name)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(b)
	}
}

// EvidenceExplained is one highlighted term of a post with what it counts for.
type EvidenceExplained struct {
	Start int    `json:"start"` // byte offsets into post.text
	End   int    `json:"end"`
	Term  string `json:"term"`
	// For is the label or narrative id; Kind says which ("narrative", "sentiment",
	// "toxicity"); NameVI/NameEN name it for people.
	For    string `json:"for"`
	Kind   string `json:"kind"`
	NameVI string `json:"name_vi"`
	NameEN string `json:"name_en"`
	// Score is the score of the label or narrative the term supports in this post (the
	// classifier records no per-term weight in the post).
	Score float64 `json:"score"`
	// Weight is what this term contributed (post.Evidence.Weight); absent for posts
	// classified before the models recorded it.
	Weight float64 `json:"weight,omitempty"`
	Model  string  `json:"model"`
}

type postResponse struct {
	Post     *post.Post          `json:"post"`
	Evidence []EvidenceExplained `json:"evidence"`
	// Link and ThreadLink are the post's public and thread URLs when they are http(s),
	// else empty: pages link only these.
	Link       string `json:"link,omitempty"`
	ThreadLink string `json:"thread_link,omitempty"`
}

// postAPI answers GET /api/posts/{id}.
func (s *Server) postAPI(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	p, err := s.st.Get(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "không có bài này / no such post", "id": id})
		return
	}
	if err != nil {
		s.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, postResponse{Post: p, Evidence: s.explain(p), Link: httpLink(p.URL), ThreadLink: httpLink(p.ThreadURL)})
}

// httpLink returns u if it is an absolute http(s) URL, else "" (javascript:, data: and
// relative links from crawled pages are never linked).
func httpLink(u string) string {
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		return ""
	}
	return pu.String()
}

func (s *Server) explain(p *post.Post) []EvidenceExplained {
	out := []EvidenceExplained{}
	a := p.Analysis
	if a == nil {
		return out
	}
	for _, e := range a.Evidence {
		if e.Start < 0 || e.End > len(p.Text) || e.End <= e.Start {
			continue
		}
		x := EvidenceExplained{Start: e.Start, End: e.End, Term: p.Text[e.Start:e.End], For: e.For, Weight: e.Weight, Model: a.Model}
		if e.Term != "" {
			x.Term = e.Term
		}
		switch e.For {
		case "sentiment":
			x.Kind, x.Score = "sentiment", a.Sentiment.Score
			x.NameVI, x.NameEN = labelName("sentiment", a.Sentiment.Label)
		case "toxicity":
			x.Kind, x.Score = "toxicity", a.Toxicity.Score
			x.NameVI, x.NameEN = labelName("toxicity", a.Toxicity.Label)
		default:
			x.Kind = "narrative"
			x.NameVI, x.NameEN = s.narrativeName(e.For)
			for _, n := range a.Narratives {
				if n.ID == e.For {
					x.Score = n.Score
				}
			}
		}
		out = append(out, x)
	}
	return out
}

func (s *Server) narrativeName(id string) (vi, en string) {
	for _, n := range s.wb.narratives {
		if n.ID == id {
			return n.NameVI, n.NameEN
		}
	}
	return id, id
}

// Label names shown by the pages; /api/labels serves them with the narratives'.
var fixedLabels = map[string]map[string][2]string{
	"sentiment": {"negative": {"tiêu cực", "negative"}, "neutral": {"trung tính", "neutral"}, "positive": {"tích cực", "positive"}},
	"toxicity":  {"clean": {"sạch", "clean"}, "offensive": {"xúc phạm", "offensive"}, "hate": {"thù ghét", "hate"}},
	"platform": {"rss": {"báo, RSS", "news, RSS"}, "forum": {"diễn đàn", "forum"}, "xenforo": {"diễn đàn", "forum"},
		"mastodon": {"Mastodon", "Mastodon"}, "bluesky": {"Bluesky", "Bluesky"}, "html": {"trang web", "web page"},
		"news": {"báo", "news"}, "facebook": {"Facebook", "Facebook"}, "youtube": {"YouTube", "YouTube"}},
}

func labelName(kind, label string) (vi, en string) {
	if n, ok := fixedLabels[kind][label]; ok {
		return n[0], n[1]
	}
	return label, label
}

// labels answers GET /api/labels: {kind: {id: {vi, en}}} for narrative, sentiment,
// toxicity and platform.
func (s *Server) labels(w http.ResponseWriter, _ *http.Request) {
	type name struct {
		VI       string `json:"vi"`
		EN       string `json:"en"`
		Severity string `json:"severity,omitempty"`
	}
	out := map[string]map[string]name{"narrative": {}}
	for kind, m := range fixedLabels {
		out[kind] = map[string]name{}
		for id, n := range m {
			out[kind][id] = name{VI: n[0], EN: n[1]}
		}
	}
	for _, n := range s.wb.narratives {
		out["narrative"][n.ID] = name{VI: n.NameVI, EN: n.NameEN, Severity: n.Severity}
	}
	w.Header().Set("Cache-Control", "max-age=60")
	writeJSON(w, http.StatusOK, out)
}

// facetResponse is the body of GET /api/facets.
type facetResponse struct {
	Total      int               `json:"total"`
	Narratives []store.TermCount `json:"narratives"`
	Sentiments []store.TermCount `json:"sentiments"`
	Toxicities []store.TermCount `json:"toxicities"`
	Platforms  []store.TermCount `json:"platforms"`
	Sources    []store.TermCount `json:"sources"`
}

// facets answers GET /api/facets with the search parameters: counts per narrative,
// sentiment, toxicity, platform and source over every matching post. The stores count
// all but platforms; platform counts add up the source counts (top 100 sources), as each
// source crawls one platform, learnt once per source from one of its posts.
func (s *Server) facets(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	v.Set("aggs", "true")
	v.Set("limit", "1")
	v.Set("top", "100")
	v.Set("interval", "none")
	v.Del("offset")
	v.Del("sort")
	res, ok := s.runSearch(w, r, v)
	if !ok {
		return
	}
	out := facetResponse{Total: res.Total, Narratives: []store.TermCount{}, Sentiments: []store.TermCount{},
		Toxicities: []store.TermCount{}, Platforms: []store.TermCount{}, Sources: []store.TermCount{}}
	if res.Aggs != nil {
		out.Narratives, out.Sentiments, out.Toxicities = nonNil(res.Aggs.Narratives), nonNil(res.Aggs.Sentiments), nonNil(res.Aggs.Toxicities)
		out.Sources = nonNil(res.Aggs.Sources)
	}
	platforms := map[string]int{}
	for _, sc := range out.Sources {
		if p := s.platformOfSource(r, sc.Term); p != "" {
			platforms[p] += sc.Count
		}
	}
	for p, n := range platforms {
		out.Platforms = append(out.Platforms, store.TermCount{Term: p, Count: n})
	}
	sort.Slice(out.Platforms, func(i, j int) bool {
		a, b := out.Platforms[i], out.Platforms[j]
		return a.Count > b.Count || (a.Count == b.Count && a.Term < b.Term)
	})
	if len(out.Sources) > 20 {
		out.Sources = out.Sources[:20]
	}
	writeJSON(w, http.StatusOK, out)
}

func nonNil(l []store.TermCount) []store.TermCount {
	if l == nil {
		return []store.TermCount{}
	}
	return l
}

func (s *Server) platformOfSource(r *http.Request, source string) string {
	if p, ok := s.wb.platformOf.Load(source); ok {
		return p.(string)
	}
	q, err := store.Query{Sources: []string{source}, Limit: 1, Interval: -1, Now: s.now()}.Normalized()
	if err != nil {
		return ""
	}
	res, err := s.st.Search(r.Context(), q)
	if err != nil || len(res.Hits) == 0 || res.Hits[0].Post == nil {
		return ""
	}
	p := strings.ToLower(res.Hits[0].Post.Platform)
	s.wb.platformOf.Store(source, p)
	return p
}
