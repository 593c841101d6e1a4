package classifier

import (
	"bufio"
	"encoding/json"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/langnghe/langnghe/models"
)

// TestLearnedToxicityMatchesTraining: the default model scores a post's learned toxicity
// exactly as training saw it: the distinct word 1-2-grams that FeatureExtractor gives
// with the neutral terms masked, weighted by models/learned/toxicity.tsv, toxic only with
// a positive feature. Checked over every hand-written text of testdata and the demo posts,
// plus texts naming authorities (where masking matters) with and without diacritics.
func TestLearnedToxicityMatchesTraining(t *testing.T) {
	m := defaultModel(t).(*lexModel)
	if m.learnedTox == nil {
		t.Fatal("the default model has no learned toxicity component")
	}
	data, err := fs.ReadFile(models.FS(), "learned/toxicity.tsv")
	if err != nil {
		t.Fatal(err)
	}
	weights, bias := map[string]float64{}, 0.0
	for _, line := range strings.Split(string(data), "\n") {
		feat, ws, ok := strings.Cut(line, "\t")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		w, err := strconv.ParseFloat(ws, 64)
		if err != nil {
			t.Fatal(err)
		}
		if feat == learnedToxBias {
			bias = w
			continue
		}
		weights["w:"+feat] = w
	}
	neutral, err := DefaultNeutralTerms()
	if err != nil {
		t.Fatal(err)
	}
	fx, err := NewFeatureExtractor(FeatureConfig{WordMax: 2}, nil, WithNeutralTerms(neutral), WithUnits())
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{
		"Công an phường tổ chức giải bóng đá thiếu niên", "cong an phuong to chuc giai bong da",
		"Cán bộ xã này ngu thật, cút hết đi", "can bo xa nay ngu that", "Thằng ngu này láo toét, đồ óc chó",
		"ngu ngu ngu vl vl", "Chính phủ chính phủ", "", "!!!",
		"Trà sữa 25k một ly size L", "Áo thun giá 150.000 đ, còn size L và XL", "size S M L XL", "2 l nước",
		"cái l gì vậy, đ biết", "l n", "size l n", "mn size l", "mn l",
	}
	texts = append(texts, testdataTexts(t)...)
	sc := new(scratch)
	checked, toxic := 0, 0
	for _, text := range texts {
		want, pos := bias, false
		for _, f := range fx.Features(text) {
			if w, ok := weights[f.Key]; ok {
				want += float32round(w)
				pos = pos || w > 0
			}
		}
		if !pos {
			want = math.Inf(-1)
		}
		toks, syls := sc.syllables(text, m)
		got, _, _ := m.learnedTox.logit(toks, syls, nil, &sc.toxSeen)
		if (math.IsInf(want, -1) != math.IsInf(got, -1)) || (!math.IsInf(want, -1) && math.Abs(got-want) > 1e-4) {
			t.Errorf("%q: learned logit %v, training features give %v", text, got, want)
		}
		checked++
		if got >= 0 {
			toxic++
		}
	}
	t.Logf("%d texts, %d toxic by the learned component", checked, toxic)
}

// float32round is w as the model stores it (float32).
func float32round(w float64) float64 { return float64(float32(w)) }

// testdataTexts returns the texts of the hand-written test files: the TSV tables' text
// column and the JSON Lines "text" fields, and the demo posts.
func testdataTexts(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, f := range []string{"testdata/toxicity_groups.tsv", "testdata/toxicity_learned.tsv", "testdata/scope_probe.tsv", "testdata/default_cases.tsv", "testdata/everyday_clean.tsv", "testdata/everyday_clean2.tsv"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if fields := strings.Split(line, "\t"); len(fields) >= 2 && !strings.HasPrefix(line, "#") {
				out = append(out, fields...)
			}
		}
	}
	for _, f := range []string{"testdata/narratives_dev.jsonl"} {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var r struct{ Text string }
			if json.Unmarshal(sc.Bytes(), &r) == nil {
				out = append(out, r.Text)
			}
		}
		fh.Close()
	}
	return out
}

