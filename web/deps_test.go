package web

import (
	"os/exec"
	"strings"
	"testing"
)

// The web server serves the crawler's source health lines but must not link the crawler
// (its fetchers, HTML parsers and sources) for that one type: the type lives in package
// sourcestatus.
func TestWebDoesNotLinkCrawler(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not in PATH: cannot list dependencies")
	}
	out, err := exec.Command(goBin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/langnghe/langnghe/crawler") {
			t.Errorf("web links %s", pkg)
		}
	}
}
