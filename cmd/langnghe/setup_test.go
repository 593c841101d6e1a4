package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestKibanaImport: setup posts each .ndjson file to Kibana's import API with overwrite,
// the kbn-xsrf header and basic auth, and reports Kibana's per-object errors.
func TestKibanaImport(t *testing.T) {
	file := filepath.Join(repoRoot, "deploy", "kibana", "posts.ndjson")
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	fail := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/saved_objects/_import" || r.URL.Query().Get("overwrite") != "true" {
			http.Error(w, "wrong endpoint "+r.Method+" "+r.URL.String(), http.StatusNotFound)
			return
		}
		if r.Header.Get("kbn-xsrf") == "" {
			http.Error(w, `{"message":"Request must contain a kbn-xsrf header."}`, http.StatusBadRequest)
			return
		}
		if u, p, ok := r.BasicAuth(); !ok || u != "langnghe" || p != "s3cret-pass" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		f, hdr, err := r.FormFile("file")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got, _ := io.ReadAll(f)
		if string(got) != string(want) || !strings.HasSuffix(hdr.Filename, ".ndjson") {
			http.Error(w, "file differs", http.StatusBadRequest)
			return
		}
		if fail {
			fmt.Fprint(w, `{"success":false,"successCount":9,"errors":[{"id":"langnghe-flagged","type":"search","error":{"type":"missing_references"}}]}`)
			return
		}
		n := strings.Count(string(got), "\n")
		fmt.Fprintf(w, `{"success":true,"successCount":%d}`, n)
	}))
	defer srv.Close()
	k := kibanaClient{base: srv.URL, user: "langnghe", pass: "s3cret-pass", http: &http.Client{Timeout: 5 * time.Second}}
	n, err := k.importObjects(context.Background(), file)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(want), "\n"); n != lines {
		t.Errorf("imported %d objects, want %d", n, lines)
	}
	fail = true
	if _, err := k.importObjects(context.Background(), file); err == nil || !strings.Contains(err.Error(), "missing_references") {
		t.Errorf("a failed import must report Kibana's errors, got %v", err)
	}
	k.pass = "wrong"
	if _, err := k.importObjects(context.Background(), file); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong password: got %v, want the 401", err)
	}
}
