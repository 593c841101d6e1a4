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
