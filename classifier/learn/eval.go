package learn

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/langnghe/langnghe/classifier"
)

// ErrDataFile marks a labelled JSON Lines file that cannot be used (bad JSON, missing
// text or label). Errors wrapping it start with "file:line:".
var ErrDataFile = errors.New("invalid labelled data")

// Example is one labelled text of a JSON Lines data set ({"text": ..., "label": ...};
// other fields are ignored).
type Example struct {
	Text  string `json:"text"`
	Label string `json:"label"`
}

// ReadExamples reads labelled JSON Lines from r; name is used in errors ("name:line: ...").
// Blank lines are skipped; lines of up to 16 MB are accepted.
func ReadExamples(r io.Reader, name string) ([]Example, error) {
	var out []Example
	err := readJSONLines(r, name, func(line int, b []byte) error {
		var e struct {
			Text  *string `json:"text"`
			Label *string `json:"label"`
		}
		if err := json.Unmarshal(b, &e); err != nil {
			return fmt.Errorf("%s:%d: %w: %v", name, line, ErrDataFile, err)
		}
		if e.Text == nil || e.Label == nil || *e.Label == "" {
			return fmt.Errorf("%s:%d: %w: want string fields \"text\" and \"label\"", name, line, ErrDataFile)
		}
		out = append(out, Example{Text: *e.Text, Label: *e.Label})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// readJSONLines calls fn with each non-blank line of r and its 1-based number; lines of
// up to 16 MB are accepted. A read error is named name:line.
func readJSONLines(r io.Reader, name string, fn func(line int, b []byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(b) == 0 || allSpace(b) {
			continue
		}
		if err := fn(line, b); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	return nil
}

func allSpace(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

// ClassReport is precision, recall and F1 of one class; Support counts gold examples.
type ClassReport struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`
}

// Report is the result of an evaluation, with the JSON keys of `langnghe eval --format json`.
// Confusion is indexed gold label, then predicted label.
type Report struct {
	N              int                       `json:"n"`
	Accuracy       float64                   `json:"accuracy"`
	MacroF1        float64                   `json:"macro_f1"`
	WeightedF1     float64                   `json:"weighted_f1"`
	PerClass       map[string]ClassReport    `json:"per_class"`
	Confusion      map[string]map[string]int `json:"confusion"`
	PostsPerSecond float64                   `json:"posts_per_second"`
	Labels         []string                  `json:"-"` // sorted; the classes averaged over
}

// Score compares predictions with gold labels. The classes are the union of both, so a
// class that is predicted but never gold counts in the macro average with F1 0, as in
// scikit-learn. gold and pred must have the same length.
func Score(gold, pred []string) Report {
	r := Report{N: len(gold), PerClass: map[string]ClassReport{}, Confusion: map[string]map[string]int{}}
	set := map[string]bool{}
	for i := range gold {
		set[gold[i]], set[pred[i]] = true, true
		if r.Confusion[gold[i]] == nil {
			r.Confusion[gold[i]] = map[string]int{}
		}
		r.Confusion[gold[i]][pred[i]]++
	}
	for l := range set {
		r.Labels = append(r.Labels, l)
	}
	slices.Sort(r.Labels)
	correct := 0
	for i := range gold {
		if gold[i] == pred[i] {
			correct++
		}
	}
	if r.N > 0 {
		r.Accuracy = float64(correct) / float64(r.N)
	}
	for _, l := range r.Labels {
		var tp, fp, fn int
		for i := range gold {
			switch {
			case gold[i] == l && pred[i] == l:
				tp++
			case pred[i] == l:
				fp++
			case gold[i] == l:
				fn++
			}
		}
		c := ClassReport{Support: tp + fn}
		if tp+fp > 0 {
			c.Precision = float64(tp) / float64(tp+fp)
		}
		if tp+fn > 0 {
			c.Recall = float64(tp) / float64(tp+fn)
		}
		if c.Precision+c.Recall > 0 {
			c.F1 = 2 * c.Precision * c.Recall / (c.Precision + c.Recall)
		}
		r.PerClass[l] = c
		r.MacroF1 += c.F1 / float64(len(r.Labels))
		if r.N > 0 {
			r.WeightedF1 += c.F1 * float64(c.Support) / float64(r.N)
		}
	}
	return r
}

// Prediction returns the label m gives text for task ("sentiment" or "toxicity"),
// classified as the pipeline classifies it (classifier.ClassifyText). When the
// gold labels of a data set are toxic/non_toxic (binary sets such as ViCTSD), pass
// binary=true: the toxicity label is collapsed to non_toxic (clean) or toxic (anything else).
func Prediction(m classifier.Model, task, text string, binary bool) (string, error) {
	_, a := classifier.ClassifyText(m, text)
	switch task {
	case "sentiment":
		return a.Sentiment.Label, nil
	case "toxicity":
		if binary {
			return CollapseToxicity(a.Toxicity.Label), nil
		}
		return a.Toxicity.Label, nil
	}
	return "", fmt.Errorf("task %q must be sentiment or toxicity", task)
}

// CollapseToxicity maps a toxicity label, predicted or gold, to the binary toxic/non_toxic
// scheme (ViHOS's comment-level clean/hate_offensive becomes non_toxic/toxic too).
func CollapseToxicity(label string) string {
	if label == "clean" || label == "non_toxic" {
		return "non_toxic"
	}
	return "toxic"
}

// IsBinaryToxicity reports whether the gold labels are a binary scheme: toxic/non_toxic
// (ViCTSD) or clean/hate_offensive (ViHOS).
func IsBinaryToxicity(ex []Example) bool {
	for _, e := range ex {
		if e.Label == "toxic" || e.Label == "non_toxic" || e.Label == "hate_offensive" {
			return true
		}
	}
	return false
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }
