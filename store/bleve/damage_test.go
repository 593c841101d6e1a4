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

// closedIndex writes n generated posts (seed) into a new index in batches of batch (each
// batch a segment and a snapshot), closes it and returns its directory.
func closedIndex(t *testing.T, n int, seed uint64, batch int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "idx")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	posts := storetest.Generate(n, seed)
	for i := 0; i < len(posts); i += batch {
		if err := s.Index(context.Background(), posts[i:min(i+batch, len(posts))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestDamagedIndexNamesTheFile damages every file of a closed index in turn (emptied,
// cut in half, overwritten with zeros). Opening it must never panic, and when it fails the
// error is an OpenError on one line naming the damaged file and its cause and saying what
// to do, never bleve's "error parsing mapping JSON" with the whole mapping after it.
func TestDamagedIndexNamesTheFile(t *testing.T) {
	base := closedIndex(t, 60, 7, 20) // several segments
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

// TestTruncatedBoltNeverCrashes cuts store/root.bolt at every page boundary and at odd
// sizes and checks it: a cut that leaves the meta pages pointing past the end of the file
// made bbolt read unmapped memory, a fault Go cannot recover from by default, and the
// whole process died (found in CI: "fatal error: fault" in checkBolt on a halved file).
// Every cut must give an error naming the damage, or pass when bbolt does not need the
// missing part, never a crash.
func TestTruncatedBoltNeverCrashes(t *testing.T) {
	base := closedIndex(t, 200, 3, 10) // many snapshots: a root.bolt of several pages
	root := filepath.Join(base, "store", "root.bolt")
	whole, err := os.ReadFile(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("root.bolt: %d bytes", len(whole))
	var sizes []int
	for n := 4096; n < len(whole); n += 4096 {
		sizes = append(sizes, n, n+1000)
	}
	sizes = append(sizes, len(whole)/2, len(whole)-1)
	failed := 0
	for _, n := range sizes {
		cut := filepath.Join(t.TempDir(), "root.bolt")
		if err := os.WriteFile(cut, whole[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		if err := checkBolt(cut); err != nil {
			failed++
			t.Logf("cut to %d bytes: %v", n, err)
		}
		// Open, as `run` does, on the whole index with the cut file: an error, not a crash.
		dir := filepath.Join(t.TempDir(), "idx")
		copyDir(t, base, dir)
		if err := os.WriteFile(filepath.Join(dir, "store", "root.bolt"), whole[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		if st, err := Open(dir); err == nil {
			st.Close()
		} else if !strings.Contains(err.Error(), "move the directory away") {
			t.Errorf("cut to %d bytes: Open: %v, want an error saying what to do", n, err)
		}
	}
	if failed == 0 {
		t.Errorf("no cut of %d sizes was found damaged", len(sizes))
	}
}
