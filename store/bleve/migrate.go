package bleve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/blevesearch/bleve/v2"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
)

// migratable are the older mapping versions Open rewrites into the current layout rather
// than refuses: they keep every post whole in the stored post field, so nothing is lost.
// (In embedded mode the consumed Kafka log is trimmed, so "re-index" would mean re-crawl.)
var migratable = map[string]bool{"2": true}

// Suffixes of the directories a migration of dir works in.
const (
	migratingSuffix = ".migrating" // the new index being written
	oldSuffix       = ".old"       // the old index, between the two renames
)

// finishMigration completes a migration that stopped between its two renames (the old
// index moved aside, the new one complete but not yet in place) and removes leftovers.
func finishMigration(dir string) error {
	old, tmp := dir+oldSuffix, dir+migratingSuffix
	if _, err := os.Stat(old); err != nil {
		return nil
	}
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		if _, err := os.Stat(tmp); err != nil {
			return fmt.Errorf("bleve: %s exists without %s or %s; move %s back to %s", old, dir, tmp, old, dir)
		}
		if err := os.Rename(tmp, dir); err != nil {
			return fmt.Errorf("bleve: finish migration: %w", err)
		}
	}
	return os.RemoveAll(old)
}

// migrate copies every stored post of old (an index of a migratable mapping version,
// open at dir) into a new index of the current mapping and puts it in dir's place. The
// old index stays untouched until the copy is complete and counted; old is closed.
func migrate(old bleve.Index, dir string, log *slog.Logger) (err error) {
	closed := false
	defer func() {
		if !closed {
			_ = old.Close()
		}
	}()
	tmp := dir + migratingSuffix
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("bleve: remove %s: %w", tmp, err)
	}
	ns, err := Open(tmp, WithLogger(log))
	if err != nil {
		return err
	}
	n, err := copyPosts(old, ns)
	if cerr := ns.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("bleve: migrate %s: %w", dir, err)
	}
	want, err := old.DocCount()
	if err != nil || uint64(n) != want {
		return fmt.Errorf("bleve: migrate %s: copied %d of %d posts (%v)", dir, n, want, err)
	}
	closed = true
	if err := old.Close(); err != nil {
		return fmt.Errorf("bleve: close %s: %w", dir, err)
	}
	if err := os.Rename(dir, dir+oldSuffix); err != nil {
		return fmt.Errorf("bleve: migrate: %w", err)
	}
	if err := finishMigration(dir); err != nil {
		return err
	}
	log.Info("migrated bleve index to the current mapping", "dir", dir, "posts", n, "mapping_version", mappingVersion)
	return nil
}

// copyPosts reads every live post of old, a thousand ids at a time in index order (one
// pass over the doc ids, unlike sorting and paging, which would re-walk the index per
// page), and indexes the stored posts into ns.
func copyPosts(old bleve.Index, ns *Store) (int, error) {
	ctx := context.Background()
	ai, err := old.Advanced()
	if err != nil {
		return 0, fmt.Errorf("old index: %w", err)
	}
	r, err := ai.Reader()
	if err != nil {
		return 0, fmt.Errorf("old index reader: %w", err)
	}
	defer r.Close()
	dr, err := r.DocIDReaderAll()
	if err != nil {
		return 0, fmt.Errorf("old index ids: %w", err)
	}
	defer dr.Close()
	n := 0
	ids := make([]string, 0, 1000)
	flush := func() error {
		if len(ids) == 0 {
			return nil
		}
		req := bleve.NewSearchRequestOptions(bleve.NewDocIDQuery(ids), len(ids), 0, false)
		req.Fields = []string{fieldPost}
		res, err := old.SearchInContext(ctx, req)
		if err != nil {
			return fmt.Errorf("read old index: %w", err)
		}
		posts := make([]*post.Post, 0, len(res.Hits))
		for _, h := range res.Hits {
			p, err := decodeHit(h.Fields)
			if err != nil {
				return fmt.Errorf("post %s: %w", h.ID, err)
			}
			posts = append(posts, p)
		}
		copied := len(posts)
		if err := ns.Index(ctx, posts); err != nil {
			var be *store.BatchError
			if !errors.As(err, &be) {
				return err
			}
			copied -= len(be.Items) // not copied: the count check in migrate fails
		}
		n += copied
		ids = ids[:0]
		return nil
	}
	for {
		iid, err := dr.Next()
		if err != nil {
			return n, fmt.Errorf("old index ids: %w", err)
		}
		if iid == nil {
			return n, flush()
		}
		id, err := r.ExternalID(iid)
		if err != nil {
			return n, fmt.Errorf("old index id: %w", err)
		}
		if ids = append(ids, id); len(ids) == cap(ids) {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
}
