package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/langnghe/langnghe/post"
)

// TestAlertsCheckSkipsNonYAML: `alerts check DIR/*` over the shipped rules directory,
// which holds Go files beside the rules, checks the rules and names every other file
// (and subdirectory) as skipped; with no YAML file at all it is a usage error.
func TestAlertsCheckSkipsNonYAML(t *testing.T) {
	dir := t.TempDir()
	shipped, _ := filepath.Glob("../../models/alerts/*.yaml")
	if len(shipped) == 0 {
		t.Fatal("no shipped rules")
	}
	for _, f := range shipped {
		b, _ := os.ReadFile(f)
		os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o600)
	}
	others := []string{"rules.go", "rules_test.go", "README.md", "notes.txt"}
	for _, f := range others {
		os.WriteFile(filepath.Join(dir, f), []byte("package alerts\n"), 0o600)
	}
	os.Mkdir(filepath.Join(dir, "old.yaml.d"), 0o700)
	others = append(others, "old.yaml.d")
	all, _ := filepath.Glob(filepath.Join(dir, "*"))
	var out, stderr bytes.Buffer
	code := runCLI(context.Background(), append([]string{"alerts", "check"}, all...), &cliEnv{stdout: &out, stderr: &stderr})
	if code != 0 || !strings.Contains(out.String(), "valid") {
		t.Fatalf("alerts check DIR/*: exit %d\nstdout: %s\nstderr: %s", code, out.String(), stderr.String())
	}
	for _, f := range others {
		if !strings.Contains(stderr.String(), filepath.Join(dir, f)+": bỏ qua") {
			t.Errorf("no skip notice for %s in:\n%s", f, stderr.String())
		}
	}
	for _, f := range shipped {
		if strings.Contains(stderr.String(), filepath.Base(f)+": bỏ qua") {
			t.Errorf("%s was skipped", f)
		}
	}
	stderr.Reset()
	code = runCLI(context.Background(), []string{"alerts", "check", filepath.Join(dir, "rules.go")}, &cliEnv{stdout: io.Discard, stderr: &stderr})
	if code != 2 || !strings.Contains(stderr.String(), "no .yaml or .yml file") {
		t.Errorf("alerts check with only a Go file: exit %d, %s; want 2", code, stderr.String())
	}
}

// TestClassifyPlainTextInput: `classify --in` on lines that are not JSON objects (plain
// text, a JSON array, a number) names the file and line and the expected format, and
// leaves the --out path as it was: absent stays absent, an earlier output is kept whole.
func TestClassifyPlainTextInput(t *testing.T) {
	for name, body := range map[string]string{
		"text":   "Lũ lụt ở Quảng Bình\nđường ngập sâu\n",
		"array":  `{"text": "ok"}` + "\n" + `["lũ"]` + "\n",
		"number": `{"text": "ok"}` + "\n\n" + "42\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "in.txt")
			os.WriteFile(in, []byte(body), 0o600)
			wantLine := map[string]string{"text": ":1:", "array": ":2:", "number": ":3:"}[name]
			for _, previous := range []string{"", `{"text":"earlier run"}` + "\n"} {
				out := filepath.Join(dir, "out.jsonl")
				os.Remove(out)
				if previous != "" {
					os.WriteFile(out, []byte(previous), 0o644)
				}
				var stderr bytes.Buffer
				code := runCLI(context.Background(), []string{"classify", "--in", in, "--out", out, "--data_dir", dir}, &cliEnv{stdout: io.Discard, stderr: &stderr})
				msg := stderr.String()
				if code == 0 || !strings.Contains(msg, in+wantLine) || !strings.Contains(msg, "JSON Lines") || !strings.Contains(msg, `{"text": "..."}`) {
					t.Errorf("exit %d, stderr %q; want a failure naming %s%s and the expected format", code, msg, in, wantLine)
				}
				b, err := os.ReadFile(out)
				switch {
				case previous == "" && err == nil:
					t.Errorf("left %s behind (%d bytes)", out, len(b))
				case previous != "" && string(b) != previous:
					t.Errorf("the earlier output became %q", b)
				}
				if tmps, _ := filepath.Glob(filepath.Join(dir, ".out.jsonl*")); len(tmps) > 0 {
					t.Errorf("temporary files left: %v", tmps)
				}
			}
		})
	}
}

