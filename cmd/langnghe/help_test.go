package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/langnghe/langnghe/crawler/demosite"
)

// roleCommands are the commands that take config keys (newRoleFlags).
var roleCommands = []string{"run", "crawl", "classify", "index", "serve", "alert", "replay", "retention"}

func helpOf(t *testing.T, cmd string) string {
	t.Helper()
	var out, errb bytes.Buffer
	code := runCLI(context.Background(), []string{cmd, "--help"}, &cliEnv{stdout: &out, stderr: &errb})
	if code != 0 {
		t.Fatalf("%s --help: status %d, want 0 (stderr %q)", cmd, code, errb.String())
	}
	if errb.Len() != 0 {
		t.Fatalf("%s --help wrote to stderr: %q", cmd, errb.String())
	}
	return out.String()
}

var envInHelp = regexp.MustCompile(`\bLANGNGHE_[A-Z0-9_]+\b`)

// sampleValue is a non-default value of a key's type: its env/flag form, its YAML form
// and the value it must decode to.
func sampleValue(t *testing.T, path string) (flagVal, yamlVal string, want any) {
	t.Helper()
	cfg := defaultConfig()
	v, err := lookupPath(&cfg, path)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case v.Type() == reflect.TypeFor[SourcesRef]():
		return "sample-sources.yaml", "sample-sources.yaml", SourcesRef{Path: "sample-sources.yaml"}
	case v.Type() == reflect.TypeFor[Duration]():
		return "36h", "36h", Duration(36 * 60 * 60 * 1e9)
	case v.Type() == reflect.TypeFor[Secret]():
		return "sample-secret", `"sample-secret"`, Secret("sample-secret")
	case v.Kind() == reflect.String:
		s := "sample-" + strings.ReplaceAll(path, ".", "-")
		return s, fmt.Sprintf("%q", s), s
	case v.Kind() == reflect.Int:
		return "7", "7", 7
	case v.Kind() == reflect.Bool:
		return fmt.Sprint(!v.Bool()), fmt.Sprint(!v.Bool()), !v.Bool()
	case v.Kind() == reflect.Float64:
		return "0.25", "0.25", 0.25
	case v.Kind() == reflect.Slice:
		return "a.example:1,b.example:2", `["a.example:1", "b.example:2"]`, []string{"a.example:1", "b.example:2"}
	}
	t.Fatalf("%s: no sample for type %s", path, v.Type())
	return "", "", nil
}

