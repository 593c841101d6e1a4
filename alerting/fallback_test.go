package alerting_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/langnghe/langnghe/alerting"
	"github.com/langnghe/langnghe/alerting/statetest"
	"github.com/langnghe/langnghe/post"
)

var errDown = errors.New("dial tcp 127.0.0.1:9200: connect: connection refused")

// memDoc is a versioned document like esstate's; memRemote is one writer's handle on it.
type memDoc struct {
	mu   sync.Mutex
	data []byte
	ver  int
	down atomic.Bool
}

type memRemote struct {
	doc   *memDoc
	known int
}

func (r *memRemote) Load(context.Context) ([]byte, error) {
	if r.doc.down.Load() {
		return nil, errDown
	}
	r.doc.mu.Lock()
	defer r.doc.mu.Unlock()
	r.known = r.doc.ver
	return bytes.Clone(r.doc.data), nil
}

func (r *memRemote) Save(_ context.Context, b []byte) error {
	if r.doc.down.Load() {
		return errDown
	}
	r.doc.mu.Lock()
	defer r.doc.mu.Unlock()
	if r.known != r.doc.ver {
		return alerting.ErrStateConflict
	}
	r.doc.ver++
	r.known = r.doc.ver
	r.doc.data = bytes.Clone(b)
	return nil
}

func (r *memRemote) String() string { return "memdoc" }

// TestFallbackStateStoreConformance: with the remote up, the fallback store behaves as a
// StateStore shared by replicas (conflicts detected).
func TestFallbackStateStoreConformance(t *testing.T) {
	statetest.Run(t, func(t *testing.T) statetest.Opener {
		doc := &memDoc{}
		dir := t.TempDir()
		n := 0
		return func() alerting.StateStore {
			n++
			return alerting.NewFallbackStateStore(&memRemote{doc: doc}, filepath.Join(dir, fmt.Sprintf("local-%d.json", n)), time.Millisecond, nil)
		}
	}, true)
}

type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Write(p) }
func (l *logBuf) String() string              { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

const outageRules = `
rules:
  - id: lua-dao
    name: Lừa đảo
    kind: match
    severity: high
    query: 'narrative:scam'
    recipients: [%RCPT%]
    group_by: source
    group_wait: 10s
    group_window: 1m
`

type historyMem struct {
	mu   sync.Mutex
	docs map[string]string // id -> status
	seq  []string
	down atomic.Bool
}

func (h *historyMem) Record(_ context.Context, n *alerting.Notification) error {
	if h.down.Load() {
		return errDown
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.docs[n.ID] = n.Status
	h.seq = append(h.seq, n.ID+":"+n.Status)
	return nil
}

func (h *historyMem) statuses() map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]string{}
	for k, v := range h.docs {
		out[k] = v
	}
	return out
}

