package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
)

// testScan: store.Scan returns every match once, in the stores' newest-first order,
// across many windows (a window of 6 over ~30 fixtures, two of them sharing a timestamp),
// with filters and a time range, and stops early on ErrStop.
func testScan(t *testing.T, s store.Store) {
	posts := load(t, s)
	at := func(v string) time.Time { tm, _ := time.Parse(time.RFC3339, v); return tm }
	for _, q := range []store.Query{
		{},
		{Narratives: []string{"flood"}},
		{Text: "-lu", From: at("2026-10-06T00:00:00Z"), To: at("2026-11-25T09:00:00Z")},
		{Text: "to:2026-11-01"},
	} {
		q.Now = at("2026-12-01T00:00:00Z")
		for _, opt := range [][]store.ScanOption{{store.ScanPage(3), store.ScanWindow(6)}, {store.ScanPage(4), store.ScanWindow(4)}, nil} {
			var got []string
			err := store.Scan(ctx(t), s, q, func(p *post.Post) error { got = append(got, p.ID); return nil }, opt...)
			if err != nil {
				t.Fatalf("Scan(%s): %v", describe(q), err)
			}
			want := refOrder(posts, store.Query{Text: q.Text, Narratives: q.Narratives, From: q.From, To: q.To, Now: q.Now, Sort: store.SortNewest})
			if !slices.Equal(got, want) {
				t.Errorf("Scan(%s) with %d options:\n got %v\nwant %v", describe(q), len(opt), got, want)
			}
		}
	}
	n := 0
	err := store.Scan(ctx(t), s, store.Query{}, func(*post.Post) error {
		n++
		if n == 5 {
			return store.ErrStop
		}
		return nil
	}, store.ScanPage(2), store.ScanWindow(4))
	if err != nil || n != 5 {
		t.Errorf("Scan stopped by ErrStop: %d posts, err %v; want 5, nil", n, err)
	}
	boom := errors.New("boom")
	if err := store.Scan(ctx(t), s, store.Query{}, func(*post.Post) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("Scan with a failing callback: %v, want boom", err)
	}
}
