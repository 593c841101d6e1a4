package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const normData = "../../vntext/testdata/"

func evalNormJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	code, out, stderr := runCmd(t, append([]string{"eval", "--task", "normalize", "--format", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, k := range []string{"err", "pairs", "tokens", "baseline_errors", "system_errors", "posts_per_second"} {
		if _, ok := r[k]; !ok {
			t.Errorf("missing key %q in %s", k, out)
		}
	}
	return r
}

func TestNormalizeTrainAndEval(t *testing.T) {
	data := normData + "lexnorm_pairs.csv"
	shipped := evalNormJSON(t, "--data", data)
	if shipped["pairs"].(float64) != 32 || shipped["model"] != "shipped" {
		t.Errorf("shipped: %v", shipped)
	}
	out := filepath.Join(t.TempDir(), "norm.json")
	code, stdout, stderr := runCmd(t, "model", "train", "--task", "normalize", "--data", data, "--out", out, "--hold-out", "4")
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "held-out") || !strings.Contains(stdout, "written to "+out) {
		t.Errorf("train output: %s", stdout)
	}
	if !strings.Contains(stderr, "teencode") { // the progress line
		t.Errorf("no progress on stderr: %q", stderr)
	}
	learned := evalNormJSON(t, "--data", data, "--model", out)
	// Measured on its own training pairs (a fit, not a held-out figure): near perfect.
	if e := learned["err"].(float64); e < 0.9 || e <= shipped["err"].(float64) {
		t.Errorf("learned ERR on its training pairs %.3f, shipped %.3f", e, shipped["err"])
	}
	code, stdout, _ = runCmd(t, "eval", "--task", "normalize", "--data", data, "--model", out)
	if code != 0 || !strings.Contains(stdout, "ERR") {
		t.Errorf("text report: %s", stdout)
	}
}

func TestNormalizeErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"format":"langnghe-keyword-lr/1"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"eval", "--task", "normalize", "--data", normData + "lexnorm_fields.csv"}, "lexnorm_fields.csv:3:"},
		{[]string{"eval", "--task", "normalize", "--data", normData + "lexnorm_badquote.csv"}, "lexnorm_badquote.csv:3:"},
		{[]string{"eval", "--task", "normalize", "--data", normData + "lexnorm_header.csv"}, "lexnorm_header.csv:1:"},
		{[]string{"eval", "--task", "normalize", "--data", normData + "lexnorm_pairs.csv", "--model", bad}, "bad.json: bad learned normalizer"},
		{[]string{"model", "train", "--task", "normalize", "--data", normData + "lexnorm_pairs.csv"}, "--out"},
		{[]string{"model", "train", "--task", "normalize", "--data", normData + "lexnorm_fields.csv", "--out", bad}, "lexnorm_fields.csv:3:"},
	} {
		code, _, stderr := runCmd(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
}
