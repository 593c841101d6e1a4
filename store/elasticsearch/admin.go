package elasticsearch

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/langnghe/langnghe/store"
)

// ensureIndex makes sure index exists and is behind the alias before posts are written to
// it: create it (the call returns once its primary shard is active), then add the alias.
// Both steps are idempotent, so concurrent indexers may race here harmlessly.
func (s *Store) ensureIndex(ctx context.Context, index string) error {
	if _, ok := s.ready.Load(index); ok {
		return nil
	}
	if err := s.client.CreateIndex(ctx, index, nil); err != nil {
		return err
	}
	if err := s.client.Do(ctx, http.MethodPut, "/"+index+"/_alias/"+s.prefix, nil, nil, nil); err != nil {
		return fmt.Errorf("elasticsearch: alias %s on %s: %w", s.prefix, index, err)
	}
	s.ready.Store(index, struct{}{})
	return nil
}

// ensureTemplate installs the index template unless the same or a newer version is
// already there. After an upgrade it also puts the mapping on existing indices, so new
// fields become searchable in old months (mappings only ever grow).
func (s *Store) ensureTemplate(ctx context.Context) error {
	var got struct {
		IndexTemplates []struct {
			Name          string `json:"name"`
			IndexTemplate struct {
				Version int `json:"version"`
				Meta    struct {
					Shards   *int `json:"shards"`
					Replicas *int `json:"replicas"`
				} `json:"_meta"`
			} `json:"index_template"`
		} `json:"index_templates"`
	}
	err := s.client.Do(ctx, http.MethodGet, "/_index_template/"+s.prefix, nil, nil, &got)
	installed := 0
	sameSettings, replicasChanged := false, false
	switch {
	case err == nil && len(got.IndexTemplates) > 0:
		it := got.IndexTemplates[0].IndexTemplate
		installed = it.Version
		m := it.Meta
		sameSettings = m.Shards != nil && *m.Shards == s.shards && m.Replicas != nil && *m.Replicas == s.replicas
		replicasChanged = m.Replicas == nil || *m.Replicas != s.replicas
	case err == nil || IsStatus(err, http.StatusNotFound):
	default:
		return fmt.Errorf("elasticsearch: read index template: %w", err)
	}
	if installed > templateVersion {
		s.log.Warn("index template is newer than this build; leaving it", "template", s.prefix, "installed", installed, "ours", templateVersion)
		return nil
	}
	if installed == templateVersion && sameSettings {
		return nil
	}
	if err := s.client.Do(ctx, http.MethodPut, "/_index_template/"+s.prefix, nil, s.templateBody(), nil); err != nil {
		return fmt.Errorf("elasticsearch: install index template: %w", err)
	}
	s.log.Info("installed index template", "template", s.prefix, "version", templateVersion, "previous", installed, "shards", s.shards, "replicas", s.replicas)
	if installed > 0 && replicasChanged {
		// Replicas are a dynamic setting: existing months follow at once (a single node
		// turns green). Shards cannot change on an existing index; new months get them.
		err := s.client.Do(ctx, http.MethodPut, "/"+s.prefix+"-*/_settings", url.Values{"allow_no_indices": {"true"}, "expand_wildcards": {"open"}},
			map[string]any{"index": map[string]any{"number_of_replicas": s.replicas}}, nil)
		if err != nil && !IsStatus(err, http.StatusNotFound) {
			return fmt.Errorf("elasticsearch: set %d replicas on existing indices: %w", s.replicas, err)
		}
	}
	if installed > 0 && installed < templateVersion {
		m := mappings()
		delete(m, "dynamic")
		err := s.client.Do(ctx, http.MethodPut, "/"+s.prefix+"/_mapping", url.Values{"ignore_unavailable": {"true"}, "allow_no_indices": {"true"}}, m, nil)
		if err != nil && !IsStatus(err, http.StatusNotFound) {
			return fmt.Errorf("elasticsearch: upgrade mapping of existing indices: %w", err)
		}
	}
	return nil
}

// Ready returns nil when the cluster health is yellow or green; otherwise an error
// wrapping store.ErrUnavailable.
func (s *Store) Ready(ctx context.Context) error {
	var h struct {
		Status string `json:"status"`
	}
	err := s.client.Do(ctx, http.MethodGet, "/_cluster/health", url.Values{"wait_for_status": {"yellow"}, "timeout": {"1s"}}, nil, &h)
	if IsStatus(err, http.StatusRequestTimeout) {
		return fmt.Errorf("%w: elasticsearch cluster health not yellow or green within 1s", store.ErrUnavailable)
	}
	if err != nil {
		return err
	}
	if h.Status != "green" && h.Status != "yellow" {
		return fmt.Errorf("%w: elasticsearch cluster health %q", store.ErrUnavailable, h.Status)
	}
	return nil
}

