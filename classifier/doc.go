// Package classifier tags posts with sentiment, toxicity and operator-defined narratives.
//
// A Model (the Analyze method) turns a text into a post.Analysis with evidence offsets.
// Two kinds ship: the lexicon model (model.go, narrative.go, rule.go), built from the
// lexicons and narrative files of a model directory such as models/, and the learned
// keyword model (learned.go, learnfast.go, features.go), a file written by `langnghe model
// train` and layered over a lexicon model. Load and LoadDefault read both.
//
// Classify and ClassifyText are the one way a post or text is classified (legacy
// encodings converted first); the classify stage (stage.go, a bus.Processor publishing
// through a Publisher), offline classification and evaluation all call them, so their
// results cannot differ. Reloader swaps a model when its files change or on SIGHUP.
//
// Text goes through package vntext, the one Vietnamese normalizer. Training and
// evaluation live in the subpackage learn.
package classifier
