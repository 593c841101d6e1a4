package crawler

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/langnghe/langnghe/bus"
	"github.com/langnghe/langnghe/post"
)

// cursorStoreContract: a saved cursor survives reopening the store, and sources are
// independent.
func cursorStoreContract(t *testing.T, open func() CursorStore) {
	ctx := context.Background()
	s := open()
	if c, err := s.Load(ctx, "never"); err != nil || c.Since != "" || len(c.Seen) != 0 {
		t.Fatalf("unknown source: %+v, %v", c, err)
	}
	want := Cursor{Since: "42", Seen: []string{"a", "b"}, Newest: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC),
		Validators: map[string]Validator{"https://x/feed": {ETag: `"e1"`, At: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)}}}
	if err := s.Save(ctx, "tin-tuc/ví dụ", want); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, "other", Cursor{Since: "1"}); err != nil {
		t.Fatal(err)
	}
	want.Since = "43"
	if err := s.Save(ctx, "tin-tuc/ví dụ", want); err != nil {
		t.Fatal(err)
	}
	got, err := open().Load(ctx, "tin-tuc/ví dụ")
	if err != nil {
		t.Fatal(err)
	}
	if got.Since != "43" || len(got.Seen) != 2 || !got.Newest.Equal(want.Newest) || got.Validators["https://x/feed"].ETag != `"e1"` {
		t.Errorf("reopened store returned %+v", got)
	}
}

func TestFileCursors(t *testing.T) {
	dir := t.TempDir()
	cursorStoreContract(t, func() CursorStore {
		s, err := NewFileCursors(dir)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
	os.WriteFile(dir+"/broken.json", []byte("{"), 0o600)
	s, _ := NewFileCursors(dir)
	if _, err := s.Load(context.Background(), "broken"); err == nil {
		t.Error("corrupt cursor file loaded without error")
	}
}

func TestKafkaCursors(t *testing.T) {
	ctx := context.Background()
	emb, err := bus.StartEmbedded(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Close()
	p := bus.NewProducer(emb.Brokers())
	defer p.Close()
	cursorStoreContract(t, func() CursorStore {
		s, err := NewKafkaCursors(ctx, emb.Brokers(), "test.crawler.cursors", 1, p)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestTrackerBounds(t *testing.T) {
	tr := NewTracker(Cursor{}, time.Hour)
	base := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	for i := 0; i < MaxSeen+500; i++ {
		id := string(rune('a'+i%26)) + time.Duration(i).String()
		tr.Add(id, base.Add(time.Duration(i)*time.Second))
	}
	for i := 0; i < MaxValidators+10; i++ {
		tr.SetValidator("https://x/"+time.Duration(i).String(), `"e"`, "")
	}
	c := tr.Cursor()
	if len(c.Seen) != MaxSeen || len(c.Validators) != MaxValidators {
		t.Errorf("cursor holds %d seen ids and %d validators, want %d and %d", len(c.Seen), len(c.Validators), MaxSeen, MaxValidators)
	}
	next := NewTracker(c, time.Hour)
	if next.New(c.Seen[0], base) {
		t.Error("a seen id counts as new")
	}
	if next.New("fresh", c.Newest.Add(-2*time.Hour)) {
		t.Error("an unseen post older than the lookback counts as new")
	}
	if !next.New("fresh", c.Newest.Add(-30*time.Minute)) {
		t.Error("an unseen post inside the lookback is not new")
	}
}

// A replica that takes a source over after a rebalance sees the cursor the previous
// owner saved (Refresh).
func TestKafkaCursorsRefresh(t *testing.T) {
	ctx := context.Background()
	emb, err := bus.StartEmbedded(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Close()
	p := bus.NewProducer(emb.Brokers())
	defer p.Close()
	a, err := NewKafkaCursors(ctx, emb.Brokers(), "test.refresh", 1, p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewKafkaCursors(ctx, emb.Brokers(), "test.refresh", 1, p)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Save(ctx, "voz", Cursor{Since: "99"}); err != nil {
		t.Fatal(err)
	}
	if c, _ := a.Load(ctx, "voz"); c.Since != "" {
		t.Fatalf("a saw b's cursor before Refresh: %+v", c)
	}
	if err := a.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if c, _ := a.Load(ctx, "voz"); c.Since != "99" {
		t.Errorf("after Refresh a has %+v, want since 99", c)
	}
}

// A cursor saved before post ids were hashed remembers clear-text ids; the posts it names
// must not be emitted again after the upgrade (they would be indexed a second time under
// their new id), and the next cursor holds only current ids.
func TestTrackerUpgradesOldIDs(t *testing.T) {
	at := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	old := Cursor{Newest: at, Seen: []string{"bluesky:bsky.app:did:plc:abc/3k7q", "forum:voz.vn:900001"}}
	tr := NewTracker(old, time.Hour)
	for _, native := range []struct{ platform, site, id string }{{"bluesky", "bsky.app", "did:plc:abc/3k7q"}, {"forum", "voz.vn", "900001"}} {
		if tr.New(post.MakeID(native.platform, native.site, native.id), at) {
			t.Errorf("%s:%s:%s seen before the upgrade counts as new", native.platform, native.site, native.id)
		}
	}
	if !tr.New(post.MakeID("forum", "voz.vn", "900002"), at) {
		t.Error("an unseen post counts as seen")
	}
	for _, id := range tr.Cursor().Seen {
		if !post.IsHashedID(id) {
			t.Errorf("next cursor keeps old id %q", id)
		}
	}
	if old.Seen[0] != "bluesky:bsky.app:did:plc:abc/3k7q" {
		t.Error("NewTracker modified the stored cursor")
	}
}
