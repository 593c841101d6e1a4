package store

import (
	"context"
	"time"
)

// Retainer is implemented by stores that can delete old posts (DESIGN.md: data past the
// retention period, default 90 days, is deleted). Callers type-assert a Store to it.
//
// DeleteBefore deletes posts published before t and returns how many it deleted. A
// backend may work at a coarser grain and keep some posts older than t: Elasticsearch
// drops whole monthly indices only once the entire month lies before t; bleve deletes
// exactly. It never deletes a post published at or after t.
type Retainer interface {
	DeleteBefore(ctx context.Context, t time.Time) (int, error)
}
