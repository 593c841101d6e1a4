// Package triagetest is the conformance suite every triage.Store passes: the audit
// chain (each record's Previous is the action before it, also under concurrent writers),
// latest state, history and export order, validation, hostile post ids and durability
// across a reopen.
package triagetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/langnghe/langnghe/triage"
)

// Opener returns a fresh, empty store and a function that opens a second handle on the
// same data (as a restart or another replica would).
type Opener func(t *testing.T) (s triage.Store, reopen func(t *testing.T) triage.Store)

// Option adjusts the suite to a store.
type Option func(*config)

type config struct{ handles int }

// SharedWriters says the store supports several handles writing at once (replicas on one
// Elasticsearch index): the concurrent case then spreads its writers over n handles. The
// File store is one handle per data dir (one process owns it), the default.
func SharedWriters(n int) Option { return func(c *config) { c.handles = n } }

// Run runs the suite.
func Run(t *testing.T, open Opener, opts ...Option) {
	c := config{handles: 1}
	for _, o := range opts {
		o(&c)
	}
	t.Run("Chain", func(t *testing.T) { testChain(t, open) })
	t.Run("Invalid", func(t *testing.T) { testInvalid(t, open) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, open, c.handles) })
	t.Run("ClockSkew", func(t *testing.T) { testClockSkew(t, open) })
}

// testClockSkew: a replica whose clock is behind dates its decision before the one it
// follows; All (the training export reads the last record of each post from it) still
// gives the post's records in decision order.
func testClockSkew(t *testing.T, open Opener) {
	ctx := context.Background()
	s, _ := open(t)
	first, second := rec("forum:skew:1", triage.Escalate, "lan", 10), rec("forum:skew:1", triage.FalsePositive, "minh", 0)
	for _, r := range []*triage.Record{first, second} {
		if err := s.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	if err := s.All(ctx, func(r triage.Record) error { got = append(got, r.Action); return nil }); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[escalate false_positive]" {
		t.Errorf("all = %v, want the decisions in the order taken", got)
	}
	if l, _ := s.Latest(ctx, []string{"forum:skew:1"}); l["forum:skew:1"].Action != triage.FalsePositive {
		t.Errorf("latest %+v, want the second decision", l)
	}
}

var t0 = time.Date(2026, 12, 1, 8, 30, 15, 123456789, time.UTC)

func rec(id, action, user string, i int) *triage.Record {
	return &triage.Record{PostID: id, Action: action, User: user, Role: "analyst", At: t0.Add(time.Duration(i) * time.Minute), Note: fmt.Sprintf("ghi chú %d <b>", i)}
}

