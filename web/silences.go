package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/langnghe/langnghe/alerting"
	"github.com/langnghe/langnghe/internal/duration"
)

// SilenceManager keeps the run-time silences (alerting.SilenceFile); the alert engine
// reads the same store, so a silence created here mutes its rule there.
type SilenceManager interface {
	List(ctx context.Context) ([]*alerting.Silence, error)
	Add(ctx context.Context, s *alerting.Silence, who string) (*alerting.Silence, error)
	Remove(ctx context.Context, id string) error
}

// WithSilences serves GET/POST /api/silences, DELETE /api/silences/{id} and the silences
// section of /alerts. ruleIDs, when not nil, lists the rules a silence may name (unknown
// ids are refused and the form offers them).
func WithSilences(m SilenceManager, ruleIDs func() []string) Option {
	return func(s *Server) { s.silences, s.ruleIDs = m, ruleIDs }
}

// maxSilence bounds how long one silence may last: a forgotten silence must not mute a
// rule for good.
const maxSilence = 90 * 24 * time.Hour

func (s *Server) silenceRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/silences", s.instrument("silences", s.silenceList))
	mux.HandleFunc("POST /api/silences", s.instrument("silence_add", s.silenceAdd))
	mux.HandleFunc("DELETE /api/silences/{id}", s.instrument("silence_remove", s.silenceRemove))
	// HTML forms cannot send DELETE: the page's remove button posts here.
	mux.HandleFunc("POST /api/silences/{id}/delete", s.instrument("silence_remove", s.silenceRemove))
}

// fromForm reports whether r was sent by the page's form (then the answer is the page).
func fromForm(r *http.Request) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return ct == "application/x-www-form-urlencoded" || ct == "multipart/form-data"
}

func (s *Server) silenceList(w http.ResponseWriter, r *http.Request) {
	list, err := s.silences.List(r.Context())
	if err != nil {
		s.log.Warn("silences", "err", err)
	}
	if list == nil {
		list = []*alerting.Silence{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"silences": list})
}

// silenceRequest is the body of POST /api/silences: a rule id and/or a query, and until
// as a duration from now ("2h", "3d") or a time (RFC 3339, or "2026-12-01T18:00" read in
// Asia/Ho_Chi_Minh, as the page's datetime-local field sends it). For is a duration too.
type silenceRequest struct {
	Rule    string `json:"rule"`
	Query   string `json:"query"`
	Until   string `json:"until"`
	For     string `json:"for"`
	Comment string `json:"comment"`
}

// silenceFailure answers a refused silence request: the alerts page with the reason for
// the page's plain forms, a JSON error for API clients.
func (s *Server) silenceFailure(w http.ResponseWriter, r *http.Request, form bool) func(code int, err error) {
	return func(code int, err error) {
		if form {
			s.renderAlertPage(w, r, code, err.Error())
			return
		}
		writeError(w, code, err)
	}
}

func (s *Server) silenceAdd(w http.ResponseWriter, r *http.Request) {
	form := fromForm(r)
	fail := s.silenceFailure(w, r, form)
	if roleOf(r) < RoleAdmin {
		fail(http.StatusForbidden, errors.New("chỉ quản trị viên được tắt cảnh báo / only admins may silence alerts"))
		return
	}
	var req silenceRequest
	if form {
		if err := r.ParseForm(); err != nil {
			fail(http.StatusBadRequest, err)
			return
		}
		req = silenceRequest{Rule: r.PostForm.Get("rule"), Query: r.PostForm.Get("query"), Until: r.PostForm.Get("until"), For: r.PostForm.Get("for"), Comment: r.PostForm.Get("comment")}
	} else {
		dec := json.NewDecoder(io.LimitReader(r.Body, 16<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			fail(http.StatusBadRequest, fmt.Errorf("JSON không hợp lệ / invalid JSON: %w", err))
			return
		}
	}
	now := s.now()
	until, err := silenceUntil(req, now)
	if err != nil {
		fail(http.StatusBadRequest, err)
		return
	}
	var known func(string) bool
	if s.ruleIDs != nil {
		ids := s.ruleIDs()
		known = func(id string) bool {
			for _, x := range ids {
				if x == id {
					return true
				}
			}
			return false
		}
	}
	sil, err := alerting.NewSilence(req.Rule, req.Query, until, now, req.Comment, known)
	if err != nil {
		fail(http.StatusBadRequest, err)
		return
	}
	p, _ := PrincipalFrom(r.Context())
	added, err := s.silences.Add(r.Context(), sil, p.Name)
	if err != nil {
		s.log.Error("silence add", "err", err)
		fail(http.StatusInternalServerError, errors.New("không lưu được lệnh tắt / the silence could not be saved"))
		return
	}
	s.log.Info("alert silence created", "id", added.ID, "rule", added.Rule, "until", added.Until, "user", p.Name)
	if form {
		http.Redirect(w, r, "/alerts#silences", http.StatusSeeOther)
		return
	}
	writeJSON(w, http.StatusCreated, added)
}

// silenceUntil reads when a silence ends: For or Until as a duration from now, else
// Until as a time (RFC 3339, or a datetime-local value in Asia/Ho_Chi_Minh).
func silenceUntil(req silenceRequest, now time.Time) (time.Time, error) {
	var until time.Time
	spec := strings.TrimSpace(req.For)
	if spec == "" {
		spec = strings.TrimSpace(req.Until)
	}
	if spec == "" {
		return until, errors.New("cần thời hạn (for hoặc until) / a duration or end time is required (for or until)")
	}
	if d, err := duration.Parse(spec); err == nil {
		if d <= 0 {
			return until, errors.New("thời hạn phải dương / the duration must be positive")
		}
		until = now.Add(d)
	} else if t, err := time.Parse(time.RFC3339, spec); err == nil {
		until = t
	} else if t, err := parseLocalMinute(spec); err == nil {
		until = t
	} else {
		return until, paramError("until", spec, "thời lượng (2h, 3d) hoặc thời điểm (2026-12-01T18:00 giờ VN, RFC 3339) / a duration (2h, 3d) or a time (2026-12-01T18:00 Vietnam time, RFC 3339)")
	}
	if !until.After(now) {
		return until, errors.New("thời điểm hết hạn đã qua / the end time is in the past")
	}
	if until.Sub(now) > maxSilence {
		return until, errors.New("tối đa 90 ngày / at most 90 days")
	}
	return until, nil
}

// parseLocalMinute reads a datetime-local value (minutes or seconds) in Asia/Ho_Chi_Minh.
func parseLocalMinute(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, alerting.Zone); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a local time: %q", s)
}

func (s *Server) silenceRemove(w http.ResponseWriter, r *http.Request) {
	form := fromForm(r) || r.Method == http.MethodPost
	fail := s.silenceFailure(w, r, form)
	if roleOf(r) < RoleAdmin {
		fail(http.StatusForbidden, errors.New("chỉ quản trị viên được bỏ lệnh tắt / only admins may remove silences"))
		return
	}
	id := r.PathValue("id")
	err := s.silences.Remove(r.Context(), id)
	switch {
	case errors.Is(err, alerting.ErrNoSilence):
		fail(http.StatusNotFound, err)
		return
	case err != nil:
		s.log.Error("silence remove", "err", err)
		fail(http.StatusInternalServerError, errors.New("không xoá được lệnh tắt / the silence could not be removed"))
		return
	}
	p, _ := PrincipalFrom(r.Context())
	s.log.Info("alert silence removed", "id", id, "user", p.Name)
	if form {
		http.Redirect(w, r, "/alerts#silences", http.StatusSeeOther)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