// yamlFor nests a dotted key into YAML: "es.url" → "es:\n  url: v\n".
func yamlFor(path, val string) string {
	parts := strings.Split(path, ".")
	var b strings.Builder
	for i, p := range parts {
		b.WriteString(strings.Repeat("  ", i) + p + ":")
		if i == len(parts)-1 {
			b.WriteString(" " + val + "\n")
		} else {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// Every key that any role's --help advertises (by flag or by env name) can be set in the
// YAML file, through its env variable and through its flag, and each way lands in the
// config. Before the fix, crawl's help advertised LANGNGHE_CRAWL_SOURCES while `crawl:`
// was an unknown key in the file.
func TestEveryHelpKeySettableThreeWays(t *testing.T) {
	paths := envPaths()
	dir := t.TempDir()
	checked := map[string]bool{}
	for _, cmd := range roleCommands {
		help := helpOf(t, cmd)
		names := envInHelp.FindAllString(help, -1)
		if len(names) < len(paths) {
			t.Errorf("%s --help names %d env variables, want at least the %d keys", cmd, len(names), len(paths))
		}
		for _, name := range names {
			if name == "LANGNGHE_CONFIG" || checked[name] {
				continue // the config file's own location cannot live in the file
			}
			checked[name] = true
			path, ok := paths[name]
			if !ok {
				t.Errorf("%s --help advertises %s, which is no config key", cmd, name)
				continue
			}
			if !strings.Contains(help, "--"+path+"\n") {
				t.Errorf("%s --help lists %s without the flag --%s", cmd, name, path)
			}
			val, yamlVal, want := sampleValue(t, path)
			file := filepath.Join(dir, strings.ReplaceAll(path, ".", "_")+".yaml")
			if err := os.WriteFile(file, []byte(yamlFor(path, yamlVal)), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, way := range []struct {
				name      string
				file      string
				env       []string
				overrides map[string]string
			}{
				{"yaml", file, nil, nil},
				{"env", "", []string{name + "=" + val}, nil},
				{"flag", "", nil, map[string]string{path: val}},
			} {
				cfg, _, err := layerConfig(way.file, way.env, way.overrides)
				if err != nil {
					t.Errorf("%s via %s: %v", path, way.name, err)
					continue
				}
				got, _ := lookupPath(&cfg, path)
				if !reflect.DeepEqual(got.Interface(), reflect.ValueOf(want).Convert(got.Type()).Interface()) {
					t.Errorf("%s via %s = %#v, want %#v", path, way.name, got.Interface(), want)
				}
			}
		}
	}
	for name := range paths {
		if !checked[name] {
			t.Errorf("%s is a config key no role's --help shows", name)
		}
	}
}

// --help goes to stdout with status 0 and shows, for every key, its default and env name
// under its subsystem; errors go to stderr with status 2.
func TestHelpShowsDefaultsAndGroups(t *testing.T) {
	help := helpOf(t, "index")
	for _, want := range []string{
		"Elasticsearch (es.*)\n",
		"  --es.index_prefix\n",
		"mặc định / default: langnghe-posts · env LANGNGHE_ES_INDEX_PREFIX",
		"mặc định / default: 90d · env LANGNGHE_RETENTION",
		"mặc định / default: 127.0.0.1:8080 · env LANGNGHE_HTTP_LISTEN",
		"Thu thập / crawl (crawl.*)\n  --crawl.sources\n",
	} {
		if !strings.Contains(help, want) {
			t.Errorf("index --help lacks %q", want)
		}
	}
	// Subsystems appear once each, keys under their own group.
	if strings.Count(help, "Kafka (kafka.*)") != 1 || strings.Index(help, "--kafka.brokers") < strings.Index(help, "Kafka (kafka.*)") {
		t.Errorf("kafka keys are not grouped under one Kafka heading")
	}
	if strings.Contains(help, "\n  -es.") {
		t.Errorf("help shows single-dash flags")
	}
	// A secret's value never appears, even when set.
	var out, errb bytes.Buffer
	runCLI(context.Background(), []string{"serve", "--help"}, &cliEnv{stdout: &out, stderr: &errb, environ: []string{"LANGNGHE_ES_PASSWORD=hunter2"}})
	if strings.Contains(out.String(), "hunter2") {
		t.Errorf("help printed a secret")
	}

	for _, args := range [][]string{{"serve", "--no-such-flag"}, {"eval", "--nope"}, {}} {
		out.Reset()
		errb.Reset()
		if code := runCLI(context.Background(), args, &cliEnv{stdout: &out, stderr: &errb}); code != 2 {
			t.Errorf("%v: status %d, want 2", args, code)
		}
		if out.Len() != 0 || errb.Len() == 0 {
			t.Errorf("%v: stdout %q, stderr %q: errors belong on stderr", args, out.String(), errb.String())
		}
	}
	out.Reset()
	errb.Reset()
	if code := runCLI(context.Background(), []string{"eval", "--help"}, &cliEnv{stdout: &out, stderr: &errb}); code != 0 || !strings.Contains(out.String(), "--task\n") || errb.Len() != 0 {
		t.Errorf("eval --help: status %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}

// The sources can be named in the config file (crawl: {sources: FILE}) or written inline
// under crawl.sources; `crawl --once` then needs no --sources flag.
func TestCrawlSourcesFromConfigFile(t *testing.T) {
	srv := httptest.NewServer(demosite.New(demoPosts(t)))
	defer srv.Close()
	dir := t.TempDir()
	sourcesYAML := fmt.Sprintf("contact: https://example.org/lien-he\nhost_delay: 0s\nsources:\n  - {name: tin-tuc, kind: rss, url: \"%s/rss/tin-tuc.rss\", allow_private: true}\n", srv.URL)
	srcFile := filepath.Join(dir, "sources.yaml")
	os.WriteFile(srcFile, []byte(sourcesYAML), 0o600)
	indented := "    " + strings.ReplaceAll(strings.TrimSpace(sourcesYAML), "\n", "\n    ")
	for name, conf := range map[string]string{
		"file":   fmt.Sprintf("data_dir: %s\ncrawl:\n  sources: %s\n", filepath.Join(dir, "d1"), srcFile),
		"inline": fmt.Sprintf("data_dir: %s\ncrawl:\n  sources:\n%s\n", filepath.Join(dir, "d2"), indented),
	} {
		t.Run(name, func(t *testing.T) {
			cfgFile := filepath.Join(dir, name+".yaml")
			os.WriteFile(cfgFile, []byte(conf), 0o600)
			var stdout, stderr bytes.Buffer
			out := filepath.Join(dir, name+".jsonl")
			code := runCLI(context.Background(), []string{"crawl", "--config", cfgFile, "--once", "--out", out}, &cliEnv{stdout: &stdout, stderr: &stderr})
			if code != 0 {
				t.Fatalf("status %d: %s", code, stderr.String())
			}
			b, _ := os.ReadFile(out)
			if n := bytes.Count(b, []byte("\n")); n == 0 {
				t.Fatalf("no posts crawled from the %s sources", name)
			}
		})
	}
	// Inline sources are checked with the config: `config check` reports a bad one.
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("crawl:\n  sources:\n    contact: x\n    sourcez: []\n"), 0o600)
	var stdout, stderr bytes.Buffer
	if code := runCLI(context.Background(), []string{"config", "check", bad}, &cliEnv{stdout: &stdout, stderr: &stderr}); code != 2 || !strings.Contains(stderr.String(), "crawl.sources") {
		t.Errorf("config check of bad inline sources: status %d, stderr %q", code, stderr.String())
	}
}
