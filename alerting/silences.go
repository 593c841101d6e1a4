package alerting

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Silences created at run time (from the /alerts page) live in a SilenceFile under the
// data dir, beside the alert state, not in the rule files: rule files are the admins'
// reviewed configuration (often read-only, from a ConfigMap), while a silence is an
// operational decision with an expiry. The engine merges both (WithSilences).

// SilenceSource gives the engine the run-time silences still in force at now.
type SilenceSource interface {
	Active(now time.Time) []*Silence
}

// ErrNoSilence is returned by Remove for an unknown (or already expired) silence id.
var ErrNoSilence = errors.New("không có lệnh tắt này / no such silence")

// SilenceFile keeps run-time silences in one JSON file, written atomically. Several
// processes may share it (the web server adds, the alert engine reads): Active re-reads
// the file when it changed on disk, checking at most once per reload interval.
type SilenceFile struct {
	path        string
	now         func() time.Time
	reloadEvery time.Duration

	mu      sync.Mutex
	list    []*Silence
	modTime time.Time
	size    int64
	checked time.Time
}

// SilenceFileOption configures a SilenceFile.
type SilenceFileOption func(*SilenceFile)

// WithSilenceClock sets the clock that stamps and expires silences (tests).
func WithSilenceClock(now func() time.Time) SilenceFileOption {
	return func(f *SilenceFile) { f.now = now }
}

// WithSilenceReload sets how often Active checks the file for changes made by another
// process (default 2 s; 0 checks on every call).
func WithSilenceReload(d time.Duration) SilenceFileOption {
	return func(f *SilenceFile) { f.reloadEvery = d }
}

