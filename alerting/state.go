package alerting

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/langnghe/langnghe/post"
)

// historyCap bounds the delivered notifications kept in the state (without bodies).
const historyCap = 1000

// seenTTL is how long a notification id is remembered after it left the history.
const seenTTL = 48 * time.Hour

// recentCap is how many ids of matched posts are remembered so a post Kafka redelivers
// (the batches after the last committed offset, at most a few thousand posts) is not
// counted twice. Observe applies every rule to a post before saving, so one global
// ring suffices; it keeps the state file small (the per-batch save cost is its size).
const recentCap = 8192

// group is the pending posts of one match rule and key.
type group struct {
	RuleID   string       `json:"rule_id"`
	Key      string       `json:"key"`
	First    time.Time    `json:"first"`     // first pending post seen (opens the batch)
	LastSent time.Time    `json:"last_sent"` // last flush of this key, zero if never
	Count    int          `json:"count"`     // pending posts
	Top      []*post.Post `json:"top"`       // the most relevant pending posts
	// IDs are the pending posts' ids (the first LinkMaxIDs), so the notification's links
	// open exactly the posts it reports.
	IDs []string `json:"ids,omitempty"`
}

// state is everything alerting must not lose or repeat across restarts. It is saved as
// one JSON snapshot through a StateStore (a file, or one Elasticsearch document) before a
// batch of posts is acknowledged to Kafka and after every delivery.
type state struct {
	Seq       int64                `json:"seq"`
	Groups    map[string]*group    `json:"groups"`
	Recent    []string             `json:"recent"` // ring of matched post ids
	RecentPos int                  `json:"recent_pos"`
	LastFired map[string]time.Time `json:"last_fired"`
	Digests   map[string]string    `json:"digests"` // rule id → local date last sent
	Queue     []*Notification      `json:"queue"`
	History   []*Notification      `json:"history"`
	// Known holds the ids of every queued or delivered notification (pruned with history),
	// so firing the same alert again is a no-op.
	Known map[string]time.Time `json:"known"`

	recentIdx map[string]struct{} // index of Recent, rebuilt on load
}

// seen reports whether post id was already counted.
func (s *state) seen(id string) bool {
	_, ok := s.recentIdx[id]
	return ok
}

// remember records a counted post id, evicting the oldest beyond recentCap.
func (s *state) remember(id string) {
	if len(s.Recent) < recentCap {
		s.Recent = append(s.Recent, id)
	} else {
		delete(s.recentIdx, s.Recent[s.RecentPos])
		s.Recent[s.RecentPos] = id
		s.RecentPos = (s.RecentPos + 1) % recentCap
	}
	s.recentIdx[id] = struct{}{}
}

func newState() *state {
	return &state{
		Groups: map[string]*group{}, recentIdx: map[string]struct{}{},
		LastFired: map[string]time.Time{}, Digests: map[string]string{}, Known: map[string]time.Time{},
	}
}

// ErrStateConflict is returned by StateStore.Save when another writer (a second alert
// replica) saved the state after this handle last loaded or saved it. Nothing was written;
// the caller must Load the other writer's state and apply its change again.
var ErrStateConflict = errors.New("alert state changed by another writer")

// StateStore persists the alert state: what fired, for which rule, key and window, the
// delivery queue and what was sent, so a restart neither re-sends nor forgets.
//
// The Engine is the only caller, one call at a time (it holds its mutex). It calls Load
// once in NewEngine and again after Save returned ErrStateConflict. It calls Save with a
// complete snapshot (opaque JSON, at most a few MB) before a batch of posts is
// acknowledged to Kafka (Process/Observe return only after Save succeeded), after every
// delivery attempt, and after Tick queued or flushed alerts.
//
// Load returns the last saved snapshot, or (nil, nil) when none was ever saved; any other
// error means the state could not be read (the engine does not start, rather than start
// afresh and re-send). Save replaces the snapshot durably before returning nil. An error
// wrapping ErrStateConflict means another writer saved since this handle's last Load or
// Save and nothing was written; any other error means the store was unavailable and the
// state may not be written: the engine keeps it dirty and saves again at the next call
// (Process fails the batch, so Kafka redelivers it).
type StateStore interface {
	Load(ctx context.Context) ([]byte, error)
	Save(ctx context.Context, snapshot []byte) error
}

