package web

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/langnghe/langnghe/alerting"
	"github.com/langnghe/langnghe/crawler"
)

type failingHistory struct {
	list []*alerting.Notification
	err  error
	ctx  context.Context
}

func (f *failingHistory) ReadHistory(ctx context.Context) ([]*alerting.Notification, error) {
	f.ctx = ctx
	return f.list, f.err
}

type failingSources struct {
	list []crawler.SourceStatus
	err  error
}

func (f *failingSources) ReadSources(context.Context) ([]crawler.SourceStatus, error) {
	return f.list, f.err
}

// Readers that can fail (serve reading Elasticsearch) answer with their data, and 503
// with a Vietnamese-first message when the read fails, never an empty 200 that would say
// "no alerts".
func TestReadersServeOrAnswer503(t *testing.T) {
	h := &failingHistory{list: []*alerting.Notification{{ID: "a1", RuleID: "r", Subject: "s", Status: "sent"}}}
	src := &failingSources{list: []crawler.SourceStatus{{Name: "voz", State: "error"}}}
	srv := New(nil, WithAlertHistory(h), WithSourceReader(src)).Handler()
	type key struct{}
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", path, nil)
		srv.ServeHTTP(rec, req.WithContext(context.WithValue(req.Context(), key{}, path)))
		return rec.Code, rec.Body.String()
	}
	if code, body := get("/api/alerts"); code != 200 || !strings.Contains(body, `"a1"`) {
		t.Errorf("/api/alerts: %d %s", code, body)
	}
	if h.ctx == nil || h.ctx.Value(key{}) != "/api/alerts" {
		t.Errorf("the reader did not get the request's context")
	}
	if code, body := get("/api/sources"); code != 200 || !strings.Contains(body, `"broken":1`) {
		t.Errorf("/api/sources: %d %s", code, body)
	}
	h.err, src.err = errors.New("es down"), errors.New("es down")
	for _, p := range []string{"/api/alerts", "/alerts", "/api/sources"} {
		if code, body := get(p); code != 503 || !strings.Contains(body, "thử lại sau / ") {
			t.Errorf("%s with a failing reader: %d %s, want 503", p, code, body)
		}
	}
}
