package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/langnghe/langnghe/web"
)

func TestUserAddPrintsAConfigLine(t *testing.T) {
	old := stdin
	defer func() { stdin = old }()
	stdin = strings.NewReader("mật-khẩu-thật-dài\n")
	var out, errb bytes.Buffer
	if code := runCLI(context.Background(), []string{"user", "add", "lan", "--role", "analyst"}, &cliEnv{stdout: &out, stderr: &errb}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if strings.Contains(out.String(), "mật-khẩu") {
		t.Fatal("the password itself was printed")
	}
	// The printed line pastes under http.users and the password logs in against it.
	cfgFile := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfgFile, []byte("http:\n  listen: 0.0.0.0:8080\n  users:\n"+out.String()), 0o644)
	cfg, err := loadConfig(cfgFile, nil, nil)
	if err != nil || len(cfg.HTTP.Users) != 1 {
		t.Fatalf("config with the printed line: %v %q", err, out.String())
	}
	u, err := web.ParseUser(cfg.HTTP.Users[0])
	if err != nil || u.Name != "lan" || u.Role != web.RoleAnalyst {
		t.Fatalf("%+v %v", u, err)
	}
	hash := cfg.HTTP.Users[0][strings.LastIndex(cfg.HTTP.Users[0], ":")+1:]
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte("mật-khẩu-thật-dài")) != nil {
		t.Fatal("password does not match the printed hash")
	}
	for _, bad := range [][]string{{"user", "add", "lan", "--role", "boss"}, {"user", "add"}} {
		stdin = strings.NewReader("mật-khẩu-thật-dài\n")
		if code := runCLI(context.Background(), bad, &cliEnv{stdout: &out, stderr: &errb}); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
	stdin = strings.NewReader("ngắn\n")
	if code := runCLI(context.Background(), []string{"user", "add", "lan"}, &cliEnv{stdout: &out, stderr: &errb}); code != 2 {
		t.Errorf("short password: exit %d, want 2", code)
	}
}

func TestServeRefusesNetworkListenerWithoutUsers(t *testing.T) {
	var out, errb bytes.Buffer
	args := []string{"serve", "--http.listen", "0.0.0.0:0", "--data_dir", t.TempDir()}
	code := runCLI(context.Background(), args, &cliEnv{stdout: &out, stderr: &errb})
	if code != 2 || !strings.Contains(errb.String(), "langnghe user add") || strings.Count(strings.TrimSpace(errb.String()), "\n") != 0 {
		t.Fatalf("exit %d, stderr %q: want 2 and one line naming `langnghe user add`", code, errb.String())
	}
	cfgErr := []string{"serve", "--http.listen", "0.0.0.0:0", "--http.users", "lan:analyst:not-a-hash", "--data_dir", t.TempDir()}
	if code := runCLI(context.Background(), cfgErr, &cliEnv{stdout: &out, stderr: &errb}); code != 2 || !strings.Contains(errb.String(), "http.users") {
		t.Fatalf("bad user line: exit %d %q", code, errb.String())
	}
	proxyNoFrom := []string{"serve", "--http.proxy_header", "X-Forwarded-User", "--data_dir", t.TempDir()}
	if code := runCLI(context.Background(), proxyNoFrom, &cliEnv{stdout: &out, stderr: &errb}); code != 2 || !strings.Contains(errb.String(), "http.proxy_from") {
		t.Fatalf("proxy header without trusted addresses: exit %d %q", code, errb.String())
	}
}