// TestClassifyStdin: "--in -" reads the posts from stdin, as "--out -" writes to stdout,
// so classify sits in a shell pipe; a bad line is named "stdin:LINE".
func TestClassifyStdin(t *testing.T) {
	dir := t.TempDir()
	in := `{"text": "Lừa đảo: chuyển khoản trước 5 triệu, gửi mã OTP cho tôi"}` + "\n" + `{"text": "Hôm nay trời đẹp"}` + "\n"
	var out, stderr bytes.Buffer
	code := runCLI(context.Background(), []string{"classify", "--in", "-", "--out", "-", "--data_dir", dir}, &cliEnv{stdin: strings.NewReader(in), stdout: &out, stderr: &stderr})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"scam"`) || strings.Contains(lines[1], `"scam"`) {
		t.Fatalf("stdout %q: want two classified lines, the first scam", out.String())
	}
	stderr.Reset()
	code = runCLI(context.Background(), []string{"classify", "--in", "-", "--out", "-", "--data_dir", dir}, &cliEnv{stdin: strings.NewReader("{\"text\": \"ok\"}\n[1]\n"), stdout: io.Discard, stderr: &stderr})
	if code == 0 || !strings.Contains(stderr.String(), "stdin:2:") {
		t.Errorf("exit %d, stderr %q; want a failure naming stdin:2", code, stderr.String())
	}
}

// TestClassifyToDevice: --out naming a device or a pipe (/dev/stdout, a FIFO) is written
// to, not replaced by a renamed temporary file. Run as root, the rename replaced the
// /dev/stdout link with a regular file holding the output.
func TestClassifyToDevice(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "out.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	got := make(chan []byte, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- nil
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- b
	}()
	var stderr bytes.Buffer
	in := `{"text": "Lừa đảo: chuyển khoản trước 5 triệu, gửi mã OTP cho tôi"}` + "\n"
	code := runCLI(context.Background(), []string{"classify", "--in", "-", "--out", fifo, "--data_dir", dir}, &cliEnv{stdin: strings.NewReader(in), stdout: io.Discard, stderr: &stderr})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("%s after classify: %v; want the pipe still there, not replaced", fifo, err)
	}
	if b := <-got; !strings.Contains(string(b), `"scam"`) {
		t.Errorf("read from the pipe %q: want the classified line", b)
	}
}

// TestClassifyPseudonymizesAuthors: the offline classify writes a file analysts pass
// around, so a raw author id in its input leaves as the keyed pseudonym the crawler would
// have stored (data_dir/author.key), an author's name or handle is dropped, a pseudonym is
// kept as it is, and neither the raw id nor the name reaches the output or the log. It
// passed raw ids through before.
func TestClassifyPseudonymizesAuthors(t *testing.T) {
	dir := t.TempDir()
	const rawID, name = "@tran.thi.b@mastodon.example", "Trần Thị B"
	kept := post.PseudonymizeAuthor([]byte("some other key of 32 bytes or more"), "reddit", "u1")
	in := strings.Join([]string{
		`{"text": "Trời mưa to quá", "platform": "mastodon", "author": {"id": "` + rawID + `", "name": "` + name + `"}}`,
		`{"text": "Đường ngập rồi", "platform": "reddit", "author": {"id": "` + kept + `"}}`,
		`{"text": "Không có tác giả"}`,
		`{"text": "Chỉ có tên", "author": {"display_name": "` + name + `"}}`,
	}, "\n") + "\n"
	var out, stderr bytes.Buffer
	code := runCLI(context.Background(), []string{"classify", "--in", "-", "--out", "-", "--data_dir", dir}, &cliEnv{stdin: strings.NewReader(in), stdout: &out, stderr: &stderr})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, leak := range []string{"tran.thi.b", name} {
		if strings.Contains(out.String(), leak) || strings.Contains(stderr.String(), leak) {
			t.Errorf("%q reached the output or the log:\n%s\n%s", leak, out.String(), stderr.String())
		}
	}
	key, err := os.ReadFile(filepath.Join(dir, "author.key"))
	if err != nil {
		t.Fatalf("no generated author key: %v", err)
	}
	want := []string{post.PseudonymizeAuthor(bytes.TrimSpace(key), "mastodon", rawID), kept, "", ""}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d lines out, want %d: %s", len(lines), len(want), out.String())
	}
	for i, line := range lines {
		var got struct {
			Author map[string]any `json:"author"`
		}
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		switch {
		case want[i] == "" && got.Author != nil:
			t.Errorf("line %d: author %v, want none", i+1, got.Author)
		case want[i] != "" && (len(got.Author) != 1 || got.Author["id"] != want[i]):
			t.Errorf("line %d: author %v, want only id %s", i+1, got.Author, want[i])
		}
	}
	if !strings.Contains(stderr.String(), "authors_pseudonymized=2") {
		t.Errorf("the log does not count the 2 changed authors: %s", stderr.String())
	}

	for body, field := range map[string]string{
		`{"text": "x", "author": "` + rawID + `"}`: "author:",
		`{"text": "x", "author": {"id": 42}}`:      "author.id:",
	} {
		stderr.Reset()
		code := runCLI(context.Background(), []string{"classify", "--in", "-", "--out", "-", "--data_dir", dir}, &cliEnv{stdin: strings.NewReader(body + "\n"), stdout: io.Discard, stderr: &stderr})
		if code == 0 || !strings.Contains(stderr.String(), "stdin:1: "+field) || strings.Contains(stderr.String(), "tran.thi.b") {
			t.Errorf("%s: exit %d, stderr %q; want a failure naming stdin:1 and %s, without the value", body, code, stderr.String(), field)
		}
	}
}
