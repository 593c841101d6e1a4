package indexer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/langnghe/langnghe/bus"
	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
)

// scriptedStore answers Index with a prepared error and records what it was given.
type scriptedStore struct {
	store.Store
	err   error
	calls [][]*post.Post
}

func (s *scriptedStore) Index(_ context.Context, posts []*post.Post) error {
	s.calls = append(s.calls, posts)
	return s.err
}

func msg(id, text string) bus.Message {
	p := &post.Post{Schema: 1, ID: "rss:test:" + id, Platform: "rss", Source: "t", Text: text, PublishedAt: time.Unix(1700000000, 0).UTC()}
	b, _ := post.Encode(p)
	return bus.Message{Key: []byte(p.ID), Value: b}
}

func TestProcessMapsStoreResults(t *testing.T) {
	msgs := []bus.Message{msg("1", "a"), {Value: []byte("{broken")}, msg("2", "b"), msg("3", "c"), msg("1", "a, edited")}
	cases := []struct {
		name      string
		storeErr  error
		permanent []bool // per message: true = dead-letter, false = retry, nil entry = ok
		failed    []bool
	}{
		{"all written", nil, []bool{false, true, false, false, false}, []bool{false, true, false, false, false}},
		{"store down: every decodable post is retried", fmt.Errorf("%w: connection refused", store.ErrUnavailable),
			[]bool{false, true, false, false, false}, []bool{true, true, true, true, true}},
		{"one mapping error, one overload", &store.BatchError{Items: []store.ItemError{{ID: "rss:test:2", Permanent: true, Reason: "mapper_parsing_exception"}, {ID: "rss:test:3", Reason: "429"}}},
			[]bool{false, true, true, false, false}, []bool{false, true, true, true, false}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := &scriptedStore{err: c.storeErr}
			errs := New(st).Process(context.Background(), msgs)
			if len(errs) != len(msgs) {
				t.Fatalf("%d errors for %d messages", len(errs), len(msgs))
			}
			for i, err := range errs {
				if (err != nil) != c.failed[i] {
					t.Errorf("message %d: err = %v, want failed=%v", i, err, c.failed[i])
				}
				if err != nil && errors.Is(err, bus.ErrPermanent) != c.permanent[i] {
					t.Errorf("message %d: permanent = %v, want %v (%v)", i, errors.Is(err, bus.ErrPermanent), c.permanent[i], err)
				}
			}
			if len(st.calls) != 1 || len(st.calls[0]) != 3 {
				t.Fatalf("store got %v, want one batch of 3 distinct posts", st.calls)
			}
			for _, p := range st.calls[0] {
				if p.ID == "rss:test:1" && p.Text != "a, edited" {
					t.Errorf("the later version of a post must win, got %q", p.Text)
				}
			}
		})
	}
}

// TestBackpressureReadiness: while the store refuses writes the gauge is 1 at once and
// Ready fails after the grace period with the store's error; one successful write clears
// both. A permanent item failure alone is not backpressure.
func TestBackpressureReadiness(t *testing.T) {
	reg := prometheus.NewRegistry()
	clock := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	st := &scriptedStore{err: fmt.Errorf("%w: connection refused", store.ErrUnavailable)}
	ix := New(st, WithMetrics(reg), WithReadyGrace(10*time.Second))
	ix.now = func() time.Time { return clock }
	ctx := context.Background()
	ix.Process(ctx, []bus.Message{msg("1", "a")})
	if got := testutil.ToFloat64(ix.backoff); got != 1 {
		t.Errorf("backpressure gauge %v during an outage, want 1", got)
	}
	if err := ix.Ready(ctx); err != nil {
		t.Errorf("Ready within the grace period: %v", err)
	}
	clock = clock.Add(11 * time.Second)
	ix.Process(ctx, []bus.Message{msg("1", "a")})
	if err := ix.Ready(ctx); !errors.Is(err, ErrBackpressure) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("Ready after 11s of failures: %v, want ErrBackpressure naming the cause", err)
	}
	st.err = &store.BatchError{Items: []store.ItemError{{ID: "rss:test:1", Permanent: true, Reason: "mapper_parsing_exception"}}}
	ix.Process(ctx, []bus.Message{msg("1", "a")})
	if err := ix.Ready(ctx); err != nil || testutil.ToFloat64(ix.backoff) != 0 {
		t.Errorf("after a write that went through (one item dead-lettered): Ready %v, gauge %v", err, testutil.ToFloat64(ix.backoff))
	}
	st.err = &store.BatchError{Items: []store.ItemError{{ID: "rss:test:1", Reason: "es_rejected_execution_exception"}}}
	ix.Process(ctx, []bus.Message{msg("1", "a")})
	if testutil.ToFloat64(ix.backoff) != 1 {
		t.Errorf("a throttled item (429) is backpressure too")
	}
}

