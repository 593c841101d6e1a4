package all_test

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/langnghe/langnghe/crawler"
	_ "github.com/langnghe/langnghe/crawler/all"
	"github.com/langnghe/langnghe/crawler/crawlertest"
	"github.com/langnghe/langnghe/crawler/sources"
)

// bilingual reports whether s is "tiếng Việt / English" with both halves non-empty.
func bilingual(s string) bool {
	vi, en, ok := strings.Cut(s, " / ")
	return ok && strings.TrimSpace(vi) != "" && strings.TrimSpace(en) != ""
}

// Every registered kind has a complete spec: a bilingual summary, the common fields first,
// and every field (nested ones too) with a known type, bilingual help, a default that
// parses as its type and lies in its enum.
func TestSpecsComplete(t *testing.T) {
	kinds := crawler.Kinds()
	if len(kinds) < 7 {
		t.Fatalf("registered kinds %v: crawler/all should register rss, html, xenforo, news_comments, mastodon, bluesky, jsonapi", kinds)
	}
	for _, name := range kinds {
		t.Run(name, func(t *testing.T) {
			k, _ := crawler.Lookup(name)
			if !bilingual(k.Spec.Summary) {
				t.Errorf("summary %q is not \"tiếng Việt / English\"", k.Spec.Summary)
			}
			if len(k.Spec.Fields) < 2 || k.Spec.Fields[0].Name != "name" || k.Spec.Fields[1].Name != "kind" {
				t.Errorf("spec does not start with the common fields name, kind")
			}
			checkFields(t, name, k.Spec.Fields)
		})
	}
}

func checkFields(t *testing.T, path string, fields []crawler.Field) {
	t.Helper()
	seen := map[string]bool{}
	for _, f := range fields {
		p := path + "." + f.Name
		if seen[f.Name] {
			t.Errorf("%s: declared twice", p)
		}
		seen[f.Name] = true
		if crawler.TypeHelp(f.Type) == "" {
			t.Errorf("%s: type %q is not one the checker knows", p, f.Type)
		}
		if !bilingual(f.Help) {
			t.Errorf("%s: help %q is not \"tiếng Việt / English\" (add a help tag)", p, f.Help)
		}
		if f.Default != "" {
			var err error
			switch f.Type {
			case "int":
				_, err = strconv.Atoi(f.Default)
			case "bool":
				_, err = strconv.ParseBool(f.Default)
			case "duration":
				_, err = time.ParseDuration(f.Default)
			case "list", "object", "map":
				t.Errorf("%s: a default on a %s", p, f.Type)
			}
			if err != nil {
				t.Errorf("%s: default %q: %v", p, f.Default, err)
			}
			if len(f.Enum) > 0 && !slices.Contains(f.Enum, f.Default) {
				t.Errorf("%s: default %q not in %v", p, f.Default, f.Enum)
			}
		}
		if (f.Type == "object") != (len(f.Fields) > 0) {
			t.Errorf("%s: type %s with %d fields", p, f.Type, len(f.Fields))
		}
		checkFields(t, p, f.Fields)
	}
}

// The sample.yaml of each source folder validates against the spec of its kinds with no
// error, every registered kind appears in some sample, and every folder with a sample
// registered its kinds (so it is imported by crawler/all).
func TestSamplesMatchSpecs(t *testing.T) {
	files, _ := filepath.Glob("../*/sample.yaml")
	if len(files) < 5 {
		t.Fatalf("found %d sample configs, want one per source folder", len(files))
	}
	used := map[string]bool{}
	for _, file := range files {
		dir := filepath.Base(filepath.Dir(file))
		t.Run(dir, func(t *testing.T) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Sources []yaml.Node `yaml:"sources"`
			}
			if err := yaml.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			for i := range doc.Sources {
				n := &doc.Sources[i]
				var probe struct{ Kind string }
				if err := n.Decode(&probe); err != nil {
					t.Fatal(err)
				}
				k, ok := crawler.Lookup(probe.Kind)
				if !ok {
					t.Errorf("%s:%d: kind %q is not registered", file, n.Line, probe.Kind)
					continue
				}
				used[probe.Kind] = true
				if !strings.HasSuffix(k.Package, "/crawler/"+dir) {
					t.Errorf("%s:%d: kind %q registered by %s, not by this folder", file, n.Line, probe.Kind, k.Package)
				}
				for _, fe := range k.Check(n, "sources["+strconv.Itoa(i)+"]") {
					t.Errorf("%s:%d: %v", file, fe.Line, fe)
				}
			}
			f, err := sources.Load(file)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Build(crawlertest.Env()); err != nil {
				t.Error(err)
			}
		})
	}
	for _, k := range crawler.Kinds() {
		if !used[k] {
			t.Errorf("kind %s appears in no sample.yaml", k)
		}
	}
}
