package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuthorKeyTooShortRefused: from every source (env LANGNGHE_AUTHOR_KEY, the
// author_key_file, the generated data_dir/author.key), a key of 0, 1 or 31 bytes stops the
// command with exit 2 and one line naming the source and not the key; an empty or short
// data_dir/author.key is left as it was. Issue 11: an empty author.key emptied every
// author, and a one-byte LANGNGHE_AUTHOR_KEY was accepted.
func TestAuthorKeyTooShortRefused(t *testing.T) {
	secret := func(n int) string { return strings.Repeat("Q", n) }
	for _, n := range []int{0, 1, 31} {
		for _, source := range []string{"env", "file", "datadir"} {
			if source == "env" && n == 0 {
				continue // an empty variable means "not set"
			}
			dir := t.TempDir()
			srcFile := filepath.Join(dir, "sources.yaml")
			os.WriteFile(srcFile, []byte("contact: https://example.org\nsources:\n  - {name: a, kind: rss, url: \"http://127.0.0.1:9/feed\", allow_private: true}\n"), 0o600)
			data := filepath.Join(dir, "data")
			env := []string{"LANGNGHE_DATA_DIR=" + data}
			var wantName, keyPath string
			switch source {
			case "env":
				env = append(env, "LANGNGHE_AUTHOR_KEY="+secret(n))
				wantName = "LANGNGHE_AUTHOR_KEY"
			case "file":
				keyPath = filepath.Join(dir, "key")
				os.WriteFile(keyPath, []byte(secret(n)+"\n"), 0o600)
				env = append(env, "LANGNGHE_AUTHOR_KEY_FILE="+keyPath)
				wantName = keyPath
			case "datadir":
				os.MkdirAll(data, 0o700)
				keyPath = filepath.Join(data, "author.key")
				os.WriteFile(keyPath, []byte(secret(n)), 0o600)
				wantName = keyPath
			}
			var stderr bytes.Buffer
			code := runCLI(context.Background(), []string{"crawl", "--once", "--out", filepath.Join(dir, "out.jsonl"), "--sources", srcFile}, &cliEnv{stdout: io.Discard, stderr: &stderr, environ: env})
			msg := stderr.String()
			if code != 2 || !strings.Contains(msg, wantName) || !strings.Contains(msg, "at least 32") || strings.Count(strings.TrimSpace(msg), "\n") != 0 {
				t.Errorf("%s key of %d bytes: exit %d, stderr %q; want exit 2 and one line naming %s", source, n, code, msg, wantName)
			}
			if n == 31 && strings.Contains(msg, secret(n)) {
				t.Errorf("%s: the error prints the key", source)
			}
			if source == "datadir" {
				if b, _ := os.ReadFile(keyPath); string(b) != secret(n) {
					t.Errorf("data_dir/author.key of %d bytes was rewritten to %d bytes", n, len(b))
				}
			}
		}
	}
}

// TestAuthorKeyGeneratedOnlyWhenAbsent: with no key configured and no file, a 64-hex-char
// key is created (0600) and then reused; a 32-byte configured key is accepted as is.
func TestAuthorKeyGeneratedOnlyWhenAbsent(t *testing.T) {
	dir := t.TempDir()
	cfg := defaultConfig()
	cfg.DataDir = filepath.Join(dir, "data")
	a := newApp(cfg, io.Discard)
	k1, err := a.authorKey(true)
	if err != nil || len(k1) != 64 {
		t.Fatalf("generated key: %d bytes, %v", len(k1), err)
	}
	st, err := os.Stat(filepath.Join(cfg.DataDir, "author.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("author.key: %v %v", st, err)
	}
	if k2, err := a.authorKey(true); err != nil || !bytes.Equal(k1, k2) {
		t.Errorf("second call: %v; want the same key", err)
	}
	cfg.AuthorKey = Secret(strings.Repeat("k", MinAuthorKeyBytes))
	if k, err := newApp(cfg, io.Discard).authorKey(false); err != nil || len(k) != MinAuthorKeyBytes {
		t.Errorf("a %d-byte key: %v", MinAuthorKeyBytes, err)
	}
}
