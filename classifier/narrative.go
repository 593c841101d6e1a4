package classifier

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"regexp"
	"slices"

	"gopkg.in/yaml.v3"
)

// sentimentLabels are the labels Analyze gives a post's sentiment.
var sentimentLabels = []string{"negative", "neutral", "positive"}

// narrativeYAML is the file format of narratives/*.yaml (see models/README.md).
type narrativeYAML struct {
	ID          string  `yaml:"id"`
	NameVI      string  `yaml:"name_vi"`
	NameEN      string  `yaml:"name_en"`
	Description string  `yaml:"description"`
	Severity    string  `yaml:"severity"`
	Threshold   float64 `yaml:"threshold"`
	Terms       []struct {
		Name   string      `yaml:"name"` // optional; usable as @name in rule
		Weight *float64    `yaml:"weight"`
		Any    []yaml.Node `yaml:"any"` // nodes, for the line of each phrase
	} `yaml:"terms"`
	Groups yaml.Node `yaml:"groups"` // name: [phrases], usable as @name in rule
	Rule   yaml.Node `yaml:"rule"`
	// LearnedNotWhenSentiment lists sentiment labels under which the learned narrative
	// component may not match (the rules still may): it learns topics ("xe buýt",
	// "điện") and would read praise of a bus line as a complaint about it.
	LearnedNotWhenSentiment []string `yaml:"learned_not_when_sentiment"`
	// LearnedWithoutTerms lets the learned component match a post in which none of the
	// narrative's terms occurs. Without it the component only confirms posts that
	// already hold some of the narrative's vocabulary: most posts that imply a flood or
	// a folk cure without naming it were out of its reach.
	LearnedWithoutTerms bool `yaml:"learned_without_terms"`
	Examples            struct {
		Match   []string `yaml:"match"`
		NoMatch []string `yaml:"no_match"`
	} `yaml:"examples"`
}

// narrativeTerm is a parsed phrase with the line it came from.
type narrativeTerm struct {
	term lexTerm
	line int
}

type parsedNarrative struct {
	def       narrativeDef
	terms     []narrativeTerm
	rule      *ruleAST
	ruleLine  int
	atomLines []int // line of each atom's terms, for errors when they are added
}

// narrativeIDPattern keeps ids usable as evidence "for" values, metric labels and URL
// parts, and distinct from "sentiment" and "toxicity".
var narrativeIDPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// Term weights must stay in a sane range; 0 marks a neutral phrase that shields a
// shorter term inside it ("lũ trẻ" is children, not a flood).
const maxNarrativeWeight = 10

func parseNarrative(fsys fs.FS, name string) (*parsedNarrative, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", name, ErrModelFile, err)
	}
	// line returns the line of a top-level key, so errors point at the offending field.
	line := func(key string) int {
		if len(root.Content) == 1 && root.Content[0].Kind == yaml.MappingNode {
			c := root.Content[0].Content
			for i := 0; i+1 < len(c); i += 2 {
				if c[i].Value == key {
					return c[i].Line
				}
			}
		}
		return 1
	}
	fail := func(l int, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %w: %s", name, l, ErrModelFile, fmt.Sprintf(format, args...))
	}
	var y narrativeYAML
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true) // a misspelt key ("treshold") must not be silently ignored
	if err := dec.Decode(&y); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("%s: %w: %v", name, ErrModelFile, te)
		}
		return nil, fmt.Errorf("%s: %w: %v", name, ErrModelFile, err)
	}
	switch {
	case !narrativeIDPattern.MatchString(y.ID):
		return nil, fail(line("id"), "id %q must be lowercase letters, digits and _", y.ID)
	case y.ID == "sentiment" || y.ID == "toxicity":
		return nil, fail(line("id"), "id %q is reserved", y.ID)
	case y.NameVI == "" || y.NameEN == "":
		return nil, fail(1, "name_vi and name_en are required")
	case !slices.Contains(severities, y.Severity):
		return nil, fail(line("severity"), "severity %q must be one of %v", y.Severity, severities)
	case !(y.Threshold > 0) || math.IsInf(y.Threshold, 0):
		return nil, fail(line("threshold"), "threshold must be a positive number")
	case len(y.Terms) == 0 && y.Rule.Kind == 0:
		return nil, fail(line("terms"), "terms or rule: at least one is required")
	}
	for _, l := range y.LearnedNotWhenSentiment {
		if !slices.Contains(sentimentLabels, l) {
			return nil, fail(line("learned_not_when_sentiment"), "learned_not_when_sentiment: %q must be one of %v", l, sentimentLabels)
		}
	}
	p := &parsedNarrative{}
	p.def.ID, p.def.NameVI, p.def.NameEN = y.ID, y.NameVI, y.NameEN
	p.def.Severity, p.def.Threshold = y.Severity, y.Threshold
	p.def.severity = slices.Index(severities, y.Severity)
	p.def.learnedNotWhen = y.LearnedNotWhenSentiment
	p.def.learnedWithoutTerms = y.LearnedWithoutTerms
	p.def.examples.match, p.def.examples.noMatch = y.Examples.Match, y.Examples.NoMatch
	dup := dupCheck{}
	for _, g := range y.Terms {
		if g.Weight == nil {
			return nil, fail(line("terms"), "every term group needs a weight")
		}
		w := *g.Weight
		if w < 0 || w > maxNarrativeWeight || math.IsNaN(w) {
			return nil, fail(line("terms"), "weight %g outside 0..%d", w, maxNarrativeWeight)
		}
		for _, n := range g.Any {
			if n.Kind != yaml.ScalarNode || n.Value == "" {
				return nil, fail(n.Line, "terms must be non-empty strings")
			}
			if err := dup.check(n.Value); err != nil {
				return nil, fail(n.Line, "%v", err)
			}
			p.terms = append(p.terms, narrativeTerm{term: lexTerm{text: n.Value, weight: w}, line: n.Line})
		}
	}
	if err := p.parseRule(&y, fail); err != nil {
		return nil, err
	}
	return p, nil
}

