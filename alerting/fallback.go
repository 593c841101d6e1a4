package alerting

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"
)

// FallbackStateStore keeps the alert state in Remote (the versioned Elasticsearch
// document) and, while Remote cannot be reached, in a local file, so match rules keep
// counting and delivering during an outage: the batch is acknowledged to Kafka once the
// local file holds it (fsynced), as in the embedded mode.
//
// While degraded it writes only the local file and tries Remote again at most every
// probe interval (the engine's Tick saves while Pending is true, so recovery does not
// wait for the next post). The local file exists exactly while it holds changes Remote
// lacks; it is removed once Remote took them. If another writer saved Remote meanwhile
// (a second replica, or a write that timed out but landed), the two snapshots are merged
// (MergeSnapshots: union of queues, history, known ids and groups) and written with the
// version just read, and Save returns ErrStateConflict so the engine reloads the merged
// state and applies its change again. A restart during the outage loads the local file
// (merged with Remote when that answers).
type FallbackStateStore struct {
	Remote StateStore
	Local  FileStateStore
	probe  time.Duration
	health *Degraded

	mu        sync.Mutex
	degraded  bool
	pending   bool // Local holds changes Remote lacks
	lastProbe time.Time
	lastLocal []byte
}

// ErrStateMerged (an ErrStateConflict) is returned by FallbackStateStore.Save when it
// merged the local changes of an outage into a document another writer changed: the
// engine reloads the merged state and applies its change again.
var ErrStateMerged = fmt.Errorf("alert state merged after an outage: %w", ErrStateConflict)

// remoteTimeout bounds one Remote call while degraded, so a black-holed connection holds
// up a batch for seconds, not the engine's whole stateTimeout.
const remoteTimeout = 5 * time.Second

// NewFallbackStateStore returns a store on remote falling back to the file localPath.
// probe is how often Remote is tried while degraded (default 2s); d hears of outages.
func NewFallbackStateStore(remote StateStore, localPath string, probe time.Duration, d *Degraded) *FallbackStateStore {
	if probe <= 0 {
		probe = 2 * time.Second
	}
	f := &FallbackStateStore{Remote: remote, Local: FileStateStore{Path: localPath}, probe: probe, health: d}
	if _, err := os.Stat(localPath); err == nil {
		f.pending = true
	}
	return f
}

// String names both places in errors.
func (f *FallbackStateStore) String() string {
	return fmt.Sprint(f.Remote) + " (local fallback " + f.Local.Path + ")"
}

// Pending reports whether the local file holds changes Remote lacks.
func (f *FallbackStateStore) Pending() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pending
}

// Load reads Remote, merged with the local file when that holds changes; with Remote
// unreachable, the local file (if it holds any) — otherwise Remote's error.
func (f *FallbackStateStore) Load(ctx context.Context) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	data, err := f.Remote.Load(ctx)
	if err != nil {
		local, lerr := f.Local.Load(ctx)
		if lerr != nil || local == nil || !f.pending {
			return nil, err
		}
		f.markDegraded(err)
		return local, nil
	}
	if !f.pending {
		return data, nil
	}
	local, lerr := f.Local.Load(ctx)
	if lerr != nil {
		return nil, lerr
	}
	merged, err := MergeSnapshots(local, data)
	if err != nil {
		return nil, err
	}
	if err := f.reconcileLocked(ctx, merged); err != nil && !errors.Is(err, ErrStateConflict) {
		// Still not written: keep the merged state locally and carry on degraded.
		f.markDegraded(err)
		if lerr := f.saveLocal(ctx, merged); lerr != nil {
			return nil, lerr
		}
	}
	return merged, nil
}

// Save writes Remote, or the local file while Remote is unreachable.
func (f *FallbackStateStore) Save(ctx context.Context, snapshot []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.degraded && time.Since(f.lastProbe) < f.probe {
		return f.saveLocal(ctx, snapshot)
	}
	f.lastProbe = time.Now()
	rctx, cancel := context.WithTimeout(ctx, remoteTimeout)
	err := f.Remote.Save(rctx, snapshot)
	cancel()
	switch {
	case err == nil:
		f.recovered()
		return nil
	case errors.Is(err, ErrStateConflict):
		if !f.pending {
			return err // another replica saved: the engine reloads and reapplies
		}
		// Remote moved while we kept changes locally: merge ours into it.
		rctx, cancel := context.WithTimeout(ctx, remoteTimeout)
		defer cancel()
		remote, lerr := f.Remote.Load(rctx)
		if lerr != nil {
			f.markDegraded(lerr)
			return f.saveLocal(ctx, snapshot)
		}
		merged, merr := MergeSnapshots(snapshot, remote)
		if merr != nil {
			return merr
		}
		if rerr := f.reconcileLocked(rctx, merged); rerr != nil {
			if !errors.Is(rerr, ErrStateConflict) {
				f.markDegraded(rerr)
				return f.saveLocal(ctx, merged)
			}
			return rerr
		}
		// Written; the engine must now reload the merged state (it lacks the other half).
		return fmt.Errorf("%v: %w", f.Remote, ErrStateMerged)
	default:
		f.markDegraded(err)
		return f.saveLocal(ctx, snapshot)
	}
}

