package elasticsearch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"

	gojson "github.com/goccy/go-json"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
)

// IndexName is the monthly index a post belongs to.
func (s *Store) IndexName(p *post.Post) string {
	return s.prefix + "-" + store.MonthlyIndexSuffix(p.PublishedAt)
}

// document is the stored source: the post as is, plus the derived flat fields.
type document struct {
	*post.Post
	store.DocFields
}

type bulkResponse struct {
	Errors bool `json:"errors"`
	// Items are in request order. Index only sends "index" actions, so each item has that
	// one key; a struct, unlike a map per item, costs no allocation to decode.
	Items []struct {
		Index bulkItem `json:"index"`
	} `json:"items"`
}

type bulkItem struct {
	Status int `json:"status"`
	Error  *struct {
		Type     string `json:"type"`
		Reason   string `json:"reason"`
		CausedBy *struct {
			Type   string `json:"type"`
			Reason string `json:"reason"`
		} `json:"caused_by"`
	} `json:"error"`
}

// Index writes posts with _bulk requests (action index, so a re-sent post replaces
// itself). Per-item 429 and 5xx are retryable ItemErrors, other rejections permanent with
// Elasticsearch's reason; posts that cannot be stored at all are permanent without being
// sent. A failure of any whole request wraps store.ErrUnavailable (the batch is retried;
// re-writing the parts that went through is an idempotent overwrite).
//
// The batch is cut into parts of at most WithBulkDocs posts, each encoded and sent by one
// of WithConcurrency workers, so encoding the next part overlaps Elasticsearch indexing
// the previous one; a part larger than WithBulkBytes is split further. When a batch holds
// the same id twice, only the last copy is written, as a redelivered message would.
func (s *Store) Index(ctx context.Context, posts []*post.Post) error {
	return s.IndexEncoded(ctx, posts, nil)
}

// EncodeDocument implements store.DocumentEncoder: the two _bulk lines (action and
// source) of p, as indexPart would write them.
func (s *Store) EncodeDocument(p *post.Post) ([]byte, error) {
	if err := store.CheckIndexable(p); err != nil {
		return nil, err
	}
	buf := s.bodies.Get().(*bytes.Buffer)
	defer func() {
		buf.Reset()
		s.bodies.Put(buf)
	}()
	if err := s.encode(buf, p); err != nil {
		return nil, err
	}
	return bytes.Clone(buf.Bytes()), nil // exactly sized: held until the batch is written
}

// encode appends p's action and source lines to buf. goccy/go-json writes the same bytes
// as encoding/json (TestDocumentEncodingMatchesStd) in less time; the indexer encodes
// every post, on the cores Elasticsearch needs.
func (s *Store) encode(buf *bytes.Buffer, p *post.Post) error {
	enc := gojson.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(bulkAction{Index: bulkMeta{Index: s.IndexName(p), ID: p.ID}}); err != nil {
		return err
	}
	return enc.Encode(document{Post: p, DocFields: store.Fields(p)})
}

