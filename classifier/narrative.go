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

// narrativeYAML is the file format of narratives/*.yaml (see models/README.md).
type narrativeYAML struct {
	ID          string  `yaml:"id"`
	NameVI      string  `yaml:"name_vi"`
	NameEN      string  `yaml:"name_en"`
	Description string  `yaml:"description"`
	Severity    string  `yaml:"severity"`
	Threshold   float64 `yaml:"threshold"`
	Terms       []struct {
		Weight *float64    `yaml:"weight"`
		Any    []yaml.Node `yaml:"any"` // nodes, for the line of each phrase
	} `yaml:"terms"`
	Examples struct {
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
	def   narrativeDef
	terms []narrativeTerm
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
	case len(y.Terms) == 0:
		return nil, fail(line("terms"), "terms: at least one group is required")
	}
	p := &parsedNarrative{}
	p.def.ID, p.def.NameVI, p.def.NameEN = y.ID, y.NameVI, y.NameEN
	p.def.Severity, p.def.Threshold = y.Severity, y.Threshold
	p.def.severity = slices.Index(severities, y.Severity)
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
