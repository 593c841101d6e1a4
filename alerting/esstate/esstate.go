// Package esstate keeps the alert state (alerting.StateStore) in one Elasticsearch
// document, so the alert role keeps no state on its own disk and a replacement replica
// (another host, a rescheduled pod) carries on without re-sending or forgetting.
//
// The document is read by id (a realtime GET, no refresh needed) and written with
// optimistic concurrency: each Save carries the _seq_no and _primary_term this handle
// last read or wrote (or op_type=create when the document did not exist), so when two
// replicas write, the second one gets alerting.ErrStateConflict instead of silently
// overwriting the first; the engine then reloads and applies its change again.
package esstate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/langnghe/langnghe/alerting"
	esstore "github.com/langnghe/langnghe/store/elasticsearch"
)

// ErrUnavailable: Elasticsearch could not be reached or refused the request; the state
// was not read or not written.
var ErrUnavailable = errors.New("alert state index unavailable")

// DocID is the id of the state document.
const DocID = "state"

// IndexName is the state index for the posts index prefix: "langnghe-posts" gives
// "langnghe-alerts-state"; another prefix P gives "P_alerts_state" (never "P-…", which
// the posts index template P-* would capture).
func IndexName(postsPrefix string) string {
	return esstore.SiblingIndex(postsPrefix, "alerts-state")
}

// Store is an alerting.StateStore on one document of Config.Index. One Store is one
// writer: give each engine (replica) its own. It is safe for concurrent use, though the
// engine calls it one call at a time.
type Store struct {
	client *esstore.Client
	index  *esstore.LazyIndex

	mu sync.Mutex // one call at a time: each reads and updates seqNo/primaryTerm
	// seqNo/primaryTerm of the version this handle last read or wrote; seqNo < 0: the
	// document did not exist then.
	seqNo, primaryTerm int64
}

var _ alerting.StateStore = (*Store)(nil)

// New returns a store on an existing client (the posts store's, so there is one set of
// connection settings), in index (IndexName of the posts prefix); the index is created on
// first use.
func New(c *esstore.Client, index string) *Store {
	return &Store{client: c, index: c.LazyIndex(index, mapping), seqNo: -1}
}

// Index is the index name.
func (s *Store) Index() string { return s.index.Name() }

// String names the document in errors.
func (s *Store) String() string { return "elasticsearch " + s.index.Name() + "/_doc/" + DocID }

// The snapshot is kept in _source only (dynamic: false, the state object disabled).
var mapping = json.RawMessage(`{"settings":{"number_of_shards":1,"auto_expand_replicas":"0-1"},"mappings":{"dynamic":false,"properties":{
"updated_at":{"type":"date"},"state":{"type":"object","enabled":false}}}}`)

// docPath is the state document's path.
func (s *Store) docPath() string { return "/" + s.index.Name() + "/_doc/" + DocID }

// Load reads the state document by id; (nil, nil) when it does not exist yet.
func (s *Store) Load(ctx context.Context) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.index.Ensure(ctx); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	var body []byte
	err := s.client.Do(ctx, http.MethodGet, s.docPath(), url.Values{"realtime": {"true"}}, nil, &body)
	if esstore.IsStatus(err, http.StatusNotFound) {
		s.seqNo, s.primaryTerm = -1, 0
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: reading %s: %w", ErrUnavailable, s, err)
	}
	var doc struct {
		SeqNo       *int64 `json:"_seq_no"`
		PrimaryTerm int64  `json:"_primary_term"`
		Found       bool   `json:"found"`
		Source      struct {
			State json.RawMessage `json:"state"`
		} `json:"_source"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", s, err)
	}
	if !doc.Found {
		s.seqNo, s.primaryTerm = -1, 0
		return nil, nil
	}
	if doc.SeqNo == nil || len(doc.Source.State) == 0 {
		return nil, fmt.Errorf("%s: document without _seq_no or state", s)
	}
	s.seqNo, s.primaryTerm = *doc.SeqNo, doc.PrimaryTerm
	return doc.Source.State, nil
}

// Save writes snapshot if the document is still the version this handle last read or
// wrote; otherwise it returns an error wrapping alerting.ErrStateConflict and writes
// nothing. Elasticsearch acknowledges the write after fsyncing its translog (the default
// index.translog.durability: request), and a GET by id sees it at once (realtime), so no
// refresh is needed for the next Load.
func (s *Store) Save(ctx context.Context, snapshot []byte) error {
	if !json.Valid(snapshot) {
		return fmt.Errorf("esstate: snapshot is not JSON")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.index.Ensure(ctx); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	var b bytes.Buffer
	b.Grow(len(snapshot) + 64)
	b.WriteString(`{"updated_at":"`)
	b.WriteString(time.Now().UTC().Format(time.RFC3339Nano))
	b.WriteString(`","state":`)
	b.Write(snapshot)
	b.WriteString(`}`)
	// A document that did not exist is created (op_type=create), an existing one only
	// replaced at the version this handle knows, so a concurrent writer gets a 409.
	q := url.Values{"op_type": {"create"}}
	if s.seqNo >= 0 {
		q = url.Values{"if_seq_no": {strconv.FormatInt(s.seqNo, 10)}, "if_primary_term": {strconv.FormatInt(s.primaryTerm, 10)}}
	}
	var ack struct {
		SeqNo       *int64 `json:"_seq_no"`
		PrimaryTerm int64  `json:"_primary_term"`
	}
	err := s.client.Do(ctx, http.MethodPut, s.docPath(), q, json.RawMessage(b.Bytes()), &ack)
	if esstore.IsStatus(err, http.StatusConflict) {
		return fmt.Errorf("%s (expected _seq_no %d): %w", s, s.seqNo, alerting.ErrStateConflict)
	}
	if err != nil {
		return fmt.Errorf("%w: writing %s: %w", ErrUnavailable, s, err)
	}
	if ack.SeqNo == nil {
		// Written, but the new version is unknown: the next Save will conflict and the
		// engine reloads, which is safe.
		return fmt.Errorf("%w: %s: index response without _seq_no", ErrUnavailable, s)
	}
	s.seqNo, s.primaryTerm = *ack.SeqNo, ack.PrimaryTerm
	return nil
}

// Delete removes the index. Only tests and benchmarks call it (esstate_test.go and
// bench_test.go clean up their indices); the alert role never deletes its state.
func (s *Store) Delete(ctx context.Context) error {
	return s.index.Delete(ctx)
}
