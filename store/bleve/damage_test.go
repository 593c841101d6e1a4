package bleve

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/langnghe/langnghe/store"
	"github.com/langnghe/langnghe/store/storetest"
)

// copyDir copies the index tree src to dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDamagedIndexNamesTheFile damages every file of a closed index in turn (emptied,
// cut in half, overwritten with zeros). Opening it must never panic, and when it fails the
// error is an OpenError on one line naming the damaged file and its cause and saying what
// to do, never bleve's "error parsing mapping JSON" with the whole mapping after it.
func TestDamagedIndexNamesTheFile(t *testing.T) {
	base := filepath.Join(t.TempDir(), "idx")
	s, err := Open(base)
	if err != nil {
		t.Fatal(err)
	}
	posts := storetest.Generate(60, 7)
	for i := 0; i < len(posts); i += 20 { // several segments
		if err := s.Index(context.Background(), posts[i:i+20]); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	var files []string
	filepath.Walk(base, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			rel, _ := filepath.Rel(base, p)
			files = append(files, rel)
		}
		return nil
	})
	damages := map[string]func([]byte) []byte{
		"emptied": func([]byte) []byte { return nil },
		"halved":  func(b []byte) []byte { return b[:len(b)/2] },
		"zeroed":  func(b []byte) []byte { return make([]byte, len(b)) },
	}
	failed := map[string]bool{}
	for _, rel := range files {
		for how, damage := range damages {
			dir := filepath.Join(t.TempDir(), "idx")
			copyDir(t, base, dir)
			path := filepath.Join(dir, rel)
			b, _ := os.ReadFile(path)
			if err := os.WriteFile(path, damage(b), 0o644); err != nil {
				t.Fatal(err)
			}
			st, err := Open(dir)
			if err == nil {
				// bleve fell back to an older snapshot or did not need the file.
				_, serr := st.Search(context.Background(), store.Query{Limit: 1, Interval: -1})
				st.Close()
				t.Logf("%s %s: opened (search: %v)", rel, how, serr)
				continue
			}
			failed[rel] = true
			var oe *OpenError
			msg := err.Error()
			switch {
			case !errors.As(err, &oe):
				t.Errorf("%s %s: error %T %q, want an *OpenError", rel, how, err, msg)
			case oe.File != path || !strings.Contains(msg, path) || oe.Cause == nil:
				t.Errorf("%s %s: error names %q (cause %v), want %s: %s", rel, how, oe.File, oe.Cause, path, msg)
			case strings.Contains(msg, "\n") || strings.Contains(msg, "mapping contents") || !strings.Contains(msg, "move the directory away"):
				t.Errorf("%s %s: message is not one line saying what to do: %q", rel, how, msg)
			}
			t.Logf("%s %s: %s", rel, how, msg)
		}
	}
	for _, must := range []string{"index_meta.json", filepath.Join("store", "root.bolt")} {
		if !failed[must] {
			t.Errorf("damaging %s never failed Open", must)
		}
	}
}
