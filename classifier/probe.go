package classifier

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
)

// scopeProbe is the probe every model must pass before it is written or shipped; see the
// file's header and models/README.md ("Responsible scope").
//
//go:embed testdata/scope_probe.tsv
var scopeProbe string

// Expectations of a probe case.
const (
	ProbeNotHate = "not_hate" // not labelled hate and flagged by no narrative
	ProbeCaught  = "caught"   // flagged (offensive or hate, or a flagging narrative)
)

// ProbeCase is one sentence of a scope probe with what a model must do with it.
type ProbeCase struct {
	Line   int
	Expect string // ProbeNotHate or ProbeCaught
	Kind   string // criticism_rude, criticism_polite, news, hate_group, threat
	Text   string
	// May lists narratives the sentence is really about ("Bộ Công an cảnh báo thủ đoạn
	// lừa đảo" is a scam warning, which the scam narrative is meant to match): they may
	// flag it. Any other flagging narrative fails a not_hate case.
	May []string
}

// ProbeResult is how a model handled a ProbeCase. Why is empty when it passed.
type ProbeResult struct {
	ProbeCase
	Toxicity string   // the toxicity label
	Flagging []string // ids of the matched narratives that flag posts
	Flagged  bool
	Why      string
}

// ScopeProbe returns the shipped scope probe (classifier/testdata/scope_probe.tsv).
func ScopeProbe() ([]ProbeCase, error) { return ParseProbe(scopeProbe, "scope_probe.tsv") }

// ParseProbe parses a probe file (expect<TAB>kind<TAB>text[<TAB>may=id,id]); name is
// used in errors.
func ParseProbe(data, name string) ([]ProbeCase, error) {
	var out []ProbeCase
	for i, line := range strings.Split(data, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 3 || len(f) > 4 || strings.TrimSpace(f[2]) == "" {
			return nil, fmt.Errorf("%s:%d: want expect<TAB>kind<TAB>text[<TAB>may=narrative,...]", name, i+1)
		}
		var may []string
		if len(f) == 4 {
			ids, ok := strings.CutPrefix(f[3], "may=")
			if !ok || ids == "" {
				return nil, fmt.Errorf("%s:%d: fourth column %q must be may=narrative[,narrative]", name, i+1, f[3])
			}
			may = strings.Split(ids, ",")
		}
		if f[0] != ProbeNotHate && f[0] != ProbeCaught {
			return nil, fmt.Errorf("%s:%d: expect %q must be %s or %s", name, i+1, f[0], ProbeNotHate, ProbeCaught)
		}
		out = append(out, ProbeCase{Line: i + 1, Expect: f[0], Kind: f[1], Text: f[2], May: may})
	}
	return out, nil
}

// RunProbe classifies every case with m (through ClassifyText, as the pipeline does) and
// returns one result per case, in order.
func RunProbe(m Model, cases []ProbeCase) []ProbeResult {
	flagging := map[string]bool{}
	for _, n := range Narratives(m) {
		if i := slices.Index(severities, n.Severity); i >= flagSeverity {
			flagging[n.ID] = true
		}
	}
	out := make([]ProbeResult, len(cases))
	for i, c := range cases {
		_, a := ClassifyText(m, c.Text)
		r := ProbeResult{ProbeCase: c, Toxicity: a.Toxicity.Label, Flagged: a.Flagged}
		for _, n := range a.Narratives {
			if flagging[n.ID] && !slices.Contains(c.May, n.ID) {
				r.Flagging = append(r.Flagging, n.ID)
			}
		}
		switch c.Expect {
		case ProbeNotHate:
			var why []string
			if a.Toxicity.Label == "hate" {
				why = append(why, fmt.Sprintf("labelled hate (%.2f)", a.Toxicity.Score))
			}
			if len(r.Flagging) > 0 {
				why = append(why, "flagged by narrative "+strings.Join(r.Flagging, ", "))
			}
			r.Why = strings.Join(why, "; ")
		case ProbeCaught:
			if !a.Flagged {
				r.Why = fmt.Sprintf("not caught: toxicity %s, no flagging narrative", a.Toxicity.Label)
			}
		}
		out[i] = r
	}
	return out
}

// ProbeFailures returns the results that failed.
func ProbeFailures(results []ProbeResult) []ProbeResult {
	var out []ProbeResult
	for _, r := range results {
		if r.Why != "" {
			out = append(out, r)
		}
	}
	return out
}
