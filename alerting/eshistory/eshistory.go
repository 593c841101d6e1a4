// Package eshistory keeps a searchable copy of the alert history in an Elasticsearch
// index, so analysts find past alerts in Kibana next to the posts. The alert state
// (alerting.StateStore, alerting/esstate) stays the source of truth; this index is a
// mirror written after each
// status change, one document per alert (document id = alert id, so rewrites overwrite).
package eshistory

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	es "github.com/elastic/go-elasticsearch/v8"

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
	client  *es.Client
	index   string
	once    sync.Mutex
	created bool
}

// New returns a recorder on an existing client (the posts store's, so there is one set of
// connection settings); the index is created on the first Record.
func New(c *es.Client, index string) (*Recorder, error) {
	if index == "" {
		return nil, errors.New("eshistory: index name required")
	}
	return &Recorder{client: c, index: index}, nil
}

// Index is the index name.
func (r *Recorder) Index() string { return r.index }

var mapping = `{"settings":{"number_of_shards":1,"auto_expand_replicas":"0-1"},"mappings":{"dynamic":false,"properties":{
"id":{"type":"keyword"},"rule_id":{"type":"keyword"},"rule_name":{"type":"text","fields":{"raw":{"type":"keyword"}}},
"kind":{"type":"keyword"},"severity":{"type":"keyword"},"key":{"type":"keyword"},"count":{"type":"integer"},
"reason":{"type":"text"},"subject":{"type":"text"},"from":{"type":"date"},"to":{"type":"date"},
"post_ids":{"type":"keyword"},"created_at":{"type":"date"},"recipients":{"type":"keyword"},
"status":{"type":"keyword"},"attempts":{"type":"integer"},"last_error":{"type":"text"},"sent_at":{"type":"date"},"via":{"type":"keyword"}}}}`

func (r *Recorder) ensure(ctx context.Context) error {
	r.once.Lock()
	defer r.once.Unlock()
	if r.created {
		return nil
	}
	res, err := r.client.Indices.Create(r.index, r.client.Indices.Create.WithBody(strings.NewReader(mapping)), r.client.Indices.Create.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("%w: creating %s: %w", ErrUnavailable, r.index, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.IsError() && !bytes.Contains(body, []byte("resource_already_exists_exception")) {
		return fmt.Errorf("%w: creating %s: %s", ErrUnavailable, r.index, res.Status())
	}
	r.created = true
	return nil
}

// Record writes n (without its bodies) as document n.ID.
func (r *Recorder) Record(ctx context.Context, n *alerting.Notification) error {
	if err := r.ensure(ctx); err != nil {
		return err
	}
	c := *n
	c.Text, c.HTML = "", ""
	b, err := json.Marshal(&c)
	if err != nil {
		return err
	}
	res, err := r.client.Index(r.index, bytes.NewReader(b), r.client.Index.WithDocumentID(url.PathEscape(n.ID)), r.client.Index.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer res.Body.Close()
	if res.IsError() {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		return fmt.Errorf("%w: indexing alert %s: %s: %s", ErrUnavailable, n.ID, res.Status(), body)
	}
	return nil
}

// Refresh makes recorded documents searchable at once (tests).
func (r *Recorder) Refresh(ctx context.Context) error {
	res, err := r.client.Indices.Refresh(r.client.Indices.Refresh.WithIndex(r.index), r.client.Indices.Refresh.WithContext(ctx))
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("refresh %s: %s", r.index, res.Status())
	}
	return nil
}

// Delete removes the index (tests).
func (r *Recorder) Delete(ctx context.Context) error {
	res, err := r.client.Indices.Delete([]string{r.index}, r.client.Indices.Delete.WithContext(ctx))
	if err != nil {
		return err
	}
	res.Body.Close()
	return nil
}
