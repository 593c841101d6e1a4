// Package estriage keeps the analysts' triage decisions in Elasticsearch, index
// `<base>-triage` beside the posts, so every `serve` replica shares them and Kibana can
// chart them. It implements triage.Store.
//
// Each post's decisions form a chain of documents `<h>-<n>` (h: 32 hex digits of
// SHA-256 of the post id, so any id is a valid document id; n = 1, 2, ...), each created
// with op_type=create: two replicas recording on one post at once race for the same
// `<h>-<n+1>`, one gets 409, re-reads and takes n+2, so every decision is kept and each
// record's Previous is the action of the record before it. A head document `<h>-head`
// holds the latest record and its n, written after the record with external version n
// (an older head never overwrites a newer one). The head is only a hint: a writer or
// reader that finds `<h>-<n+1>` already there (a replica died between the two writes)
// walks forward. Reads of the chain and the heads are real-time GETs (no refresh wait);
// All searches and refreshes the index first.
package estriage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"

	esstore "github.com/langnghe/langnghe/store/elasticsearch"
	"github.com/langnghe/langnghe/triage"
)

// IndexName is the triage index beside the posts of postsPrefix ("langnghe-posts" gives
// "langnghe-triage").
func IndexName(postsPrefix string) string { return esstore.SiblingIndex(postsPrefix, "triage") }

// maxRetries bounds the create races one Record may lose (each loss means another
// decision on the same post was stored meanwhile).
const maxRetries = 50

// Index is a triage.Store on one Elasticsearch index. It is safe for concurrent use, also
// with other Index values on the same index (replicas).
type Index struct {
	client *esstore.Client
	index  *esstore.LazyIndex
	ready  atomic.Bool // the index's primary shard was seen active by this handle
}

var _ triage.Store = (*Index)(nil)

var mapping = json.RawMessage(`{"settings":{"number_of_shards":1,"auto_expand_replicas":"0-1"},"mappings":{"dynamic":false,"properties":{
"kind":{"type":"keyword"},"key":{"type":"keyword"},"post_id":{"type":"keyword"},"seq":{"type":"long"},"action":{"type":"keyword"},
"previous":{"type":"keyword"},"user":{"type":"keyword"},"role":{"type":"keyword"},"at":{"type":"date","format":"strict_date_optional_time_nanos"},
"note":{"type":"text"}}}}`)

// New returns the store on an existing client; the index is created on first use.
func New(c *esstore.Client, name string) *Index {
	return &Index{client: c, index: c.LazyIndex(name, mapping)}
}

// Name is the index name.
func (x *Index) Name() string { return x.index.Name() }

// Delete deletes the index (tests).
func (x *Index) Delete(ctx context.Context) error { return x.index.Delete(ctx) }

// doc is one stored document: a record of the chain (kind "record") or a post's head.
type doc struct {
	triage.Record
	Kind string `json:"kind"`
	Key  string `json:"key"` // the document id
	Seq  int64  `json:"seq"`
}

func hashOf(postID string) string {
	h := sha256.Sum256([]byte(postID))
	return hex.EncodeToString(h[:16])
}

func recordID(h string, n int64) string { return h + "-" + strconv.FormatInt(n, 10) }
func headID(h string) string            { return h + "-head" }

func (x *Index) path(id string) string { return "/" + x.index.Name() + "/_doc/" + url.PathEscape(id) }

// get reads one document in real time; found is false for a missing document or index.
func (x *Index) get(ctx context.Context, id string) (d doc, found bool, err error) {
	var res struct {
		Found  bool `json:"found"`
		Source doc  `json:"_source"`
	}
	err = x.client.Do(ctx, http.MethodGet, x.path(id), nil, nil, &res)
	if esstore.IsStatus(err, http.StatusNotFound) {
		return doc{}, false, nil
	}
	if err != nil {
		return doc{}, false, fmt.Errorf("triage index %s: %w", x.index.Name(), err)
	}
	return res.Source, res.Found, nil
}

// tail returns the last record of the post with hash h (seq 0 and no record when none),
// starting from its head and walking over records the head does not know yet.
func (x *Index) tail(ctx context.Context, h string) (doc, error) {
	last, _, err := x.get(ctx, headID(h))
	if err != nil {
		return doc{}, err
	}
	for {
		next, found, err := x.get(ctx, recordID(h, last.Seq+1))
		if err != nil || !found {
			return last, err
		}
		last = next
	}
}

// Record implements triage.Store: it returns once the record is acknowledged by
// Elasticsearch (write-ahead logged on the primary; durable per the index's translog
// settings).
func (x *Index) Record(ctx context.Context, r *triage.Record) error {
	if err := triage.Check(r); err != nil {
		return err
	}
	if err := x.ensure(ctx); err != nil {
		return err
	}
	h := hashOf(r.PostID)
	for range maxRetries {
		last, err := x.tail(ctx, h)
		if err != nil {
			return err
		}
		r.Previous = ""
		if last.Seq > 0 {
			r.Previous = last.Action
			// Replicas' clocks differ: a decision is never dated before the one it
			// follows, so All (by time) and the chain agree on each post's order.
			if r.At.Before(last.At) {
				r.At = last.At
			}
		}
		d := doc{Record: *r, Kind: "record", Seq: last.Seq + 1, Key: recordID(h, last.Seq+1)}
		err = x.client.Do(ctx, http.MethodPut, x.path(d.Key), url.Values{"op_type": {"create"}}, d, nil)
		if esstore.IsStatus(err, http.StatusConflict) {
			continue // another replica stored decision n+1 meanwhile: read on
		}
		if err != nil {
			return fmt.Errorf("triage index %s: %w", x.index.Name(), err)
		}
		x.writeHead(ctx, h, d)
		return nil
	}
	return fmt.Errorf("triage index %s: post %q: lost %d write races in a row", x.index.Name(), r.PostID, maxRetries)
}

