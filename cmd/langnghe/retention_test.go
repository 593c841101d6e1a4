package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	blevestore "github.com/langnghe/langnghe/store/bleve"
	"github.com/langnghe/langnghe/store/storetest"
)

// TestRetentionCommand: `retention --dry-run` lists the posts past the retention period of
// the embedded store without deleting them; `retention` deletes exactly those.
func TestRetentionCommand(t *testing.T) {
	dir := t.TempDir()
	st, err := blevestore.Open(filepath.Join(dir, "bleve"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Index(context.Background(), storetest.Fixtures()); err != nil { // Oct-Nov 2026
		t.Fatal(err)
	}
	st.Close()
	run := func(args ...string) string {
		var out, errb bytes.Buffer
		env := &cliEnv{stdout: &out, stderr: &errb}
		if code := runCLI(context.Background(), append([]string{"retention", "--data_dir", dir}, args...), env); code != 0 {
			t.Fatalf("retention %v: exit %d: %s", args, code, errb.String())
		}
		return out.String()
	}
	// The fixtures span October and November 2026; with a 1h retention every one
	// published more than an hour ago goes (all of them, once the clock is past 2026-11-30).
	old := 0
	for _, p := range storetest.Fixtures() {
		if p.PublishedAt.Before(time.Now().Add(-time.Hour)) {
			old++
		}
	}
	if old == 0 {
		t.Skip("no fixture is older than an hour by this clock")
	}
	want := fmt.Sprintf("would delete %d posts", old)
	out := run("--dry-run", "--retention", "1h")
	if !strings.Contains(out, want) {
		t.Errorf("dry run said:\n%s", out)
	}
	if out := run("--dry-run", "--retention", "1h"); !strings.Contains(out, want) {
		t.Errorf("the dry run deleted something:\n%s", out)
	}
	if out := run("--retention", "1h"); !strings.Contains(out, fmt.Sprintf("deleted %d posts", old)) {
		t.Errorf("retention said:\n%s", out)
	}
	if out := run("--dry-run", "--retention", "1h"); !strings.Contains(out, "would delete 0 posts") {
		t.Errorf("after retention:\n%s", out)
	}
}
