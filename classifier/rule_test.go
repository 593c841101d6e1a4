package classifier

import (
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"gopkg.in/yaml.v3"
)

type ruleCases struct {
	Groups map[string][]string `yaml:"groups"`
	Cases  []struct {
		Rule    string   `yaml:"rule"`
		Match   []string `yaml:"match"`
		NoMatch []string `yaml:"no_match"`
	} `yaml:"cases"`
	Errors []struct {
		Rule  string `yaml:"rule"`
		Error string `yaml:"error"`
	} `yaml:"errors"`
}

func readRuleCases(t testing.TB) ruleCases {
	t.Helper()
	b, err := os.ReadFile("testdata/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c ruleCases
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// ruleModel builds a model with one narrative "r" made of rule alone.
func ruleModel(rule string, groups map[string][]string) (*lexModel, error) {
	ast, err := parseRule(rule, func(name string) ([]string, bool) { g, ok := groups[name]; return g, ok })
	if err != nil {
		return nil, err
	}
	m := &lexModel{name: "rules@1"}
	n := &parsedNarrative{rule: ast, atomLines: make([]int, len(ast.atoms))}
	n.def.ID, n.def.Threshold, n.def.Severity = "r", 1, "low"
	if err := m.addNarrative(n, "rules.yaml"); err != nil {
		return nil, err
	}
	return m, m.freezeTries()
}

func TestRuleCases(t *testing.T) {
	c := readRuleCases(t)
	for _, tc := range c.Cases {
		t.Run(tc.Rule, func(t *testing.T) {
			m, err := ruleModel(tc.Rule, c.Groups)
			if err != nil {
				t.Fatal(err)
			}
			for _, text := range tc.Match {
				a := m.Analyze(text)
				if !hasNarrative(a, "r") {
					t.Errorf("%q does not match", text)
					continue
				}
				for _, e := range a.Evidence {
					if e.For == "r" && (e.Start < 0 || e.End > len(text) || e.Start >= e.End) {
						t.Errorf("%q: evidence %+v out of range", text, e)
					}
				}
			}
			for _, text := range tc.NoMatch {
				if a := m.Analyze(text); hasNarrative(a, "r") {
					t.Errorf("%q matches; evidence %+v", text, a.Evidence)
				}
			}
		})
	}
}

func TestRuleErrors(t *testing.T) {
	c := readRuleCases(t)
	for _, tc := range c.Errors {
		_, err := ruleModel(tc.Rule, c.Groups)
		if !errors.Is(err, ErrRule) || !strings.Contains(err.Error(), tc.Error) {
			t.Errorf("rule %q: got %v, want ErrRule with %q", tc.Rule, err, tc.Error)
		}
	}
}

// TestRuleFileErrors: a bad rule in a narrative file is rejected with file:line.
func TestRuleFileErrors(t *testing.T) {
	head := "id: x\nname_vi: X\nname_en: X\nseverity: low\nthreshold: 1\n"
	for _, c := range []struct{ body, want string }{
		{head + "rule: 'a AND'\n", "x.yaml:6: invalid model file: invalid rule: column 6"},
		{head + "groups:\n  g: [a]\nrule: '@h'\n", "x.yaml:8: invalid model file: invalid rule: column 1: unknown group @h"},
		{head + "groups:\n  g: []\nrule: '@g'\n", "x.yaml:7: invalid model file: group \"g\" must be a non-empty list"},
		{head + "groups:\n  g: [a]\n  g: [b]\nrule: '@g'\n", "x.yaml"},
		{head + "groups:\n  G: [a]\nrule: '@G'\n", "x.yaml:7: invalid model file: group name \"G\""},
		{head + "rule: [a]\n", "x.yaml:6: invalid model file: rule must be a string"},
		{head + "groups:\n  g: [a]\n", "terms or rule"},
	} {
		fsys := fstest.MapFS{"x.yaml": {Data: []byte(c.body)}}
		_, err := parseNarrative(fsys, "x.yaml")
		if !errors.Is(err, ErrModelFile) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s\ngot %v, want %q", c.body, err, c.want)
		}
	}
	// A group and a rule that parse: terms named in a group with no letters fail at the
	// group's line.
	fsys := fstest.MapFS{"x.yaml": {Data: []byte(head + "groups:\n  g: [a, '...']\nrule: '@g'\n")}}
	if _, err := parseNarrative(fsys, "x.yaml"); err == nil || !strings.Contains(err.Error(), "x.yaml:7:") {
		t.Errorf("got %v", err)
	}
}

// FuzzParseRule: any rule text parses or fails with ErrRule, never panics, and a parsed
// rule evaluates on any text.
func FuzzParseRule(f *testing.F) {
	c := readRuleCases(f)
	for _, tc := range c.Cases {
		f.Add(tc.Rule, strings.Join(tc.Match, " "))
	}
	for _, tc := range c.Errors {
		f.Add(tc.Rule, "a b c")
	}
	f.Add(strings.Repeat("(", 200)+"a"+strings.Repeat(")", 200), "a")
	f.Add(strings.Repeat("NOT ", 200)+"a", "a")
	f.Fuzz(func(t *testing.T, rule, text string) {
		m, err := ruleModel(rule, c.Groups)
		if err != nil {
			if !errors.Is(err, ErrRule) {
				t.Fatalf("rule %q: error %v does not wrap ErrRule", rule, err)
			}
			return
		}
		a := m.Analyze(text)
		for _, e := range a.Evidence {
			if e.Start < 0 || e.End > len(text) || e.Start > e.End {
				t.Fatalf("evidence %+v out of range for %q", e, text)
			}
		}
	})
}
