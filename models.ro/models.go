// Package models holds the data files of the shipped default model (lexicons, the learned
// toxicity component, narratives) and the demo posts, embedded into the binary so that
// `langnghe run` works with no files beside it. The classifier package parses them; this
// package only stores them. The teencode dictionary is part of the normalizer and lives in
// vntext/teencode.tsv. The layout is described in model.yaml and README.md.
package models

import (
	"embed"
	"io/fs"
)

//go:embed model.yaml neutral_terms.tsv lexicon/*.tsv learned/*.tsv narratives/*.yaml demo/*.jsonl
var files embed.FS

// FS returns the embedded files, rooted at this folder: "model.yaml",
// "lexicon/sentiment.tsv", "narratives/scam.yaml", "demo/posts.jsonl" and so on.
// The returned file system is read-only and safe for concurrent use.
func FS() fs.FS { return files }
