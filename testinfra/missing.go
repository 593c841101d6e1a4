package testinfra

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// EnvCI is set to 1 by .ci/run. In CI every component and ../shared are meant to be there,
// so a test that would skip for want of one fails instead: a green run then means every
// test ran, not that 31 of them quietly did nothing.
const EnvCI = "LANGNGHE_CI"

// CI reports whether LANGNGHE_CI=1.
func CI() bool { return os.Getenv(EnvCI) == "1" }

// Missing ends a test that needs something absent. what says what is missing and how says
// how to get it; outside CI the test is skipped with both, under LANGNGHE_CI=1 it fails with
// both. Every "needs X" skip in the repo goes through here, so `make test`'s summary lists
// them and CI cannot pass without them.
func Missing(t testing.TB, what, how string) {
	t.Helper()
	if CI() {
		t.Fatalf("testinfra: %s, and %s=1 makes that a failure: %s", what, EnvCI, how)
	}
	t.Skipf("testinfra: %s: %s", what, how)
}

// SharedDir is the project's shared folder, ../shared next to the module root (research
// data, recorded fixtures, the reference DESIGN.md), or LANGNGHE_SHARED when set. It
// returns "" when the module root cannot be found.
func SharedDir() string {
	if dir := os.Getenv("LANGNGHE_SHARED"); dir != "" {
		return dir
	}
	root := moduleRoot()
	if root == "" {
		return ""
	}
	return filepath.Join(filepath.Dir(root), "shared")
}

// NeedShared returns the path of rel (slash-separated, e.g. "fixtures/rss/feed.xml" or
// "data/vihsd") under SharedDir, or ends the test through Missing when it is absent.
func NeedShared(t testing.TB, rel string) string {
	t.Helper()
	dir := SharedDir()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if _, err := os.Stat(p); dir == "" || err != nil {
		Missing(t, fmt.Sprintf("../shared/%s absent (%s)", rel, p),
			"check out the project's shared folder next to the repository (or set LANGNGHE_SHARED to it)")
	}
	return p
}
