package vntext

import (
	"bufio"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/langnghe/langnghe/testinfra"
)

// TestDetectLegacyLeavesOrdinaryTextAlone runs testdata/legacy/negatives.txt (English,
// links and handles, accentless Vietnamese, the punctuation VIQR reuses): none of it may
// be converted.
func TestDetectLegacyLeavesOrdinaryTextAlone(t *testing.T) {
	for i, line := range readLegacyLines(t, "negatives.txt") {
		if enc := DetectLegacy(line); enc != "" {
			out, _ := FixLegacy(line)
			t.Errorf("negatives.txt:%d: %q detected as %s and would become %q", i+1, line, enc, out)
		}
	}
}

// TestDetectLegacyFindsLegacyText runs testdata/legacy/positives.txt: each line names
// the encoding its text must be detected as.
func TestDetectLegacyFindsLegacyText(t *testing.T) {
	for i, line := range readLegacyLines(t, "positives.txt") {
		want, text, _ := strings.Cut(line, "\t")
		if got := DetectLegacy(text); !strings.EqualFold(string(got), want) {
			t.Errorf("positives.txt:%d: %q detected as %q, want %s", i+1, text, got, want)
		}
	}
}

// TestDetectLegacyOnSharedCorpora: every text of ../shared/data (the text field of each
// JSON line) and every line of ../shared/fixtures is real Unicode or other-language text,
// so FixLegacy must change none of them. Reports the conversion rate over those texts and
// the detection rate over positives.txt.
func TestDetectLegacyOnSharedCorpora(t *testing.T) {
	var texts []string
	for _, rel := range []string{"data", "fixtures"} {
		dir := testinfra.NeedShared(t, rel)
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			texts = append(texts, sharedTexts(t, p)...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	converted := 0
	for _, s := range texts {
		if out, enc := FixLegacy(s); enc != "" {
			converted++
			if converted <= 10 {
				t.Errorf("converted as %s: %.120q -> %.120q", enc, s, out)
			}
		}
	}
	pos := readLegacyLines(t, "positives.txt")
	found := 0
	for _, line := range pos {
		want, text, _ := strings.Cut(line, "\t")
		if strings.EqualFold(string(DetectLegacy(text)), want) {
			found++
		}
	}
	t.Logf("false conversions: %d of %d shared texts; legacy samples detected: %d of %d", converted, len(texts), found, len(pos))
	if converted > 0 {
		t.Errorf("%d of %d ordinary texts converted, want 0", converted, len(texts))
	}
}

// sharedTexts returns the texts of one shared file: the "text" of each JSON line of a
// .jsonl file, every line of anything else.
func sharedTexts(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasSuffix(path, ".jsonl") {
			var r struct{ Text string }
			if json.Unmarshal([]byte(line), &r) == nil {
				out = append(out, r.Text)
			}
			continue
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}

func readLegacyLines(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "legacy", name))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}