// encodingStore is a scriptedStore that can encode ahead (store.DocumentEncoder): its
// "document" is "doc:" + the post's text, and it records which documents it was handed
// already encoded and how often it encoded.
type encodingStore struct {
	scriptedStore
	encoded  int
	given    [][][]byte
	rejectID string
}

func (s *encodingStore) EncodeDocument(p *post.Post) ([]byte, error) {
	s.encoded++
	if p.ID == s.rejectID {
		return nil, errors.New("cannot be stored")
	}
	return []byte("doc:" + p.Text), nil
}

func (s *encodingStore) IndexEncoded(_ context.Context, posts []*post.Post, docs [][]byte) error {
	s.calls = append(s.calls, posts)
	s.given = append(s.given, docs)
	return s.err
}

// TestPrepareAhead: what Prepare made of a batch is what Process writes, without decoding
// or encoding again; a message at a prepared offset whose value differs (a recreated
// topic) is decoded afresh, not taken from the cache; messages never prepared are still
// written; and abandoned prepared batches do not pile up beyond maxPrepared.
func TestPrepareAhead(t *testing.T) {
	at := func(m bus.Message, off int64) bus.Message { m.Topic, m.Offset = "posts.classified", off; return m }
	batch := []bus.Message{at(msg("1", "a"), 10), at(msg("2", "b"), 11), at(msg("1", "a, edited"), 12)}
	st := &encodingStore{}
	ix := New(st)
	ctx := context.Background()
	ix.Prepare(ctx, batch)
	if st.encoded != 3 {
		t.Fatalf("Prepare encoded %d documents, want 3", st.encoded)
	}
	for i, err := range ix.Process(ctx, batch) {
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if st.encoded != 3 {
		t.Errorf("Process encoded again: %d encodings in all, want 3", st.encoded)
	}
	if got := st.given[0]; len(got) != 2 || string(got[0]) != "doc:a, edited" || string(got[1]) != "doc:b" {
		t.Errorf("documents handed to the store %q, want the prepared ones, the later version of post 1 winning", got)
	}
	if len(ix.prep) != 0 {
		t.Errorf("%d prepared entries left after Process took them", len(ix.prep))
	}

	// Same offsets, other content: not taken from the cache.
	ix.Prepare(ctx, batch)
	other := []bus.Message{at(msg("9", "z"), 10)}
	ix.Process(ctx, other)
	if p := st.calls[len(st.calls)-1][0]; p.ID != "rss:test:9" || st.given[len(st.given)-1][0] != nil {
		t.Errorf("a message whose value differs from the prepared one was taken from the cache: %s", p.ID)
	}

	// A message never prepared, and one the store refuses to encode, are still written
	// (the store reports the refusal itself).
	st.rejectID = "rss:test:5"
	ix.Prepare(ctx, []bus.Message{at(msg("5", "e"), 20)})
	errs := ix.Process(ctx, []bus.Message{at(msg("4", "d"), 30), at(msg("5", "e"), 20)})
	if errs[0] != nil || errs[1] != nil || len(st.calls[len(st.calls)-1]) != 2 {
		t.Errorf("unprepared and unencodable messages: errs %v, store got %d posts", errs, len(st.calls[len(st.calls)-1]))
	}

	// Abandoned batches are dropped once more than maxPrepared entries would be held.
	for off := int64(0); off < 3*maxPrepared; off += 500 {
		var b []bus.Message
		for i := range int64(500) {
			b = append(b, at(msg("x", "x"), 1000+off+i))
		}
		ix.Prepare(ctx, b)
		if len(ix.prep) > maxPrepared {
			t.Fatalf("%d prepared entries held, want at most %d", len(ix.prep), maxPrepared)
		}
	}
}