// TestLearnedNeutralMatchesOccursIn: Analyze takes "the post names an authority" from the
// learned component's masking when it runs; it must agree with neutralSet.occursIn.
func TestLearnedNeutralMatchesOccursIn(t *testing.T) {
	m := defaultModel(t).(*lexModel)
	texts := append(testdataTexts(t), "Công an phường", "cong an phuong", "chính phủ chính phủ", "ko", "")
	sc := new(scratch)
	for _, text := range texts {
		toks, syls := sc.syllables(text, m)
		want := m.neutral.occursIn(toks, &sc.neutralSyls)
		if _, _, got := m.learnedTox.logit(toks, syls, nil, &sc.toxSeen); got != want {
			t.Errorf("%q: learned masking says neutral term %v, occursIn %v", text, got, want)
		}
	}
}

// TestPlaceBucketsSurvivesCollisions: a first syllable's bigrams whose second-syllable
// keys all hash to one bucket still get a layout, and every key is found there. Before
// the hash was keyed with the buckets' offset, five such keys made the model fail to
// load ("bigrams begin with one syllable: too many"); adding 25 terms to the sentiment
// lexicon renumbered the syllables into that case for the learned narratives.
func TestPlaceBucketsSurvivesCollisions(t *testing.T) {
	tab := make([]toxBucket, 1) // bucket 0 is empty, as in the models
	off := uint32(len(tab))
	var keys []int32
	var idx []int
	for k := int32(1); len(keys) < 9 && k < 1<<16; k++ {
		if toxHash(k, off)&255 == toxHash(1, off)&255 { // one bucket at every size up to 256 at this offset
			keys = append(keys, k)
			idx = append(idx, len(keys))
		}
	}
	if len(keys) < 9 {
		t.Fatalf("found only %d colliding keys", len(keys))
	}
	if _, ok := fillBuckets(keys, idx, off, 256); ok {
		t.Fatal("the keys fit at the first offset: the test no longer builds the collision")
	}
	tab, gotOff, bits, err := placeBuckets(tab, keys, idx)
	if err != nil {
		t.Fatalf("placeBuckets: %v", err)
	}
	checkLayout(t, tab, gotOff, bits, keys, idx)
}

// TestPlaceBucketsCrowded: a first syllable that begins many bigrams (the shipped
// narrative file has 381 beginning with "con"; 256 buckets of 4 hold that many in under
// 1% of layouts, 450 in 0.01%) gets a layout at every offset a lexicon edit could move it
// to, and every key is found there.
func TestPlaceBucketsCrowded(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 381))
	for _, n := range []int{381, 450, 1000} {
		for try := range 50 {
			keys, idx := make([]int32, 0, n), make([]int, 0, n)
			seen := map[int32]bool{}
			for len(keys) < n {
				if k := int32(1 + r.IntN(65535)); !seen[k] {
					seen[k] = true
					keys = append(keys, k)
					idx = append(idx, len(keys))
				}
			}
			tab := make([]toxBucket, 1+r.IntN(5000))
			tab, off, bits, err := placeBuckets(tab, keys, idx)
			if err != nil {
				t.Fatalf("%d keys, try %d: %v", n, try, err)
			}
			checkLayout(t, tab, off, bits, keys, idx)
		}
	}
}

// checkLayout checks that every key is found at its index in the buckets placeBuckets
// returned, and a key never placed is not found.
func checkLayout(t *testing.T, tab []toxBucket, off uint32, bits uint8, keys []int32, idx []int) {
	t.Helper()
	for j, k := range keys {
		if got := tab[off+toxHash(k, off)&bucketMask(bits)].find(k); got != uint32(idx[j]) {
			t.Errorf("key %d: found index %d, want %d (offset %d, %d buckets)", k, got, idx[j], off, 1<<bits)
		}
	}
	absent := int32(2) // a key never placed is not found
	for slices.Contains(keys, absent) {
		absent++
	}
	if got := tab[off+toxHash(absent, off)&bucketMask(bits)].find(absent); got != 0 {
		t.Errorf("key %d, never placed: found index %d, want 0", absent, got)
	}
}
