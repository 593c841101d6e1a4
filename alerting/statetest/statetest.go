// Package statetest is the conformance suite every alerting.StateStore passes: an empty
// store loads as nothing; snapshots round-trip (Vietnamese text, a megabyte); an engine
// restarted on the store neither re-sends what was sent nor forgets what was queued or
// counted; and, for stores shared by replicas, a concurrent writer is detected
// (alerting.ErrStateConflict) and two engines writing in turn lose nothing.
package statetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/langnghe/langnghe/alerting"
	"github.com/langnghe/langnghe/internal/clocktest"
	"github.com/langnghe/langnghe/post"
)

// Opener opens a new handle on one backing store; each call stands for a restarted
// process or another replica.
type Opener func() alerting.StateStore

// Run runs the suite. fresh returns an Opener on an empty backing store for one subtest.
// Conflicts: the store detects concurrent writers (shared stores); a store that cannot
// (the file of the embedded mode, one replica per data dir) skips that subtest.
func Run(t *testing.T, fresh func(t *testing.T) Opener, conflicts bool) {
	t.Run("Empty", func(t *testing.T) {
		data, err := fresh(t)().Load(ctx(t))
		if err != nil || data != nil {
			t.Fatalf("Load on an empty store = %q, %v; want nil, nil", data, err)
		}
	})
	t.Run("RoundTrip", func(t *testing.T) { roundTrip(t, fresh(t)) })
	t.Run("RestartWithoutResending", func(t *testing.T) { restart(t, fresh(t)) })
	t.Run("ConcurrentWriters", func(t *testing.T) {
		if !conflicts {
			t.Skip("this store serves one replica and does not detect concurrent writers")
		}
		concurrent(t, fresh(t))
	})
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func jsonEqual(t *testing.T, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("loaded snapshot is not JSON: %v (%.200q)", err, got)
	}
	_ = json.Unmarshal(want, &w)
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if !bytes.Equal(gb, wb) {
		t.Fatalf("loaded snapshot differs from the saved one:\n got %.300s\nwant %.300s", gb, wb)
	}
}

func roundTrip(t *testing.T, open Opener) {
	h := open()
	if _, err := h.Load(ctx(t)); err != nil {
		t.Fatal(err)
	}
	a := []byte(`{"seq":1,"groups":{"lua-dao|a.vn":{"rule_id":"lua-dao","key":"a.vn","count":2}},"note":"Cảnh báo lừa đảo <b>&</b> \"mã OTP\""}`)
	if err := h.Save(ctx(t), a); err != nil {
		t.Fatalf("first Save: %v", err)
	}
	got, err := open().Load(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, got, a)
	// The same handle saves again without a Load in between (the engine's normal path),
	// now a snapshot of about 1 MB (the state's recent ids and history at their caps).
	ids := make([]string, 20000)
	for i := range ids {
		ids[i] = fmt.Sprintf("facebook:trang-tin-%d:bài-%d", i%97, i)
	}
	b, _ := json.Marshal(map[string]any{"seq": 2, "recent": ids, "note": strings.Repeat("đường dây nóng ", 1000)})
	if len(b) < 500_000 {
		t.Fatalf("test snapshot only %d bytes", len(b))
	}
	if err := h.Save(ctx(t), b); err != nil {
		t.Fatalf("second Save by the same handle: %v", err)
	}
	got, err = open().Load(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, got, b)
}

// rules: one match rule; a group is sent 1 minute after its first post, the next one at
// least 5 minutes after the last.
const rules = `
rules:
  - id: lua-dao
    name: Lừa đảo chuyển khoản
    kind: match
    severity: high
    query: 'chuyển khoản'
    recipients: [truc@example.vn]
    group_wait: 1m
    group_window: 5m
`

func loadRules(t *testing.T) *alerting.RuleSet {
	rs, errs := alerting.LoadFS(fstest.MapFS{"r.yaml": {Data: []byte(rules)}}, "statetest")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return rs
}

// sink records deliveries; Fail makes them fail transiently.
type sink struct {
	mu   sync.Mutex
	sent []*alerting.Notification
	fail bool
}

func (s *sink) Name() string { return "statetest" }

func (s *sink) Notify(_ context.Context, n *alerting.Notification) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return errors.New("smtp down (test)")
	}
	c := *n
	s.sent = append(s.sent, &c)
	return nil
}

func (s *sink) all() []*alerting.Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*alerting.Notification(nil), s.sent...)
}

func engine(t *testing.T, ss alerting.StateStore, n alerting.Notifier, clk *clocktest.Clock) *alerting.Engine {
	t.Helper()
	e, err := alerting.NewEngine(loadRules(t), "", n, alerting.WithStateStore(ss), alerting.WithClock(clk.Now),
		alerting.WithRetryBackoff(50*time.Millisecond, 200*time.Millisecond))
	if err != nil {
		t.Fatalf("NewEngine on %v: %v", ss, err)
	}
	return e
}

func mkPost(i int, at time.Time) *post.Post {
	return &post.Post{Schema: 1, ID: fmt.Sprintf("forum:a.vn:%d", i), Platform: "forum", Source: "a.vn",
		URL: fmt.Sprintf("https://a.vn/t/%d", i), Text: fmt.Sprintf("bài %d: yêu cầu chuyển khoản gấp", i), PublishedAt: at, FetchedAt: at,
		Analysis: &post.Analysis{Model: "test", Sentiment: post.Label{Label: "negative", Score: -0.5}, Toxicity: post.Label{Label: "clean"}}}
}

func observe(t *testing.T, e *alerting.Engine, posts ...*post.Post) {
	t.Helper()
	if err := e.Observe(posts); err != nil {
		t.Fatalf("Observe: %v", err)
	}
}