// TestAlertingDuringStateOutage: the remote state document goes away for 40 ticks while
// posts keep arriving. Observe keeps succeeding (so Kafka offsets move), alerts are
// flushed and emailed during the outage, and the log says once that alerting is degraded
// and once that it recovered. Meanwhile another writer saved the document; after the
// outage the remote holds the union (its alert and ours), the local file is gone, the
// engine's history shows both, and the spooled history records all land in order.
func TestAlertingDuringStateOutage(t *testing.T) {
	rcpt := uniqueRcpt(t.Name())
	rules := writeRules(t, outageRules, rcpt)
	doc := &memDoc{}
	dir := t.TempDir()
	local := filepath.Join(dir, "alerts", "state.pending.json")
	var logs logBuf
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	deg := alerting.NewDegraded(log, nil)
	hist := &historyMem{docs: map[string]string{}}
	spool, err := alerting.OpenHistorySpool(filepath.Join(dir, "alerts", "history.spool"), hist, alerting.WithSpoolDegraded(deg), alerting.WithSpoolBackoff(time.Millisecond, 5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go spool.Run(ctx)
	fb := alerting.NewFallbackStateStore(&memRemote{doc: doc}, local, time.Millisecond, deg)
	f := newFixture(t, rules, alerting.WithStateStore(fb), alerting.WithDegraded(deg), alerting.WithRecorder(spool), alerting.WithLogger(log))
	now := f.clk.Now()
	observe := func(source string, n int) {
		t.Helper()
		var ps []*post.Post
		for i := range n {
			ps = append(ps, mkPost(fmt.Sprintf("%s-%d-%d", source, time.Now().UnixNano(), i), source, "scam", "lừa đảo", now))
		}
		if err := f.e.Observe(ps); err != nil {
			t.Fatalf("Observe(%s): %v", source, err)
		}
	}
	observe("before.vn", 3)
	f.step(11 * time.Second) // one email before the outage

	doc.down.Store(true)
	hist.down.Store(true)
	observe("during-a.vn", 4)
	observe("during-b.vn", 5)
	for range 20 {
		f.step(time.Second) // flushes and delivers both groups during the outage
	}
	if len(f.sink.emails(t, rcpt)) != 3 {
		t.Fatalf("emails during the outage: %v, want 3 (one before, two during)", subjects(f.sink.emails(t, rcpt)))
	}
	if _, err := os.Stat(local); err != nil {
		t.Fatalf("no local state file during the outage: %v", err)
	}
	if spool.Backlog() == 0 {
		t.Fatal("history backlog is 0 during the outage")
	}
	// Another replica's alert lands in the document while we are cut off from it.
	doc.down.Store(false)
	injectOther(t, doc)
	doc.down.Store(true)
	for range 20 {
		f.step(time.Second)
	}
	doc.down.Store(false)
	hist.down.Store(false)
	time.Sleep(5 * time.Millisecond) // the probe interval (1 ms here, wall clock)
	f.step(time.Second)
	f.step(time.Second)
	if _, err := os.Stat(local); !os.IsNotExist(err) {
		t.Errorf("local state file still there after recovery: %v", err)
	}
	var remote struct {
		History []*alerting.Notification `json:"history"`
	}
	doc.mu.Lock()
	json.Unmarshal(doc.data, &remote)
	doc.mu.Unlock()
	ids := map[string]bool{}
	for _, n := range remote.History {
		ids[n.ID] = true
	}
	if len(remote.History) != 4 || !ids["other-replica-alert"] {
		t.Errorf("remote history after recovery: %d alerts %v, want our 3 and the other replica's", len(remote.History), ids)
	}
	if h := f.e.History(); len(h) != 4 {
		t.Errorf("engine history after recovery: %d, want 4", len(h))
	}
	deadline := time.Now().Add(5 * time.Second)
	for spool.Backlog() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	st := hist.statuses()
	sent := 0
	for _, s := range st {
		if s == alerting.StatusSent {
			sent++
		}
	}
	if spool.Backlog() != 0 || sent != 3 {
		t.Errorf("history index after the outage: backlog %d, %v; want 3 sent", spool.Backlog(), st)
	}
	out := logs.String()
	if n := strings.Count(out, "alerting degraded"); n != 1 {
		t.Errorf("degraded logged %d times, want once:\n%s", n, out)
	}
	if n := strings.Count(out, "alerting recovered"); n != 1 {
		t.Errorf("recovered logged %d times, want once:\n%s", n, out)
	}
	if n := strings.Count(out, "level=WARN"); n != 1 {
		t.Errorf("%d WARN lines during a 40-tick outage, want 1:\n%s", n, out)
	}
}

// injectOther writes a state holding one delivered alert of another replica on top of doc.
func injectOther(t *testing.T, doc *memDoc) {
	t.Helper()
	r := &memRemote{doc: doc}
	data, err := r.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	h, _ := m["history"].([]any)
	m["history"] = append(h, map[string]any{"id": "other-replica-alert", "rule_id": "x", "status": "sent", "sent_at": time.Now().UTC(), "created_at": time.Now().UTC()})
	b, _ := json.Marshal(m)
	if err := r.Save(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}

// TestFallbackRestartDuringOutage: a process restarted while the remote is still down
// starts from the local file (nothing counted is forgotten), and a process whose remote
// answers merges the local file into it at start.
func TestFallbackRestartDuringOutage(t *testing.T) {
	rcpt := uniqueRcpt(t.Name())
	rules := writeRules(t, outageRules, rcpt)
	doc := &memDoc{}
	local := filepath.Join(t.TempDir(), "state.pending.json")
	mk := func() alerting.Option {
		return alerting.WithStateStore(alerting.NewFallbackStateStore(&memRemote{doc: doc}, local, time.Millisecond, nil))
	}
	f := newFixture(t, rules, mk())
	doc.down.Store(true)
	p := mkPost("1", "a.vn", "scam", "lừa đảo", f.clk.Now())
	if err := f.e.Observe([]*post.Post{p}); err != nil {
		t.Fatal(err)
	}
	f.opts = []alerting.Option{mk()}
	f.restart()                                          // remote still down: the local file
	if err := f.e.Observe([]*post.Post{p}); err != nil { // Kafka redelivers it
		t.Fatal(err)
	}
	doc.down.Store(false)
	time.Sleep(5 * time.Millisecond)
	f.restart() // remote up: merged at load
	f.step(11 * time.Second)
	if got := f.sink.emails(t, rcpt); len(got) != 1 || !strings.Contains(got[0].Subject, "1 bài mới") {
		t.Fatalf("after restarts during the outage: %v, want one email counting the post once", subjects(got))
	}
	if _, err := os.Stat(local); !os.IsNotExist(err) {
		t.Errorf("local file after reconciliation: %v", err)
	}
}
