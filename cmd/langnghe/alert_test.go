package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runArgs(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runCLI(context.Background(), args, &cliEnv{stdout: &out, stderr: &errb})
	return code, out.String(), errb.String()
}

func TestAlertsCheck(t *testing.T) {
	code, out, errs := runArgs(t, "alerts", "check", "../../models/alerts/samples.yaml")
	if code != 0 || !strings.Contains(out, "hợp lệ / valid: 4 luật / rules (1 match, 1 threshold, 1 spike, 1 digest)") {
		t.Fatalf("samples: exit %d\n%s%s", code, out, errs)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("rules:\n  - id: x\n    kind: threshold\n    window: 1h\n    recipients: [a@example.vn]\n"), 0o644)
	code, _, errs = runArgs(t, "alerts", "check", "../../models/alerts/samples.yaml", bad)
	if code != 2 || !strings.Contains(errs, bad+":2: rules[0].count: cần ≥ 1") {
		t.Fatalf("bad file: exit %d, stderr:\n%s", code, errs)
	}
	if code, _, _ := runArgs(t, "alerts"); code != 2 {
		t.Fatalf("usage: exit %d", code)
	}
}

func TestAlertConfigKeys(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte("s3cret\n"), 0o600)
	cfgFile := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfgFile, []byte("smtp:\n  host: mail.example.vn\n  port: 587\n  tls: starttls\n  username: canhbao\n  password_file: "+pw+"\n  from: canhbao@example.vn\nalerts:\n  rules_dir: "+dir+"\n  kibana_url: https://kibana.example.vn\n"), 0o644)
	cfg, err := loadConfig(cfgFile, []string{"LANGNGHE_SMTP_PORT=2525"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SMTP.Port != 2525 || cfg.SMTP.TLS != "starttls" || cfg.Alerts.RulesDir != dir {
		t.Fatalf("cfg %+v", cfg.SMTP)
	}
	os.WriteFile(cfgFile, []byte("smtp:\n  host: mail.example.vn\n  tls: ssl\n"), 0o644)
	_, err = loadConfig(cfgFile, nil, nil)
	if err == nil || !strings.Contains(err.Error(), ":3: smtp.tls: phải là none") || !strings.Contains(err.Error(), "smtp.from: cần khi có smtp.host") {
		t.Fatalf("err = %v", err)
	}
}
