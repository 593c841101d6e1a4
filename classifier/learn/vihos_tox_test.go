package learn

import (
	"cmp"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/langnghe/langnghe/classifier"
	"github.com/langnghe/langnghe/models"
	"github.com/langnghe/langnghe/vntext"
)

// ViHOS toxicity component of the default model (models/learned/toxicity.tsv).
const (
	toxCTie           = 0.003 // C grid points this close to the best ViHOS dev F1 count as ties
	toxMinDF          = 3     // a feature must occur in this many training comments
	toxMinAbs         = 0.05
	toxMinSpan        = 2   // a positively weighted n-gram lies inside a ViHOS span in this many comments
	toxMinSpanPrec    = 0.3 // ... and in this share of the comments holding it
	toxMinSpanPrecUni = 0.5 // one syllable is often a fragment of an ordinary word ("thủ tục"): stricter
	toxCleanW         = 4.0 // clean dev comments count x4: ViHOS dev is 45% toxic (about 17% after weighting), a feed far less
	learnedToxBiasKey = "<bias>"
	// toxCutShift lowers the threshold tuned on ViHOS dev: ViHOS is social-media slang
	// drawn from ViHSD, and news comments (ViCTSD) say the same harsh things with fewer of
	// its words, so the ViHOS-tuned threshold found few of them. One number, chosen on the
	// training splits only: of 0, -0.125, ..., -1, -0.25 gives the highest sum of ViHSD and
	// ViCTSD train macro-F1 with the fourth lexicon pass (1.2187; -0.125 and -0.5 1.2172 and
	// 1.2170; -0.5 was chosen the same way before that pass: models/README.md, "third pass"
	// and "fourth pass"); 10 of the 11,426 UIT-VSFC train comments (polite course feedback)
	// are then toxic. No text or label of those sets feeds the file.
	toxCutShift = -0.25
)

// toxCs are the inverse L2 strengths tried.
var toxCs = []float64{0.1, 0.2, 0.5, 1, 2, 4}

