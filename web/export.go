package web

// GET /api/export: the whole result set of a search (not a page), streamed as CSV or JSON
// Lines while the store is paged through with store.Scan. Analysts and admins only.

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/langnghe/langnghe/alerting"
	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
)

// DefaultExportMax is the most rows one export returns unless WithExportMax says otherwise.
const DefaultExportMax = 100000

// WithExportMax caps the rows of one export (0: DefaultExportMax). A larger result is cut
// there, and the response says so (X-Export-Truncated and a last line).
func WithExportMax(n int) Option {
	return func(s *Server) {
		if n > 0 {
			s.wb.exportMax = n
		}
	}
}

// exportRow is what an export carries of a post. It is built field by field so nothing
// about the author but the pseudonymous id can ever leave (post.Author may grow).
type exportRow struct {
	ID             string    `json:"id"`
	PublishedAt    time.Time `json:"published_at"`
	Platform       string    `json:"platform"`
	Source         string    `json:"source"`
	URL            string    `json:"url"`
	AuthorID       string    `json:"author_id"` // the keyed pseudonym
	Title          string    `json:"title"`
	Text           string    `json:"text"`
	Sentiment      string    `json:"sentiment"`
	SentimentScore float64   `json:"sentiment_score"`
	Toxicity       string    `json:"toxicity"`
	ToxicityScore  float64   `json:"toxicity_score"`
	Narratives     []string  `json:"narratives"`
	Flagged        bool      `json:"flagged"`
	Model          string    `json:"model"`
	Likes          int       `json:"likes"`
	Shares         int       `json:"shares"`
	Replies        int       `json:"replies"`
}

var exportColumns = []string{"id", "published_at", "platform", "source", "url", "author_id", "title", "text",
	"sentiment", "sentiment_score", "toxicity", "toxicity_score", "narratives", "flagged", "model", "likes", "shares", "replies"}

func rowOf(p *post.Post) exportRow {
	r := exportRow{ID: p.ID, PublishedAt: p.PublishedAt.UTC(), Platform: p.Platform, Source: p.Source, URL: p.URL,
		AuthorID: p.Author.ID, Title: p.Title, Text: p.Text, Narratives: []string{},
		Likes: p.Metrics.Likes, Shares: p.Metrics.Shares, Replies: p.Metrics.Replies}
	if a := p.Analysis; a != nil {
		r.Sentiment, r.SentimentScore = a.Sentiment.Label, a.Sentiment.Score
		r.Toxicity, r.ToxicityScore = a.Toxicity.Label, a.Toxicity.Score
		r.Flagged, r.Model = a.Flagged, a.Model
		for _, n := range a.Narratives {
			r.Narratives = append(r.Narratives, n.ID)
		}
	}
	return r
}

func (r exportRow) csv() []string {
	f := strconv.FormatFloat
	return []string{safeCell(r.ID), r.PublishedAt.Format(time.RFC3339), safeCell(r.Platform), safeCell(r.Source), safeCell(r.URL),
		safeCell(r.AuthorID), safeCell(r.Title), safeCell(r.Text), safeCell(r.Sentiment), f(r.SentimentScore, 'f', -1, 64),
		safeCell(r.Toxicity), f(r.ToxicityScore, 'f', -1, 64), safeCell(strings.Join(r.Narratives, ";")), strconv.FormatBool(r.Flagged),
		safeCell(r.Model), strconv.Itoa(r.Likes), strconv.Itoa(r.Shares), strconv.Itoa(r.Replies)}
}

