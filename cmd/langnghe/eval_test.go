package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/langnghe/langnghe/classifier"
	"github.com/langnghe/langnghe/post"
)

const learnData = "../../classifier/learn/testdata/"

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runCLI(context.Background(), args, &cliEnv{stdout: &out, stderr: &errb})
	return code, out.String(), errb.String()
}

func TestEvalJSONKeys(t *testing.T) {
	code, out, stderr := runCmd(t, "eval", "--task", "sentiment", "--data", learnData+"dev.jsonl", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, k := range []string{"n", "accuracy", "macro_f1", "weighted_f1", "per_class", "confusion", "posts_per_second"} {
		if _, ok := r[k]; !ok {
			t.Errorf("missing key %q in %s", k, out)
		}
	}
	if r["n"].(float64) != 6 {
		t.Errorf("n = %v, want 6", r["n"])
	}
	code, out, _ = runCmd(t, "eval", "--task", "sentiment", "--data", learnData+"dev.jsonl")
	if code != 0 || !strings.Contains(out, "macro-F1") || !strings.Contains(out, "positive") {
		t.Errorf("text report: %s", out)
	}
}

// TestEvalViHOSBinaryLabels: gold labels in ViHOS's comment-level scheme (clean,
// hate_offensive) are scored as non_toxic/toxic against the collapsed prediction, instead
// of as four unrelated classes.
func TestEvalViHOSBinaryLabels(t *testing.T) {
	data := filepath.Join(t.TempDir(), "vihos.jsonl")
	lines := `{"text": "Hôm nay trời đẹp, cả nhà đi chơi công viên", "label": "clean"}
{"text": "Đm thằng ngu, cút đi", "label": "hate_offensive"}
{"text": "Cảm ơn bạn đã chia sẻ", "label": "clean"}
`
	if err := os.WriteFile(data, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCmd(t, "eval", "--task", "toxicity", "--data", data, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r struct {
		Accuracy float64        `json:"accuracy"`
		PerClass map[string]any `json:"per_class"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if r.Accuracy != 1 || len(r.PerClass) != 2 || r.PerClass["toxic"] == nil || r.PerClass["non_toxic"] == nil {
		t.Errorf("want accuracy 1 over toxic/non_toxic, got %s", out)
	}
}

func TestEvalErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"eval", "--data", learnData + "dev.jsonl"}, "--task"},
		{[]string{"eval", "--task", "sentiment"}, "--data"},
		{[]string{"eval", "--task", "sentiment", "--data", learnData + "bad.jsonl"}, "bad.jsonl:2:"},
		{[]string{"eval", "--task", "sentiment", "--data", learnData + "dev.jsonl", "--model", "/nonexistent"}, "nonexistent"},
	} {
		code, _, stderr := runCmd(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
}

// TestEvalNarrativeErrorsFlag: --errors 0 scores a held-out set without showing its
// posts; the count of errors stays in the text and JSON reports.
func TestEvalNarrativeErrorsFlag(t *testing.T) {
	data := filepath.Join(t.TempDir(), "set.jsonl")
	missed := "Hôm nay trời nắng đẹp, cả nhà đi công viên"
	set := `{"text": "` + missed + `", "narratives": ["disaster"]}
{"text": "Lũ quét cuốn trôi ba nhà ở bản Sáng, cần cứu trợ gấp", "narratives": ["disaster"]}
`
	if err := os.WriteFile(data, []byte(set), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCmd(t, "eval", "--task", "narrative", "--data", data)
	if code != 0 || !strings.Contains(out, missed) {
		t.Fatalf("default: exit %d, stderr %q; want the missed post listed:\n%s", code, stderr, out)
	}
	code, out, stderr = runCmd(t, "eval", "--task", "narrative", "--data", data, "--errors", "0")
	if code != 0 || strings.Contains(out, missed) || !strings.Contains(out, "1, 0 listed") {
		t.Errorf("--errors 0: exit %d, stderr %q; want the count and no post:\n%s", code, stderr, out)
	}
	code, out, _ = runCmd(t, "eval", "--task", "narrative", "--data", data, "--errors", "0", "--format", "json")
	var rep struct {
		Errors     []json.RawMessage `json:"errors"`
		ErrorCount int               `json:"error_count"`
	}
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil || len(rep.Errors) != 0 || rep.ErrorCount != 1 {
		t.Errorf("--errors 0 --format json: exit %d, %v, %d errors listed, error_count %d; want 0 listed, 1 counted", code, err, len(rep.Errors), rep.ErrorCount)
	}
	if code, _, stderr = runCmd(t, "eval", "--task", "narrative", "--data", data, "--errors", "-2"); code != 2 || !strings.Contains(stderr, "--errors") {
		t.Errorf("--errors -2: exit %d, stderr %q; want a usage error", code, stderr)
	}
}

// TestModelTrainShowEval trains a tiny model, shows its heaviest terms and evaluates it.
func TestModelTrainShowEval(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.json")
	code, stdout, stderr := runCmd(t, "model", "train", "--task", "sentiment", "--data", learnData+"train.jsonl",
		"--dev", learnData+"dev.jsonl", "--out", out, "--min-df", "1", "--c", "1,10", "--name", "tiny", "--version", "1")
	if code != 0 {
		t.Fatalf("train exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "C=10") || !strings.Contains(stderr, "[###") {
		t.Errorf("train output lacks the grid or progress bar:\n%s\n%s", stdout, stderr)
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runCmd(t, "model", "show", out, "--top", "3", "--kinds", "w")
	if code != 0 {
		t.Fatalf("show exit %d: %s", code, stderr)
	}
	for _, l := range []string{"negative", "neutral", "positive", "tiny@1"} {
		if !strings.Contains(stdout, l) {
			t.Errorf("show output lacks %q:\n%s", l, stdout)
		}
	}
	if n := strings.Count(stdout, `"w:`); n != 9 {
		t.Errorf("show --top 3 listed %d word terms, want 9:\n%s", n, stdout)
	}
	if !strings.Contains(stdout, "matches the running default model") {
		t.Errorf("show does not confirm the lexicon fingerprint:\n%s", stdout)
	}
	// The same file, as if trained over other lexicons: show warns.
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var lf map[string]any
	if err := json.Unmarshal(b, &lf); err != nil {
		t.Fatal(err)
	}
	lf["lexicon_fingerprint"] = "sha256:" + strings.Repeat("0", 64)
	drifted := filepath.Join(t.TempDir(), "drifted.json")
	if b, err = json.Marshal(lf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(drifted, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr = runCmd(t, "model", "show", drifted, "--top", "1"); code != 0 || !strings.Contains(stdout, "trained over other lexicons") {
		t.Errorf("show of a model trained over other lexicons: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = runCmd(t, "eval", "--task", "sentiment", "--data", learnData+"dev.jsonl", "--model", out, "--format", "json")
	if code != 0 {
		t.Fatalf("eval exit %d: %s", code, stderr)
	}
	var r struct {
		Accuracy float64 `json:"accuracy"`
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil || r.Accuracy < 0.8 {
		t.Errorf("eval of the trained model: %v %s", err, stdout)
	}
}

// TestClassifyOfflineWithLearnedModel: classify --in/--out with a learned model file as
// model.dir keeps every input line and field, in order, and names the model.
func TestClassifyOfflineWithLearnedModel(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.json")
	if code, _, stderr := runCmd(t, "model", "train", "--task", "sentiment", "--data", learnData+"train.jsonl",
		"--dev", learnData+"dev.jsonl", "--out", model, "--min-df", "1", "--c", "4", "--name", "tiny", "--version", "2"); code != 0 {
		t.Fatalf("train: %s", stderr)
	}
	out := filepath.Join(dir, "out.jsonl")
	if code, _, stderr := runCmd(t, "classify", "--in", learnData+"dev.jsonl", "--out", out, "--model.dir", model); code != 0 {
		t.Fatalf("classify exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	in, _ := os.ReadFile(learnData + "dev.jsonl")
	inLines := strings.Split(strings.TrimSpace(string(in)), "\n")
	if len(lines) != len(inLines) {
		t.Fatalf("%d lines out for %d in", len(lines), len(inLines))
	}
	for i, l := range lines {
		var got struct {
			Text     string `json:"text"`
			Label    string `json:"label"`
			Analysis struct {
				Model     string `json:"model"`
				Sentiment struct {
					Label string `json:"label"`
				} `json:"sentiment"`
			} `json:"analysis"`
		}
		var want struct {
			Text  string `json:"text"`
			Label string `json:"label"`
		}
		if err := json.Unmarshal([]byte(l), &got); err != nil {
			t.Fatal(err)
		}
		_ = json.Unmarshal([]byte(inLines[i]), &want)
		if got.Text != want.Text || got.Label != want.Label || got.Analysis.Model != "tiny@2" || got.Analysis.Sentiment.Label == "" {
			t.Errorf("line %d: %s", i+1, l)
		}
	}
}

// TestClassifyOfflineConvertsLegacyLikeTheRole: offline classification goes through the
// same function as the classify role (classifier.Classify), so a post typed in VIQR gets
// the analysis of its Unicode text and is written back converted, exactly as the role
// would store it. Before, the offline path analysed the raw VIQR and found nothing.
func TestClassifyOfflineConvertsLegacyLikeTheRole(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.jsonl"), filepath.Join(dir, "out.jsonl")
	const viqr = "Lu~ lu.t o+? Qua?ng Bi`nh, nu+o+'c nga^.p to+'i ma'i nha`, ca^`n cu+'u tro+. gha^'p"
	line, _ := json.Marshal(map[string]string{"id": "x", "text": viqr})
	if err := os.WriteFile(in, append(line, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCmd(t, "classify", "--in", in, "--out", out); code != 0 {
		t.Fatalf("classify exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Text     string        `json:"text"`
		Analysis post.Analysis `json:"analysis"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	m, err := classifier.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	p := post.Post{Text: viqr}
	classifier.Classify(m, &p) // what the classify role does to the same post
	// A word-final "?" stays punctuation (VIQR's own ambiguity), so "o+?" is "ơ?".
	if got.Text != p.Text || !strings.HasPrefix(got.Text, "Lũ lụt ơ? Quảng Bình") {
		t.Errorf("offline text %q, role text %q; want the Unicode conversion", got.Text, p.Text)
	}
	gotJSON, _ := json.Marshal(got.Analysis)
	wantJSON, _ := json.Marshal(p.Analysis)
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("offline analysis\n%s\nrole analysis\n%s", gotJSON, wantJSON)
	}
	if !got.Analysis.Flagged || len(got.Analysis.Narratives) == 0 {
		t.Errorf("a flood report typed in VIQR is not flagged offline: %s", gotJSON)
	}
}

// TestModelTrainScopeProbeGate: a toxicity model trained on data where only posts about
// authorities are hate (testdata/biased_train.jsonl) learns "dân" (the people) as hate and
// calls criticism of officials hate. `model train` refuses to write it (exit 1, the
// offending probe sentences listed) unless --allow-probe-failures is given.
func TestModelTrainScopeProbeGate(t *testing.T) {
	out := filepath.Join(t.TempDir(), "biased.json")
	args := []string{"model", "train", "--task", "toxicity", "--data", learnData + "biased_train.jsonl",
		"--dev", learnData + "biased_train.jsonl", "--out", out, "--min-df", "1", "--c", "10", "--class-weight", "none", "--folded", "false"}
	code, stdout, stderr := runCmd(t, args...)
	if code != 1 {
		t.Fatalf("exit %d, want 1\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "scope_probe.tsv:") || !strings.Contains(stderr, "labelled hate") || !strings.Contains(stderr, "not_hate") {
		t.Errorf("stderr does not list the offending sentences:\n%s", stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a model failing the probe was written (stat: %v)", err)
	}
	code, stdout, stderr = runCmd(t, append(args, "--allow-probe-failures")...)
	if code != 0 {
		t.Fatalf("with --allow-probe-failures: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("--allow-probe-failures did not write the model: %v", err)
	}
	if !strings.Contains(stdout, "labelled hate") {
		t.Errorf("--allow-probe-failures output does not list the failures:\n%s", stdout)
	}
	// model show names the neutral terms the model was trained without, then each label's
	// heaviest features.
	code, stdout, _ = runCmd(t, "model", "show", out, "--top", "5")
	if code != 0 || !strings.Contains(stdout, "neutral terms never learned") || !strings.Contains(stdout, "\nhate (bias") {
		t.Errorf("show exit %d:\n%s", code, stdout)
	}
	for _, banned := range []string{`"w:cán bộ"`, `"w:công an"`, `"w:chính quyền"`} {
		if strings.Contains(stdout, banned) {
			t.Errorf("show lists %s, a neutral term:\n%s", banned, stdout)
		}
	}
}

// TestModelTrainFast: --fast fits once with its settings (one C, balanced, NB scaling, no folded or
// character n-grams), and a flag given explicitly overrides its value.
func TestModelTrainFast(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.json")
	code, stdout, stderr := runCmd(t, "model", "train", "--task", "sentiment", "--data", learnData+"train.jsonl",
		"--dev", learnData+"dev.jsonl", "--out", out, "--min-df", "1", "--fast", "--c", "2")
	if code != 0 {
		t.Fatalf("train exit %d: %s", code, stderr)
	}
	if strings.Count(stdout, "class_weight=") != 2 || !strings.Contains(stdout, "C=2 ") || !strings.Contains(stdout, "folded=false nb=1 C=2 class_weight=balanced") {
		t.Errorf("--fast --c 2 should fit once with C=2, balanced, folded=false, nb=1:\n%s", stdout)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(`"c:`)) || !bytes.Contains(b, []byte(`"max_iter":80`)) {
		t.Errorf("--fast model has character n-grams or not max_iter 80: %.300s", b)
	}
}

// TestModelTrainOffsetFolds: --offset-folds N tunes the offsets by cross-validation on
// the training split (the file and the output say so); 1, a negative value and
// --ensemble are usage errors.
func TestModelTrainOffsetFolds(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.json")
	args := []string{"model", "train", "--task", "sentiment", "--data", learnData + "train.jsonl",
		"--dev", learnData + "dev.jsonl", "--out", out, "--min-df", "1", "--fast"}
	code, stdout, stderr := runCmd(t, append(args, "--offset-folds", "3")...)
	if code != 0 {
		t.Fatalf("train exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "3-fold cross-validation on the training split, out-of-fold weighted_f1") {
		t.Errorf("output does not report the cross-validated offsets:\n%s", stdout)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"offset_folds":3`)) || !bytes.Contains(b, []byte(`"cv_weighted_f1":`)) {
		t.Errorf("model file does not record the folds: %.400s", b)
	}
	for _, bad := range [][]string{{"--offset-folds", "1"}, {"--offset-folds", "-2"}, {"--offset-folds", "3", "--ensemble"}} {
		if code, _, _ := runCmd(t, append(args, bad...)...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage)", bad, code)
		}
	}
}