// loadManifest reads model.yaml and returns "name@version".
func loadManifest(fsys fs.FS, name string) (string, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", name, err)
	}
	var y struct {
		Name    string `yaml:"name"`
		Version string `yaml:"version"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&y); err != nil {
		return "", fmt.Errorf("%s: %w: %v", name, ErrModelFile, err)
	}
	if y.Name == "" || y.Version == "" {
		return "", fmt.Errorf("%s:1: %w: name and version are required", name, ErrModelFile)
	}
	return y.Name + "@" + y.Version, nil
}

// parseRule reads the named groups and the rule expression of y, if any.
func (p *parsedNarrative) parseRule(y *narrativeYAML, fail func(l int, format string, args ...any) error) error {
	type group struct {
		terms []string
		line  int
	}
	groups := map[string]group{}
	for _, t := range y.Terms {
		if t.Name == "" {
			continue
		}
		if !narrativeIDPattern.MatchString(t.Name) {
			return fail(t.Any[0].Line, "group name %q must be lowercase letters, digits and _", t.Name)
		}
		g := group{line: 1}
		for _, n := range t.Any {
			g.terms = append(g.terms, n.Value)
			g.line = n.Line
		}
		groups[t.Name] = g
	}
	if y.Groups.Kind != 0 {
		if y.Groups.Kind != yaml.MappingNode {
			return fail(y.Groups.Line, "groups must map names to lists of phrases")
		}
		c := y.Groups.Content
		for i := 0; i+1 < len(c); i += 2 {
			name, list := c[i], c[i+1]
			if !narrativeIDPattern.MatchString(name.Value) {
				return fail(name.Line, "group name %q must be lowercase letters, digits and _", name.Value)
			}
			if _, dup := groups[name.Value]; dup {
				return fail(name.Line, "group %q defined twice", name.Value)
			}
			if list.Kind != yaml.SequenceNode || len(list.Content) == 0 {
				return fail(name.Line, "group %q must be a non-empty list of phrases", name.Value)
			}
			g := group{line: name.Line}
			for _, n := range list.Content {
				if n.Kind != yaml.ScalarNode || n.Value == "" {
					return fail(n.Line, "terms must be non-empty strings")
				}
				if syls, _ := termSyllables(n.Value); len(syls) == 0 {
					return fail(n.Line, "term %q has no letters, digits or emoji", n.Value)
				}
				g.terms = append(g.terms, n.Value)
			}
			groups[name.Value] = g
		}
	}
	if y.Rule.Kind == 0 {
		if len(groups) > 0 && len(y.Terms) == 0 {
			return fail(y.Groups.Line, "groups without a rule are never used")
		}
		return nil
	}
	if y.Rule.Kind != yaml.ScalarNode || y.Rule.Tag != "!!str" {
		return fail(y.Rule.Line, "rule must be a string")
	}
	ast, err := parseRule(y.Rule.Value, func(name string) ([]string, bool) {
		g, ok := groups[name]
		return g.terms, ok
	})
	if err != nil {
		return fail(y.Rule.Line, "%v", err)
	}
	p.rule, p.ruleLine = ast, y.Rule.Line
	for _, a := range ast.atoms {
		l := y.Rule.Line
		if a.group != "" {
			l = groups[a.group].line
		}
		p.atomLines = append(p.atomLines, l)
	}
	return nil
}
