package learn

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/langnghe/langnghe/classifier"
)

func readExamplesFile(t *testing.T, name string) []Example {
	t.Helper()
	return readLearn(t, name)
}

// trainBiased trains a toxicity model on testdata/biased_train.jsonl, where every hate
// example is about authorities ("cán bộ", "công an", "chính quyền", "quan chức", "bò
// đỏ", with and without diacritics) and every clean one is not: the bias of research data
// sets in miniature.
func trainBiased(t *testing.T, feats classifier.FeatureConfig) *classifier.LearnedFile {
	t.Helper()
	data := readExamplesFile(t, "biased_train.jsonl")
	res, err := Train(context.Background(), data, data, defaultModel(t), TrainOptions{
		Task: "toxicity", MinDF: 1, Cs: []float64{10}, ClassWeights: []string{"none"}, Features: feats,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res.File
}

// TestTrainingNeutralisesAuthorityTerms: a model trained on biased data has no feature
// touching an authority or political term (word, folded and character n-grams, with and
// without diacritics), records the list it masked, and still learns from the other words.
func TestTrainingNeutralisesAuthorityTerms(t *testing.T) {
	lf := trainBiased(t, classifier.FeatureConfig{WordMax: 3, CharMin: 2, CharMax: 5, Lexicon: true, Folded: true})
	// In the data these syllables occur only inside neutral terms (their folded forms
	// "quan", "an", "chuc" also come from "quán", "ăn", "chúc", so only word keys are
	// checked for those).
	banned := map[byte][]string{
		'w': {"cán", "bộ", "công", "an", "chính", "quyền", "quan", "chức", "bò", "đỏ", "can", "bo", "cong", "chinh", "quyen", "chuc"},
		'f': {"can", "bo", "cong", "chinh", "quyen", "do"},
	}
	for key := range lf.Terms {
		if key[0] == 'x' {
			continue
		}
		for _, syl := range strings.Fields(key[2:]) {
			if slices.Contains(banned[key[0]], syl) {
				t.Errorf("feature %q touches a neutral term", key)
			}
		}
		if key[0] == 'c' {
			for _, b := range []string{"_cán", "_công", "_quy", "chín", "ức_", "_bò", "cán_"} {
				if strings.Contains(key, b) {
					t.Errorf("character feature %q comes from a neutral term", key)
				}
			}
		}
	}
	if _, ok := lf.Terms["x:log_len"]; ok {
		t.Errorf("the post-length feature x:log_len was learned")
	}
	if len(lf.Neutral) < 100 {
		t.Errorf("model records %d neutral terms, want the shipped list", len(lf.Neutral))
	}
	if w, ok := lf.Terms["w:dân"]; !ok || w.W[slices.Index(lf.Labels, "hate")] <= 0 {
		t.Errorf("w:dân = %+v: the model should still learn from words that are not neutral terms", w)
	}
}

// TestNeutralTermsScoreAlike: since neither training nor scoring sees them, swapping one
// authority for another changes nothing: "Công an phường" and "Cán bộ phường" get the
// same scores, with or without diacritics, and the compiled scorer agrees with the
// reference extraction on them.
func TestNeutralTermsScoreAlike(t *testing.T) {
	lf := trainBiased(t, classifier.FeatureConfig{WordMax: 3, CharMin: 2, CharMax: 5, Lexicon: false, Folded: true})
	m, err := classifier.NewLearned(lf, defaultModel(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]string{
		{"Công an phường tổ chức giải bóng đá", "Cán bộ phường tổ chức giải bóng đá"},
		{"cong an phuong to chuc giai bong da", "chinh quyen phuong to chuc giai bong da"},
		{"Bọn bò đỏ với dư luận viên", "Bọn đảng viên với dư luận viên"},
	} {
		a, b := m.Analyze(pair[0]), m.Analyze(pair[1])
		if a.Toxicity != b.Toxicity {
			t.Errorf("%q: %+v, %q: %+v; want equal", pair[0], a.Toxicity, pair[1], b.Toxicity)
		}
		if err := classifier.CheckLearned(m, pair[:]); err != nil {
			t.Error(err)
		}
	}
	// A word that only looks like a neutral term is not masked: "cộng ăn" is not "công an".
	if a, b := m.Analyze("cộng ăn phường"), m.Analyze("công an phường"); a.Toxicity == b.Toxicity {
		t.Errorf("cộng ăn scored as công an: %+v", a.Toxicity)
	}
}

// TestOldModelKeepsLengthFeature: a model file from before the length feature was
// dropped still scores with it (Length is set from its x:log_len term).
func TestOldModelKeepsLengthFeature(t *testing.T) {
	f, err := os.Open("testdata/old_length_model.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lf, err := classifier.DecodeLearned(f, "old")
	if err != nil {
		t.Fatal(err)
	}
	if !lf.Features.Length {
		t.Errorf("x:log_len model decoded without Length")
	}
	m, err := classifier.NewLearned(lf, defaultModel(t))
	if err != nil {
		t.Fatal(err)
	}
	// Only the length feature differs between these two: a longer text must score higher
	// for hate, as the old model's x:log_len weight says.
	short, long := m.Analyze("ngu"), m.Analyze("ngu "+strings.Repeat("ừ ", 30))
	if long.Toxicity.Score <= short.Toxicity.Score {
		t.Errorf("length feature ignored: short %+v, long %+v", short.Toxicity, long.Toxicity)
	}
	if err := classifier.CheckLearned(m, []string{"ngu", "ngu ngu quá"}); err != nil {
		t.Error(err)
	}
}

// TestAuthorityHateRelabelled: in a toxicity data set with hate and offensive labels, a
// "hate" post about authorities that attacks no protected group trains as offensive
// (rude criticism is not hate); hate aimed at a protected group keeps its label; with
// KeepAuthorityHate nothing changes.
func TestAuthorityHateRelabelled(t *testing.T) {
	data := []Example{
		{Text: "Cả lũ quan tham ở bộ này cút hết đi", Label: "hate"},
		{Text: "cong an gi ma vo dung the", Label: "hate"},
		{Text: "Lũ bắc kỳ về quê mà ở, công an cũng chẳng làm gì", Label: "hate"},
		{Text: "Bọn bê đê đó cút hết đi", Label: "hate"},
		{Text: "Thằng ngu này nói gì vậy", Label: "offensive"},
		{Text: "Hôm nay trời đẹp quá", Label: "clean"},
		{Text: "Món này ngon ghê", Label: "clean"},
	}
	for _, keep := range []bool{false, true} {
		res, err := Train(context.Background(), data, data, defaultModel(t), TrainOptions{
			Task: "toxicity", MinDF: 1, Cs: []float64{1}, ClassWeights: []string{"none"}, KeepAuthorityHate: keep,
		})
		if err != nil {
			t.Fatal(err)
		}
		want := 2
		if keep {
			want = 0
		}
		if got := res.File.Training["authority_hate_relabelled_train"]; got != want {
			t.Errorf("keep=%v: relabelled %v training examples, want %d (the two about authorities without a protected group)", keep, got, want)
		}
		// Dev (the same posts) is scored twice: against the policy's labels, where the two
		// posts about authorities are offensive and the model says so, and against the data
		// set's own labels, as eval scores it, where they are hate and the model is wrong.
		if keep && res.DevDataLabels.MacroF1 != res.Dev.MacroF1 {
			t.Errorf("keep: nothing relabelled, yet dev %.4f against the policy's labels and %.4f against the data's", res.Dev.MacroF1, res.DevDataLabels.MacroF1)
		}
		if !keep && res.DevDataLabels.MacroF1 >= res.Dev.MacroF1 {
			t.Errorf("policy: dev %.4f against the policy's labels, %.4f against the data's own hate labels; want lower", res.Dev.MacroF1, res.DevDataLabels.MacroF1)
		}
	}
	if data[0].Label != "hate" {
		t.Errorf("Train changed the caller's examples")
	}
}

// TestTrainedModelAppliesAuthorityPolicy: a model learns from posts about no authority
// that "cả lũ ... cút" is hate; relabelling the training posts about authorities does
// not stop it calling rude criticism of officials hate, so the model applies the same
// label policy when it scores: such a post is offensive, while the same words at people
// stay hate and hate at a protected group next to an authority stays hate.
func TestTrainedModelAppliesAuthorityPolicy(t *testing.T) {
	var data []Example
	for _, s := range []string{"Cả lũ chúng mày cút hết đi", "Cả lũ bọn nó cút đi cho rảnh", "lũ khốn cút đi", "Cả lũ nhà nó cút", "ca lu chung may cut het di"} {
		data = append(data, Example{Text: s, Label: "hate"})
	}
	for _, s := range []string{"Thằng ngu này nói gì vậy", "đồ ngu", "ngu như bò", "nói ngu thế"} {
		data = append(data, Example{Text: s, Label: "offensive"})
	}
	for _, s := range []string{"Hôm nay trời đẹp quá", "Món này ngon ghê", "Cán bộ xã đến nhà hướng dẫn bà con", "Cảm ơn mọi người nhiều"} {
		data = append(data, Example{Text: s, Label: "clean"})
	}
	res, err := Train(context.Background(), data, data, defaultModel(t), TrainOptions{
		Task: "toxicity", MinDF: 1, Cs: []float64{10}, ClassWeights: []string{"none"}, Features: classifier.FeatureConfig{WordMax: 2},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.File.AuthorityPolicy || res.File.Format != classifier.LearnedFormat {
		t.Fatalf("trained file: format %s, authority_policy %v; want %s and true", res.File.Format, res.File.AuthorityPolicy, classifier.LearnedFormat)
	}
	m, err := classifier.NewLearned(res.File, defaultModel(t))
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string]string{
		"Cả lũ quan chức cút hết đi":        "offensive",
		"Chính quyền kiểu này cả lũ cút đi": "offensive",
		"ca lu quan tham cut het di":        "offensive",
		"Cả lũ chúng nó cút hết đi":         "hate",
		"Lũ bắc kỳ cút hết đi, công an nữa": "hate",
	} {
		if got := m.Analyze(text).Toxicity.Label; got != want {
			t.Errorf("%q: %s, want %s", text, got, want)
		}
	}
}
