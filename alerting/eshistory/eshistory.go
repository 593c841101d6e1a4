// Package eshistory keeps a searchable copy of the alert history in an Elasticsearch
// index, so analysts find past alerts in Kibana next to the posts. The alert state
// (alerting.StateStore, alerting/esstate) stays the source of truth; this index is a
// mirror written after each
// status change, one document per alert (document id = alert id, so rewrites overwrite).
package eshistory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/langnghe/langnghe/alerting"
	esstore "github.com/langnghe/langnghe/store/elasticsearch"
)

// ErrUnavailable: Elasticsearch could not be reached or refused the write; retry later.
var ErrUnavailable = errors.New("alert history index unavailable")

// IndexName is the history index for the posts index prefix: "langnghe-posts" gives
// "langnghe-alerts"; another prefix P gives "P_alerts". Never "P-alerts", which the
// posts index template (P-*) would capture.
func IndexName(postsPrefix string) string {
	return esstore.SiblingIndex(postsPrefix, "alerts")
}

// Recorder writes alert history documents. It is safe for concurrent use.
type Recorder struct {
	client *esstore.Client
	index  *esstore.LazyIndex
}

// New returns a recorder on an existing client (the posts store's, so there is one set of
// connection settings); the index is created on the first Record.
func New(c *esstore.Client, index string) (*Recorder, error) {
	if index == "" {
		return nil, errors.New("eshistory: index name required")
	}
	return &Recorder{client: c, index: c.LazyIndex(index, mapping)}, nil
}

// Index is the index name.
func (r *Recorder) Index() string { return r.index.Name() }

var mapping = json.RawMessage(`{"settings":{"number_of_shards":1,"auto_expand_replicas":"0-1"},"mappings":{"dynamic":false,"properties":{
"id":{"type":"keyword"},"rule_id":{"type":"keyword"},"rule_name":{"type":"text","fields":{"raw":{"type":"keyword"}}},
"kind":{"type":"keyword"},"severity":{"type":"keyword"},"key":{"type":"keyword"},"count":{"type":"integer"},
"reason":{"type":"text"},"subject":{"type":"text"},"from":{"type":"date"},"to":{"type":"date"},
"post_ids":{"type":"keyword"},"created_at":{"type":"date"},"recipients":{"type":"keyword"},
"status":{"type":"keyword"},"attempts":{"type":"integer"},"last_error":{"type":"text"},"sent_at":{"type":"date"},"via":{"type":"keyword"}}}}`)

// Record writes n (without its bodies) as document n.ID.
func (r *Recorder) Record(ctx context.Context, n *alerting.Notification) error {
	if err := r.index.Ensure(ctx); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	c := *n
	c.Text, c.HTML = "", ""
	if err := r.client.Do(ctx, http.MethodPut, "/"+r.index.Name()+"/_doc/"+url.PathEscape(n.ID), nil, &c, nil); err != nil {
		return fmt.Errorf("%w: indexing alert %s: %w", ErrUnavailable, n.ID, err)
	}
	return nil
}

// Refresh makes recorded documents searchable at once. Only tests call it
// (eshistory_test.go); the alert role leaves refreshing to Elasticsearch.
func (r *Recorder) Refresh(ctx context.Context) error {
	return r.client.Do(ctx, http.MethodPost, "/"+r.index.Name()+"/_refresh", nil, nil, nil)
}

// Delete removes the index. Only tests call it (eshistory_test.go cleans up its index);
// the alert role never deletes history.
func (r *Recorder) Delete(ctx context.Context) error {
	return r.index.Delete(ctx)
}