// silenceRecord is the on-disk form of one silence.
type silenceRecord struct {
	ID        string    `json:"id"`
	Rule      string    `json:"rule,omitempty"`
	Query     string    `json:"query,omitempty"`
	Until     time.Time `json:"until"`
	Comment   string    `json:"comment,omitempty"`
	CreatedBy string    `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

type silenceDoc struct {
	Silences []silenceRecord `json:"silences"`
}

// OpenSilenceFile reads path (missing: no silences yet), creating its directory.
func OpenSilenceFile(path string, opts ...SilenceFileOption) (*SilenceFile, error) {
	f := &SilenceFile{path: path, now: time.Now, reloadEvery: 2 * time.Second}
	for _, o := range opts {
		o(f)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("silences dir: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.loadLocked(); err != nil {
		return nil, err
	}
	return f, nil
}

// Path is the file's path.
func (f *SilenceFile) Path() string { return f.path }

// NewSilence checks a silence an admin asks for and compiles its query: a rule id, a
// query, or both (the rule's alerts about matching posts), until a time after now.
// knownRule, when not nil, rejects rule ids that do not exist.
func NewSilence(rule, queryText string, until, now time.Time, comment string, knownRule func(string) bool) (*Silence, error) {
	rule, queryText, comment = strings.TrimSpace(rule), strings.TrimSpace(queryText), strings.TrimSpace(comment)
	s := &Silence{Rule: rule, Until: until, Comment: comment}
	switch {
	case rule == "" && queryText == "":
		return nil, errors.New("cần luật hoặc truy vấn / needs a rule or a query")
	case !until.After(now):
		return nil, fmt.Errorf("thời điểm hết hạn %s đã qua / until %s is not in the future", until.Format(time.RFC3339), until.Format(time.RFC3339))
	case len(comment) > 500 || len(queryText) > 2000 || len(rule) > 200:
		return nil, errors.New("quá dài / too long")
	case rule != "" && knownRule != nil && !knownRule(rule):
		return nil, fmt.Errorf("không có luật %q / no rule %q", rule, rule)
	}
	if queryText != "" {
		q := QuerySpec{Text: queryText}
		m, msgs := compileQuery(q)
		if len(msgs) > 0 {
			return nil, errors.New(strings.Join(msgs, "; "))
		}
		if m.expr == nil && rule == "" {
			return nil, errors.New("truy vấn không có điều kiện nào sẽ tắt mọi cảnh báo / a query without any term would silence everything")
		}
		s.Query, s.matcher = &q, m
	}
	return s, nil
}

// Add stores s (from NewSilence) under a new id, created by who, and returns it.
func (f *SilenceFile) Add(_ context.Context, s *Silence, who string) (*Silence, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("silence id: %w", err)
	}
	c := *s
	c.ID, c.CreatedBy, c.CreatedAt, c.File = hex.EncodeToString(b), who, f.now().UTC(), f.path
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.refreshLocked(true); err != nil {
		return nil, err
	}
	next := append(f.unexpiredLocked(f.now()), &c)
	if err := f.writeLocked(next); err != nil {
		return nil, err
	}
	return &c, nil
}

// Remove deletes the silence id; ErrNoSilence when there is none (or it expired).
func (f *SilenceFile) Remove(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.refreshLocked(true); err != nil {
		return err
	}
	live := f.unexpiredLocked(f.now())
	i := slices.IndexFunc(live, func(s *Silence) bool { return s.ID == id })
	if i < 0 {
		return ErrNoSilence
	}
	return f.writeLocked(slices.Delete(live, i, i+1))
}

// List is the silences in force, soonest expiry first. A file that cannot be re-read
// keeps the last good list (and the error is returned).
func (f *SilenceFile) List(_ context.Context) ([]*Silence, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	err := f.refreshLocked(true)
	live := f.unexpiredLocked(f.now())
	slices.SortStableFunc(live, func(a, b *Silence) int { return a.Until.Compare(b.Until) })
	return live, err
}

// Active implements SilenceSource. It is called for every matching post, so the file is
// stat'ed at most once per reload interval; a read error keeps the last good list.
func (f *SilenceFile) Active(now time.Time) []*Silence {
	f.mu.Lock()
	defer f.mu.Unlock()
	_ = f.refreshLocked(false)
	return f.unexpiredLocked(now)
}

func (f *SilenceFile) unexpiredLocked(now time.Time) []*Silence {
	out := make([]*Silence, 0, len(f.list))
	for _, s := range f.list {
		if now.Before(s.Until) {
			out = append(out, s)
		}
	}
	return out
}

// refreshLocked re-reads the file if it changed since the last read; unless force, it
// looks at most once per reload interval.
func (f *SilenceFile) refreshLocked(force bool) error {
	now := time.Now()
	if !force && f.reloadEvery > 0 && now.Sub(f.checked) < f.reloadEvery {
		return nil
	}
	f.checked = now
	fi, err := os.Stat(f.path)
	if errors.Is(err, os.ErrNotExist) {
		f.list, f.modTime, f.size = nil, time.Time{}, 0
		return nil
	}
	if err != nil {
		return fmt.Errorf("silences: %w", err)
	}
	if fi.ModTime().Equal(f.modTime) && fi.Size() == f.size {
		return nil
	}
	return f.loadLocked()
}

func (f *SilenceFile) loadLocked() error {
	b, err := os.ReadFile(f.path)
	if errors.Is(err, os.ErrNotExist) {
		f.list = nil
		return nil
	}
	if err != nil {
		return fmt.Errorf("silences: %w", err)
	}
	fi, err := os.Stat(f.path)
	if err != nil {
		return fmt.Errorf("silences: %w", err)
	}
	var doc silenceDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("silences %s: %w", f.path, err)
	}
	list := make([]*Silence, 0, len(doc.Silences))
	for _, r := range doc.Silences {
		s := &Silence{ID: r.ID, Rule: r.Rule, Until: r.Until, Comment: r.Comment, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, File: f.path}
		if r.Query != "" {
			q := QuerySpec{Text: r.Query}
			m, msgs := compileQuery(q)
			if len(msgs) > 0 {
				// A query that no longer compiles (the language changed) must not widen
				// into a silence of the whole rule, nor of everything: it is dropped.
				continue
			}
			s.Query, s.matcher = &q, m
		}
		list = append(list, s)
	}
	f.list, f.modTime, f.size = list, fi.ModTime(), fi.Size()
	return nil
}

// writeLocked replaces the file with list (temp file, fsync, rename) and keeps it.
func (f *SilenceFile) writeLocked(list []*Silence) error {
	doc := silenceDoc{Silences: make([]silenceRecord, 0, len(list))}
	for _, s := range list {
		r := silenceRecord{ID: s.ID, Rule: s.Rule, Until: s.Until.UTC(), Comment: s.Comment, CreatedBy: s.CreatedBy, CreatedAt: s.CreatedAt}
		if s.Query != nil {
			r.Query = s.Query.Text
		}
		doc.Silences = append(doc.Silences, r)
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("silences: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.path), ".silences-*")
	if err != nil {
		return fmt.Errorf("silences: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("silences: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("silences: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("silences: %w", err)
	}
	if err := os.Rename(tmp.Name(), f.path); err != nil {
		return fmt.Errorf("silences: %w", err)
	}
	f.list = list
	if fi, err := os.Stat(f.path); err == nil {
		f.modTime, f.size = fi.ModTime(), fi.Size()
	}
	return nil
}
