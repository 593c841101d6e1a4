// Package web serves the JSON API, the analyst UI, /metrics and the health endpoints.
// Crawled text is hostile: the API returns it as JSON strings and the UI inserts it with
// textContent only, under a Content-Security-Policy that forbids inline scripts.
package web

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/langnghe/langnghe/internal/duration"
	"github.com/langnghe/langnghe/store"
	"github.com/langnghe/langnghe/store/query"
)

//go:embed ui
var uiFiles embed.FS

// Check is one readiness check; Fn returns nil when the dependency is usable. A Soft
// check's failure is listed (degraded) but leaves the process ready: the part it covers is
// broken while the rest still works (one crawl source among many).
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
	Soft bool
}

// Server is the HTTP front of a process.
type Server struct {
	st       store.Store
	reg      *prometheus.Registry
	checks   []Check
	log      *slog.Logger
	requests *prometheus.CounterVec
	now      func() time.Time
	alerts   AlertSource  // nil: no /api/alerts (see alerts.go)
	sources  SourceLister // nil: no /api/sources (see sources.go)
	wb       workbench    // posts.go: post page, facets, labels

	// Expensive requests (search, stats) hold one of slots; a full pool answers 503 at
	// once instead of queueing work the clients may have given up on.
	slots         chan struct{}
	searchTimeout time.Duration
	rejected      *prometheus.CounterVec
	panics        *prometheus.CounterVec
}

// DefaultSearchTimeout bounds one search on the server side (WithSearchTimeout).
const DefaultSearchTimeout = 10 * time.Second

// DefaultMaxExpensive is the default number of concurrent expensive requests: twice the
// usable CPUs, at least 4.
func DefaultMaxExpensive() int { return max(4, 2*runtime.GOMAXPROCS(0)) }

// Option configures a Server.
type Option func(*Server)

// WithRegistry exposes reg on /metrics and registers the server's own metrics on it.
func WithRegistry(reg *prometheus.Registry) Option { return func(s *Server) { s.reg = reg } }

// WithChecks sets the readiness checks of /readyz.
func WithChecks(c ...Check) Option { return func(s *Server) { s.checks = c } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithClock sets the clock used for relative time ranges (tests).
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithSearchTimeout bounds each search and stats request on the server side; past it the
// store's work is cancelled and the client gets 504. 0 keeps DefaultSearchTimeout.
func WithSearchTimeout(d time.Duration) Option {
	return func(s *Server) {
		if d > 0 {
			s.searchTimeout = d
		}
	}
}

// WithMaxExpensive sets how many expensive requests (/api/search, /api/stats, and any
// export) run at once; more are answered 503 with Retry-After. 0 keeps DefaultMaxExpensive.
func WithMaxExpensive(n int) Option {
	return func(s *Server) {
		if n > 0 {
			s.slots = make(chan struct{}, n)
		}
	}
}

// New returns a server over st; st may be nil for roles without a store (then only
// /metrics and health are served).
func New(st store.Store, opts ...Option) *Server {
	s := &Server{st: st, log: slog.New(slog.DiscardHandler), now: time.Now, searchTimeout: DefaultSearchTimeout}
	for _, o := range opts {
		o(s)
	}
	if s.reg == nil {
		s.reg = prometheus.NewRegistry()
	}
	if s.slots == nil {
		s.slots = make(chan struct{}, DefaultMaxExpensive())
	}
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "langnghe_http_requests_total",
		Help: "HTTP requests by handler and status code (499: the client went away first).",
	}, []string{"handler", "code"})
	s.rejected = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "langnghe_http_rejected_total",
		Help: "Expensive requests answered 503 at once because every slot was busy.",
	}, []string{"handler"})
	s.panics = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "langnghe_http_panics_total",
		Help: "Handler panics recovered into a 500.",
	}, []string{"handler"})
	s.reg.MustRegister(s.requests, s.rejected, s.panics)
	return s
}

// Handler returns the routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{Registry: s.reg}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", s.instrument("readyz", s.readyz))
	if s.alerts != nil {
		s.alertRoutes(mux) // alerts.go: GET /api/alerts and the /alerts page
	}
	if s.sources != nil {
		mux.HandleFunc("GET /api/sources", s.instrument("sources", s.sourceList))
	}
	if s.st != nil {
		mux.HandleFunc("GET /api/search", s.instrument("search", s.expensive("search", s.search)))
		mux.HandleFunc("GET /api/stats", s.instrument("stats", s.expensive("stats", s.stats)))
		s.workbenchRoutes(mux) // posts.go
		sub, _ := fs.Sub(uiFiles, "ui")
		mux.Handle("GET /", http.FileServerFS(sub))
	}
	return secureHeaders(s.recoverer("other", mux))
}

