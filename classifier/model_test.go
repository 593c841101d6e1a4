package classifier

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/langnghe/langnghe/models"
	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/vntext"
)

func defaultModel(t testing.TB) Model {
	t.Helper()
	m, err := LoadDefault()
	if err != nil {
		t.Fatalf("LoadDefault: %v", err)
	}
	return m
}

func TestDefaultModelName(t *testing.T) {
	if got := defaultModel(t).Name(); got != "default@2026.11.1" {
		t.Errorf("Name() = %q, want default@2026.11.1", got)
	}
}

func TestSentiment(t *testing.T) {
	m := defaultModel(t)
	tests := []struct {
		name  string
		text  string
		label string
	}{
		{"positive word", "Món này ngon", "positive"},
		{"negative word", "Phục vụ tệ", "negative"},
		{"negation flips positive", "Món này không ngon", "negative"},
		{"teencode negation flips", "Món này ko ngon", "negative"},
		{"negation two syllables back", "Chẳng thấy vui gì cả", "negative"},
		{"chưa flips", "Chưa hài lòng với dịch vụ", "negative"},
		{"negation flips negative", "Quán này không tệ", "positive"},
		{"food named chả is not negation", "Bún chả ngon", "positive"},
		{"không khí is air, not negation", "Không khí trong lành, dễ chịu", "positive"},
		{"quá tải is a phrase, not an intensifier", "Bệnh viện quá tải", "negative"},
		{"emoticon", "Hôm nay đi chơi :))", "positive"},
		{"sad emoticon", "Thi trượt rồi :((", "negative"},
		{"emoji", "😡😡", "negative"},
		{"folded multi-syllable term", "giao vien nhiet tinh, de hieu", "positive"},
		{"no sentiment words", "Tôi đi chợ mua rau", "neutral"},
		{"contrast: later clause wins (neg)", "Đồ ăn ngon nhưng phục vụ tệ", "negative"},
		{"contrast: later clause wins (pos)", "Giá hơi đắt nhưng chất lượng tuyệt vời", "positive"},
		{"contrast with nhưng mà", "Sản phẩm đẹp nhưng mà dùng vài hôm đã hỏng", "negative"},
		{"leading Nhưng weakens nothing", "Nhưng mà ngon thật", "positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := m.Analyze(tt.text)
			if a.Sentiment.Label != tt.label {
				t.Errorf("Analyze(%q).Sentiment = %+v, want %s (evidence %+v)", tt.text, a.Sentiment, tt.label, a.Evidence)
			}
			if a.Sentiment.Score < -1 || a.Sentiment.Score > 1 {
				t.Errorf("score %v outside -1..1", a.Sentiment.Score)
			}
		})
	}
}

