package alerting

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestLoadGoodRules(t *testing.T) {
	rs, errs := LoadDir("testdata/good")
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	if len(rs.Rules) != 4 {
		t.Fatalf("%d rules, want 4", len(rs.Rules))
	}
	m := rs.Rules[0]
	if m.GroupWait.D() != 30*time.Second || m.GroupWindow.D() != 5*time.Minute || m.RepeatInterval.D() != 4*time.Hour || m.Line != 5 {
		t.Errorf("match defaults/line: %+v", m)
	}
	if got := rs.Addresses(m); strings.Join(got, ",") != "truc1@example.vn,truc2@example.vn,an@example.vn" {
		t.Errorf("addresses %v", got)
	}
	if s := rs.Rules[2]; s.K != 3 || s.Baseline != 12 || s.MinCount != 10 {
		t.Errorf("spike %+v", s)
	}
	if len(rs.Silences) != 1 || rs.Silences[0].Until.IsZero() {
		t.Errorf("silences %+v", rs.Silences)
	}
}

// TestBadRuleFiles: every file of testdata/bad states on its first line the error it must
// produce (file:line: message); loading it together with the good file keeps the good rules.
func TestBadRuleFiles(t *testing.T) {
	files, _ := filepath.Glob("testdata/bad/*.yaml")
	if len(files) < 5 {
		t.Fatalf("only %d bad files", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			fh, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(fh)
			sc.Scan()
			fh.Close()
			want, ok := strings.CutPrefix(sc.Text(), "# want: ")
			if !ok {
				t.Fatalf("first line must be '# want: ...'")
			}
			rs, errs := LoadFiles("testdata/good/rules.yaml", f)
			if len(errs) == 0 {
				t.Fatalf("no error, want %q", want)
			}
			var all []string
			for _, e := range errs {
				if !errors.Is(e, ErrBadRule) {
					t.Errorf("%v does not wrap ErrBadRule", e)
				}
				all = append(all, e.Error())
			}
			joined := strings.Join(all, "\n")
			if !strings.Contains(joined, want) {
				t.Errorf("errors:\n%s\nwant one containing %q", joined, want)
			}
			if len(rs.Rules) != 4 {
				t.Errorf("%d rules kept, want the 4 of the good file", len(rs.Rules))
			}
		})
	}
}

func TestDuplicateRuleID(t *testing.T) {
	dir := t.TempDir()
	body := "rules:\n  - id: lua-dao\n    kind: match\n    query: 'narrative:scam'\n    recipients: [a@example.vn]\n"
	os.WriteFile(filepath.Join(dir, "z.yaml"), []byte(body), 0o644)
	rs, errs := LoadFiles("testdata/good/rules.yaml", filepath.Join(dir, "z.yaml"))
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "z.yaml:2: rules[0].id: id \"lua-dao\" trùng với / duplicates testdata/good/rules.yaml:5") {
		t.Fatalf("errs %v", errs)
	}
	if len(rs.Rules) != 4 {
		t.Fatalf("%d rules", len(rs.Rules))
	}
}

// TestLegacyQueryForm: testdata/legacy_queries.yaml lists old mapping queries and the
// query string each is read as; the string must also parse.
func TestLegacyQueryForm(t *testing.T) {
	data, err := os.ReadFile("testdata/legacy_queries.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Legacy QuerySpec `yaml:"legacy"`
		Query  string    `yaml:"query"`
	}
	if err := yaml.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 5 {
		t.Fatalf("%d cases", len(cases))
	}
	for _, c := range cases {
		if c.Legacy.Text != c.Query {
			t.Errorf("read as %q, want %q", c.Legacy.Text, c.Query)
		}
		if _, err := CompileQuery(c.Legacy.Text); err != nil {
			t.Errorf("%q: %v", c.Legacy.Text, err)
		}
	}
}

// TestKQL: testdata/kql.yaml lists rule queries and the KQL of their Kibana links.
func TestKQL(t *testing.T) {
	data, err := os.ReadFile("testdata/kql.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct{ Query, KQL string }
	if err := yaml.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 5 {
		t.Fatalf("%d cases", len(cases))
	}
	for _, c := range cases {
		if got := KQL(QuerySpec{Text: c.Query}); got != c.KQL {
			t.Errorf("%q:\n got %s\nwant %s", c.Query, got, c.KQL)
		}
	}
}
