package classifier

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAddressedInsultIsHate: an insult or threat aimed at a person by a rude address word
// (lexicon/addressees.tsv) is harassment, labelled hate; the same insult without one, and
// rude words that insult no one ("rude" in lexicon/toxicity.tsv), stay offensive; an
// authority named in the post keeps it offensive; shields ("con mèo") name no person.
func TestAddressedInsultIsHate(t *testing.T) {
	m := defaultModel(t)
	for _, c := range []struct{ text, want string }{
		{"Thằng kia đúng là đồ súc vật", "hate"},
		{"Mày ngu như bò", "hate"},
		{"Tao đánh mày bây giờ", "hate"},
		{"Bọn nó toàn lũ mất dạy", "hate"},
		{"chung may oc cho", "hate"}, // multi-syllable address words match typed without diacritics
		// The insult a clause after the address word (addresseeWindow): was offensive at 4.
		{"Thằng cha này nói chuyện kiểu gì mà nghe ngu thế", "hate"},
		{"Bọn này đúng là quỷ đội lốt người", "hate"},
		{"Ad ơi sao page toàn đăng bài ngu thế", "hate"}, // the page's admin is a person
		{"This ad is so stupid", "offensive"},            // an advertisement is not
		{"Ngu như bò", "offensive"},
		{"Thằng bạn tao ngầu vl", "offensive"},   // "vl" is rude, not an insult
		{"Mày xinh vãi", "offensive"},            // likewise "vãi"
		{"Con mèo nhà tôi ngu quá", "offensive"}, // "con mèo" shields "con": a cat is no addressee
		{"Thằng cha chủ tịch xã ăn hại", "offensive"},
		{"Bọn công an óc chó", "offensive"},
		{"Mưa lũ gây thiệt hại nặng nề", "clean"},
		{"Bọn trẻ con chơi ngoan lắm", "clean"},
		{"I will kill you", "offensive"},
		{"Lá cờ búa liềm", "clean"},
		{"dmcs", "clean"},
	} {
		a := m.Analyze(c.text)
		if a.Toxicity.Label != c.want {
			t.Errorf("Analyze(%q).Toxicity = %+v, want %s (evidence %+v)", c.text, a.Toxicity, c.want, a.Evidence)
		}
	}
	// The address word that aimed the insult is evidence of the hate.
	a := m.Analyze("Mày ngu như bò")
	found := false
	for _, e := range a.Evidence {
		found = found || e.For == "toxicity" && e.Term == "mày" && e.Start == 0
	}
	if !found {
		t.Errorf("evidence %+v lacks the address word", a.Evidence)
	}
}

func TestAddresseesFileErrors(t *testing.T) {
	for body, want := range map[string]string{
		"mày\tfriend\n": "addressees.tsv:1:",
		"# c\nmày\tsecond_person\nmày\tperson\n": "addressees.tsv:3:",
		"mày\n": "want term<TAB>kind",
	} {
		dir := copyModelDir(t)
		if err := os.WriteFile(filepath.Join(dir, "lexicon", "addressees.tsv"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(dir)
		if !errors.Is(err, ErrModelFile) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", body, err, want)
		}
	}
	dir := copyModelDir(t)
	if err := os.WriteFile(filepath.Join(dir, "lexicon", "toxicity.tsv"), []byte("vl\toffensive\t0.5\tloud\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); !errors.Is(err, ErrModelFile) || !strings.Contains(err.Error(), "fold, rude or accented") {
		t.Errorf("toxicity.tsv option loud: got %v", err)
	}
	// Without the file the model loads and an addressed insult stays offensive.
	dir = copyModelDir(t)
	if err := os.Remove(filepath.Join(dir, "lexicon", "addressees.tsv")); err != nil {
		t.Fatal(err)
	}
	m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if a := m.Analyze("Mày ngu như bò"); a.Toxicity.Label != "offensive" {
		t.Errorf("without addressees.tsv: %+v, want offensive", a.Toxicity)
	}
}