func TestIntensifiersScale(t *testing.T) {
	m := defaultModel(t)
	tests := []struct {
		stronger, weaker string
	}{
		{"Đồ ăn rất ngon", "Đồ ăn ngon"},
		{"Đồ ăn ngon quá", "Đồ ăn ngon"},
		{"Đồ ăn ngon lắm", "Đồ ăn ngon"},
		{"Phim chán quá", "Phim chán"},
		{"Đồ ăn ngon", "Đồ ăn hơi ngon"},
	}
	for _, tt := range tests {
		s, w := m.Analyze(tt.stronger).Sentiment.Score, m.Analyze(tt.weaker).Sentiment.Score
		if abs(s) <= abs(w) {
			t.Errorf("|score(%q)| = %v, want more than |score(%q)| = %v", tt.stronger, s, tt.weaker, w)
		}
		if s*w <= 0 {
			t.Errorf("%q (%v) and %q (%v) should have the same sign", tt.stronger, s, tt.weaker, w)
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestToxicity(t *testing.T) {
	m := defaultModel(t)
	tests := []struct{ text, label string }{
		{"Chúc mọi người cuối tuần vui vẻ", "clean"},
		{"Tao với mày đi ăn phở đi", "clean"}, // rude pronouns alone stay below the threshold
		{"Thằng ngu này nói gì vậy", "hate"},  // an insult aimed by "thằng": harassment
		{"Ngu gì mà ngu thế", "offensive"},
		{"dm cái quán này phục vụ như cc", "offensive"},
		{"Bọn bê đê cút hết đi", "hate"},
		{"Con chó nhà tôi rất khôn", "clean"},
		{"Cán bộ phường làm việc chậm quá, tôi rất bức xúc", "clean"}, // criticism is not toxic
	}
	for _, tt := range tests {
		a := m.Analyze(tt.text)
		if a.Toxicity.Label != tt.label {
			t.Errorf("Analyze(%q).Toxicity = %+v, want %s (evidence %+v)", tt.text, a.Toxicity, tt.label, a.Evidence)
		}
		if wantFlag := tt.label != "clean"; wantFlag && !a.Flagged {
			t.Errorf("Analyze(%q) toxic but not flagged", tt.text)
		}
	}
}

func TestEvidenceOffsets(t *testing.T) {
	m := defaultModel(t)
	tests := []struct {
		text     string
		forLabel string
		term     string
		original string // text[start:end]
	}{
		{"Cảnh báo: họ bắt chuyển khoản trước rồi chặn số", "scam", "chuyển khoản trước", "chuyển khoản trước"},
		{"canh bao: ho bat chuyen khoan truoc roi chan so", "scam", "chuyển khoản trước", "chuyen khoan truoc"},
		{"Lũ   lụt ở Huế", "disaster", "lũ lụt", "Lũ   lụt"},
		{"Hoà bình, món này ngon", "sentiment", "ngon", "ngon"},
		{"Vie\u0302\u0323c nhe\u0323 lương cao", "scam", "việc nhẹ lương cao", "Vie\u0302\u0323c nhe\u0323 lương cao"},
		{"mn ơi ko ngon đâu", "sentiment", "ngon", "ngon"},
		{"ai cũng bảo 😍 quá", "sentiment", "😍", "😍"},
	}
	for _, tt := range tests {
		a := m.Analyze(tt.text)
		found := false
		for _, e := range a.Evidence {
			if e.For == tt.forLabel && e.Term == tt.term {
				found = true
				if got := tt.text[e.Start:e.End]; got != tt.original {
					t.Errorf("evidence %q in %q spans %q, want %q", e.Term, tt.text, got, tt.original)
				}
			}
		}
		if !found {
			t.Errorf("Analyze(%q): no evidence for %s %q in %+v", tt.text, tt.forLabel, tt.term, a.Evidence)
		}
	}
}

// TestFoldedMatchesNeedTwoSyllables: one syllable typed without diacritics is too
// ambiguous to match a lexicon term ("ma" is not "mà", "lu" is not "lũ").
func TestFoldedMatchesNeedTwoSyllables(t *testing.T) {
	m := defaultModel(t)
	for _, text := range []string{"lu", "bao", "ngap", "lua"} {
		a := m.Analyze(text)
		if len(a.Narratives) != 0 || len(a.Evidence) != 0 {
			t.Errorf("Analyze(%q) = %+v, want no matches", text, a)
		}
	}
}

// TestAnalyzeNeverFails: the classify stage has no error path, so every input must give
// a valid analysis.
func TestAnalyzeNeverFails(t *testing.T) {
	m := defaultModel(t)
	big := strings.Repeat("Lũ lụt ở Quảng Bình, ko ai cứu trợ :(( lừa đảo chuyển khoản trước 😡 ", 1<<20/80)
	tests := map[string]string{
		"empty":        "",
		"spaces":       " \n\t ",
		"invalid utf8": "\xff\xfe\xfd lũ \xc3",
		"emoji only":   "😂😂😂👍🏽❤️🇻🇳",
		"emoticons":    ":)) :( <3 ^^",
		"punctuation":  "!!!???...---",
		"1 MB":         big,
		"nul bytes":    "a\x00b\x00",
		"lone marks":   "\u0301\u0323\u0309",
	}
	for name, text := range tests {
		t.Run(name, func(t *testing.T) {
			a := m.Analyze(text)
			p := post.Post{Schema: 1, ID: "rss:t:1", Platform: "rss", Source: "t", Text: text,
				PublishedAt: mustTime(t), Analysis: &a}
			if err := p.Validate(); err != nil {
				t.Fatalf("analysis of %s input is invalid: %v", name, err)
			}
			if a.Model != m.Name() || a.Narratives == nil || a.Evidence == nil {
				t.Errorf("analysis = %+v, want model name and non-nil slices", a)
			}
		})
	}
	if a := m.Analyze(""); a.Sentiment != (post.Label{Label: "neutral"}) || a.Toxicity != (post.Label{Label: "clean"}) || a.Flagged {
		t.Errorf("empty text = %+v, want neutral/clean with score 0, not flagged", a)
	}
}

func TestAnalyzeConcurrent(t *testing.T) {
	m := defaultModel(t)
	texts := []string{"Lũ lụt ở Huế", "ko ngon", "chuyển khoản trước", "thằng ngu"}
	want := make([]post.Analysis, len(texts))
	for i, s := range texts {
		want[i] = m.Analyze(s)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Go(func() {
			for i := 0; i < 200; i++ {
				k := (g + i) % len(texts)
				if got := m.Analyze(texts[k]); got.Sentiment != want[k].Sentiment || len(got.Evidence) != len(want[k].Evidence) {
					t.Errorf("concurrent Analyze(%q) = %+v, want %+v", texts[k], got, want[k])
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestNarrativeExamples runs the examples each narrative file carries: the files document
// themselves, and an edit that breaks an example fails here.
func TestNarrativeExamples(t *testing.T) {
	m := defaultModel(t).(*lexModel)
	if len(m.narratives) < 5 {
		t.Fatalf("default model has %d narratives, want at least 5", len(m.narratives))
	}
	for _, n := range m.narratives {
		if len(n.examples.match) == 0 || len(n.examples.noMatch) == 0 {
			t.Errorf("narrative %s has no match or no_match examples", n.ID)
		}
		for _, text := range n.examples.match {
			t.Run(n.ID+"/match/"+text, func(t *testing.T) {
				if a := m.Analyze(text); !hasNarrative(a, n.ID) {
					t.Errorf("%s does not match %q; got %+v, evidence %+v", n.ID, text, a.Narratives, a.Evidence)
				} else if wantFlag := n.severity >= flagSeverity; wantFlag && !a.Flagged {
					t.Errorf("%s (severity %s) matched %q without flagging it", n.ID, n.Severity, text)
				}
			})
		}
		for _, text := range n.examples.noMatch {
			t.Run(n.ID+"/no_match/"+text, func(t *testing.T) {
				if a := m.Analyze(text); hasNarrative(a, n.ID) {
					t.Errorf("%s matches %q; evidence %+v", n.ID, text, a.Evidence)
				}
			})
		}
	}
}

func hasNarrative(a post.Analysis, id string) bool {
	return slices.ContainsFunc(a.Narratives, func(n post.Narrative) bool { return n.ID == id })
}

func TestNarrativesInfo(t *testing.T) {
	infos := Narratives(defaultModel(t))
	var ids []string
	for _, n := range infos {
		ids = append(ids, n.ID)
		if n.NameVI == "" || n.NameEN == "" || n.Threshold <= 0 {
			t.Errorf("incomplete narrative info %+v", n)
		}
	}
	want := []string{"disaster", "hate_harassment", "health_misinfo", "public_service_complaint", "scam"}
	if !slices.Equal(ids, want) {
		t.Errorf("narratives = %v, want %v", ids, want)
	}
}

// TestPublicServiceComplaintDoesNotFlag: complaints are a category analysts follow, not
// a threat, so on their own they must not flag a post.
func TestPublicServiceComplaintDoesNotFlag(t *testing.T) {
	a := defaultModel(t).Analyze("Lên phường làm giấy tờ mà chờ cả ngày, thủ tục hành chính rườm rà")
	if !hasNarrative(a, "public_service_complaint") || a.Flagged {
		t.Errorf("got narratives %+v flagged %v, want public_service_complaint and not flagged", a.Narratives, a.Flagged)
	}
}

// copyModelDir copies the embedded model to a temporary directory, so a test can break
// one file and check the error Load reports.
func copyModelDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, models.FS()); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLoadDirectory(t *testing.T) {
	dir := copyModelDir(t)
	m, err := Load(dir)
	if err != nil {
		t.Fatalf("Load(copy of default) = %v", err)
	}
	text := "Lũ lụt ở Quảng Bình, lừa đảo chuyển khoản trước"
	if got, want := m.Analyze(text), defaultModel(t).Analyze(text); !slices.Equal(got.Evidence, want.Evidence) {
		t.Errorf("directory model and embedded model disagree:\n%+v\n%+v", got, want)
	}
}

func TestLoadErrorsNameFileAndLine(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		content string
		want    string // substring of the error
	}{
		{"bad sentiment weight", "lexicon/sentiment.tsv", "# c\ntốt\t1\nxấu\tabc\n", "lexicon/sentiment.tsv:3:"},
		{"sentiment weight out of range", "lexicon/sentiment.tsv", "tốt\t9\n", "lexicon/sentiment.tsv:1:"},
		{"duplicate term in another tone style", "lexicon/sentiment.tsv", "hòa\t1\nhoà\t1\n", "lexicon/sentiment.tsv:2:"},
		{"toxicity label", "lexicon/toxicity.tsv", "ngu\trude\t0.5\n", "lexicon/toxicity.tsv:1:"},
		{"modifier kind", "lexicon/modifiers.tsv", "rất\tbooster\t1.5\n", "lexicon/modifiers.tsv:1:"},
		{"narrative severity", "narratives/scam.yaml", "id: scam\nname_vi: a\nname_en: b\nseverity: extreme\nthreshold: 1\nterms:\n  - weight: 1\n    any: [lừa]\n", "narratives/scam.yaml:4:"},
		{"narrative learned_not_when_sentiment", "narratives/scam.yaml", "id: scam\nname_vi: a\nname_en: b\nseverity: low\nthreshold: 1\nlearned_not_when_sentiment: [happy]\nterms:\n  - weight: 1\n    any: [lừa]\n", "narratives/scam.yaml:6:"},
		{"narrative unknown key", "narratives/scam.yaml", "id: scam\nname_vi: a\nname_en: b\nseverity: low\ntreshold: 1\n", "line 5"},
		{"narrative empty term", "narratives/scam.yaml", "id: scam\nname_vi: a\nname_en: b\nseverity: low\nthreshold: 1\nterms:\n  - weight: 1\n    any:\n      - lừa\n      - \"!!\"\n", "narratives/scam.yaml:10:"},
		{"manifest", "model.yaml", "name: x\n", "model.yaml:1:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyModelDir(t)
			if err := os.WriteFile(filepath.Join(dir, tt.file), []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrModelFile) {
				t.Errorf("Load error = %v, want one containing %q and wrapping ErrModelFile", err, tt.want)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		dir := copyModelDir(t)
		os.Remove(filepath.Join(dir, "lexicon", "toxicity.tsv"))
		if _, err := Load(dir); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "toxicity.tsv") {
			t.Errorf("Load error = %v, want a not-exist error naming toxicity.tsv", err)
		}
	})
	t.Run("not a directory", func(t *testing.T) {
		if _, err := Load(filepath.Join(t.TempDir(), "nope")); err == nil {
			t.Error("Load of a missing directory succeeded")
		}
	})
}

// demoPosts decodes every line of models/demo/posts.jsonl with post.Decode.
func demoPosts(t testing.TB) []*post.Post {
	t.Helper()
	data, err := fs.ReadFile(models.FS(), "demo/posts.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var posts []*post.Post
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		p, err := post.Decode(sc.Bytes())
		if err != nil {
			t.Fatalf("demo/posts.jsonl:%d: %v", line, err)
		}
		posts = append(posts, p)
	}
	return posts
}

func TestDemoPosts(t *testing.T) {
	posts := demoPosts(t)
	if len(posts) < 180 {
		t.Fatalf("%d demo posts, want about 200", len(posts))
	}
	m := defaultModel(t)
	ids := map[string]bool{}
	counts := map[string]int{}
	platforms := map[string]int{}
	authors := map[string]bool{}
	luLut := 0
	for _, p := range posts {
		if ids[p.ID] {
			t.Errorf("duplicate id %s", p.ID)
		}
		ids[p.ID] = true
		platforms[p.Platform]++
		authors[p.Author.ID] = true
		if p.Analysis != nil {
			t.Errorf("%s: demo posts carry text only, no analysis", p.ID)
		}
		if p.PublishedAt.Before(mustParse("2026-11-06T00:00:00Z")) || !p.PublishedAt.Before(mustParse("2026-11-20T00:00:00Z")) {
			t.Errorf("%s: published_at %v outside the 14 days before 2026-11-20", p.ID, p.PublishedAt)
		}
		if p.FetchedAt.Before(p.PublishedAt) {
			t.Errorf("%s: fetched before published", p.ID)
		}
		a := m.Analyze(p.Text)
		for _, n := range a.Narratives {
			counts[n.ID]++
		}
		if a.Toxicity.Label != "clean" {
			counts["toxic"]++
		}
		if strings.Contains(" "+vntext.FoldedText(p.Text)+" ", " lu lut ") {
			luLut++
		}
	}
	t.Logf("narrative counts %v, platforms %v, %d authors, %d posts with \"lu lut\"", counts, platforms, len(authors), luLut)
	for id, min := range map[string]int{"scam": 20, "disaster": 20, "public_service_complaint": 20, "health_misinfo": 10, "hate_harassment": 5} {
		if counts[id] < min {
			t.Errorf("narrative %s matches %d demo posts, want at least %d", id, counts[id], min)
		}
	}
	if luLut < 10 {
		t.Errorf("folded search for \"lu lut\" finds %d posts, want at least 10", luLut)
	}
	if len(platforms) != 4 || len(authors) < 20 {
		t.Errorf("platforms %v and %d authors: want all four platforms and a few dozen authors", platforms, len(authors))
	}
}

func BenchmarkAnalyze(b *testing.B) {
	m := defaultModel(b)
	posts := demoPosts(b)
	var bytes int64
	for _, p := range posts {
		bytes += int64(len(p.Text))
	}
	b.SetBytes(bytes / int64(len(posts)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.Analyze(posts[i%len(posts)].Text)
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "posts/s")
}

func mustParse(s string) time.Time {
	ts, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return ts
}

func mustTime(t *testing.T) time.Time {
	t.Helper()
	return mustParse("2026-11-19T10:00:00Z")
}

// TestFoldSafeSingleSyllables: one-syllable terms marked "fold" in the lexicons match
// text typed without diacritics; unmarked ones do not.
func TestFoldSafeSingleSyllables(t *testing.T) {
	m := defaultModel(t)
	for _, c := range []struct{ text, sentiment, toxicity string }{
		{"thich lam", "positive", "clean"},
		{"ghet the", "negative", "clean"},
		{"dm thang kia", "neutral", "offensive"},
		{"dep qua", "neutral", "clean"}, // "dep" is also "dép" (sandal): not marked
	} {
		a := m.Analyze(c.text)
		if a.Sentiment.Label != c.sentiment || a.Toxicity.Label != c.toxicity {
			t.Errorf("Analyze(%q) = %s/%s, want %s/%s (evidence %+v)", c.text, a.Sentiment.Label, a.Toxicity.Label, c.sentiment, c.toxicity, a.Evidence)
		}
	}
	dir := copyModelDir(t)
	p := filepath.Join(dir, "lexicon", "sentiment.tsv")
	if err := os.WriteFile(p, []byte("tốt\t1\tfolded\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "sentiment.tsv:1:") || !strings.Contains(err.Error(), `"fold"`) {
		t.Errorf("bad fold column: %v", err)
	}
}

// TestEvidenceCappedPerLabel: a huge repetitive post gives a bounded, readable result.
func TestEvidenceCappedPerLabel(t *testing.T) {
	m := defaultModel(t)
	text := strings.Repeat("Đồ ngu, phục vụ tệ quá. ", 20000)
	a := m.Analyze(text)
	counts := map[string]int{}
	for _, e := range a.Evidence {
		counts[e.For]++
	}
	if counts["sentiment"] != maxEvidencePerLabel || counts["toxicity"] != maxEvidencePerLabel {
		t.Errorf("evidence per label %v, want %d each", counts, maxEvidencePerLabel)
	}
	if a.Sentiment.Label != "negative" || a.Toxicity.Label == "clean" {
		t.Errorf("labels %+v %+v", a.Sentiment, a.Toxicity)
	}
}

// TestAbuseTargetingAGroupIsHate: an offensive term near a protected group is hate; the
// same term alone is offensive; the group alone is nothing.
func TestAbuseTargetingAGroupIsHate(t *testing.T) {
	m := defaultModel(t)
	for _, c := range []struct{ text, want string }{
		{"Người miền trung ngu thật sự", "hate"},
		{"bọn người da đen đúng là óc chó", "hate"},
		{"Người này ngu thật sự", "offensive"},
		{"Người miền trung rất hiếu khách", "clean"},
		{"Người miền trung đi làm ăn xa, gặp người bạn cũ ở quê nói chuyện cả buổi, người đó ngu", "offensive"},
	} {
		a := m.Analyze(c.text)
		if a.Toxicity.Label != c.want {
			t.Errorf("Analyze(%q).Toxicity = %+v, want %s (evidence %+v)", c.text, a.Toxicity, c.want, a.Evidence)
		}
	}
}

func TestTargetsFileErrors(t *testing.T) {
	for body, want := range map[string]string{
		"người bắc\tpolitics\n":                       "targets.tsv:1:",
		"# c\nngười bắc\tregion\nngười bắc\tregion\n": "targets.tsv:3:",
		"người bắc\n":                                 "want term<TAB>kind",
	} {
		dir := copyModelDir(t)
		if err := os.WriteFile(filepath.Join(dir, "lexicon", "targets.tsv"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(dir)
		if !errors.Is(err, ErrModelFile) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", body, err, want)
		}
	}
}

// TestScratchSharedByModels: pooled scratch buffers (and their word cache, which keeps
// each word's syllable ids in one model's symbol table) are shared by every model in the
// process, such as the default model and one reloaded from a directory. Analyzing with
// one model must not leak its ids into the other's results.
func TestScratchSharedByModels(t *testing.T) {
	dir := copyModelDir(t)
	// A model whose symbol table numbers syllables differently: a first term of new
	// syllables shifts every id.
	tox := filepath.Join(dir, "lexicon", "toxicity.tsv")
	body, err := os.ReadFile(tox)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tox, append([]byte("# test\nxạo quần quật\toffensive\t0.6\n"), body...), 0o644); err != nil {
		t.Fatal(err)
	}
	other, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	def := defaultModel(t).(*lexModel)
	text := "Người miền trung ngu thật sự, lừa đảo chuyển khoản trước, xạo quần quật :(("
	wantDef, wantOther := def.Analyze(text), other.Analyze(text)
	if wantOther.Toxicity.Label == "clean" {
		t.Fatalf("the changed model does not see its new term: %+v", wantOther)
	}
	sc := new(scratch)
	for range 3 {
		for _, m := range []*lexModel{def, other.(*lexModel)} {
			toks, syls := sc.syllables(text, m)
			for _, s := range syls {
				tok := toks[s.tok]
				if strings.IndexByte(tok.Norm, ' ') >= 0 {
					continue // a teencode expansion: looked up syllable by syllable
				}
				nid, fid := m.sylIDs(tok.Norm, tok.Folded, text[tok.Start:tok.End])
				if s.nid != nid || s.fid != fid {
					t.Fatalf("token %q: ids %d %d from the cache, want %d %d", tok.Norm, s.nid, s.fid, nid, fid)
				}
			}
		}
		if got := def.Analyze(text); !analysisEqual(got, wantDef) {
			t.Fatalf("default model after the other: %+v, want %+v", got, wantDef)
		}
		if got := other.Analyze(text); !analysisEqual(got, wantOther) {
			t.Fatalf("other model after the default: %+v, want %+v", got, wantOther)
		}
	}
}

func analysisEqual(a, b post.Analysis) bool {
	return a.Model == b.Model && a.Sentiment == b.Sentiment && a.Toxicity == b.Toxicity &&
		a.Flagged == b.Flagged && slices.Equal(a.Narratives, b.Narratives) && slices.Equal(a.Evidence, b.Evidence)
}

// TestToxicityGroups runs testdata/toxicity_groups.tsv: group-targeted abuse is hate, the
// same abuse without a protected group is offensive, criticism of authorities is never
// hate, and look-alikes of slurs stay clean.
func TestToxicityGroups(t *testing.T) {
	m := defaultModel(t)
	for _, c := range readToxicityCases(t, "toxicity_groups.tsv") {
		if a := m.Analyze(c.text); a.Toxicity.Label != c.want {
			t.Errorf("toxicity_groups.tsv:%d: %q is %s (score %.3f), want %s (%s); evidence %+v",
				c.line, c.text, a.Toxicity.Label, a.Toxicity.Score, c.want, c.why, a.Evidence)
		}
	}
}

// toxicityCase is a row of a want<TAB>text<TAB>why table in testdata.
type toxicityCase struct {
	line            int
	want, text, why string
}

// readToxicityCases reads testdata/name, skipping blank and # lines, and fails unless it
// holds at least 20 rows.
func readToxicityCases(t *testing.T, name string) []toxicityCase {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var cases []toxicityCase
	for i, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			t.Fatalf("%s:%d: want want<TAB>text<TAB>why, got %d fields", name, i+1, len(f))
		}
		cases = append(cases, toxicityCase{line: i + 1, want: f[0], text: f[1], why: f[2]})
	}
	if len(cases) < 20 {
		t.Errorf("only %d cases read", len(cases))
	}
	return cases
}

// TestLexiconEvidenceWeights: every term the lexicon model reports carries the weight it
// contributed: signed for sentiment after negators and intensifiers, positive for
// toxicity and narratives.
func TestLexiconEvidenceWeights(t *testing.T) {
	m := defaultModel(t)
	weight := func(text, label, term string) float64 {
		t.Helper()
		for _, e := range m.Analyze(text).Evidence {
			if e.For == label && e.Term == term {
				return e.Weight
			}
		}
		t.Fatalf("Analyze(%q): no %s evidence %q", text, label, term)
		return 0
	}
	plain, strong, negated := weight("Đồ ăn ngon", "sentiment", "ngon"), weight("Đồ ăn rất ngon", "sentiment", "ngon"), weight("Đồ ăn không ngon", "sentiment", "ngon")
	if plain <= 0 || strong <= plain || negated >= 0 {
		t.Errorf("sentiment weights of ngon: plain %v, rất %v, không %v; want 0 < plain < rất and không < 0", plain, strong, negated)
	}
	if w := weight("Thằng ngu này nói gì vậy", "toxicity", "thằng ngu"); w <= 0 || w > 1 {
		t.Errorf("toxicity weight %v, want in (0, 1]", w)
	}
	if w := weight("Cảnh báo: họ bắt chuyển khoản trước rồi chặn số", "scam", "chuyển khoản trước"); w <= 0 {
		t.Errorf("narrative weight %v, want > 0", w)
	}
}

// TestToxicityLearned runs testdata/toxicity_learned.tsv on the default model, whose
// learned toxicity component (models/learned/toxicity.tsv) adds toxic posts the lexicons
// miss: everyday, news and English text stays clean, abuse is caught, and every toxic
// post says why with evidence (terms and byte offsets into the text). The scope probe's
// polite criticism and news about authorities stay clean too (not only "not hate").
func TestToxicityLearned(t *testing.T) {
	m := defaultModel(t)
	for _, c := range readToxicityCases(t, "toxicity_learned.tsv") {
		a := m.Analyze(c.text)
		got := a.Toxicity.Label
		if c.want == "toxic" && got != "clean" {
			got = "toxic"
		}
		if got != c.want {
			t.Errorf("toxicity_learned.tsv:%d: %q is %s (score %.3f), want %s (%s); evidence %+v",
				c.line, c.text, a.Toxicity.Label, a.Toxicity.Score, c.want, c.why, a.Evidence)
		}
		if a.Toxicity.Label == "clean" {
			continue
		}
		ev := 0
		for _, e := range a.Evidence {
			if e.For == "toxicity" {
				ev++
				if e.Start < 0 || e.End > len(c.text) || e.Start >= e.End || e.Term == "" {
					t.Errorf("toxicity_learned.tsv:%d: bad evidence %+v", c.line, e)
				}
			}
		}
		if ev == 0 {
			t.Errorf("toxicity_learned.tsv:%d: %q is %s without toxicity evidence", c.line, c.text, a.Toxicity.Label)
		}
	}
	// Polite criticism of authorities and neutral news about them (the scope probe's
	// criticism_polite and news sentences) are not even offensive.
	probe, err := os.ReadFile("testdata/scope_probe.tsv")
	if err != nil {
		t.Fatal(err)
	}
	polite := 0
	for i, line := range strings.Split(string(probe), "\n") {
		f := strings.Split(line, "\t")
		if strings.HasPrefix(line, "#") || len(f) < 3 || (f[1] != "criticism_polite" && f[1] != "news") {
			continue
		}
		polite++
		if a := m.Analyze(f[2]); a.Toxicity.Label != "clean" {
			t.Errorf("scope_probe.tsv:%d: %s %q is %s (score %.3f), want clean; evidence %+v", i+1, f[1], f[2], a.Toxicity.Label, a.Toxicity.Score, a.Evidence)
		}
	}
	if polite < 20 {
		t.Errorf("only %d polite criticism and news sentences read", polite)
	}
}

// TestEvidenceNamesEachOccurrenceOnce: a narrative with a rule and weighted terms finds one
// occurrence both ways; the UI highlights evidence, so it must come once (with its weight).
func TestEvidenceNamesEachOccurrenceOnce(t *testing.T) {
	m := defaultModel(t)
	texts := append(testdataTexts(t), "toi se giet may, tao biet nha may o dau roi")
	type key struct {
		label, term string
		start, end  int
	}
	for _, text := range texts {
		seen := map[key]bool{}
		for _, e := range m.Analyze(text).Evidence {
			k := key{e.For, e.Term, e.Start, e.End}
			if seen[k] {
				t.Errorf("%q: evidence %+v reported twice", text, k)
			}
			seen[k] = true
		}
	}
}

// TestLearnedWithoutTerms: the learned narrative component considers a narrative only in
// posts where one of its terms occurs, unless its YAML says learned_without_terms; then
// a post that implies the narrative without its vocabulary can match.
func TestLearnedWithoutTerms(t *testing.T) {
	const text = "Cả nhà ngồi trên giường chờ sáng"
	for _, anywhere := range []bool{false, true} {
		dir := copyModelDir(t)
		learned := "disaster\t<bias>\t-1\ndisaster\tgiường\t3\n"
		if err := os.WriteFile(filepath.Join(dir, "learned", "narratives.tsv"), []byte(learned), 0o644); err != nil {
			t.Fatal(err)
		}
		if anywhere {
			setLearnedWithoutTerms(t, filepath.Join(dir, "narratives", "disaster.yaml"))
		}
		m, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		cands, _ := NarrativeGates(m, text)
		a := m.Analyze(text)
		if got := hasNarrative(a, "disaster"); got != anywhere || slices.Contains(cands, "disaster") != anywhere {
			t.Errorf("learned_without_terms %v: disaster matched %v, candidate %v (%v); want both %v", anywhere, got, slices.Contains(cands, "disaster"), cands, anywhere)
		}
		if b := m.Analyze("Hôm nay trời đẹp"); hasNarrative(b, "disaster") {
			t.Errorf("learned_without_terms %v: a post without the feature matched disaster", anywhere)
		}
	}
}

// TestAnywhereBoundIsSafe: in posts without a narrative term, the bound
// (anywhereBound) rules a post out only when the full scoring would not match it either. The shipped file with learned_without_terms set on every narrative,
// over the hand-written narrative sets.
func TestAnywhereBoundIsSafe(t *testing.T) {
	dir := copyModelDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "narratives", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range files {
		setLearnedWithoutTerms(t, path)
	}
	m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lm := m.(*lexModel)
	nl := lm.learnedNarr
	if len(nl.anywhere) == 0 {
		t.Fatal("no narrative learned without terms")
	}
	sets, err := filepath.Glob("testdata/narratives_*.jsonl")
	if err != nil || len(sets) == 0 {
		t.Fatalf("narrative sets: %v", err)
	}
	var texts, bound, full int
	for _, set := range sets {
		data, err := os.ReadFile(set)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var ex struct{ Text string }
			if err := json.Unmarshal([]byte(line), &ex); err != nil {
				t.Fatalf("%s: %v", set, err)
			}
			for _, text := range []string{ex.Text, vntext.Fold(ex.Text)} {
				sc := getScratch()
				_, syls := sc.syllables(text, lm)
				p := &sc.narr
				b := nl.anywhereBound(syls, p)
				nl.score(syls, p)
				matched := false
				for _, i := range nl.anywhere {
					if _, ok := nl.matches(p, i, nil); ok {
						matched = true
					}
				}
				putScratch(sc)
				texts++
				if b {
					bound++
				}
				if matched {
					full++
				}
				if matched && !b {
					t.Errorf("%s: %q: full scoring matches, the bound rules it out", set, text)
				}
			}
		}
	}
	t.Logf("%d texts: %d pass the bound, %d matched by the full scoring", texts, bound, full)
}

// setLearnedWithoutTerms adds "learned_without_terms: true" to the narrative YAML at path
// (a model directory's copy).
func setLearnedWithoutTerms(t *testing.T, path string) {
	t.Helper()
	y, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(y), "\nthreshold:", "\nlearned_without_terms: true\nthreshold:", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestEverydayPostsStayClean: hand-written everyday posts (family, food, floods, health,
// trade, traffic, religion, pets, parenting, farming, ...; testdata/everyday_clean.tsv and
// everyday_clean2.tsv, 300 each, written blind to the model in session 9) are not toxic.
// At most 1% of each may be flagged: the sets measure how often an analyst's feed of
// ordinary posts gets a false toxicity flag. At session 9's start the first set had 3
// flagged ("zona thần kinh", "tk" for tài khoản, a dog that "sủa"); the second, read only
// after the first round of fixes, 14 at the start and 6 after that round (accentless
// "ngủ" read as "ngu", "day thang cho" of a first-month feast read as "thằng chó"). Both
// have since been used for fixes, so they are no longer blind.
func TestEverydayPostsStayClean(t *testing.T) {
	m := defaultModel(t)
	for _, name := range []string{"everyday_clean.tsv", "everyday_clean2.tsv"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		n, flagged := 0, 0
		for i, line := range strings.Split(string(b), "\n") {
			topic, text, ok := strings.Cut(line, "\t")
			if !ok || strings.HasPrefix(line, "#") {
				continue
			}
			n++
			if a := m.Analyze(text); a.Toxicity.Label != "clean" {
				flagged++
				t.Logf("%s:%d (%s): %q is %s %.3f; evidence %+v", name, i+1, topic, text, a.Toxicity.Label, a.Toxicity.Score, a.Evidence)
			}
		}
		if n < 300 {
			t.Fatalf("%s: read %d posts, want 300", name, n)
		}
		if flagged*100 > n {
			t.Errorf("%s: %d of %d everyday posts flagged toxic, want at most 1%%", name, flagged, n)
		}
		t.Logf("%s: %d of %d everyday posts flagged toxic", name, flagged, n)
	}
}
