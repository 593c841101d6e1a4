package classifier

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// evalDir holds the research datasets (see /work/shared/data/README.md). They are used
// only to measure the model locally; nothing derived from them is committed.
const evalDir = "../../shared/data"

type evalRow struct {
	Text  string `json:"text"`
	Label string `json:"label"`
}

func readEval(t *testing.T, rel string) []evalRow {
	t.Helper()
	f, err := os.Open(filepath.Join(evalDir, rel))
	if err != nil {
		t.Skipf("evaluation data absent (%v)", err)
	}
	defer f.Close()
	var rows []evalRow
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r evalRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		rows = append(rows, r)
	}
	return rows
}

// macroF1 returns the unweighted mean of per-class F1 over labels, and a per-class report.
func macroF1(gold, pred []string, labels []string) (float64, string) {
	var sum float64
	var report strings.Builder
	for _, l := range labels {
		var tp, fp, fn float64
		for i := range gold {
			switch {
			case gold[i] == l && pred[i] == l:
				tp++
			case pred[i] == l:
				fp++
			case gold[i] == l:
				fn++
			}
		}
		f1 := 0.0
		if tp > 0 {
			p, r := tp/(tp+fp), tp/(tp+fn)
			f1 = 2 * p * r / (p + r)
		}
		sum += f1
		fmt.Fprintf(&report, " %s=%.3f", l, f1)
	}
	return sum / float64(len(labels)), report.String()
}

// TestEvalDev measures the default model on the dev splits of UIT-VSFC (sentiment) and
// ViHSD (toxicity). It reports numbers and only fails on a collapse, because a keyword
// baseline is expected to be modest; run with -v to see them.
func TestEvalDev(t *testing.T) {
	m := defaultModel(t)
	t.Run("vsfc sentiment", func(t *testing.T) {
		rows := readEval(t, "vsfc/dev.jsonl")
		gold, pred := make([]string, len(rows)), make([]string, len(rows))
		for i, r := range rows {
			gold[i], pred[i] = r.Label, m.Analyze(r.Text).Sentiment.Label
		}
		f1, report := macroF1(gold, pred, []string{"negative", "neutral", "positive"})
		t.Logf("UIT-VSFC dev (%d rows): macro-F1 %.3f;%s", len(rows), f1, report)
		if f1 < 0.3 {
			t.Errorf("sentiment macro-F1 %.3f collapsed below 0.3", f1)
		}
	})
	t.Run("vihsd toxicity", func(t *testing.T) {
		rows := readEval(t, "vihsd/dev.jsonl")
		gold, pred := make([]string, len(rows)), make([]string, len(rows))
		for i, r := range rows {
			gold[i], pred[i] = r.Label, m.Analyze(r.Text).Toxicity.Label
		}
		f1, report := macroF1(gold, pred, []string{"clean", "offensive", "hate"})
		t.Logf("ViHSD dev (%d rows): macro-F1 %.3f;%s", len(rows), f1, report)
		if f1 < 0.3 {
			t.Errorf("toxicity macro-F1 %.3f collapsed below 0.3", f1)
		}
	})
}