// safeCell defuses spreadsheet formulas in crawled text: a cell starting with = + - @
// (or a tab or carriage return, which some spreadsheets skip before reading one) gets a
// leading apostrophe, so Excel, LibreOffice and Sheets show it as text instead of running
// it (OWASP "CSV injection"). Only text cells: the numbers are ours.
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// export answers GET /api/export?format=csv|jsonl with the /api/search parameters.
// Headers say how many posts match (X-Export-Total), the cap (X-Export-Max) and whether
// the export is cut at the cap (X-Export-Truncated), so the page can show progress and
// warn; a cut or a failure mid-stream also ends the body with a line that says so (a
// "#" row in CSV, an object with "_end" in JSON Lines). The order is newest first.
func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	if roleOf(r) < RoleAnalyst {
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "cần vai trò analyst để xuất dữ liệu / exporting needs the analyst role"})
		return
	}
	v := r.URL.Query()
	format := v.Get("format")
	if format == "" {
		format = "csv"
	}
	if format != "csv" && format != "jsonl" {
		writeError(w, http.StatusBadRequest, paramError("format", format, "csv hoặc / or jsonl"))
		return
	}
	for _, k := range []string{"offset", "limit", "sort", "aggs", "top", "interval", "format"} {
		v.Del(k)
	}
	q, err := ParseQuery(v, s.now())
	if err != nil {
		writeQueryError(w, err)
		return
	}
	count := q
	count.Limit, count.Interval = 1, -1
	res, err := s.st.Search(r.Context(), count)
	if err != nil {
		s.storeError(w, err)
		return
	}
	max := s.wb.exportMax
	if max == 0 {
		max = DefaultExportMax
	}
	truncated := res.Total > max
	name := "langnghe-" + s.now().In(alerting.Zone).Format("20060102-1504") + "." + format
	h := w.Header()
	if format == "csv" {
		h.Set("Content-Type", "text/csv; charset=utf-8")
	} else {
		h.Set("Content-Type", "application/x-ndjson; charset=utf-8")
	}
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Export-Total", strconv.Itoa(res.Total))
	h.Set("X-Export-Max", strconv.Itoa(max))
	h.Set("X-Export-Truncated", strconv.FormatBool(truncated))
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(exportStall))
	_ = rc.Flush() // the page learns the total at once
	out := newExportWriter(w, format)
	n := 0
	err = store.Scan(r.Context(), s.st, q, func(p *post.Post) error {
		if n == max {
			truncated = true
			return store.ErrStop
		}
		if err := out.row(rowOf(p)); err != nil {
			return err
		}
		n++
		if n%500 == 0 {
			out.flush()
			// Rows reach the browser as they are read (the page counts them), and each
			// flush extends the listener's write timeout: a long export that is making
			// progress is not cut off.
			_ = rc.SetWriteDeadline(time.Now().Add(exportStall))
			_ = rc.Flush()
		}
		return nil
	})
	switch {
	case err != nil && r.Context().Err() != nil:
		s.log.Info("export abandoned by the client", "rows", n)
		return
	case err != nil:
		s.log.Error("export failed", "rows", n, "err", err)
		out.end(n, fmt.Sprintf("lỗi sau %d dòng, tệp không đầy đủ / failed after %d rows, the file is incomplete: %v", n, n, err))
	case truncated:
		out.end(n, fmt.Sprintf("cắt ở %d dòng trên %d bài khớp; hãy thu hẹp truy vấn / cut at %d rows of %d matching posts; narrow the query", max, res.Total, max, res.Total))
	}
	out.flush()
	user, _ := PrincipalFrom(r.Context())
	s.log.Info("export", "user", user.Name, "format", format, "rows", n, "truncated", truncated, "q", q.Text)
}

// exportWriter writes rows in one format.
type exportWriter struct {
	c   *csv.Writer
	j   *json.Encoder
	buf *bufWriter
}

// bufWriter is the http.ResponseWriter with errors kept, so a gone client stops the scan.
type bufWriter struct {
	w   http.ResponseWriter
	err error
}

func (b *bufWriter) Write(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.w.Write(p)
	b.err = err
	return n, err
}

func newExportWriter(w http.ResponseWriter, format string) *exportWriter {
	bw := &bufWriter{w: w}
	if format == "csv" {
		c := csv.NewWriter(bw)
		_ = c.Write(exportColumns)
		return &exportWriter{c: c, buf: bw}
	}
	j := json.NewEncoder(bw)
	j.SetEscapeHTML(true)
	return &exportWriter{j: j, buf: bw}
}

func (e *exportWriter) row(r exportRow) error {
	if e.c != nil {
		if err := e.c.Write(r.csv()); err != nil {
			return err
		}
		return e.buf.err
	}
	return e.j.Encode(r)
}

// end writes the closing line of a cut or failed export.
func (e *exportWriter) end(rows int, msg string) {
	if e.c != nil {
		_ = e.c.Write([]string{"# " + msg})
		return
	}
	_ = e.j.Encode(map[string]any{"_end": map[string]any{"complete": false, "rows": rows, "message": msg}})
}

func (e *exportWriter) flush() {
	if e.c != nil {
		e.c.Flush()
	}
}

// exportStall is how long an export may go without flushing rows before the
// listener's write deadline cuts it off.
const exportStall = time.Minute
