package bleve

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/langnghe/langnghe/store/storetest"
)

// TestTruncatedBoltNeverCrashes cuts store/root.bolt at every page boundary and at odd
// sizes and checks it: a cut that leaves the meta pages pointing past the end of the file
// made bbolt read unmapped memory, a fault Go cannot recover from by default, and the
// whole process died (found in CI: "fatal error: fault" in checkBolt on a halved file).
// Every cut must give an error naming the damage, or pass when bbolt does not need the
// missing part, never a crash.
func TestTruncatedBoltNeverCrashes(t *testing.T) {
	base := filepath.Join(t.TempDir(), "idx")
	s, err := Open(base)
	if err != nil {
		t.Fatal(err)
	}
	posts := storetest.Generate(200, 3)
	for i := 0; i < len(posts); i += 10 { // many snapshots: a root.bolt of several pages
		if err := s.Index(context.Background(), posts[i:i+10]); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
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