// hostileID is a post id with every character a path, a document id or JSON could trip on.
const hostileID = `forum:x:<script>/../ %?#&"'\` + "ý kiến"

func testChain(t *testing.T, open Opener) {
	ctx := context.Background()
	s, reopen := open(t)
	steps := []*triage.Record{
		rec("forum:a:1", triage.Reviewed, "lan", 0),
		rec(hostileID, triage.Escalate, "minh", 1),
		rec("forum:a:1", triage.FalsePositive, "minh", 2),
		rec("forum:a:1", triage.Escalate, "lan", 3),
		rec(hostileID, triage.Reviewed, "lan", 4),
	}
	wantPrev := []string{"", "", triage.Reviewed, triage.FalsePositive, triage.Escalate}
	for i, r := range steps {
		r.Previous = "stale value the store must replace"
		if err := s.Record(ctx, r); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if r.Previous != wantPrev[i] {
			t.Errorf("record %d (%s %s): previous %q, want %q", i, r.PostID, r.Action, r.Previous, wantPrev[i])
		}
	}
	check := func(name string, s triage.Store) {
		t.Helper()
		latest, err := s.Latest(ctx, []string{"forum:a:1", hostileID, "forum:none"})
		if err != nil {
			t.Fatalf("%s: latest: %v", name, err)
		}
		if len(latest) != 2 || latest["forum:a:1"].Action != triage.Escalate || latest["forum:a:1"].User != "lan" ||
			latest[hostileID].Action != triage.Reviewed || latest[hostileID].Previous != triage.Escalate {
			t.Errorf("%s: latest = %+v, want escalate by lan and reviewed after escalate, no entry for forum:none", name, latest)
		}
		h, err := s.History(ctx, "forum:a:1")
		if err != nil {
			t.Fatalf("%s: history: %v", name, err)
		}
		if len(h) != 3 {
			t.Fatalf("%s: history of forum:a:1 has %d records, want 3: %+v", name, len(h), h)
		}
		for i, want := range []*triage.Record{steps[0], steps[2], steps[3]} {
			if !same(h[i], *want) {
				t.Errorf("%s: history[%d] = %+v, want %+v", name, i, h[i], *want)
			}
		}
		if h, err := s.History(ctx, "forum:none"); err != nil || len(h) != 0 {
			t.Errorf("%s: history of an untriaged post: %v, %v; want none", name, h, err)
		}
		var all []triage.Record
		if err := s.All(ctx, func(r triage.Record) error { all = append(all, r); return nil }); err != nil {
			t.Fatalf("%s: all: %v", name, err)
		}
		if len(all) != len(steps) {
			t.Fatalf("%s: all gave %d records, want %d", name, len(all), len(steps))
		}
		for i := range steps {
			if !same(all[i], *steps[i]) {
				t.Errorf("%s: all[%d] = %+v, want %+v (oldest first)", name, i, all[i], *steps[i])
			}
		}
		stop := fmt.Errorf("stop")
		n := 0
		if err := s.All(ctx, func(triage.Record) error { n++; return stop }); err != stop || n != 1 {
			t.Errorf("%s: all stops at fn's first error: got %v after %d calls", name, err, n)
		}
	}
	check("same handle", s)
	check("reopened", reopen(t))
}

func same(a, b triage.Record) bool {
	return a.PostID == b.PostID && a.Action == b.Action && a.Previous == b.Previous && a.User == b.User &&
		a.Role == b.Role && a.At.Equal(b.At) && a.Note == b.Note
}

func testInvalid(t *testing.T, open Opener) {
	ctx := context.Background()
	s, _ := open(t)
	for _, r := range []*triage.Record{
		{PostID: "", Action: triage.Reviewed, At: t0},
		{PostID: strings.Repeat("x", 513), Action: triage.Reviewed, At: t0},
		{PostID: "forum:a:1", Action: "delete", At: t0},
		{PostID: "forum:a:1", Action: triage.Reviewed, At: t0, Note: strings.Repeat("n", triage.MaxNote+1)},
	} {
		if err := s.Record(ctx, r); err == nil {
			t.Errorf("record %.40q %q (note %d bytes) accepted, want an error", r.PostID, r.Action, len(r.Note))
		}
	}
	n := 0
	if err := s.All(ctx, func(triage.Record) error { n++; return nil }); err != nil || n != 0 {
		t.Errorf("after refused records: %d stored, err %v; want none", n, err)
	}
	long := strings.Repeat("é", 256) // 512 bytes: the longest id allowed
	if err := s.Record(ctx, rec(long, triage.Reviewed, "lan", 0)); err != nil {
		t.Fatalf("512-byte post id: %v", err)
	}
	if l, err := s.Latest(ctx, []string{long}); err != nil || l[long].Action != triage.Reviewed {
		t.Errorf("latest of a 512-byte id: %+v, %v", l, err)
	}
}

// testConcurrent: analysts (on several handles, replicas, where the store allows) triage one post at once; every
// decision is kept and the history is one chain, each Previous the action before it.
func testConcurrent(t *testing.T, open Opener, n int) {
	ctx := context.Background()
	s, reopen := open(t)
	handles := []triage.Store{s}
	for len(handles) < n {
		handles = append(handles, reopen(t))
	}
	const writers, each = 6, 4
	actions := []string{triage.Reviewed, triage.FalsePositive, triage.Escalate}
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				r := rec("forum:busy:1", actions[(w+i)%3], fmt.Sprintf("user%d", w), w*each+i)
				if err := handles[w%len(handles)].Record(ctx, r); err != nil {
					errs <- err
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent record: %v", err)
	}
	h, err := reopen(t).History(ctx, "forum:busy:1")
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != writers*each {
		t.Fatalf("history has %d records, want %d", len(h), writers*each)
	}
	prev := ""
	for i, r := range h {
		if r.Previous != prev {
			t.Fatalf("history[%d] previous %q, but the record before it is %q: the chain is broken", i, r.Previous, prev)
		}
		prev = r.Action
	}
	for _, hd := range handles {
		if l, err := hd.Latest(ctx, []string{"forum:busy:1"}); err != nil || l["forum:busy:1"].Action != prev {
			t.Errorf("latest %+v, %v; want the history's last action %q", l, err, prev)
		}
	}
}
