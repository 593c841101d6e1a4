package bleve

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
)

// keyTimeLen is the length of the time prefix of a sort key: 16 hex digits.
const keyTimeLen = 16

// sortKey is the pub_asc (desc false) or pub_desc (desc true) keyword of a post: the
// published_at nanoseconds as 16 hex digits, order-preserving (sign bit flipped; all bits
// inverted for desc), then the id, so one byte-wise comparison orders posts by time and
// breaks ties by id ascending in both directions, as the stores' sort orders require.
func sortKey(t time.Time, id string, desc bool) string {
	u := uint64(t.UnixNano()) ^ (1 << 63)
	if desc {
		u = ^u
	}
	var b [8]byte
	for i := 7; i >= 0; i-- {
		b[i] = byte(u)
		u >>= 8
	}
	return hex.EncodeToString(b[:]) + id
}

// keyTime decodes the time prefix of a pub_asc key.
func keyTime(key []byte) (int64, bool) {
	if len(key) < keyTimeLen {
		return 0, false
	}
	var b [8]byte
	if _, err := hex.Decode(b[:], key[:keyTimeLen]); err != nil {
		return 0, false
	}
	var u uint64
	for _, c := range b {
		u = u<<8 | uint64(c)
	}
	return int64(u ^ (1 << 63)), true
}

// matchTimes walks every match of bq once, unscored, and returns their published_at (Unix
// nanoseconds, in index order). It replaces bleve's facet machinery for the time buckets:
// one pass over one short doc value per match, instead of one search for each edge and a
// date-range facet search that visits every prefix-coded term of every match.
func (s *Store) matchTimes(ctx context.Context, bq query.Query) ([]int64, error) {
	ai, err := s.idx.Advanced()
	if err != nil {
		return nil, fmt.Errorf("bleve: advanced index: %w", err)
	}
	r, err := ai.Reader()
	if err != nil {
		return nil, s.searchErr(ctx, err)
	}
	defer r.Close()
	sr, err := bq.Searcher(ctx, r, s.idx.Mapping(), search.SearcherOptions{Score: "none"})
	if err != nil {
		return nil, s.searchErr(ctx, err)
	}
	defer sr.Close()
	dvr, err := r.DocValueReader([]string{fieldPubAsc})
	if err != nil {
		return nil, s.searchErr(ctx, err)
	}
	sctx := &search.SearchContext{DocumentMatchPool: search.NewDocumentMatchPool(sr.DocumentMatchPoolSize(), 0)}
	var out []int64
	var bad error
	visit := func(field string, term []byte) {
		if ts, ok := keyTime(term); ok {
			out = append(out, ts)
		} else if bad == nil {
			bad = fmt.Errorf("bleve: malformed sort key %q", term)
		}
	}
	for n := 0; ; n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		dm, err := sr.Next(sctx)
		if err != nil {
			return nil, s.searchErr(ctx, err)
		}
		if dm == nil {
			break
		}
		if err := dvr.VisitDocValues(dm.IndexInternalID, index.DocValueVisitor(visit)); err != nil {
			return nil, s.searchErr(ctx, err)
		}
		sctx.DocumentMatchPool.Put(dm)
	}
	if bad != nil {
		return nil, bad
	}
	if len(out) == 0 {
		return nil, errors.New("bleve: matches vanished while counting buckets")
	}
	return out, nil
}
