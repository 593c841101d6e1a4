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
