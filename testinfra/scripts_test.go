package testinfra

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestScriptsNameThemselves checks that every testinfra script that sources lib.sh sets
// TI_NAME first: lib.sh's log helpers print it, and under `set -u` a script without it
// died on its first log line (chromium.sh on a machine without chromium stopped
// `make test` with "TI_NAME: unbound variable").
func TestScriptsNameThemselves(t *testing.T) {
	scripts, err := filepath.Glob("*.sh")
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no scripts found: %v", err)
	}
	setsName := regexp.MustCompile(`(?m)^TI_NAME=`)
	sources := regexp.MustCompile(`(?m)^source .*lib\.sh`)
	for _, s := range scripts {
		if s == "lib.sh" {
			continue
		}
		b, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		src := sources.FindStringIndex(text)
		if src == nil {
			continue
		}
		name := setsName.FindStringIndex(text)
		if name == nil || name[0] > src[0] {
			t.Errorf("%s sources lib.sh without setting TI_NAME before it", s)
		}
		if !strings.Contains(text, "set -euo pipefail") {
			t.Errorf("%s: want set -euo pipefail like the other scripts", s)
		}
	}
}
