package learn

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/langnghe/langnghe/classifier"
)

// NarrativeExample is one post of a narrative evaluation set: {"text": ..., "narratives":
// [ids]}; an empty list means the post must match no narrative.
type NarrativeExample struct {
	Text       string   `json:"text"`
	Narratives []string `json:"narratives"`
}

// ReadNarrativeExamples reads narrative-labelled JSON Lines from r; name is used in errors
// ("name:line: ..."). Every line needs "text" and a "narratives" list (possibly empty).
func ReadNarrativeExamples(r io.Reader, name string) ([]NarrativeExample, error) {
	var out []NarrativeExample
	err := readJSONLines(r, name, func(line int, b []byte) error {
		var e struct {
			Text       *string   `json:"text"`
			Narratives *[]string `json:"narratives"`
		}
		if err := json.Unmarshal(b, &e); err != nil {
			return fmt.Errorf("%s:%d: %w: %v", name, line, ErrDataFile, err)
		}
		if e.Text == nil || e.Narratives == nil {
			return fmt.Errorf("%s:%d: %w: want \"text\" and a \"narratives\" list", name, line, ErrDataFile)
		}
		out = append(out, NarrativeExample{Text: *e.Text, Narratives: *e.Narratives})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// NarrativeError is one post a narrative got wrong: matched without being labelled
// (false positive) or labelled and missed (false negative).
type NarrativeError struct {
	Narrative string `json:"narrative"`
	Kind      string `json:"kind"` // "false_positive" or "false_negative"
	Text      string `json:"text"`
}

// NarrativeReport is the result of a narrative evaluation, with the JSON keys of
// `langnghe eval --task narrative --format json`. Each narrative is scored as its own
// binary decision over every post; None counts the posts labelled with no narrative and
// NoneClean those of them that matched none.
type NarrativeReport struct {
	N              int                    `json:"n"`
	PerNarrative   map[string]ClassReport `json:"per_narrative"`
	MacroPrecision float64                `json:"macro_precision"`
	MacroRecall    float64                `json:"macro_recall"`
	MacroF1        float64                `json:"macro_f1"`
	ExactMatch     float64                `json:"exact_match"` // share of posts whose set of narratives is exactly the gold set
	None           int                    `json:"none"`
	NoneClean      int                    `json:"none_clean"`
	Errors         []NarrativeError       `json:"errors"`
	ErrorCount     int                    `json:"error_count"` // len(Errors) before a caller kept only some (eval --errors)
	PostsPerSecond float64                `json:"posts_per_second"`
	Narratives     []string               `json:"-"` // sorted: the model's narratives, then unknown gold ids
}

// NarrativeMatches returns the ids of the narratives m finds in text, classified as the
// pipeline classifies it (classifier.ClassifyText).
func NarrativeMatches(m classifier.Model, text string) []string {
	_, a := classifier.ClassifyText(m, text)
	ids := make([]string, 0, len(a.Narratives))
	for _, n := range a.Narratives {
		ids = append(ids, n.ID)
	}
	return ids
}

// ScoreNarratives compares the narratives m finds with the gold ones. Every narrative of
// the model is scored, even one with no gold post (then its precision says how often it
// fires where it should not); a gold id the model does not have scores recall 0.
func ScoreNarratives(m classifier.Model, ex []NarrativeExample) NarrativeReport {
	r := NarrativeReport{N: len(ex), PerNarrative: map[string]ClassReport{}, Errors: []NarrativeError{}}
	ids := map[string]bool{}
	for _, n := range classifier.Narratives(m) {
		ids[n.ID] = true
	}
	for _, e := range ex {
		for _, id := range e.Narratives {
			ids[id] = true
		}
	}
	tp, fp, fn := map[string]int{}, map[string]int{}, map[string]int{}
	exact := 0
	for _, e := range ex {
		got := NarrativeMatches(m, e.Text)
		same := true
		for id := range ids {
			g, p := slices.Contains(e.Narratives, id), slices.Contains(got, id)
			switch {
			case g && p:
				tp[id]++
			case p:
				fp[id]++
				same = false
				r.Errors = append(r.Errors, NarrativeError{Narrative: id, Kind: "false_positive", Text: e.Text})
			case g:
				fn[id]++
				same = false
				r.Errors = append(r.Errors, NarrativeError{Narrative: id, Kind: "false_negative", Text: e.Text})
			}
		}
		if same {
			exact++
		}
		if len(e.Narratives) == 0 {
			r.None++
			if len(got) == 0 {
				r.NoneClean++
			}
		}
	}
	for id := range ids {
		r.Narratives = append(r.Narratives, id)
	}
	slices.Sort(r.Narratives)
	slices.SortStableFunc(r.Errors, func(a, b NarrativeError) int {
		if a.Narrative != b.Narrative {
			return compareStrings(a.Narrative, b.Narrative)
		}
		return compareStrings(a.Kind, b.Kind)
	})
	for _, id := range r.Narratives {
		c := ClassReport{Support: tp[id] + fn[id]}
		if tp[id]+fp[id] > 0 {
			c.Precision = float64(tp[id]) / float64(tp[id]+fp[id])
		}
		if c.Support > 0 {
			c.Recall = float64(tp[id]) / float64(c.Support)
		}
		if c.Precision+c.Recall > 0 {
			c.F1 = 2 * c.Precision * c.Recall / (c.Precision + c.Recall)
		}
		r.MacroPrecision += c.Precision
		r.MacroRecall += c.Recall
		r.MacroF1 += c.F1
		c.Precision, c.Recall, c.F1 = round4(c.Precision), round4(c.Recall), round4(c.F1)
		r.PerNarrative[id] = c
	}
	if k := float64(len(r.Narratives)); k > 0 {
		r.MacroPrecision, r.MacroRecall, r.MacroF1 = round4(r.MacroPrecision/k), round4(r.MacroRecall/k), round4(r.MacroF1/k)
	}
	if r.N > 0 {
		r.ExactMatch = round4(float64(exact) / float64(r.N))
	}
	r.ErrorCount = len(r.Errors)
	return r
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
