package elasticsearch

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/langnghe/langnghe/store"
)

// clusterClient is a Client on the test cluster (closed at cleanup) and a context that
// bounds the test.
func clusterClient(t *testing.T) (*Client, context.Context) {
	c, err := NewClient(Config{URLs: strings.Split(esURL(t), ",")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(func() { cancel(); _ = c.Close() })
	return c, ctx
}

// TestClientIndexLifecycle: on the real cluster, CreateIndex applies the given mapping and
// is a no-op when the index exists; DeleteIndex removes it and is a no-op when it is gone,
// which is what the alert history and state stores rely on.
func TestClientIndexLifecycle(t *testing.T) {
	c, ctx := clusterClient(t)
	index := uniquePrefix(t) + "_client"
	t.Cleanup(func() { _ = c.DeleteIndex(context.Background(), index) })
	body := json.RawMessage(`{"settings":{"number_of_shards":1,"number_of_replicas":0},"mappings":{"dynamic":false,"properties":{"k":{"type":"keyword"}}}}`)
	for i := range 2 {
		if err := c.CreateIndex(ctx, index, body); err != nil {
			t.Fatalf("CreateIndex #%d: %v", i+1, err)
		}
	}
	var mapping map[string]struct {
		Mappings struct {
			Properties map[string]struct {
				Type string `json:"type"`
			} `json:"properties"`
		} `json:"mappings"`
	}
	if err := c.Do(ctx, http.MethodGet, "/"+index+"/_mapping", nil, nil, &mapping); err != nil {
		t.Fatal(err)
	}
	if got := mapping[index].Mappings.Properties["k"].Type; got != "keyword" {
		t.Fatalf("mapping of k = %q, want keyword (the body was not applied): %+v", got, mapping)
	}
	for i := range 2 {
		if err := c.DeleteIndex(ctx, index); err != nil {
			t.Fatalf("DeleteIndex #%d: %v", i+1, err)
		}
	}
	err := c.Do(ctx, http.MethodGet, "/"+index, nil, nil, nil)
	if !IsStatus(err, http.StatusNotFound) {
		t.Fatalf("GET after delete: %v, want a 404 *StatusError", err)
	}
	var se *StatusError
	if !errors.As(err, &se) || se.Type != "index_not_found_exception" || errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("404: %#v, want type index_not_found_exception and not ErrUnavailable", err)
	}
}

// TestLazyIndex: Ensure creates the index once per handle (later calls send nothing, even
// if someone else deleted it meanwhile); after the handle's own Delete, Ensure creates it
// again.
func TestLazyIndex(t *testing.T) {
	c, ctx := clusterClient(t)
	x := c.LazyIndex(uniquePrefix(t)+"_lazy", json.RawMessage(`{"settings":{"number_of_shards":1,"number_of_replicas":0}}`))
	t.Cleanup(func() { _ = c.DeleteIndex(context.Background(), x.Name()) })
	exists := func() bool {
		err := c.Do(ctx, http.MethodHead, "/"+x.Name(), nil, nil, nil)
		if err != nil && !IsStatus(err, http.StatusNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}
	if exists() {
		t.Fatal("index exists before Ensure")
	}
	if err := x.Ensure(ctx); err != nil || !exists() {
		t.Fatalf("Ensure: %v, exists %v", err, exists())
	}
	if err := c.DeleteIndex(ctx, x.Name()); err != nil {
		t.Fatal(err)
	}
	if err := x.Ensure(ctx); err != nil || exists() {
		t.Fatalf("second Ensure on the same handle: %v, exists %v; want no request (created once)", err, exists())
	}
	if err := x.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if err := x.Ensure(ctx); err != nil || !exists() {
		t.Fatalf("Ensure after the handle's Delete: %v, exists %v; want the index again", err, exists())
	}
}

// TestClientDeleteIndexRefusesPatterns: a name that would widen into other indices is
// refused before anything is sent.
func TestClientDeleteIndexRefusesPatterns(t *testing.T) {
	sent := 0
	srv := fakeES(t, func(w http.ResponseWriter, r *http.Request, body string) {
		sent++
		io.WriteString(w, `{"acknowledged":true}`)
	})
	c, err := NewClient(Config{URLs: []string{srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, bad := range []string{"*", "a,b", "lntest-*", "_all", ""} {
		if err := c.DeleteIndex(context.Background(), "ok", bad); err == nil {
			t.Errorf("DeleteIndex(ok, %q) succeeded", bad)
		}
	}
	if sent != 0 {
		t.Fatalf("%d requests sent for refused names", sent)
	}
	if err := c.DeleteIndex(context.Background(), "ok"); err != nil || sent != 1 {
		t.Fatalf("DeleteIndex(ok) = %v after %d requests", err, sent)
	}
}

// TestClientErrors: error answers become *StatusError with Elasticsearch's type, wrapping
// store.ErrUnavailable only for statuses a retry may cure, with the password removed even
// where the cluster echoes it; the raw body is handed over undecoded to a *[]byte.
func TestClientErrors(t *testing.T) {
	const password = "s3cret-do-not-print"
	srv := fakeES(t, func(w http.ResponseWriter, r *http.Request, body string) {
		switch r.URL.Path {
		case "/conflict":
			w.WriteHeader(http.StatusConflict)
			io.WriteString(w, `{"error":{"type":"version_conflict_engine_exception","reason":"version conflict"},"status":409}`)
		case "/busy":
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"error":{"type":"es_rejected_execution_exception","reason":"rejected for `+password+`"},"status":429}`)
		case "/raw":
			if ct := r.Header.Get("Content-Type"); ct != "application/json" || body != `{"a":1}` {
				t.Errorf("raw JSON body sent as %q: %q", ct, body)
			}
			io.WriteString(w, `not json at all`)
		}
	})
	c, err := NewClient(Config{URLs: []string{srv.URL}, Username: "elastic", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	err = c.Do(ctx, http.MethodPut, "/conflict", nil, nil, nil)
	var se *StatusError
	if !errors.As(err, &se) || se.Status != 409 || se.Type != "version_conflict_engine_exception" || errors.Is(err, store.ErrUnavailable) {
		t.Errorf("409: %v, want a StatusError that is not ErrUnavailable", err)
	}
	err = c.Do(ctx, http.MethodGet, "/busy", nil, nil, nil)
	if !IsStatus(err, 429) || !errors.Is(err, store.ErrUnavailable) || strings.Contains(err.Error(), password) {
		t.Errorf("429: %v, want ErrUnavailable without the password", err)
	}
	var raw []byte
	if err := c.Do(ctx, http.MethodPost, "/raw", nil, json.RawMessage(`{"a":1}`), &raw); err != nil || string(raw) != "not json at all" {
		t.Errorf("raw body: %q, %v", raw, err)
	}
}
