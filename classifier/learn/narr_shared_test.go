package learn

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/langnghe/langnghe/testinfra"
)

// TestLearnedNarrativesSharedDev counts the narrative matches the learned component adds
// over the dev texts of ../shared/data (mostly not about any narrative, so new matches
// there are likely false): rules alone against the default model. It only counts and
// logs (with NARR_SHARED_SAMPLE=n, n of the new matches); the texts are research data and
// are read only to judge false matches, never to train.
func TestLearnedNarrativesSharedDev(t *testing.T) {
	root := testinfra.NeedShared(t, "data")
	files, err := filepath.Glob(filepath.Join(root, "*", "dev.jsonl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no dev files under %s: %v", root, err)
	}
	rules, _ := rulesOnlyModel(t)
	full := defaultModel(t)
	texts, before, after, added := 0, 0, 0, map[string]int{}
	perFile := map[string]int{} // new matches by dev file (ViHOS dev apart: the component trains on ViHOS train)
	var sample []string
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		for _, r := range readEval(t, rel) {
			texts++
			a, b := NarrativeMatches(rules, r.Text), NarrativeMatches(full, r.Text)
			before += len(a)
			after += len(b)
			for _, id := range b {
				if !slices.Contains(a, id) {
					added[id]++
					perFile[filepath.Dir(rel)]++
					sample = append(sample, id+" ["+rel+" "+r.Label+"]: "+r.Text)
				}
			}
		}
	}
	t.Logf("%d texts: %d narrative matches with rules alone, %d with rules and the learned component; new by narrative: %v; new by data set: %v", texts, before, after, added, perFile)
	if os.Getenv("NARR_SHARED_SAMPLE") != "" {
		for _, s := range sample {
			t.Log(s)
		}
	}
}