// ensure creates the index if needed and waits for its primary shard: CreateIndex waits
// only when it is the one creating, and another replica's index may still be starting
// (a GET then answers 503 no_shard_available).
func (x *Index) ensure(ctx context.Context) error {
	if x.ready.Load() {
		return nil
	}
	if err := x.index.Ensure(ctx); err != nil {
		return fmt.Errorf("triage index %s: %w", x.index.Name(), err)
	}
	q := url.Values{"wait_for_active_shards": {"1"}, "timeout": {"30s"}}
	if err := x.client.Do(ctx, http.MethodGet, "/_cluster/health/"+url.PathEscape(x.index.Name()), q, nil, nil); err != nil {
		return fmt.Errorf("triage index %s: %w", x.index.Name(), err)
	}
	x.ready.Store(true)
	return nil
}

// writeHead moves the post's head to d. A failure is not the caller's: the record is
// stored, and readers walk past a stale head.
func (x *Index) writeHead(ctx context.Context, h string, d doc) {
	head := d
	head.Kind, head.Key = "head", headID(h)
	q := url.Values{"version": {strconv.FormatInt(d.Seq, 10)}, "version_type": {"external"}}
	_ = x.client.Do(ctx, http.MethodPut, x.path(head.Key), q, head, nil) // 409: a newer head is there
}

// Latest implements triage.Store with one multi-get of the heads, then walks the posts
// whose head is behind.
func (x *Index) Latest(ctx context.Context, ids []string) (map[string]triage.Record, error) {
	out := map[string]triage.Record{}
	if len(ids) == 0 {
		return out, nil
	}
	heads := make([]string, len(ids))
	for i, id := range ids {
		heads[i] = headID(hashOf(id))
	}
	docs, err := x.mget(ctx, heads)
	if err != nil {
		return nil, err
	}
	// The records just after each head: present only where a head is behind.
	next := make([]string, len(ids))
	for i, id := range ids {
		next[i] = recordID(hashOf(id), docs[i].Seq+1)
	}
	after, err := x.mget(ctx, next)
	if err != nil {
		return nil, err
	}
	for i, id := range ids {
		d := docs[i]
		if after[i].Seq > 0 {
			if d, err = x.tail(ctx, hashOf(id)); err != nil {
				return nil, err
			}
		}
		if d.Seq > 0 && d.PostID == id {
			out[id] = d.Record
		}
	}
	return out, nil
}

// mget reads documents by id in real time; a missing one is a zero doc.
func (x *Index) mget(ctx context.Context, ids []string) ([]doc, error) {
	var res struct {
		Docs []struct {
			Found  bool `json:"found"`
			Source doc  `json:"_source"`
		} `json:"docs"`
	}
	err := x.client.Do(ctx, http.MethodPost, "/"+x.index.Name()+"/_mget", nil, map[string]any{"ids": ids}, &res)
	out := make([]doc, len(ids))
	if esstore.IsStatus(err, http.StatusNotFound) { // no index yet: nothing triaged
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("triage index %s: %w", x.index.Name(), err)
	}
	for i, d := range res.Docs {
		if i < len(out) && d.Found {
			out[i] = d.Source
		}
	}
	return out, nil
}

// History implements triage.Store: the chain read by id in real time, 100 at a time.
func (x *Index) History(ctx context.Context, id string) ([]triage.Record, error) {
	h := hashOf(id)
	var out []triage.Record
	for n := int64(1); ; n += 100 {
		ids := make([]string, 100)
		for i := range ids {
			ids[i] = recordID(h, n+int64(i))
		}
		docs, err := x.mget(ctx, ids)
		if err != nil {
			return nil, err
		}
		for _, d := range docs {
			if d.Seq == 0 {
				return out, nil
			}
			out = append(out, d.Record)
		}
	}
}

// All implements triage.Store: every record by time, then post id and chain position
// (Record dates no decision before the one it follows, so each post's records come in
// chain order), after a refresh so records just written are included.
func (x *Index) All(ctx context.Context, fn func(triage.Record) error) error {
	err := x.client.Do(ctx, http.MethodPost, "/"+x.index.Name()+"/_refresh", nil, nil, nil)
	if esstore.IsStatus(err, http.StatusNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("triage index %s: %w", x.index.Name(), err)
	}
	var after []any
	for {
		body := map[string]any{
			"size":  1000,
			"query": map[string]any{"term": map[string]any{"kind": "record"}},
			"sort":  []any{map[string]any{"at": "asc"}, map[string]any{"post_id": "asc"}, map[string]any{"seq": "asc"}},
		}
		if after != nil {
			body["search_after"] = after
		}
		var res struct {
			Hits struct {
				Hits []struct {
					Source doc   `json:"_source"`
					Sort   []any `json:"sort"`
				} `json:"hits"`
			} `json:"hits"`
		}
		if err := x.client.Do(ctx, http.MethodPost, "/"+x.index.Name()+"/_search", nil, body, &res); err != nil {
			return fmt.Errorf("triage index %s: %w", x.index.Name(), err)
		}
		for _, hit := range res.Hits.Hits {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(hit.Source.Record); err != nil {
				return err
			}
		}
		if len(res.Hits.Hits) < 1000 {
			return nil
		}
		after = res.Hits.Hits[len(res.Hits.Hits)-1].Sort
	}
}
