package classifier

import (
	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/vntext"
)

// ClassifyText is the one way text is classified: the classify stage, offline
// classification (`classify --in`) and evaluation (package learn) all go through it, so
// their results cannot differ. Text that reveals a legacy encoding (TCVN3, VNI, VIQR) is
// converted to Unicode first; the converted text is returned, because evidence offsets
// point into it and it is what must be stored.
func ClassifyText(m Model, text string) (string, post.Analysis) {
	text, _ = vntext.FixLegacy(text)
	return text, m.Analyze(text)
}

// Classify classifies p in place with ClassifyText: its text (and title) are converted
// from a legacy encoding when they reveal one, and p.Analysis is set.
func Classify(m Model, p *post.Post) {
	var a post.Analysis
	p.Text, a = ClassifyText(m, p.Text)
	p.Title, _ = vntext.FixLegacy(p.Title)
	p.Analysis = &a
}
