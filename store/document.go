package store

import (
	"fmt"
	"time"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store/query"
)

// Names of the derived fields both backends index next to the post itself. The web API,
// Kibana saved objects and alert rules may refer to them.
const (
	FieldID           = "id" // the post id (keyword); bleve keeps it as the document id
	FieldTextFolded   = "text_folded"
	FieldTitleFolded  = "title_folded"
	FieldTextExact    = "text_exact" // words with diacritics, for +exact query terms
	FieldTitleExact   = "title_exact"
	FieldPlatform     = "platform"
	FieldSource       = "source"
	FieldSentiment    = "sentiment"
	FieldToxicity     = "toxicity"
	FieldNarrativeIDs = "narrative_ids"
	FieldFlagged      = "flagged"
	FieldPublishedAt  = "published_at"
)

// DocFields are the derived, flat fields a backend indexes for one post, computed in Go so
// that both backends filter and match on exactly the same values.
type DocFields struct {
	TextFolded   string   `json:"text_folded"`
	TitleFolded  string   `json:"title_folded"`
	TextExact    string   `json:"text_exact"`
	TitleExact   string   `json:"title_exact"`
	Sentiment    string   `json:"sentiment,omitempty"`
	Toxicity     string   `json:"toxicity,omitempty"`
	NarrativeIDs []string `json:"narrative_ids,omitempty"`
	Flagged      bool     `json:"flagged"`
}

// Fields derives the indexed fields of p. A post without Analysis has no sentiment,
// toxicity or narratives and is not flagged.
func Fields(p *post.Post) DocFields {
	f := DocFields{}
	f.TextFolded, f.TextExact = query.Texts(p.Text) // one tokenization per field
	f.TitleFolded, f.TitleExact = query.Texts(p.Title)
	if a := p.Analysis; a != nil {
		f.Sentiment = a.Sentiment.Label
		f.Toxicity = a.Toxicity.Label
		f.Flagged = a.Flagged
		for _, n := range a.Narratives {
			f.NarrativeIDs = append(f.NarrativeIDs, n.ID)
		}
	}
	return f
}

// CheckIndexable reports why p cannot be stored at all: nil, no id, no published_at
// (which picks the time partition), or a published_at before 1970 (Elasticsearch stores it
// with nanosecond precision from the epoch; rejecting it here keeps the backends alike). Backends turn it into a permanent ItemError, so a
// broken post is dead-lettered instead of retried for ever. Full contract validation is
// the job of post.Validate upstream; the store does not second-guess the classifier.
func CheckIndexable(p *post.Post) error {
	switch {
	case p == nil:
		return fmt.Errorf("nil post")
	case p.ID == "":
		return fmt.Errorf("post without id")
	case p.PublishedAt.IsZero():
		return fmt.Errorf("post %s without published_at", p.ID)
	case p.PublishedAt.Before(time.Unix(0, 0)):
		return fmt.Errorf("post %s published_at %s is before 1970", p.ID, p.PublishedAt.Format(time.RFC3339))
	}
	return nil
}

// MaxBuckets caps the number of time buckets in one Result; BucketInterval widens the
// interval until the matched range fits.
const MaxBuckets = 500

// minInterval is the narrowest bucket: Elasticsearch's fixed_interval works in whole
// milliseconds, and sub-second buckets are no use to an analyst anyway.
const minInterval = time.Second

// BucketInterval returns the bucket width for q (normalized) when its matches were
// published between first and last (inclusive): q.Interval, or AutoInterval(q.From, q.To)
// when it is 0, truncated to whole seconds (at least one), then doubled until at most
// MaxBuckets buckets span [first, last]. It returns 0 when q.Interval is negative
// (buckets disabled). Both backends use it so they agree on bucket boundaries.
func BucketInterval(q Query, first, last time.Time) time.Duration {
	d := q.Interval
	if d < 0 {
		return 0
	}
	if d == 0 {
		d = AutoInterval(q.From, q.To)
	}
	d = d.Truncate(time.Second)
	if d < minInterval {
		d = minInterval
	}
	for BucketStart(last, d).Sub(BucketStart(first, d))/d+1 > MaxBuckets {
		d *= 2
	}
	return d
}

// BucketStart returns the start of the bucket of width d holding t: t rounded down to a
// multiple of d since the Unix epoch, in UTC. That is how Elasticsearch's fixed_interval
// date_histogram aligns buckets, so a 24h bucket starts at UTC midnight.
func BucketStart(t time.Time, d time.Duration) time.Time {
	ms := t.UnixMilli()
	dm := d.Milliseconds()
	k := ms / dm
	if ms%dm < 0 {
		k-- // floor, not truncation toward zero, for times before 1970
	}
	return time.UnixMilli(k * dm).UTC()
}
