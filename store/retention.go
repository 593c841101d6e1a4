package store

import (
	"context"
	"time"
)

// Retainer is implemented by stores that can delete old posts (../shared/DESIGN.md,
// "Responsible scope": data past the retention period, default 90 days, is deleted).
// Callers type-assert a Store to it.
//
// DeleteBefore deletes posts published before t and returns how many it deleted. A
// backend may work at a coarser grain and keep some posts older than t: Elasticsearch
// drops whole monthly indices only once the entire month lies before t; bleve deletes
// exactly. It never deletes a post published at or after t.
type Retainer interface {
	DeleteBefore(ctx context.Context, t time.Time) (int, error)
}

// RetentionPlanner is implemented by stores that can say what DeleteBefore(t) would
// delete without deleting it (`langnghe retention --dry-run`).
type RetentionPlanner interface {
	PlanBefore(ctx context.Context, t time.Time) ([]RetentionItem, error)
}

// RetentionItem is one unit retention would delete: a monthly index (Elasticsearch) or
// the set of posts before the cut (bleve).
type RetentionItem struct {
	Name   string    `json:"name"`
	Posts  int       `json:"posts"`
	Before time.Time `json:"before"` // every post of the item was published before this
}