// wordFeatures returns the features of the default model's learned components: distinct
// word unigrams and bigrams of the normalized syllables, neutral terms masked as in
// learned models. Run time (toxlearned.go, narrlearned.go) computes the same ones.
// The toxicity component also masks units (classifier.WithUnits: "size L", "150.000 đ").
func wordFeatures(t *testing.T, opts ...classifier.ExtractorOption) *classifier.FeatureExtractor {
	t.Helper()
	neutral, err := classifier.DefaultNeutralTerms()
	if err != nil {
		t.Fatal(err)
	}
	fx, err := classifier.NewFeatureExtractor(classifier.FeatureConfig{WordMax: 2}, nil, append([]classifier.ExtractorOption{classifier.WithNeutralTerms(neutral)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return fx
}

// lexiconOnly loads the shipped default model without its learned component, whose
// decisions the learned one is combined with.
func lexiconOnly(t *testing.T) classifier.Model {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, models.FS()); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "learned")); err != nil {
		t.Fatal(err)
	}
	m, err := classifier.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// toxNeverPositive are phrases no positive feature may contain or lie inside, reviewed by
// hand against the heaviest learned features: political labels and criticism of
// authorities (the engine is content-neutral; see models/README.md, "Responsible scope"),
// opinions ("tẩy chay", "lạc hậu"), words of crime and disaster news, which name events
// rather than abuse anyone, and everyday words ("rau", "quan hệ", "tiêm chủng").
var toxNeverPositive = seqsOf(`cộng|sản|đảng|búa liềm|dân đen|tay sai|bán nước|mị dân|mao|đô hộ|
	nằm vùng|hại dân|bưng bô|tham quan|phản động|ba que|3 que|bò đỏ|dư luận viên|cờ vàng|việt tân|
	thành tích|ngột ngạt|nô lệ|độc tài|tù|tử hình|giết người|khủng bố|bom|bắn|cướp|hàng giả|
	mang dịch|đói|tang|chôn|tai nạn|xây nhà|lấy tiền|quỹ|trại|giam|trộm|treo|tẩy chay|lạc hậu|
	chủng|quan hệ|vải|rau|ống|chén|chính sách|ngân sách|ăn tiền|núp lùm|vơ vét|vét|
	đàn áp|lạm|cai trị|lưu vong|tổ quốc|chống phá|giặc|lật|ngụy|xuyên tạc|nhồi sọ|phong bì|bcs|
	đô|tội đồ|côn đồ|thiên đường|hiếp|đâm|tinh trùng|chất độc|lây bệnh|dị ứng`)

// toxNeverBigram are two-syllable features that may never weigh towards toxic although
// each syllable may (so they cannot go in toxNeverPositive, which also bars the pieces):
// criticism of authorities and political talk ("ngu dân", "lũ tham", "bán rẻ"). Written by
// hand after reading the heaviest learned features (issue 13, second pass).
var toxNeverBigram = map[string]bool{}

func init() {
	for _, b := range strings.Split(`ngu dân|với dân|dân như|lũ tham|bán rẻ|loạn viên|nước hại|uống nước|
		biệt vùng|các nước|bị đô|lũ bán|viên ăn|sâu mọt`, "|") {
		toxNeverBigram[strings.Join(strings.Fields(b), " ")] = true
	}
}

// foldSyllable is a normalized syllable without its diacritics.
func foldSyllable(s string) string {
	var b strings.Builder
	for _, t := range vntext.Tokenize(s) {
		b.WriteString(t.Folded)
	}
	return b.String()
}

func seqsOf(list string) [][]string {
	var out [][]string
	for _, p := range strings.Split(list, "|") {
		out = append(out, strings.Fields(p))
	}
	return out
}

// insideAny reports whether syls occurs inside one of seqs.
func insideAny(syls []string, seqs [][]string) bool {
	for _, q := range seqs {
		if subseq(q, syls) {
			return true
		}
	}
	return false
}

// session9Everyday joins the first block of toxAmbiguous (session 9): syllables whose
// everyday sense is common in the product's own topics,
// found by reading every positive unigram of the file again: storms and floods ("bão
// quật đổ cây", "tát nước", "hoạn nạn", "trẻ mồ côi", "hòn đảo"), health ("chó dại",
// "sán lá gan", "ấu trùng", "đái tháo đường", "bú sữa", "sặc sữa", "buồn nôn", "ngậm nước
// muối", "lú lẫn", "vẹo cột sống", "dái tai", "đấm bóp"), food and trade ("xôi dẻo", "ăn
// lót dạ", "bã cà phê", "cà phê culi", "tiệm nail", "bán sỉ", "bóc phốt"), abbreviations
// ("tk" tài khoản, "vc" vợ chồng, "th" trường hợp, "cđ" cao đẳng) and words whose insult
// needs a target the bigrams and the lexicon see ("chó sủa", "ma quỷ", "mồ mả", "nói
// dối", "đậu xe bậy", "nhà vệ sinh dơ", "hoa dâm bụt", "mèo liếm lông", "hèn gì").
// Bigrams with them may still weigh towards toxic ("đồ dơ"); "sủa", "dâm", "dái", "ỉa"
// stay lexicon terms with shields.
const session9Everyday = `quật tát hoạn mồ hòn dại sán ấu đái bú sặc nôn ngậm lú vẹo dái
		đấm dẻo lót bã culi nail sỉ phốt tk vc th cđ sủa quỷ mả dối bậy dơ dâm liếm hèn
		liêm thụt xỏ lờ ngóc trơ gớm thúi khắm giãy phệ mạt đờ thò đớp lòi hù sục đả ị ỉa mõm què`

// toxAmbiguous are everyday words that abuse often contains but that say nothing toxic on
// their own (kin, pronouns, classifiers, animals, eating, dying): the learned component may
// weigh them in bigrams ("thằng ngu") but never as positive unigrams, so "Mẹ cho con đi
// học" and "Con chó nhà tôi rất khôn" stay clean; and fragments of everyday phrases
// ("tổ chức", "đá bóng"). Written by hand. The second block are syllables of everyday
// compounds ("mất dạy" but "giảng dạy", "vô ích" but "bổ ích", "kẻ gian", "mã OTP", "rác
// thải", "nguy hiểm") that, as positive unigrams, made scam warnings and polite course
// feedback offensive (53 of the 1,583 UIT-VSFC dev comments, used only as a count).
var toxAmbiguous = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`mẹ má bố ba cha cụ ông bà anh chị em con cháu cô chú bác dì cậu
		mợ thím vợ chồng tao mày nó hắn bọn lũ đám thằng con cái đồ chúng tụi họ người ai mình
		chó mèo lợn heo bò gà vịt trâu khỉ ăn uống chết giết đánh nói chửi miệng mồm mặt óc não đầu
		tay chân đít mông như mà bị cho có là đi cả này kia đó thì tổ chức đá bóng tục xấu núp lùm
		dạy ích bổ thức dụ kém bám vấn đề môi trường loại loài vật hề họa chém gió kẻ mã lừa đảo
		nuốt cạn ném bóp ác sv đẻ đập thấp ảo nát ưa dở lấp hiểm xám diệt thải phá rối ổ mỏ đu
		tào háng gân cắp trá cắn bới ói rách lão đút bôi méo đẳng nực ẳng hó xỉ
		m t củ cổ bê tông thăng vớ dầy bạ thí thùng lột xiên đốt rẻ bóc chừa dí đè húp phím lá thôn
		lạnh nồi cháo cỏ bền máu mũi lông ngực mỡ quần lỗ lò lồng bì tần mộng mối ốc tụ sấu bướm
		xích ngục mé khẩu ức viễn thù bạo nổ túi thâm bụng hoại gầm ngựa vặt nhái
		nhốt hôi vứt cẩu cặn mọt bẩn
		xl rác thối đậu
		vả đạp phấn nản thổ tụt nhét mài phẳng loạn họng chọc cuồng
		súc điên
		` + session9Everyday) {
		toxAmbiguous[w] = true
		for _, tok := range vntext.Tokenize(w) {
			toxAmbiguous[tok.Folded] = true // "me" is "mẹ" typed without diacritics
		}
	}
	// "con đi" and "con di" are also "con đĩ" mistyped, but first "the child goes".
	for _, b := range []string{"con chó", "con đi", "con di"} {
		toxAmbiguous[b] = true
	}
	// "óc chó" is also walnuts ("hạt óc chó", "sữa óc chó"), which the lexicon's shields
	// tell apart from the insult and a learned bigram cannot; the lexicon keeps the insult.
	// "điên" (first block) is the heat, the traffic or the paperwork in "nóng điên người",
	// "điên đầu", "phát điên"; "thằng điên", "đồ điên" stay lexicon terms (session 9).
	toxAmbiguous["óc chó"], toxAmbiguous["oc cho"] = true, true
	// "thần kinh" is the nerves of medicine ("zona thần kinh", "khoa thần kinh") before it
	// is "crazy"; the lexicon keeps the insult (0.25, shields for the medical phrases).
	toxAmbiguous["thần kinh"], toxAmbiguous["than kinh"] = true, true
	// Session 9, bigrams: the same reading of all 248 positive bigrams. Pronouns for
	// "them" ("chúng nó đi học về"), farm and kitchen words ("con bò", "chè đậu xanh"),
	// medicine ("tâm thần", "thuốc chữa", "sán dây", "hoang tưởng"), shopping ("loại này",
	// "rẻ tiền", "nó bán"), pieces of ordinary sentences ("nhất thế" of "nhất thế giới",
	// "vô ý", "nó chết", "cái động" of "cái động cơ") and judgements that are not abuse
	// ("tư cách", "lương tâm", "ích kỷ", "xúc phạm" of a victim's "bị xúc phạm", "phá
	// hoại" of pests): every one of them flagged an everyday sentence alone.
	for _, b := range strings.Split(`chúng nó|tụi nó|bọn chúng|bọn nó|con bò|đậu xanh|sán dây|tâm thần|
		loại này|thuốc chữa|hết thuốc|giang hồ|lỗ mũi|nó bán|nhất thế|bóng gió|con đàn|mặt ra|người chứ|
		hồ thì|cái tính|nó chết|ăn xin|phá hoại|xúc phạm|tư cách|lương tâm|nhân tính|ích kỷ|vô ý|
		gian dối|dối trá|không ưa|chó nó|chó sủa|cái động|phản lại|thiếu ý|giả tạo|rẻ tiền|nó bỏ|
		miệng thì|tạo nghiệp|ghen ăn|tức ở|ăn tức|giống loài|cái não|vô nghĩa|hoang tưởng|âm binh|
		bụng phệ|ra người|nó câm|già mà|loại người`, "|") {
		var folded []string
		for _, w := range strings.Fields(b) {
			folded = append(folded, foldSyllable(w))
		}
		toxAmbiguous[strings.Join(strings.Fields(b), " ")] = true
		toxAmbiguous[strings.Join(folded, " ")] = true // "chung no", typed without diacritics
	}
	// Everyday and news phrases ("nguy hiểm", "vấn đề", "bánh mì", "dã man" of a crime
	// report) and pieces of sentences that say nothing abusive: they made everyday posts,
	// news comments and course feedback offensive (third block, issue 13 second pass).
	for _, b := range strings.Split(`nguy hiểm|vấn đề|có vấn|môi trường|ảnh hưởng|có ảnh|giáo dục|văn hóa|
		phát triển|bánh mì|sẽ được|sẽ là|có đi|còn ít|ít hơn|hơn cả|nhìn lại|thì mới|cái là|của cuộc|
		không giống|có tí|chả có|3 cái|1 con|như 1|chị có|ở dưới|trên đầu|đề về|mà ý|cái ý|có ý|
		nói nhiều|biết con|con ông|con bà|bố mẹ|tổ tiên|bàn phím|ngoài đường|sống tới|tài giỏi|
		nhanh hơn|chứ đừng|tưởng thế|vàng mã|ăn chơi|nhận tiền|bất chấp|dã man|tàn độc|thịt người|
		chết con|đầu thai|quả báo|bệnh cho|trùng khuyết|gì có|không ra|học không|tưởng mình|cái đầu|
		đầu không|có cây|phẩm của|hóa của|thức của|thức còn|bê tông|ý thức|câu like|con trâu|làm người|
		vẫn thấy|đừng để|không chịu|tội nghiệp|đạo đức|xấu hổ|đạo nhái|như con|lừa đảo|kẻ gian|
		vô dụng|sinh vật|đầu óc|biết gì|2 cái|nó ăn|có văn|con gà|nhân cách|
		hài hước|thức như|thức kém|chê bai|tỏ ra|thua cả|không co|của bọn`, "|") {
		toxAmbiguous[strings.Join(strings.Fields(b), " ")] = true
	}
}

