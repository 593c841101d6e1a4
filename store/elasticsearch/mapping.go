package elasticsearch

import "github.com/langnghe/langnghe/store"

// templateVersion versions the index template and mapping. Bump it with any change to
// templateBody; New then replaces an older template and adds the new fields to existing
// indices. A cluster already holding a newer version is left alone (a newer build owns it).
const templateVersion = 4 // 2: text_exact, title_exact (+exact query terms); 3: shards and replicas in _meta; 4: the alias

// mappings is the document mapping. dynamic:false keeps unknown or future post fields in
// _source without indexing them, so a newer crawler cannot break an older index with a
// mapping conflict. Text analysis is the standard analyzer: Vietnamese folding is done in
// Go (store.FoldedFields), so no plugin is needed.
func mappings() map[string]any {
	kw := map[string]any{"type": "keyword"}
	kwNoIndex := map[string]any{"type": "keyword", "index": false, "doc_values": false}
	text := map[string]any{"type": "text", "analyzer": "standard"}
	// long, not integer: Go ints are 64-bit and an overflow would reject the whole post.
	integer := map[string]any{"type": "long"}
	float := map[string]any{"type": "float"}
	label := map[string]any{"properties": map[string]any{"label": kw, "score": float}}
	return map[string]any{
		"dynamic": false,
		"_meta":   map[string]any{"version": templateVersion, "managed_by": "langnghe"},
		"properties": map[string]any{
			"schema":     integer,
			"id":         kw, // sortable stand-in for _id, whose fielddata is off in 8.x
			"platform":   kw,
			"source":     kw,
			"url":        kwNoIndex,
			"thread_url": kwNoIndex,
			"author":     map[string]any{"properties": map[string]any{"id": kw}},
			"title":      text,
			"text":       text,
			"lang":       kw,
			// date_nanos so range filters and sorting agree with bleve to the nanosecond.
			"published_at": map[string]any{"type": "date_nanos"},
			"fetched_at":   map[string]any{"type": "date_nanos"},
			"metrics": map[string]any{"properties": map[string]any{
				"likes": integer, "shares": integer, "replies": integer,
			}},
			"analysis": map[string]any{"properties": map[string]any{
				"model":      kw,
				"sentiment":  label,
				"toxicity":   label,
				"narratives": map[string]any{"properties": map[string]any{"id": kw, "score": float}},
				"evidence": map[string]any{"properties": map[string]any{
					"for": kw, "term": kw, "start": integer, "end": integer,
				}},
				"flagged": map[string]any{"type": "boolean"},
			}},
			store.FieldTextFolded:   text,
			store.FieldTitleFolded:  text,
			store.FieldTextExact:    text,
			store.FieldTitleExact:   text,
			store.FieldSentiment:    kw,
			store.FieldToxicity:     kw,
			store.FieldNarrativeIDs: kw,
			store.FieldFlagged:      map[string]any{"type": "boolean"},
		},
	}
}

// templateBody is the composable index template for <prefix>-*: settings (shards and
// replicas from WithShards/WithReplicas, recorded in _meta so a changed setting
// reinstalls the template), mapping and the alias <prefix>, so every monthly index is
// searchable through the alias however it was created (by the indexer, a restore, a
// reindex). An alias from a template is on the index from the moment it is created,
// before its primary shard has started; a search on the alias in that window fails with
// no_shard_available when the new index is the only one, so Store.search retries that
// answer briefly (searchRetryFor). Store.ensureIndex still puts the alias on explicitly:
// idempotent, and it covers indices made by an older template.
func (s *Store) templateBody() map[string]any {
	settings := map[string]any{"index.number_of_shards": s.shards, "index.number_of_replicas": s.replicas}
	meta := map[string]any{"version": templateVersion, "managed_by": "langnghe", "shards": s.shards, "replicas": s.replicas}
	return map[string]any{
		"index_patterns": []string{s.prefix + "-*"},
		// Above the 100 of Elastic's built-in stack templates, so ours wins on a full cluster.
		"priority": 200,
		"version":  templateVersion,
		"_meta":    meta,
		"template": map[string]any{
			"settings": settings,
			"mappings": mappings(),
			"aliases":  map[string]any{s.prefix: map[string]any{}},
		},
	}
}
