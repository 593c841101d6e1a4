package alerting

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/langnghe/langnghe/post"
)

// TestSaveFailureRetried: when the state cannot be saved, Observe fails (so Kafka
// redelivers the batch); the redelivered posts are already counted in memory, and the
// retry must still write them to disk.
func TestSaveFailureRetried(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "alerts")
	os.MkdirAll(dir, 0o755)
	path := filepath.Join(dir, "state.json")
	rs, errs := LoadFiles("testdata/good/rules.yaml")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	e, err := NewEngine(rs, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	p := &post.Post{Schema: 1, ID: "forum:a.vn:1", Platform: "forum", Source: "a.vn", Text: "phải chuyển khoản ngay", PublishedAt: now,
		Analysis: &post.Analysis{Model: "m", Narratives: []post.Narrative{{ID: "scam", Score: 1}}}}
	// Break the directory: a regular file where it was.
	if err := os.Rename(dir, dir+".away"); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(dir, []byte("x"), 0o644)
	if err := e.Observe([]*post.Post{p}); err == nil {
		t.Fatal("Observe succeeded although the state could not be saved")
	}
	os.Remove(dir)
	os.Rename(dir+".away", dir)
	if err := e.Observe([]*post.Post{p}); err != nil { // Kafka's redelivery
		t.Fatal(err)
	}
	st, err := loadState(path)
	if err != nil {
		t.Fatal(err)
	}
	if g := st.Groups["lua-dao|a.vn"]; g == nil || g.Count != 1 || !st.seen(p.ID) {
		t.Fatalf("state on disk after the retry: %+v", st.Groups)
	}
}
