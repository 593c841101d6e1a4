package elasticsearch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
	"github.com/langnghe/langnghe/store/storetest"
)

// fakeES answers like Elasticsearch: the product header, an existing current template, and
// whatever handle says for everything else.
func fakeES(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, body string)) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		w.Header().Set("Content-Type", "application/json")
		body, _ := io.ReadAll(r.Body)
		if strings.HasPrefix(r.URL.Path, "/_index_template/") && r.Method == http.MethodGet {
			fmt.Fprintf(w, `{"index_templates":[{"name":"x","index_template":{"version":%d,"_meta":{"shards":1,"replicas":0}}}]}`, templateVersion)
			return
		}
		handle(w, r, string(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestBulkItemClassification(t *testing.T) {
	var created []string
	srv := fakeES(t, func(w http.ResponseWriter, r *http.Request, body string) {
		if r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/lnfake-") {
			created = append(created, r.URL.Path) // index creation and alias, before the bulk
			io.WriteString(w, `{"acknowledged":true}`)
			return
		}
		if r.URL.Path != "/_bulk" {
			t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
		}
		// Three posts were sent, in order; one of them is rejected for good, one is
		// throttled, one hit a broken shard.
		if n := strings.Count(body, `"index":{`); n != 3 {
			t.Errorf("bulk body has %d actions, want 3:\n%s", n, body)
		}
		if !strings.Contains(body, `"_index":"lnfake-2026.10"`) || !strings.Contains(body, `"_index":"lnfake-2026.11"`) {
			t.Errorf("monthly index names missing:\n%s", body)
		}
		io.WriteString(w, `{"errors":true,"items":[
			{"index":{"_id":"a","status":400,"error":{"type":"document_parsing_exception","reason":"failed to parse field [published_at]"}}},
			{"index":{"_id":"b","status":429,"error":{"type":"es_rejected_execution_exception","reason":"queue full"}}},
			{"index":{"_id":"c","status":503,"error":{"type":"unavailable_shards_exception","reason":"primary shard is not active"}}}]}`)
	})
	s, err := New(context.Background(), Config{URLs: []string{srv.URL}, IndexPrefix: "lnfake"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	posts := storetest.Fixtures()
	batch := []*post.Post{posts[0], posts[14], nil, posts[20]}
	err = s.Index(context.Background(), batch)
	var be *store.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("Index: %v, want *store.BatchError", err)
	}
	want := []string{"/lnfake-2026.10", "/lnfake-2026.10/_alias/lnfake", "/lnfake-2026.11", "/lnfake-2026.11/_alias/lnfake"}
	if !slices.Equal(created, want) {
		t.Errorf("index set-up calls %v, want %v", created, want)
	}
	// Known indices are not created again.
	created = nil
	_ = s.Index(context.Background(), batch)
	if len(created) != 0 {
		t.Errorf("second batch repeated index set-up: %v", created)
	}
	got := map[string]store.ItemError{}
	for _, it := range be.Items {
		got[it.ID] = it
	}
	if it := got[posts[0].ID]; !it.Permanent || !strings.Contains(it.Reason, "document_parsing_exception") {
		t.Errorf("400 item: %+v, want permanent with the ES reason", it)
	}
	if it := got[posts[14].ID]; it.Permanent || it.ID == "" {
		t.Errorf("429 item: %+v, want retryable", it)
	}
	if it := got[posts[20].ID]; it.Permanent || it.ID == "" {
		t.Errorf("503 item: %+v, want retryable", it)
	}
	if it, ok := got[""]; !ok || !it.Permanent {
		t.Errorf("nil post: %+v, want permanent", it)
	}
}

func TestWholeRequestFailuresAreUnavailable(t *testing.T) {
	status := http.StatusServiceUnavailable
	srv := fakeES(t, func(w http.ResponseWriter, r *http.Request, body string) {
		w.WriteHeader(status)
		io.WriteString(w, `{"error":{"type":"cluster_block_exception","reason":"blocked"},"status":503}`)
	})
	const secret = "s3cr3t-pa55word"
	s, err := New(context.Background(), Config{URLs: []string{strings.Replace(srv.URL, "http://", "http://elastic:"+secret+"@", 1)}, IndexPrefix: "lnfake"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, st := range []int{503, 429, 401} {
		status = st
		err := s.Index(context.Background(), storetest.Fixtures()[:2])
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("bulk answered %d: %v, want ErrUnavailable", st, err)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("error leaks the password: %v", err)
		}
	}
	status = http.StatusBadRequest
	if _, err := s.Search(context.Background(), store.Query{Text: "x"}); !errors.Is(err, store.ErrBadQuery) {
		t.Errorf("search answered 400: %v, want ErrBadQuery", err)
	}
}

func TestConnectionRefusedIsUnavailableWithoutSecrets(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	const key, pass = "QVBJLUtFWS1TRUNSRVQ=", "hunter2-hunter2"
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err = New(ctx, Config{URLs: []string{"http://user:" + pass + "@" + addr}, APIKey: key})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("New against a closed port: %v, want ErrUnavailable", err)
	}
	if strings.Contains(err.Error(), pass) || strings.Contains(err.Error(), key) {
		t.Fatalf("error leaks credentials: %v", err)
	}
}

func TestBadConfig(t *testing.T) {
	if _, err := New(context.Background(), Config{}); err == nil {
		t.Error("no URLs: want an error")
	}
	if _, err := New(context.Background(), Config{URLs: []string{"http://127.0.0.1:1"}, IndexPrefix: "Bad*Prefix"}); err == nil {
		t.Error("bad prefix: want an error")
	}
}

// Against a real cluster: the template, monthly indices behind the alias, idempotent
// re-install, and a document Elasticsearch rejects is a permanent item error.
func TestTemplateAliasAndPartitions(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if err := s.Index(ctx, storetest.Fixtures()); err != nil {
		t.Fatalf("Index: %v", err)
	}
	names, err := s.Indices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{s.prefix + "-2026.10", s.prefix + "-2026.11"}
	if !slices.Equal(names, want) {
		t.Fatalf("indices behind alias %s: %v, want %v", s.prefix, names, want)
	}
	var tmpl struct {
		IndexTemplates []struct {
			IndexTemplate struct {
				Version int            `json:"version"`
				Meta    map[string]any `json:"_meta"`
			} `json:"index_template"`
		} `json:"index_templates"`
	}
	if err := s.client.Do(ctx, http.MethodGet, "/_index_template/"+s.prefix, nil, nil, &tmpl); err != nil {
		t.Fatal(err)
	}
	if len(tmpl.IndexTemplates) != 1 || tmpl.IndexTemplates[0].IndexTemplate.Version != templateVersion {
		t.Fatalf("template: %+v", tmpl)
	}
	// A second start with the same prefix leaves things as they are.
	s2, err := New(ctx, Config{URLs: []string{esURL(t)}, IndexPrefix: s.prefix})
	if err != nil {
		t.Fatalf("second New: %v", err)
	}
	defer s2.Close()
	if err := s2.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if res, err := s2.Search(ctx, store.Query{Interval: -1}); err != nil || res.Total != len(storetest.Fixtures()) {
		t.Fatalf("after re-New: %v, total %v", err, res)
	}
	// Unknown fields are kept in _source but not mapped (dynamic: false).
	var mapping map[string]struct {
		Mappings struct {
			Dynamic    any            `json:"dynamic"`
			Properties map[string]any `json:"properties"`
		} `json:"mappings"`
	}
	if err := s.client.Do(ctx, http.MethodGet, "/"+want[0]+"/_mapping", nil, nil, &mapping); err != nil {
		t.Fatal(err)
	}
	m := mapping[want[0]].Mappings
	if m.Dynamic != "false" && m.Dynamic != false {
		t.Errorf("dynamic = %v, want false", m.Dynamic)
	}
	for _, f := range []string{"text", "text_folded", "title_folded", "narrative_ids", "flagged", "published_at"} {
		if _, ok := m.Properties[f]; !ok {
			t.Errorf("field %s not mapped", f)
		}
	}
	// A keyword term above Lucene's 32766-byte limit is rejected by Elasticsearch: that
	// must be a permanent (dead-letter) item error, and the rest of the batch is written.
	huge := storetest.Fixtures()[0]
	huge.ID = "rss:vnexpress.net:huge"
	huge.Source = strings.Repeat("x", 40000)
	other := storetest.Fixtures()[1]
	other.ID = "rss:vnexpress.net:other"
	err = s.Index(ctx, []*post.Post{huge, other})
	var be *store.BatchError
	if !errors.As(err, &be) || len(be.Items) != 1 || be.Items[0].ID != huge.ID || !be.Items[0].Permanent || be.Items[0].Reason == "" {
		t.Fatalf("immense keyword: %v, want one permanent item error", err)
	}
	t.Logf("rejected doc reason: %s", be.Items[0].Reason)
	if err := s.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, other.ID); err != nil {
		t.Fatalf("the good post of the batch: %v", err)
	}
}

func TestDeleteBeforeDropsWholeMonths(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if err := s.Index(ctx, storetest.Fixtures()); err != nil {
		t.Fatal(err)
	}
	if err := s.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	nov := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	// Mid-November: October is wholly past, November is not.
	n, err := s.DeleteBefore(ctx, nov.Add(14*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Search(ctx, store.Query{Interval: -1})
	if err != nil {
		t.Fatal(err)
	}
	oct, _ := s.Search(ctx, store.Query{To: nov})
	if n != 13 || res.Total != len(storetest.Fixtures())-13 || oct.Total != 0 {
		t.Fatalf("DeleteBefore: %d deleted, %d left, %d of October left; want 13, %d, 0", n, res.Total, oct.Total, len(storetest.Fixtures())-13)
	}
	if names, _ := s.Indices(ctx); !slices.Equal(names, []string{s.prefix + "-2026.11"}) {
		t.Fatalf("indices left: %v", names)
	}
}
