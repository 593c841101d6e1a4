package elasticsearch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/langnghe/langnghe/store"
	"github.com/langnghe/langnghe/store/storetest"
)

// TestBulkSplitByBytes: a batch larger than the bulk size goes out as several _bulk
// requests of about that size, and an item failure in a later request is still reported
// for the right post.
func TestBulkSplitByBytes(t *testing.T) {
	var sizes []int
	srv := fakeES(t, func(w http.ResponseWriter, r *http.Request, body string) {
		if r.URL.Path != "/_bulk" {
			io.WriteString(w, `{"acknowledged":true}`)
			return
		}
		sizes = append(sizes, len(body))
		var items []string
		for _, line := range strings.Split(strings.TrimSpace(body), "\n") {
			if !strings.HasPrefix(line, `{"index":`) {
				continue
			}
			status := 201
			if strings.Contains(line, `"_id":"xenforo:voz.vn:3006"`) {
				status = 400
			}
			items = append(items, fmt.Sprintf(`{"index":{"status":%d,"error":{"type":"document_parsing_exception","reason":"bad"}}}`, status))
		}
		fmt.Fprintf(w, `{"errors":true,"items":[%s]}`, strings.Join(items, ","))
	})
	s, err := New(context.Background(), Config{URLs: []string{srv.URL}, IndexPrefix: "lnfake"}, WithBulkBytes(4000))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	posts := storetest.Fixtures()
	err = s.Index(context.Background(), posts)
	var be *store.BatchError
	if !errors.As(err, &be) || len(be.Items) != 1 || be.Items[0].ID != "xenforo:voz.vn:3006" || !be.Items[0].Permanent {
		t.Fatalf("Index: %v, want one permanent failure for xenforo:voz.vn:3006", err)
	}
	if len(sizes) < 3 {
		t.Fatalf("%d bulk requests of sizes %v, want the batch split at ~4000 bytes", len(sizes), sizes)
	}
	for _, n := range sizes[:len(sizes)-1] {
		if n < 4000 || n > 4000+3000 {
			t.Errorf("bulk request of %d bytes, want about 4000 (sizes %v)", n, sizes)
		}
	}
}

// TestBulkItemOutcomes: how each kind of per-item answer is classified. The request asks
// for filter_path (only status and error per item come back); 429 and 5xx are retried,
// other failures dead-lettered with Elasticsearch's reason, and an item whose answer has
// no status (an action we did not send, a proxy mangling the body) is retried rather than
// dead-lettered.
func TestBulkItemOutcomes(t *testing.T) {
	answers := []string{
		`{"index":{"status":201}}`,
		`{"index":{"status":200}}`,
		`{"index":{"status":429,"error":{"type":"es_rejected_execution_exception","reason":"queue full"}}}`,
		`{"index":{"status":503,"error":{"type":"unavailable_shards_exception","reason":"primary not active"}}}`,
		`{"index":{"status":400,"error":{"type":"document_parsing_exception","reason":"bad date","caused_by":{"type":"illegal_argument_exception","reason":"year 99999"}}}}`,
		`{"create":{"status":201}}`,
	}
	var query string
	srv := fakeES(t, func(w http.ResponseWriter, r *http.Request, body string) {
		if r.URL.Path != "/_bulk" {
			io.WriteString(w, `{"acknowledged":true}`)
			return
		}
		query = r.URL.RawQuery
		fmt.Fprintf(w, `{"errors":true,"items":[%s]}`, strings.Join(answers, ","))
	})
	s, err := New(context.Background(), Config{URLs: []string{srv.URL}, IndexPrefix: "lnfake"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	posts := storetest.Fixtures()[:len(answers)]
	err = s.Index(context.Background(), posts)
	if !strings.Contains(query, "filter_path=") {
		t.Errorf("bulk query %q lacks filter_path", query)
	}
	var be *store.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("Index: %v, want a BatchError", err)
	}
	got := map[string]store.ItemError{}
	for _, it := range be.Items {
		got[it.ID] = it
	}
	want := []struct {
		failed, permanent bool
		reason            string
	}{
		{false, false, ""},
		{false, false, ""},
		{true, false, "es_rejected_execution_exception: queue full"},
		{true, false, "unavailable_shards_exception: primary not active"},
		{true, true, "document_parsing_exception: bad date (illegal_argument_exception: year 99999)"},
		{true, false, "status 0"},
	}
	for i, w := range want {
		it, failed := got[posts[i].ID]
		if failed != w.failed || it.Permanent != w.permanent || it.Reason != w.reason {
			t.Errorf("answer %s: failed=%v permanent=%v reason=%q, want %v %v %q", answers[i], failed, it.Permanent, it.Reason, w.failed, w.permanent, w.reason)
		}
	}
}

// TestIndexEncodedSendsWhatIndexSends: documents encoded ahead with EncodeDocument make
// the same _bulk body as Index encoding them itself, whether all, some or none of them
// were encoded ahead; a post that cannot be stored is refused by EncodeDocument.
func TestIndexEncodedSendsWhatIndexSends(t *testing.T) {
	var bodies []string
	srv := fakeES(t, func(w http.ResponseWriter, r *http.Request, body string) {
		if r.URL.Path != "/_bulk" {
			io.WriteString(w, `{"acknowledged":true}`)
			return
		}
		bodies = append(bodies, body)
		n := strings.Count(body, "\n") / 2
		fmt.Fprintf(w, `{"errors":false,"items":[%s]}`, strings.TrimSuffix(strings.Repeat(`{"index":{"status":201}},`, n), ","))
	})
	s, err := New(context.Background(), Config{URLs: []string{srv.URL}, IndexPrefix: "lnfake"}, WithConcurrency(1), WithBulkDocs(1000))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	posts := storetest.Fixtures()
	all := make([][]byte, len(posts))
	some := make([][]byte, len(posts))
	for i, p := range posts {
		if all[i], err = s.EncodeDocument(p); err != nil {
			t.Fatalf("EncodeDocument(%s): %v", p.ID, err)
		}
		if i%2 == 0 {
			some[i] = all[i]
		}
	}
	for _, docs := range [][][]byte{nil, all, some} {
		if err := s.IndexEncoded(context.Background(), posts, docs); err != nil {
			t.Fatal(err)
		}
	}
	if len(bodies) != 3 || bodies[0] != bodies[1] || bodies[0] != bodies[2] {
		t.Fatalf("bodies differ between Index and IndexEncoded (%d requests)", len(bodies))
	}
	bad := *posts[0]
	bad.ID = ""
	if _, err := s.EncodeDocument(&bad); err == nil {
		t.Error("EncodeDocument of a post without id = nil error")
	}
	if err := s.IndexEncoded(context.Background(), posts, all[:1]); err == nil {
		t.Error("IndexEncoded with fewer documents than posts = nil error")
	}
}