// expensive runs h in one of the server's slots, or answers 503 with Retry-After at once
// when all are taken: a queue would keep the work of clients that already gave up.
func (s *Server) expensive(name string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case s.slots <- struct{}{}:
			defer func() { <-s.slots }()
			h(w, r)
		default:
			s.rejected.WithLabelValues(name).Inc()
			w.Header().Set("Retry-After", "1")
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{
				"error": "máy chủ đang bận, thử lại sau giây lát / server busy: too many searches at once, retry shortly"})
		}
	}
}

// recoverer turns a panic in h into a logged, counted 500, so one bad request neither
// drops the connection silently nor escapes the metrics. http.ErrAbortHandler keeps its
// meaning (abort the response).
func (s *Server) recoverer(name string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			rec := recover()
			if rec == nil {
				return
			}
			if rec == http.ErrAbortHandler {
				panic(rec)
			}
			s.panics.WithLabelValues(name).Inc()
			// Values go through slog, which quotes them: a hostile path or panic message
			// cannot forge log lines.
			s.log.Error("handler panic / lỗi nghiêm trọng trong xử lý", "handler", name, "method", r.Method,
				"path", r.URL.Path, "panic", fmt.Sprint(rec), "stack", string(debug.Stack()))
			if rw, ok := w.(*statusRecorder); !ok || !rw.wrote {
				writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "lỗi máy chủ / internal server error"})
			} else {
				rw.code = http.StatusInternalServerError
			}
		}()
		h.ServeHTTP(w, r)
	})
}

func secureHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
		w.Header().Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.code, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (per-request deadlines).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// statusClientGone is recorded (never sent) when the client left before the answer.
const statusClientGone = 499

func (s *Server) instrument(name string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		defer func() { s.requests.WithLabelValues(name, strconv.Itoa(rec.code)).Inc() }()
		s.recoverer(name, h).ServeHTTP(rec, r)
	}
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	type result struct {
		Name     string `json:"name"`
		OK       bool   `json:"ok"`
		Degraded bool   `json:"degraded,omitempty"`
		Error    string `json:"error,omitempty"`
	}
	out := struct {
		Ready    bool     `json:"ready"`
		Degraded bool     `json:"degraded,omitempty"`
		Checks   []result `json:"checks"`
	}{Ready: true}
	for _, c := range s.checks {
		res := result{Name: c.Name, OK: true}
		if err := c.Fn(ctx); err != nil {
			res.OK, res.Error = false, err.Error()
			if c.Soft {
				res.Degraded, out.Degraded = true, true
			} else {
				out.Ready = false
			}
		}
		out.Checks = append(out.Checks, res)
	}
	code := http.StatusOK
	if !out.Ready {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, out)
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	if res, ok := s.runSearch(w, r, r.URL.Query()); ok {
		writeJSON(w, http.StatusOK, res)
	}
}

// runSearch parses the search parameters v and searches the store. On a bad query or a
// store failure it has already answered and reports false.
func (s *Server) runSearch(w http.ResponseWriter, r *http.Request, v url.Values) (*store.Result, bool) {
	q, err := ParseQuery(v, s.now())
	if err != nil {
		writeQueryError(w, err)
		return nil, false
	}
	// The request's context ends when the client goes away; the deadline bounds a search
	// nobody waits for too. Both stores stop their work when ctx ends.
	ctx, cancel := context.WithTimeout(r.Context(), s.searchTimeout)
	defer cancel()
	res, err := s.st.Search(ctx, q)
	if err != nil {
		s.searchError(w, r, ctx, err)
		return nil, false
	}
	return res, true
}

// searchError answers a failed search: the client gone (nothing sent, recorded as 499),
// the server-side deadline passed (504), or the store's error.
func (s *Server) searchError(w http.ResponseWriter, r *http.Request, ctx context.Context, err error) {
	switch {
	case r.Context().Err() != nil:
		if rec, ok := w.(*statusRecorder); ok {
			rec.code = statusClientGone
		}
		s.log.Debug("search abandoned by the client", "err", err)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		s.log.Warn("search passed its deadline", "timeout", s.searchTimeout.String(), "q", r.URL.Query().Get("q"))
		writeJSON(w, http.StatusGatewayTimeout, map[string]string{
			"error": "tìm kiếm quá " + s.searchTimeout.String() + ", hãy thu hẹp truy vấn / search took longer than " + s.searchTimeout.String() + "; narrow the query"})
	default:
		s.storeError(w, err)
	}
}

// stats answers GET /api/stats: the same parameters as /api/search, and the aggregations
// (time buckets, top narratives, sentiment split, top sources, top terms, unique authors)
// over every matching post, without hits.
func (s *Server) stats(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	v.Set("aggs", "true")
	v.Set("limit", "1") // the store pages at least one hit; it is dropped below
	v.Del("offset")
	res, ok := s.runSearch(w, r, v)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Total    int            `json:"total"`
		Buckets  []store.Bucket `json:"buckets"`
		Interval string         `json:"interval,omitempty"`
		*store.Aggs
	}{res.Total, res.Buckets, res.Interval, res.Aggs})
}