// FileStateStore keeps the state in one JSON file, replaced atomically (temporary file,
// fsync, rename, fsync of the directory): the embedded mode, one alert replica per data
// dir. It cannot see another process writing the same file, so it never returns
// ErrStateConflict.
type FileStateStore struct{ Path string }

// String names the file in errors.
func (f FileStateStore) String() string { return f.Path }

// Load reads the file; a missing file is (nil, nil).
func (f FileStateStore) Load(context.Context) ([]byte, error) {
	data, err := os.ReadFile(f.Path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading alert state %s: %w", f.Path, err)
	}
	return data, nil
}

// Save replaces the file atomically.
func (f FileStateStore) Save(_ context.Context, data []byte) error {
	dir := filepath.Dir(f.Path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("alert state dir: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".state-*.tmp")
	if err != nil {
		return fmt.Errorf("alert state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing alert state %s: %w", f.Path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("syncing alert state %s: %w", f.Path, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), f.Path); err != nil {
		return fmt.Errorf("replacing alert state %s: %w", f.Path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

func loadState(path string) (*state, error) {
	data, err := FileStateStore{Path: path}.Load(context.Background())
	if err != nil {
		return nil, err
	}
	return decodeState(data, path)
}

// decodeState parses a snapshot (nil: a new state); where names it in errors.
func decodeState(data []byte, where string) (*state, error) {
	s := newState()
	if data == nil {
		return s, nil
	}
	if err := json.Unmarshal(data, s); err != nil {
		return nil, fmt.Errorf("alert state %s is corrupt (move it away to start afresh): %w", where, err)
	}
	for _, id := range s.Recent {
		s.recentIdx[id] = struct{}{}
	}
	if s.RecentPos >= recentCap || s.RecentPos < 0 {
		s.RecentPos = 0
	}
	if s.Groups == nil {
		s.Groups = map[string]*group{}
	}
	if s.LastFired == nil {
		s.LastFired = map[string]time.Time{}
	}
	if s.Digests == nil {
		s.Digests = map[string]string{}
	}
	if s.Known == nil {
		s.Known = map[string]time.Time{}
	}
	return s, nil
}

// enqueue appends n unless a notification with its id is already known. It reports
// whether n was added.
func (s *state) enqueue(n *Notification) bool {
	if _, dup := s.Known[n.ID]; dup {
		return false
	}
	s.Seq++
	n.Seq = s.Seq
	n.Status = StatusQueued
	s.Known[n.ID] = n.CreatedAt
	s.Queue = append(s.Queue, n)
	return true
}

// queued returns the queued notification with id, nil if it is not in the queue.
func (s *state) queued(id string) *Notification {
	for _, q := range s.Queue {
		if q.ID == id {
			return q
		}
	}
	return nil
}

// finish moves the queue head to the history (without its bodies).
func (s *state) finish(n *Notification) {
	for i, q := range s.Queue {
		if q.ID == n.ID {
			s.Queue = append(s.Queue[:i], s.Queue[i+1:]...)
			break
		}
	}
	h := *n
	h.Text, h.HTML = "", ""
	s.History = append(s.History, &h)
	if len(s.History) > historyCap {
		s.History = s.History[len(s.History)-historyCap:]
	}
}

// prune forgets known notification ids older than their TTL.
func (s *state) prune(now time.Time) {
	keep := map[string]bool{}
	for _, n := range s.Queue {
		keep[n.ID] = true
	}
	for _, n := range s.History {
		keep[n.ID] = true
	}
	for id, t := range s.Known {
		if !keep[id] && now.Sub(t) > seenTTL {
			delete(s.Known, id)
		}
	}
}

// history returns delivered and queued notifications, newest first.
func (s *state) history() []*Notification {
	out := make([]*Notification, 0, len(s.History)+len(s.Queue))
	for _, n := range s.History {
		c := *n
		out = append(out, &c)
	}
	for _, n := range s.Queue {
		c := *n
		c.Text, c.HTML = "", ""
		out = append(out, &c)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Seq > out[j].Seq })
	return out
}