type toxDoc struct {
	feats []string // distinct word 1-2-gram keys, neutral terms masked
	y     int
	lex   float64 // lexicon toxicity score
}

// TestViHOSToxicityModel trains the default model's learned toxicity component,
// models/learned/toxicity.tsv, from ViHOS (MIT License): a binary L2 logistic regression,
// clean vs hate_offensive, over the distinct word unigrams and bigrams (vntext normalized
// syllables, neutral terms masked as in learned models) of ViHOS train, every ViHOS
// comment equal (NFC, lower case, spaces folded) to a ViHSD or ViCTSD dev text left out so
// those dev sets stay a held-out measurement. Which features may weigh towards toxic is
// restricted (allowedFn); the decision threshold of "lexicon OR learned" is tuned on ViHOS
// dev. With VIHOS_TOX_OUT=file it writes the model; otherwise it reports whether the
// shipped file is reproduced.
func TestViHOSToxicityModel(t *testing.T) {
	out := os.Getenv("VIHOS_TOX_OUT")
	held := map[string]bool{}
	nheld := 0
	for _, split := range []string{"vihsd/dev.jsonl", "victsd/dev.jsonl"} {
		for _, r := range readEval(t, split) {
			held[dedupKey(r.Text)] = true
			nheld++
		}
	}
	fx := wordFeatures(t, classifier.WithUnits())
	lex := lexiconOnly(t)
	load := func(split string) ([]toxDoc, int) {
		var docs []toxDoc
		skipped := 0
		for _, r := range readEval(t, split) {
			if held[dedupKey(r.Text)] {
				skipped++
				continue
			}
			d := toxDoc{lex: lex.Analyze(r.Text).Toxicity.Score}
			if r.Label != "clean" {
				d.y = 1
			}
			for _, f := range fx.Features(r.Text) {
				d.feats = append(d.feats, f.Key)
			}
			docs = append(docs, d)
		}
		return docs, skipped
	}
	spanSupport, spanAll := map[string]int{}, map[string]int{}
	for _, r := range readSpanRows(t, "vihos/train.jsonl") {
		if held[dedupKey(r.Text)] {
			continue
		}
		in, all := commentGrams(r)
		for g := range in {
			spanSupport["w:"+g]++
		}
		for g := range all {
			spanAll["w:"+g]++
		}
	}
	train, skipTrain := load("vihos/train.jsonl")
	dev, skipDev := load("vihos/dev.jsonl")
	t.Logf("ViHOS: %d train, %d dev comments kept; %d train and %d dev left out as equal to one of the %d ViHSD/ViCTSD dev texts", len(train), len(dev), skipTrain, skipDev, nheld)

	// Positive weight only for n-grams annotators marked: inside a ViHOS span in at least
	// toxMinSpan training comments and in at least toxMinSpanPrec of the comments holding
	// them, and never an everyday word alone (toxAmbiguous), so topic and function words of
	// the source pages ("giàu", "100", "mẹ") cannot flag a post on their own.
	// Nor may a feature lie inside a protected-group term of lexicon/targets.tsv:
	// naming a group ("người khuyết tật", "đồng tính") is not abuse.
	targets := lexiconSeqs(t, "lexicon/targets.tsv", true)
	// A syllable typed without diacritics that is also an accented syllable of the corpus
	// with its marks dropped ("cut": cút, cụt, cứt; "day": đây, dạy) says nothing alone; a
	// positive feature needs one syllable that is not such ("vl", "đéo", "ngu"). Accentless
	// multi-syllable insults are the lexicons' (their terms also match without diacritics).
	foldAmbiguous := map[string]bool{}
	for _, d := range train {
		for _, f := range d.feats {
			for _, syl := range strings.Fields(strings.TrimPrefix(f, "w:")) {
				if folded := foldSyllable(syl); folded != syl {
					foldAmbiguous[folded] = true
				}
			}
		}
	}
	allowedFn := func(k string) bool {
		g := strings.TrimPrefix(k, "w:")
		if !slices.ContainsFunc(strings.Fields(g), func(s string) bool { return !foldAmbiguous[s] }) {
			return false
		}
		prec := toxMinSpanPrec
		if !strings.Contains(g, " ") {
			prec = toxMinSpanPrecUni
		}
		return spanSupport[k] >= toxMinSpan && float64(spanSupport[k]) >= prec*float64(spanAll[k]) && !toxAmbiguous[g] && !toxNeverBigram[g] && !insideAny(strings.Fields(g), targets) && !containsAny(strings.Fields(g), toxNeverPositive)
	}

	// C: the F1s of the grid on ViHOS dev lie within a few thousandths of each other, so
	// among those within toxCTie of the best the one needing the most evidence (the lowest
	// bias, threshold folded in) is taken: fewer posts flagged on one weak word.
	type fit struct {
		c, f1, bias, cut float64
		w                map[string]float64
		clipped          int
	}
	var fits []fit
	best := 0.0
	cleanW := toxCleanW
	if v := os.Getenv("SCAN_CLEANW"); v != "" {
		fmt.Sscan(v, &cleanW)
	}
	cs := toxCs
	if v := os.Getenv("SCAN_C"); v != "" {
		var c float64
		fmt.Sscan(v, &c)
		cs = []float64{c}
	}
	for _, c := range cs {
		w, bias, clipped := fitAllowed(train, c, allowedFn)
		cut, f1 := tuneCut(dev, w, bias, cleanW)
		shift := toxCutShift
		if v := os.Getenv("SCAN_SHIFT"); v != "" {
			fmt.Sscan(v, &shift)
		}
		cut += shift
		if v := os.Getenv("SCAN_CUT"); v != "" {
			fmt.Sscan(v, &cut)
		}
		fits = append(fits, fit{c, f1, bias, cut, w, clipped})
		best = max(best, f1)
		t.Logf("C=%g: ViHOS dev toxic F1 %.4f, bias with threshold %.3f", c, f1, bias-cut)
	}
	chosen := -1
	for i, f := range fits {
		if f.f1 >= best-toxCTie && (chosen < 0 || f.bias-f.cut < fits[chosen].bias-fits[chosen].cut) {
			chosen = i
		}
	}
	toxC, w, bias, cut, f1, clipped := fits[chosen].c, fits[chosen].w, fits[chosen].bias, fits[chosen].cut, fits[chosen].f1, fits[chosen].clipped
	t.Logf("C=%g: %d features (%d positive ones outside spans dropped); ViHOS dev threshold %.2f, toxic F1 %.4f (clean weighted x%g)", toxC, len(w), clipped, cut, f1, toxCleanW)
	got := renderToxicity(w, bias-cut, toxC, len(train), len(dev), skipTrain, skipDev)
	if out != "" {
		if err := os.WriteFile(out, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	shipped, err := fs.ReadFile(models.FS(), "learned/toxicity.tsv")
	if err != nil {
		t.Fatal(err)
	}
	// The shipped file's positive features must all be allowed ones (a hand edit that adds
	// a political or everyday word towards toxic fails here).
	for _, line := range strings.Split(string(shipped), "\n") {
		feat, ws, ok := strings.Cut(line, "\t")
		if !ok || strings.HasPrefix(line, "#") || feat == learnedToxBiasKey {
			continue
		}
		var v float64
		if _, err := fmt.Sscan(ws, &v); err != nil {
			t.Fatalf("learned/toxicity.tsv: %q: %v", line, err)
		}
		if v > 0 && !allowedFn("w:"+feat) {
			t.Errorf("learned/toxicity.tsv: %q weighs towards toxic but is not an allowed feature", feat)
		}
	}
	// The file is generated from ViHOS and the shipped lexicons; a lexicon edit that leaves it
	// stale (its threshold and features were chosen with the old one) must regenerate it.
	if string(shipped) != got {
		t.Errorf("models/learned/toxicity.tsv differs from what this training gives now; regenerate it:\n  VIHOS_TOX_OUT=$PWD/models/learned/toxicity.tsv go test ./classifier/learn -run TestViHOSToxicityModel")
	} else {
		t.Logf("models/learned/toxicity.tsv is reproduced exactly")
	}
}

func renderToxicity(w map[string]float64, bias, toxC float64, ntrain, ndev, skipTrain, skipDev int) string {
	keys := make([]string, 0, len(w))
	for k := range w {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := cmp.Compare(w[b], w[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	var sb strings.Builder
	fmt.Fprintf(&sb, `# Learned toxicity component of the default model: binary logistic regression over the
# distinct word unigrams and bigrams (normalized syllables) of a post, neutral terms masked.
# A post is toxic by it when it holds a positively weighted feature and <bias> + the weights
# of its features >= 0 (the threshold, tuned on ViHOS dev for "lexicon OR learned", is
# folded into <bias>). Generated, do not edit: see models/README.md,
#   VIHOS_TOX_OUT=$PWD/models/learned/toxicity.tsv go test ./classifier/learn -run TestViHOSToxicityModel
# Data: ViHOS (github.com/phusroyal/ViHOS, MIT License, Copyright (c) 2023 Phu Hoang Gia),
# %%d train + %%d dev comments; %%d train and %%d dev comments equal to a ViHSD or ViCTSD dev
# text left out.
# C=%%g (of %%v: among the ViHOS dev ties within %%g, the lowest bias), min document
# frequency %%d, |weight| >= %%g. Positive weights only for n-grams inside
# a ViHOS span in >= %%d training comments and in >= %%g (unigrams %%g) of those holding them,
# never for a hand-listed everyday word alone, a piece of a protected-group term
# (lexicon/targets.tsv), or an n-gram touching a hand-listed political or news word
# (toxAmbiguous, toxNeverPositive in classifier/learn/vihos_tox_test.go). Threshold chosen
# for toxic F1 on ViHOS dev (lexicon OR learned), clean comments weighted x%%g.
%s	%.3f
`, learnedToxBiasKey, bias)
	s := fmt.Sprintf(sb.String(), ntrain, ndev, skipTrain, skipDev, toxC, toxCs, toxCTie, toxMinDF, toxMinAbs, toxMinSpan, toxMinSpanPrec, toxMinSpanPrecUni, toxCleanW)
	sb.Reset()
	sb.WriteString(s)
	for _, k := range keys {
		fmt.Fprintf(&sb, "%s\t%.3f\n", strings.TrimPrefix(k, "w:"), w[k])
	}
	return sb.String()
}

// fitToxicity fits a binary L2 logistic regression over binary features.
// fitAllowed fits, then drops the features that came out positive without being allowed
// to and fits again (twice), so no disallowed feature pushes towards toxic.
func fitAllowed(docs []toxDoc, C float64, allowed func(string) bool) (map[string]float64, float64, int) {
	drop := map[string]bool{}
	var w map[string]float64
	var bias float64
	for range 3 {
		w, bias = fitToxicity(docs, C, drop)
		for k, v := range w {
			if v > 0 && !allowed(k) {
				drop[k] = true
			}
		}
	}
	for k, v := range w {
		if v > 0 && !allowed(k) {
			delete(w, k)
		}
	}
	return w, bias, len(drop)
}

func fitToxicity(docs []toxDoc, C float64, drop map[string]bool) (map[string]float64, float64) {
	df := map[string]int{}
	for _, d := range docs {
		for _, f := range d.feats {
			df[f]++
		}
	}
	var keys []string
	for k, n := range df {
		if n >= toxMinDF && !drop[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	index := map[string]int32{}
	for i, k := range keys {
		index[k] = int32(i)
	}
	X := make([]sparse, len(docs))
	for i, d := range docs {
		for _, f := range d.feats {
			if j, ok := index[f]; ok {
				X[i].idx = append(X[i].idx, j)
				X[i].val = append(X[i].val, 1)
			}
		}
		X[i].y = d.y
	}
	F, K := len(keys), 2
	W := make([]float64, F*K+K)
	lbfgs(W, lrObjective(X, F, K, C, []float64{1, 1}, nil), 300)
	w := map[string]float64{}
	for i, k := range keys {
		if v := W[i*K+1] - W[i*K]; math.Abs(v) >= toxMinAbs {
			w[k] = math.Round(v*1000) / 1000
		}
	}
	return w, W[F*K+1] - W[F*K]
}

// toxZ is the learned logit of d, or -Inf when none of its features weighs towards
// toxic: the component flags a post only on positive evidence.
func toxZ(d toxDoc, w map[string]float64, bias float64) float64 {
	z, pos := bias, false
	for _, f := range d.feats {
		z += w[f]
		pos = pos || w[f] > 0
	}
	if !pos {
		return math.Inf(-1)
	}
	return z
}

// tuneCut picks the decision threshold on z (lexicon OR z >= cut) maximising the toxic
// F1 on docs, with clean comments weighted cleanW.
func tuneCut(docs []toxDoc, w map[string]float64, bias, cleanW float64) (float64, float64) {
	best, bestF := 0.0, -1.0
	for cut := -3.0; cut <= 4; cut += 0.05 {
		var tp, fp, fn float64
		for _, d := range docs {
			pred := d.lex >= 0.5 || toxZ(d, w, bias) >= cut
			switch {
			case pred && d.y == 1:
				tp++
			case pred:
				fp += cleanW
			case d.y == 1:
				fn++
			}
		}
		f := 2 * tp / (2*tp + fp + fn)
		if f > bestF {
			best, bestF = cut, f
		}
	}
	return best, bestF
}
