package web

import (
	"net/http"

	"github.com/langnghe/langnghe/sourcestatus"
)

// SourceLister reports the health line of every crawl source (the crawler's Runner
// implements it). GET /api/sources calls Status once per request, concurrently with
// crawling; it must be fast and safe for concurrent use.
type SourceLister interface {
	Status() []sourcestatus.Status
}

// WithSources serves the crawl sources' health on GET /api/sources.
func WithSources(l SourceLister) Option { return func(s *Server) { s.sources = l } }

// sourcesResponse is the body of GET /api/sources: every source with its state ("ok",
// "error", "pending"), last success, last error (kind and message: the message may quote
// a remote server, so clients must escape it), posts and cursor lag, plus a count of
// broken sources so an analyst sees at once that something is wrong.
type sourcesResponse struct {
	Total   int                   `json:"total"`
	Broken  int                   `json:"broken"`
	Sources []sourcestatus.Status `json:"sources"`
}

// SourcesHandler answers GET /api/sources from l; exported so a process can mount it in
// front of a Server built without WithSources.
func SourcesHandler(l SourceLister) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		list := l.Status()
		out := sourcesResponse{Total: len(list), Sources: list}
		if out.Sources == nil {
			out.Sources = []sourcestatus.Status{}
		}
		for _, s := range list {
			if s.State == "error" {
				out.Broken++
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, out)
	}
}

func (s *Server) sourceList(w http.ResponseWriter, r *http.Request) {
	SourcesHandler(s.sources)(w, r)
}

// MountSources serves GET /api/sources from l in front of next (which keeps every other
// route), with the same security headers as Server.Handler.
func MountSources(next http.Handler, l SourceLister) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /api/sources", secureHeaders(SourcesHandler(l)))
	mux.Handle("/", next)
	return mux
}