// IndexEncoded implements store.DocumentEncoder: Index, taking the documents already
// encoded by EncodeDocument where docs has them.
func (s *Store) IndexEncoded(ctx context.Context, posts []*post.Post, docs [][]byte) error {
	if docs != nil && len(docs) != len(posts) {
		return fmt.Errorf("elasticsearch: %d encoded documents for %d posts", len(docs), len(posts))
	}
	var bad []store.ItemError
	last := make(map[string]int, len(posts))
	for i, p := range posts {
		if p != nil {
			last[p.ID] = i
		}
	}
	good := make([]*post.Post, 0, len(posts))
	var goodDocs [][]byte // aligned with good when docs is given
	names := map[string]bool{}
	var order []string // monthly indices in first-seen order
	for i, p := range posts {
		if err := store.CheckIndexable(p); err != nil {
			id := ""
			if p != nil {
				id = p.ID
			}
			bad = append(bad, store.ItemError{ID: id, Permanent: true, Reason: err.Error()})
			continue
		}
		if last[p.ID] != i {
			continue // superseded by a later copy in this batch
		}
		good = append(good, p)
		if docs != nil {
			goodDocs = append(goodDocs, docs[i])
		}
		if n := s.IndexName(p); !names[n] {
			names[n] = true
			order = append(order, n)
		}
	}
	for _, name := range order {
		if err := s.ensureIndex(ctx, name); err != nil {
			if errors.Is(err, store.ErrUnavailable) || ctx.Err() != nil {
				return err
			}
			return fmt.Errorf("%w: %v", store.ErrUnavailable, err)
		}
	}
	var (
		mu       sync.Mutex
		firstErr error
	)
	type part struct {
		posts []*post.Post
		docs  [][]byte
	}
	parts := make(chan part)
	var wg sync.WaitGroup
	for range min(s.concurrency, (len(good)+s.bulkDocs-1)/s.bulkDocs) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for part := range parts {
				items, err := s.indexPart(ctx, part.posts, part.docs)
				mu.Lock()
				bad = append(bad, items...)
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < len(good); i += s.bulkDocs {
		j := min(i+s.bulkDocs, len(good))
		pt := part{posts: good[i:j]}
		if goodDocs != nil {
			pt.docs = goodDocs[i:j]
		}
		parts <- pt
	}
	close(parts)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if len(bad) > 0 {
		return &store.BatchError{Items: bad}
	}
	return nil
}

// indexPart encodes posts (all indexable, their indices ready) and sends them in _bulk
// requests of about s.bulkBytes.
func (s *Store) indexPart(ctx context.Context, posts []*post.Post, docs [][]byte) ([]store.ItemError, error) {
	body := s.bodies.Get().(*bytes.Buffer)
	answered := false // every request of this part got its answer
	defer func() {
		// After a failed request the transport may still hold a reader on the body, so
		// only a buffer whose requests all completed is reused; a giant one is not kept.
		if answered && body.Cap() <= 2*s.bulkBytes {
			body.Reset()
			s.bodies.Put(body)
		}
	}()
	var bad []store.ItemError
	sent := make([]string, 0, len(posts)) // ids in request order, to pair with response items
	// cuts split the body into _bulk requests of about s.bulkBytes each; cuts[0] is the
	// start. A post is never split, so one request may exceed the size by one post.
	cuts := []bulkCut{{}}
	for i, p := range posts {
		mark := body.Len()
		var err error
		if docs != nil && docs[i] != nil {
			body.Write(docs[i])
		} else {
			err = s.encode(body, p)
		}
		if err != nil {
			body.Truncate(mark)
			bad = append(bad, store.ItemError{ID: p.ID, Permanent: true, Reason: "encode: " + err.Error()})
			continue
		}
		sent = append(sent, p.ID)
		if body.Len()-cuts[len(cuts)-1].end >= s.bulkBytes {
			cuts = append(cuts, bulkCut{end: body.Len(), items: len(sent)})
		}
	}
	if last := cuts[len(cuts)-1]; last.end < body.Len() {
		cuts = append(cuts, bulkCut{end: body.Len(), items: len(sent)})
	}
	for k := 1; k < len(cuts); k++ {
		from, to := cuts[k-1], cuts[k]
		items, err := s.bulk(ctx, body.Bytes()[from.end:to.end], sent[from.items:to.items])
		if err != nil {
			return bad, err
		}
		bad = append(bad, items...)
	}
	answered = true
	return bad, nil
}

// bulkFilterPath trims _bulk responses to the fields bulkResponse reads.
const bulkFilterPath = "errors,items.*.status,items.*.error"

type bulkAction struct {
	Index bulkMeta `json:"index"`
}

type bulkMeta struct {
	Index string `json:"_index"`
	ID    string `json:"_id"`
}

type bulkCut struct{ end, items int }

// bulk sends one _bulk request for the posts ids (in body order) and classifies the
// failed items: 429 and 5xx retryable, other statuses permanent with Elasticsearch's
// reason. A failure of the whole request wraps store.ErrUnavailable.
func (s *Store) bulk(ctx context.Context, body []byte, ids []string) ([]store.ItemError, error) {
	var res bulkResponse
	// filter_path keeps only what is read below: Elasticsearch then writes and we parse
	// about 25 bytes per item instead of about 230 (index, id, version, shards, seq_no).
	if err := s.client.Do(ctx, http.MethodPost, "/_bulk", url.Values{"filter_path": {bulkFilterPath}}, body, &res); err != nil {
		if errors.Is(err, store.ErrUnavailable) || ctx.Err() != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", store.ErrUnavailable, err)
	}
	if len(res.Items) != len(ids) {
		return nil, fmt.Errorf("%w: bulk answered %d items for %d sent", store.ErrUnavailable, len(res.Items), len(ids))
	}
	if !res.Errors {
		return nil, nil
	}
	var bad []store.ItemError
	for i, item := range res.Items {
		r := item.Index
		if r.Status >= 200 && r.Status < 300 {
			continue
		}
		reason := fmt.Sprintf("status %d", r.Status)
		if r.Error != nil {
			reason = r.Error.Type + ": " + r.Error.Reason
			if r.Error.CausedBy != nil {
				reason += " (" + r.Error.CausedBy.Type + ": " + r.Error.CausedBy.Reason + ")"
			}
		}
		bad = append(bad, store.ItemError{
			ID: ids[i],
			// No status at all means an answer we do not understand: retry rather than
			// dead-letter a post that may be fine.
			Permanent: r.Status != 0 && r.Status != http.StatusTooManyRequests && r.Status < 500,
			Reason:    truncate(reason, 500),
		})
	}
	return bad, nil
}
