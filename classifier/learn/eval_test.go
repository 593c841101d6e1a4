package learn

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/langnghe/langnghe/testinfra"
)

// evalDir holds the research datasets (see /work/shared/data/README.md). They are used
// only to measure the model locally; nothing derived from them is committed.
const evalDir = "../../../shared/data"

type evalRow struct {
	Text  string `json:"text"`
	Label string `json:"label"`
}

func readEval(t *testing.T, rel string) []evalRow { return readSharedJSONL[evalRow](t, rel) }

// readSharedJSONL reads ../shared/data/rel, one JSON object a line, into rows of T; it
// fails in CI and skips elsewhere when the file is absent, and fails on a bad line.
func readSharedJSONL[T any](t *testing.T, rel string) []T {
	t.Helper()
	f, err := os.Open(testinfra.NeedShared(t, "data/"+rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []T
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r T
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		rows = append(rows, r)
	}
	return rows
}

// TestEvalDev measures the default model on the dev splits of UIT-VSFC (sentiment), ViHSD
// and ViCTSD (toxicity; ViCTSD's toxic/non_toxic against the collapsed prediction). It
// reports numbers and only fails on a collapse, because a keyword baseline without
// research data is expected to be modest; run with -v to see them.
func TestEvalDev(t *testing.T) {
	m := defaultModel(t)
	for _, c := range []struct{ name, file, task string }{
		{"vsfc sentiment", "vsfc/dev.jsonl", "sentiment"},
		{"vihsd toxicity", "vihsd/dev.jsonl", "toxicity"},
		{"victsd toxicity", "victsd/dev.jsonl", "toxicity"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rows := readEval(t, c.file)
			ex := make([]Example, len(rows))
			for i, r := range rows {
				ex[i] = Example(r)
			}
			binary := c.task == "toxicity" && IsBinaryToxicity(ex)
			gold, pred := make([]string, len(rows)), make([]string, len(rows))
			for i, r := range rows {
				p, err := Prediction(m, c.task, r.Text, binary)
				if err != nil {
					t.Fatal(err)
				}
				gold[i], pred[i] = r.Label, p
			}
			r := Score(gold, pred)
			var per strings.Builder
			for _, l := range r.Labels {
				fmt.Fprintf(&per, " %s=%.3f", l, r.PerClass[l].F1)
			}
			t.Logf("%s (%d rows): macro-F1 %.4f weighted-F1 %.4f;%s", c.file, r.N, r.MacroF1, r.WeightedF1, per.String())
			if r.MacroF1 < 0.3 {
				t.Errorf("macro-F1 %.3f collapsed below 0.3", r.MacroF1)
			}
		})
	}
}
