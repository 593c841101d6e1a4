package dedup

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"
)

type labelled struct {
	Group string `json:"group"`
	Text  string `json:"text"`
}

func readSet(t *testing.T) []labelled {
	t.Helper()
	f, err := os.Open("testdata/neardup.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []labelled
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l labelled
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s: %v", sc.Text(), err)
		}
		out = append(out, l)
	}
	return out
}

// TestLabelledSet groups a hand-written set of 114 Vietnamese texts: 25 families of
// near-duplicates (2-4 texts each: emoji added, accents dropped, a word changed, a
// prefix such as "Chia sẻ:" or "Tin nóng:") and 35 different posts on the same topics,
// which must stay apart. Precision and recall are over pairs of texts.
func TestLabelledSet(t *testing.T) {
	set := readSet(t)
	if len(set) < 100 {
		t.Fatalf("%d texts, want at least 100", len(set))
	}
	texts := make([]string, len(set))
	for i, l := range set {
		texts[i] = l.Text
	}
	g := Group(texts)
	var tp, fp, fn int
	for i := range set {
		for j := i + 1; j < len(set); j++ {
			same, got := set[i].Group == set[j].Group, g[i] == g[j]
			switch {
			case same && got:
				tp++
			case got:
				fp++
				t.Logf("wrongly grouped (J=%.2f): %q / %q", Jaccard(Shingles(texts[i]), Shingles(texts[j])), texts[i], texts[j])
			case same:
				fn++
				t.Logf("missed (J=%.2f): %q / %q", Jaccard(Shingles(texts[i]), Shingles(texts[j])), texts[i], texts[j])
			}
		}
	}
	precision := float64(tp) / float64(max(1, tp+fp))
	recall := float64(tp) / float64(max(1, tp+fn))
	t.Logf("%d texts, %d duplicate pairs: precision %.3f, recall %.3f (tp %d, fp %d, fn %d)", len(set), tp+fn, precision, recall, tp, fp, fn)
	if precision < 0.95 || recall < 0.85 {
		t.Errorf("precision %.3f (want >= 0.95), recall %.3f (want >= 0.85)", precision, recall)
	}
}

func TestShinglesIgnoreAccentsEmojiCase(t *testing.T) {
	a := Shingles("Lũ lụt ở miền Trung 😭😭 !!!")
	b := Shingles("lu lut o MIEN trung")
	if Jaccard(a, b) != 1 {
		t.Errorf("Jaccard %v, want 1 for the same words", Jaccard(a, b))
	}
	if len(Shingles("😭 !!! :)")) != 0 {
		t.Error("a text without words has shingles")
	}
	if g := Group([]string{"😭", "😭", "lũ lụt"}); g[1] != 1 {
		t.Errorf("texts without words grouped: %v", g)
	}
}

func TestGroupIsFirstIndex(t *testing.T) {
	texts := []string{"một hai ba bốn năm sáu", "khác hẳn nội dung này đây", "một hai ba bốn năm sáu 🙂", "MOT HAI BA BON NAM SAU"}
	g := Group(texts)
	if g[0] != 0 || g[2] != 0 || g[3] != 0 || g[1] != 1 {
		t.Errorf("groups %v, want [0 1 0 0]", g)
	}
}