// reconcileLocked writes merged to Remote (whose version Load just read).
func (f *FallbackStateStore) reconcileLocked(ctx context.Context, merged []byte) error {
	if err := f.Remote.Save(ctx, merged); err != nil {
		return err
	}
	f.recovered()
	return nil
}

func (f *FallbackStateStore) markDegraded(err error) {
	if !f.degraded {
		f.degraded = true
		f.lastProbe = time.Now()
	}
	f.health.Fail(PartState, err)
}

// recovered forgets the local copy once Remote holds everything.
func (f *FallbackStateStore) recovered() {
	if f.pending {
		_ = os.Remove(f.Local.Path)
		f.pending, f.lastLocal = false, nil
	}
	f.degraded = false
	f.health.OK(PartState)
}

func (f *FallbackStateStore) saveLocal(ctx context.Context, snapshot []byte) error {
	if f.pending && bytes.Equal(snapshot, f.lastLocal) {
		return nil // the engine saves every tick while pending; nothing changed
	}
	if err := f.Local.Save(ctx, snapshot); err != nil {
		return err
	}
	f.pending, f.lastLocal = true, bytes.Clone(snapshot)
	return nil
}

// MergeSnapshots combines two alert states that diverged (one replica's local state kept
// during an outage and the document another writer saved): queued and delivered
// notifications, known ids, matched post ids and groups are united; for a group or a
// notification both hold, the more advanced copy wins (later last flush, then more
// pending posts; a finished delivery over a queued one). Neither side loses an alert, and
// none is sent twice.
func MergeSnapshots(a, b []byte) ([]byte, error) {
	sa, err := decodeState(a, "local")
	if err != nil {
		return nil, err
	}
	sb, err := decodeState(b, "remote")
	if err != nil {
		return nil, err
	}
	m := mergeStates(sa, sb)
	return json.Marshal(m)
}

func mergeStates(a, b *state) *state {
	m := newState()
	m.Seq = max(a.Seq, b.Seq)
	for _, s := range []*state{a, b} {
		for k, g := range s.Groups {
			if o := m.Groups[k]; o == nil || g.LastSent.After(o.LastSent) || (g.LastSent.Equal(o.LastSent) && g.Count > o.Count) {
				m.Groups[k] = g
			}
		}
		for k, t := range s.LastFired {
			if t.After(m.LastFired[k]) {
				m.LastFired[k] = t
			}
		}
		for k, d := range s.Digests {
			if d > m.Digests[k] {
				m.Digests[k] = d
			}
		}
		for k, t := range s.Known {
			if t.After(m.Known[k]) {
				m.Known[k] = t
			}
		}
	}
	// Recent: a's ring in order, then b's ids a lacks.
	for _, s := range []*state{a, b} {
		for i := range s.Recent {
			id := s.Recent[(s.RecentPos+i)%len(s.Recent)]
			if !m.seen(id) {
				m.remember(id)
			}
		}
	}
	hist := map[string]*Notification{}
	for _, s := range []*state{a, b} {
		for _, n := range s.History {
			if o := hist[n.ID]; o == nil || n.SentAt.After(o.SentAt) || n.Attempts > o.Attempts {
				hist[n.ID] = n
			}
		}
	}
	for _, n := range hist {
		m.History = append(m.History, n)
	}
	sort.SliceStable(m.History, func(i, j int) bool {
		x, y := m.History[i], m.History[j]
		if !x.SentAt.Equal(y.SentAt) {
			return x.SentAt.Before(y.SentAt)
		}
		return x.Seq < y.Seq
	})
	if len(m.History) > historyCap {
		m.History = m.History[len(m.History)-historyCap:]
	}
	queued := map[string]*Notification{}
	for _, s := range []*state{a, b} {
		for _, n := range s.Queue {
			if hist[n.ID] != nil {
				continue // the other side delivered it
			}
			if o := queued[n.ID]; o == nil || n.Attempts > o.Attempts {
				queued[n.ID] = n
			}
		}
	}
	for _, n := range queued {
		m.Queue = append(m.Queue, n)
	}
	sort.SliceStable(m.Queue, func(i, j int) bool {
		x, y := m.Queue[i], m.Queue[j]
		if x.Seq != y.Seq {
			return x.Seq < y.Seq
		}
		return x.CreatedAt.Before(y.CreatedAt)
	})
	return m
}
