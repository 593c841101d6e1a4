package crawler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
)

// CursorStore persists one Cursor per source name.
//
// The Runner calls Load once per pass before Fetch and Save after the sink accepted the
// pass's posts; calls for one source never overlap, calls for different sources may.
// Load returns the zero Cursor and no error for a source never saved. Any error means
// the store could not be read or written (disk, Kafka): the Runner fails that pass and
// does not advance, so no post is lost.
type CursorStore interface {
	Load(ctx context.Context, source string) (Cursor, error)
	Save(ctx context.Context, source string, c Cursor) error
}

// ErrCursorCorrupt marks a saved cursor that cannot be read back (empty, truncated, not
// JSON): the source fails every pass until an operator removes it (see CursorError).
var ErrCursorCorrupt = errors.New("saved cursor is damaged")

// CursorError is a damaged cursor: which source, which file, why. Its message says what to
// do, because nothing but deleting the file brings the source back.
type CursorError struct {
	Source string
	Path   string
	Err    error
}

func (e *CursorError) Error() string {
	return fmt.Sprintf("crawler cursor %s: %s is damaged (%v): delete it to crawl this source from scratch (posts already stored are overwritten, not duplicated)", e.Source, e.Path, e.Err)
}

// Unwrap lets errors.Is find ErrCursorCorrupt and the cause.
func (e *CursorError) Unwrap() []error { return []error{ErrCursorCorrupt, e.Err} }

// FileCursors keeps each cursor as dir/<source>.json, written atomically (temp file,
// fsync, rename), for the embedded mode.
type FileCursors struct {
	dir string
	mu  sync.Mutex
}

// NewFileCursors creates dir (0700) if needed.
func NewFileCursors(dir string) (*FileCursors, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("crawler cursors: %w", err)
	}
	return &FileCursors{dir: dir}, nil
}

var safeName = regexp.MustCompile(`[^A-Za-z0-9._-]`)

func (s *FileCursors) path(source string) string {
	return filepath.Join(s.dir, safeName.ReplaceAllString(source, "_")+".json")
}

// Load implements CursorStore.
func (s *FileCursors) Load(_ context.Context, source string) (Cursor, error) {
	b, err := os.ReadFile(s.path(source))
	if errors.Is(err, os.ErrNotExist) {
		return Cursor{}, nil
	}
	if err != nil {
		return Cursor{}, fmt.Errorf("crawler cursor %s: %w", source, err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return Cursor{}, &CursorError{Source: source, Path: s.path(source), Err: errors.New("empty file")}
	}
	var c Cursor
	if err := json.Unmarshal(b, &c); err != nil {
		return Cursor{}, &CursorError{Source: source, Path: s.path(source), Err: err}
	}
	return c, nil
}

// Save implements CursorStore.
func (s *FileCursors) Save(_ context.Context, source string, c Cursor) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.path(source)
	f, err := os.CreateTemp(s.dir, ".cursor-*")
	if err != nil {
		return fmt.Errorf("crawler cursor %s: %w", source, err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("crawler cursor %s: %w", source, err)
	}
	return nil
}

// MemCursors is an in-memory CursorStore for tests and `crawl --once` without a data dir.
type MemCursors struct {
	mu sync.Mutex
	m  map[string]Cursor
}

// NewMemCursors returns an empty store.
func NewMemCursors() *MemCursors { return &MemCursors{m: map[string]Cursor{}} }

// Load implements CursorStore.
func (s *MemCursors) Load(_ context.Context, source string) (Cursor, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[source].Clone(), nil
}

// Save implements CursorStore.
func (s *MemCursors) Save(_ context.Context, source string, c Cursor) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[source] = c.Clone()
	return nil
}