func (s *Server) storeError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, store.ErrBadQuery):
		writeQueryError(w, err)
	case errors.Is(err, store.ErrUnavailable):
		writeError(w, http.StatusServiceUnavailable, err)
	default:
		s.log.Error("search failed", "err", err)
		writeError(w, http.StatusInternalServerError, err)
	}
}

// writeQueryError answers 400; a query-language syntax error also gives its byte
// position in the q parameter, so the UI can point at it.
func writeQueryError(w http.ResponseWriter, err error) {
	body := map[string]any{"error": err.Error()}
	var se *query.SyntaxError
	if errors.As(err, &se) {
		body["param"] = "q"
		body["position"] = se.Pos
		body["message"] = se.Msg
	}
	writeJSON(w, http.StatusBadRequest, body)
}

// ParseQuery turns URL parameters into a store.Query. q is an analyst query (see
// store/query: words, "phrases", -exclusions, OR, parentheses, field filters, from:/to:,
// +exact); its relative times count back from now. Lists may repeat a parameter or
// separate values by commas. from/to accept RFC 3339, a date (2026-11-20) or a relative
// duration back from now ("24h", "7d"). aggs=true adds the aggregations, top=N sizes
// their top lists.
func ParseQuery(v url.Values, now time.Time) (store.Query, error) {
	q := store.Query{
		Text:       v.Get("q"),
		Platforms:  list(v, "platform"),
		Sources:    list(v, "source"),
		Sentiments: list(v, "sentiment"),
		Toxicities: list(v, "toxicity"),
		Narratives: list(v, "narrative"),
		IDs:        list(v, "ids"),
		Sort:       store.Sort(v.Get("sort")),
		Now:        now,
	}
	var err error
	if f := v.Get("flagged"); f != "" {
		b, perr := strconv.ParseBool(f)
		if perr != nil {
			return q, paramError("flagged", f, "true hoặc false / true or false")
		}
		q.Flagged = &b
	}
	if a := v.Get("aggs"); a != "" {
		if q.Aggs, err = strconv.ParseBool(a); err != nil {
			return q, paramError("aggs", a, "true hoặc false / true or false")
		}
	}
	if q.From, err = parseTime(v.Get("from"), now); err != nil {
		return q, paramError("from", v.Get("from"), err.Error())
	}
	if q.To, err = parseTime(v.Get("to"), now); err != nil {
		return q, paramError("to", v.Get("to"), err.Error())
	}
	for _, p := range intParams(&q) {
		if s := v.Get(p.name); s != "" {
			n, perr := strconv.Atoi(s)
			if perr != nil || n < 0 || n > p.max {
				return q, paramError(p.name, s, fmt.Sprintf("số nguyên 0..%d / an integer 0..%d", p.max, p.max))
			}
			*p.dst = n
		}
	}
	switch iv := v.Get("interval"); iv {
	case "", "auto":
	case "none":
		q.Interval = -1
	default:
		d, perr := duration.Parse(iv)
		if perr != nil || d < time.Minute {
			return q, paramError("interval", iv, "khoảng ≥ 1m như 1h, 1d / a duration of at least 1m such as 1h, 1d")
		}
		q.Interval = d
	}
	return q.Normalized()
}

// intParam is a numeric URL parameter and its accepted range; values outside (negative,
// too large, past int64) are a 400 naming the parameter before any arithmetic on them.
type intParam struct {
	name string
	dst  *int
	max  int
}

// IntParams names the numeric parameters of /api/search and /api/stats (tests iterate them).
func IntParams() []string {
	var out []string
	for _, p := range intParams(&store.Query{}) {
		out = append(out, p.name)
	}
	return out
}

func intParams(q *store.Query) []intParam {
	return []intParam{
		{"offset", &q.Offset, store.MaxWindow},
		{"limit", &q.Limit, store.MaxWindow}, // the store caps it at store.MaxLimit
		{"top", &q.TopN, store.MaxTopN},
	}
}

func paramError(name, val, want string) error {
	return fmt.Errorf("%w: tham số / parameter %s=%q: cần / want %s", store.ErrBadQuery, name, val, want)
}

func list(v url.Values, key string) []string {
	var out []string
	for _, s := range v[key] {
		for _, item := range strings.Split(s, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}

func parseTime(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	at, ago, err := query.ParseTime(s)
	if err != nil {
		return time.Time{}, err
	}
	if ago > 0 {
		at = now.Add(-ago)
		if !query.InRange(at) {
			return time.Time{}, query.ErrTimeRange
		}
	}
	return at, nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, code int, err error) {
	writeJSON(w, code, map[string]string{"error": err.Error()})
}