// tickDeliver advances the clock, ticks and delivers the queue (for at most 2 s: Deliver
// returns when the queue is empty, or at the timeout while the sink fails).
func tickDeliver(t *testing.T, e *alerting.Engine, clk *clocktest.Clock, d time.Duration) {
	t.Helper()
	clk.Add(d)
	if err := e.Tick(ctx(t)); err != nil {
		t.Fatalf("Tick: %v", err)
	}
	c, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = e.Deliver(c)
}

func restart(t *testing.T, open Opener) {
	clk := clocktest.New(time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC))
	s := &sink{}
	p1, p2, p3 := mkPost(1, clk.Now()), mkPost(2, clk.Now()), mkPost(3, clk.Now())

	e := engine(t, open(), s, clk)
	observe(t, e, p1, p2)
	tickDeliver(t, e, clk, 2*time.Minute)
	if got := s.all(); len(got) != 1 || got[0].Count != 2 {
		t.Fatalf("before the restart: want 1 alert counting 2 posts, got %d: %+v", len(got), got)
	}
	observe(t, e, p3) // pending in the next window when the process dies

	// Restart: Kafka redelivers the posts after the last commit (all three here).
	e = engine(t, open(), s, clk)
	observe(t, e, p1, p2, p3)
	tickDeliver(t, e, clk, time.Minute)
	if got := s.all(); len(got) != 1 {
		t.Fatalf("after the restart, before the group window: %d alerts, want still 1 (re-sent?)", len(got))
	}
	// The window closes; SMTP is down, so the alert stays queued across another restart.
	s.mu.Lock()
	s.fail = true
	s.mu.Unlock()
	tickDeliver(t, e, clk, 5*time.Minute)
	if h := e.History(); len(h) != 2 || h[0].Status != alerting.StatusQueued || h[0].Attempts == 0 {
		t.Fatalf("history while SMTP is down: %+v", h)
	}
	s.mu.Lock()
	s.fail = false
	s.mu.Unlock()

	e = engine(t, open(), s, clk)
	tickDeliver(t, e, clk, time.Second)
	got := s.all()
	if len(got) != 2 || got[1].Count != 1 || len(got[1].PostIDs) != 1 || got[1].PostIDs[0] != p3.ID {
		t.Fatalf("after the second restart: want a second alert with only %s, got %d alerts: %+v", p3.ID, len(got), got)
	}
	if got[0].ID == got[1].ID {
		t.Fatalf("the same alert was sent twice: %s", got[0].ID)
	}
	// One more restart: nothing left to send, history intact.
	e = engine(t, open(), s, clk)
	tickDeliver(t, e, clk, time.Hour)
	if n := len(s.all()); n != 2 {
		t.Fatalf("%d alerts after the last restart, want 2", n)
	}
	h := e.History()
	if len(h) != 2 || h[0].Status != alerting.StatusSent || h[1].Status != alerting.StatusSent {
		t.Fatalf("history after restarts: %+v", h)
	}
}

func concurrent(t *testing.T, open Opener) {
	a, b := open(), open()
	for _, h := range []alerting.StateStore{a, b} {
		if _, err := h.Load(ctx(t)); err != nil {
			t.Fatal(err)
		}
	}
	x, y, z := []byte(`{"seq":1}`), []byte(`{"seq":2}`), []byte(`{"seq":3}`)
	if err := a.Save(ctx(t), x); err != nil {
		t.Fatal(err)
	}
	if err := b.Save(ctx(t), y); !errors.Is(err, alerting.ErrStateConflict) {
		t.Fatalf("second writer creating the state: err = %v, want ErrStateConflict", err)
	}
	if got, _ := open().Load(ctx(t)); got == nil {
		t.Fatal("state lost")
	} else {
		jsonEqual(t, got, x) // the conflicting write changed nothing
	}
	got, err := b.Load(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, got, x)
	if err := b.Save(ctx(t), y); err != nil {
		t.Fatalf("Save after reloading: %v", err)
	}
	if err := a.Save(ctx(t), z); !errors.Is(err, alerting.ErrStateConflict) {
		t.Fatalf("stale writer updating the state: err = %v, want ErrStateConflict", err)
	}
	got, _ = open().Load(ctx(t))
	jsonEqual(t, got, y)

	// Two engines started on the same state count posts in turn: each save after the
	// other's conflicts, the engine reloads and applies its batch again, nothing is lost.
	clk := clocktest.New(time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC))
	fresh := []byte(`{"seq":0}`)
	if err := b.Save(ctx(t), fresh); err != nil {
		t.Fatal(err)
	}
	s := &sink{}
	e1, e2 := engine(t, open(), s, clk), engine(t, open(), s, clk)
	observe(t, e1, mkPost(1, clk.Now()))
	observe(t, e2, mkPost(2, clk.Now()))
	observe(t, e1, mkPost(3, clk.Now()), mkPost(2, clk.Now())) // 2: a redelivery the other replica counted
	e3 := engine(t, open(), s, clk)
	tickDeliver(t, e3, clk, 2*time.Minute)
	if got := s.all(); len(got) != 1 || got[0].Count != 3 {
		t.Fatalf("after two replicas observed posts 1, 2, 3 (and 2 again): want 1 alert counting 3, got %+v", got)
	}
	// The replicas flush and deliver too: the alert e3 sent is not sent again.
	tickDeliver(t, e1, clk, time.Second)
	tickDeliver(t, e2, clk, time.Second)
	if n := len(s.all()); n != 1 {
		t.Fatalf("%d alerts after the other replicas ticked, want 1", n)
	}
}
