package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/langnghe/langnghe/sourcestatus"
)

type fakeSources []sourcestatus.Status

func (f fakeSources) Status() []sourcestatus.Status { return f }

func TestAPISources(t *testing.T) {
	now := time.Now()
	list := fakeSources{
		{Name: "tin-tuc", Kind: "rss", State: "ok", LastSuccess: &now, PostsTotal: 35},
		{Name: "dien-dan", Kind: "xenforo", State: "error", LastErrorKind: "robots", LastError: "crawler: disallowed by robots.txt: <script>alert(1)</script>", LastErrorAt: &now},
	}
	for name, h := range map[string]http.Handler{
		"option":  New(nil, WithSources(list)).Handler(),
		"mounted": MountSources(New(nil).Handler(), list),
	} {
		t.Run(name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/sources", nil))
			if rec.Code != 200 {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if strings.Contains(rec.Body.String(), "<script>") {
				t.Error("error text from a remote server is not escaped in JSON")
			}
			if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Error("missing nosniff header")
			}
			var out sourcesResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
				t.Fatal(err)
			}
			if out.Total != 2 || out.Broken != 1 || out.Sources[1].LastErrorKind != "robots" {
				t.Errorf("got %+v", out)
			}
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
			if rec.Code != 200 {
				t.Errorf("/healthz behind the mount: %d", rec.Code)
			}
		})
	}
}
