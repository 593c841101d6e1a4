package main

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestConfigLayering(t *testing.T) {
	// File < env < flags.
	env := []string{"LANGNGHE_ES_URL=http://127.0.0.1:9201", "LANGNGHE_KAFKA_PARTITIONS=4", "LANGNGHE_HTTP_LISTEN=127.0.0.1:1"}
	cfg, err := loadConfig("testdata/good.yaml", env, map[string]string{"http.listen": "127.0.0.1:9999"})
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.ES.URL; len(got) != 1 || got[0] != "http://127.0.0.1:9201" {
		t.Errorf("es.url from env = %v", got)
	}
	if cfg.Kafka.Partitions != 4 {
		t.Errorf("kafka.partitions from env = %d, want 4", cfg.Kafka.Partitions)
	}
	if cfg.HTTP.Listen != "127.0.0.1:9999" {
		t.Errorf("flag must win over env: http.listen = %q", cfg.HTTP.Listen)
	}
	if cfg.Kafka.Replication != 2 || cfg.LogLevel != "warn" || len(cfg.Kafka.Brokers) != 2 {
		t.Errorf("file values lost: %+v", cfg.Kafka)
	}
	if time.Duration(cfg.Retention) != 30*24*time.Hour {
		t.Errorf("retention = %v, want 720h", time.Duration(cfg.Retention))
	}
}

func TestConfigDefaultsWithoutFile(t *testing.T) {
	cfg, err := loadConfig("", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Kafka.Brokers) != 0 || len(cfg.ES.URL) != 0 {
		t.Errorf("defaults must select the embedded broker and bleve: %+v %+v", cfg.Kafka, cfg.ES)
	}
	if time.Duration(cfg.Retention) != 90*24*time.Hour {
		t.Errorf("default retention %v, want 90 days", time.Duration(cfg.Retention))
	}
}

// Every error names the file and line of the offending key.
func TestConfigErrorsCarryLines(t *testing.T) {
	cases := []struct {
		file string
		want []string
	}{
		{"testdata/unknown_key.yaml", []string{"testdata/unknown_key.yaml:4:", "partitons"}},
		{"testdata/bad_values.yaml", []string{
			"testdata/bad_values.yaml:1: log_level:",
			"testdata/bad_values.yaml:3: kafka.brokers:",
			"testdata/bad_values.yaml:5: es.url:",
			"testdata/bad_values.yaml:7: http.listen:",
		}},
		{"testdata/bad_duration.yaml", []string{"testdata/bad_duration.yaml:2:", "forever"}},
	}
	for _, c := range cases {
		_, err := loadConfig(c.file, nil, nil)
		if err == nil {
			t.Errorf("%s: no error", c.file)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", c.file, err, w)
			}
		}
	}
}

func TestEnvErrorsNameTheVariable(t *testing.T) {
	_, err := loadConfig("", []string{"LANGNGHE_KAFKA_PARTITIONS=many"}, nil)
	if err == nil || !strings.Contains(err.Error(), "LANGNGHE_KAFKA_PARTITIONS") {
		t.Fatalf("err = %v, want it to name LANGNGHE_KAFKA_PARTITIONS", err)
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	cfg, err := loadConfig("", []string{"LANGNGHE_ES_PASSWORD=hunter2"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := sprintf(verb, cfg); strings.Contains(s, "hunter2") {
			t.Errorf("%s of the config shows the password: %s", verb, s)
		}
	}
	if string(cfg.ES.Password) != "hunter2" {
		t.Errorf("password not loaded")
	}
}

func TestCLIExitStatuses(t *testing.T) {
	cases := []struct {
		args   []string
		status int
		stderr string
	}{
		{[]string{"config", "check", "testdata/good.yaml"}, 0, ""},
		{[]string{"config", "check", "testdata/bad_values.yaml"}, 2, "bad_values.yaml:1"},
		{[]string{"config", "check", "testdata/missing.yaml"}, 2, "missing.yaml"},
		{[]string{"config", "check", "../../crawler/html/sample.yaml"}, 0, ""},
		{[]string{"config", "check", "testdata/bad_sources.yaml"}, 2, "testdata/bad_sources.yaml:6: sources[0].intervall: trường không có / unknown field"},
		{[]string{"config", "check", "testdata/bad_sources.yaml"}, 2, `testdata/bad_sources.yaml:8: sources[1].kind: loại nguồn không có / unknown source kind "facebook" (có / known: bluesky, html, jsonapi, mastodon, news_comments, rss, xenforo)`},
		{[]string{"config", "check", "testdata/bad_sources.yaml"}, 2, "2 lỗi cấu hình nguồn / source config errors"},
		{[]string{"config", "sources", "gopher"}, 2, "unknown source kind"},
		{[]string{"config", "sources", "bluesky"}, 0, ""},
		{[]string{"crawl", "--help"}, 0, "loại / kinds: bluesky, html, jsonapi, mastodon, news_comments, rss, xenforo"},
		{[]string{"serve", "--log_level", "shout"}, 2, "log_level"},
		{[]string{"index", "--kafka.partitions", "0"}, 2, "kafka.partitions"},
		{[]string{"crawl"}, 2, "crawl.sources is required"},
		{[]string{"nonsense"}, 2, "unknown command"},
		{[]string{"--help"}, 0, ""},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		got := runCLI(context.Background(), c.args, &cliEnv{stdout: &out, stderr: &errb})
		if got != c.status {
			t.Errorf("%v: status %d, want %d (stderr %q)", c.args, got, c.status, errb.String())
		}
		where, text := "stderr", errb.String()
		if slices.Contains(c.args, "--help") {
			where, text = "stdout", out.String() // help goes to stdout
		}
		if !strings.Contains(text, c.stderr) {
			t.Errorf("%v: %s %q lacks %q", c.args, where, text, c.stderr)
		}
		// The last line of stderr is the one-line reason.
		if c.status == 2 && strings.Count(strings.TrimSpace(lastLine(errb.String())), "\n") != 0 {
			t.Errorf("%v: reason is not one line", c.args)
		}
	}
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func sprintf(verb string, v any) string { return fmt.Sprintf(verb, v) }
