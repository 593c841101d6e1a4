// Package triage keeps the analysts' decisions on posts: reviewed, false positive,
// escalate. Every decision is a record appended to an audit log (who, when, what, and
// the post's state before it); a post's state is its latest record. The records feed the
// queue page and, exported as labelled JSON Lines, the next model's training.
package triage

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// Actions.
const (
	Reviewed      = "reviewed"
	FalsePositive = "false_positive"
	Escalate      = "escalate"
)

// ValidAction reports whether a is one of the actions.
func ValidAction(a string) bool { return a == Reviewed || a == FalsePositive || a == Escalate }

// Record is one decision on one post.
type Record struct {
	PostID   string    `json:"post_id"`
	Action   string    `json:"action"`
	Previous string    `json:"previous"` // the post's action before this one; "" if none
	User     string    `json:"user"`
	Role     string    `json:"role"`
	At       time.Time `json:"at"`
	Note     string    `json:"note,omitempty"`
}

// Store keeps records. Record appends durably (it returns after the record is on disk or
// acknowledged by the backend) and fills r.Previous from the post's current state.
// Latest and All are called by the web API, concurrently with Record.
type Store interface {
	Record(ctx context.Context, r *Record) error
	// Latest returns the latest record of each of ids that has one.
	Latest(ctx context.Context, ids []string) (map[string]Record, error)
	// History returns every record of one post, oldest first.
	History(ctx context.Context, id string) ([]Record, error)
	// All calls fn with every record, oldest first.
	All(ctx context.Context, fn func(Record) error) error
}

// MaxNote is the longest note a record keeps.
const MaxNote = 2000

// Check validates r before it is stored.
func Check(r *Record) error {
	switch {
	case r.PostID == "" || len(r.PostID) > 512:
		return errors.New("post_id: cần / want 1 to 512 bytes")
	case !ValidAction(r.Action):
		return fmt.Errorf("action %q: cần / want reviewed, false_positive hoặc / or escalate", r.Action)
	case len(r.Note) > MaxNote:
		return fmt.Errorf("note: tối đa / at most %d bytes", MaxNote)
	}
	return nil
}

// File is the embedded mode's Store: one JSON Lines file, appended and fsynced per
// record, read whole at open into memory (a team's decisions are small: a million records
// is about 150 MB of file).
type File struct {
	path string
	mu   sync.Mutex
	f    *os.File
	all  []Record
	last map[string]int // post id -> index into all of its latest record
}

// OpenFile opens or creates dir/triage.jsonl. A torn last line (a crash mid-write) is
// ignored; any other bad line fails the open with its line number.
func OpenFile(dir string) (*File, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("triage dir: %w", err)
	}
	path := filepath.Join(dir, "triage.jsonl")
	s := &File{path: path, last: map[string]int{}}
	if f, err := os.Open(path); err == nil {
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		var bad error
		for line := 1; sc.Scan(); line++ {
			if bad != nil {
				f.Close()
				return nil, bad
			}
			var r Record
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				bad = fmt.Errorf("%s:%d: %w", path, line, err)
				continue
			}
			s.add(r)
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("triage: %w", err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o640)
	if err != nil {
		return nil, fmt.Errorf("triage: %w", err)
	}
	s.f = f
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if r, err := os.Open(path); err == nil {
			_, _ = r.ReadAt(last, st.Size()-1)
			r.Close()
		}
		if last[0] != '\n' {
			_, _ = f.Write([]byte{'\n'}) // end a torn line, so the next record starts clean
		}
	}
	return s, nil
}

func (s *File) add(r Record) {
	s.all = append(s.all, r)
	s.last[r.PostID] = len(s.all) - 1
}

// Record appends r and fsyncs before returning.
func (s *File) Record(_ context.Context, r *Record) error {
	if err := Check(r); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r.Previous = ""
	if i, ok := s.last[r.PostID]; ok {
		r.Previous = s.all[i].Action
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if _, err := s.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("triage write: %w", err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("triage fsync: %w", err)
	}
	s.add(*r)
	return nil
}

// Latest implements Store.
func (s *File) Latest(_ context.Context, ids []string) (map[string]Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]Record{}
	for _, id := range ids {
		if i, ok := s.last[id]; ok {
			out[id] = s.all[i]
		}
	}
	return out, nil
}

// History implements Store.
func (s *File) History(_ context.Context, id string) ([]Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Record
	for _, r := range s.all {
		if r.PostID == id {
			out = append(out, r)
		}
	}
	return out, nil
}

// All implements Store.
func (s *File) All(ctx context.Context, fn func(Record) error) error {
	s.mu.Lock()
	all := slices.Clone(s.all)
	s.mu.Unlock()
	for _, r := range all {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// Close closes the file.
func (s *File) Close() error { return s.f.Close() }

// Path is the log file's path.
func (s *File) Path() string { return s.path }
