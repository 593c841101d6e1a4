package classifier

import "testing"

// A pile of slurs and abuse is hate even without a protected-group term (hateCut), but
// never when the post names an authority: very profane criticism of officials stays
// offensive, whatever the research data sets' labels say.
func TestHateCutGuardedByNeutralTerms(t *testing.T) {
	m, err := LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ text, want string }{
		{"Đm thằng óc chó mất dạy, đồ súc vật", "hate"},
		{"dm thang oc cho mat day, do suc vat", "hate"},
		{"Đm thằng cán bộ óc chó mất dạy, đồ súc vật", "offensive"},
		{"dm thang can bo oc cho mat day, do suc vat", "offensive"},
		{"Đm bọn công an óc chó mất dạy, đồ súc vật", "offensive"},
		{"Mấy ông bộ trưởng ngu như bò, đm lũ mất dạy", "offensive"},
		{"Ngu thật", "offensive"},                   // below hateCut: stays offensive
		{"Đm, óc chó thật", "offensive"},            // two strong terms, aimed by no address word
		{"Thằng này ngu thật", "hate"},              // aimed by "thằng": harassment
		{"Thằng chủ tịch xã ngu thật", "offensive"}, // ... never when an authority is named
	} {
		a := m.Analyze(c.text)
		if a.Toxicity.Label != c.want {
			t.Errorf("%q: toxicity %s %.3f, want %s", c.text, a.Toxicity.Label, a.Toxicity.Score, c.want)
		}
	}
}