// Indices lists the monthly indices behind the alias, oldest first (retention drops
// whole old indices by name).
func (s *Store) Indices(ctx context.Context) ([]string, error) {
	var got map[string]any
	err := s.client.Do(ctx, http.MethodGet, "/"+s.prefix+"-*/_alias/"+s.prefix, url.Values{"allow_no_indices": {"true"}}, nil, &got)
	if err != nil && !IsStatus(err, http.StatusNotFound) {
		return nil, err
	}
	names := make([]string, 0, len(got))
	for name := range got {
		names = append(names, name)
	}
	slices.Sort(names)
	return names, nil
}

// DeleteIndices deletes the named indices; it refuses names outside this store's prefix.
func (s *Store) DeleteIndices(ctx context.Context, names ...string) error {
	for _, n := range names {
		if !strings.HasPrefix(n, s.prefix+"-") || strings.ContainsAny(n, "*,") {
			return fmt.Errorf("elasticsearch: refusing to delete %q: not a %s-* index", n, s.prefix)
		}
	}
	return s.client.DeleteIndex(ctx, names...)
}

// PlanBefore implements store.RetentionPlanner: the monthly indices whose whole month
// lies before t, with their post counts, oldest first.
func (s *Store) PlanBefore(ctx context.Context, t time.Time) ([]store.RetentionItem, error) {
	names, err := s.Indices(ctx)
	if err != nil {
		return nil, err
	}
	var out []store.RetentionItem
	for _, name := range names {
		month, err := time.Parse("2006.01", strings.TrimPrefix(name, s.prefix+"-"))
		if err != nil {
			continue // not one of ours; leave it
		}
		end := month.AddDate(0, 1, 0)
		if end.After(t) {
			continue
		}
		var c struct {
			Count int `json:"count"`
		}
		if err := s.client.Do(ctx, http.MethodGet, "/"+name+"/_count", nil, nil, &c); err != nil {
			return out, err
		}
		out = append(out, store.RetentionItem{Name: name, Posts: c.Count, Before: end})
	}
	return out, nil
}

// DeleteBefore implements store.Retainer by dropping every monthly index whose whole
// month lies before t (posts of a month that straddles t stay until the month is past:
// deleting single documents would need _delete_by_query, which the minimal distribution
// lacks, and dropping indices is far cheaper). It returns the number of posts dropped.
func (s *Store) DeleteBefore(ctx context.Context, t time.Time) (int, error) {
	plan, err := s.PlanBefore(ctx, t)
	if err != nil {
		return 0, err
	}
	deleted := 0
	for _, it := range plan {
		if err := s.DeleteIndices(ctx, it.Name); err != nil {
			return deleted, err
		}
		s.ready.Delete(it.Name) // a late post for that month must recreate it with the alias
		s.log.Info("retention dropped index", "index", it.Name, "posts", it.Posts, "before", t)
		deleted += it.Posts
	}
	return deleted, nil
}

// Drop deletes every index of this store's prefix and its template: everything the store
// created. Only tests and benchmarks call it, to clean up (elasticsearch_test.go,
// bench_test.go, alerting's matcher_test.go and bench_store_test.go, indexer's
// bench_test.go); no command drops a store.
func (s *Store) Drop(ctx context.Context) error {
	names, err := s.Indices(ctx)
	if err == nil {
		err = s.DeleteIndices(ctx, names...)
	}
	if err == nil {
		err = s.DeleteTemplate(ctx)
	}
	return err
}

// SiblingIndex names an index that lives beside the posts indices of postsPrefix without
// being captured by their template (<prefix>-*): "langnghe-posts" with "alerts" gives
// "langnghe-alerts"; any other prefix P gives "P_alerts".
func SiblingIndex(postsPrefix, name string) string {
	if base, ok := strings.CutSuffix(postsPrefix, "-posts"); ok && base != "" {
		return base + "-" + name
	}
	return postsPrefix + "_" + strings.ReplaceAll(name, "-", "_")
}

// DeleteTemplate removes the index template; a missing one is not an error. Drop and
// tests call it (security_test.go, indexer's fault_test.go); no command does.
func (s *Store) DeleteTemplate(ctx context.Context) error {
	err := s.client.Do(ctx, http.MethodDelete, "/_index_template/"+s.prefix, nil, nil, nil)
	if IsStatus(err, http.StatusNotFound) {
		return nil
	}
	return err
}
