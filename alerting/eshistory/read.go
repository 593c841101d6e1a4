package eshistory

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/langnghe/langnghe/alerting"
	esstore "github.com/langnghe/langnghe/store/elasticsearch"
)

// MaxRead bounds one read of the history: the newest MaxRead alerts (well under
// Elasticsearch's 10,000-hit window). /api/alerts filters and pages within them.
const MaxRead = 5000

// Reader reads the history index for processes that do not run the alert engine
// (`serve`), so the alert history is on the analysts' address too.
type Reader struct {
	client *esstore.Client
	index  string
}

// NewReader reads index (IndexName of the posts prefix) through an existing client. It
// never creates the index: a missing one is an empty history.
func NewReader(c *esstore.Client, index string) *Reader { return &Reader{client: c, index: index} }

// Index is the index name.
func (r *Reader) Index() string { return r.index }

// ReadHistory returns the newest MaxRead alerts, newest first (by created_at, then id).
func (r *Reader) ReadHistory(ctx context.Context) ([]*alerting.Notification, error) {
	var res struct {
		Hits struct {
			Hits []struct {
				Source alerting.Notification `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
	}
	q := url.Values{"size": {strconv.Itoa(MaxRead)}, "ignore_unavailable": {"true"}}
	body := json.RawMessage(`{"query":{"match_all":{}},"sort":[{"created_at":{"order":"desc","unmapped_type":"date"}},{"id":{"order":"desc","unmapped_type":"keyword"}}]}`)
	err := r.client.Do(ctx, http.MethodPost, "/"+r.index+"/_search", q, body, &res)
	if esstore.IsStatus(err, http.StatusNotFound) {
		return []*alerting.Notification{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: reading %s: %w", ErrUnavailable, r.index, err)
	}
	out := make([]*alerting.Notification, len(res.Hits.Hits))
	for i := range res.Hits.Hits {
		out[i] = &res.Hits.Hits[i].Source
	}
	return out, nil
}
