package elasticsearch

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/langnghe/langnghe/post"
)

// TestIndexSettingsFromTemplate: monthly indices get es.shards and es.replicas (default
// 1 and 0, so one node is green) and the alias from the index template, also an index the
// store did not create itself; a changed replica count reinstalls the template and applies to the
// existing indices.
func TestIndexSettingsFromTemplate(t *testing.T) {
	s := openTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	now := time.Now()
	p := &post.Post{Schema: 1, ID: "forum:x:1", Platform: "forum", Source: "x", URL: "https://x/1", Text: "xin chào", PublishedAt: now, FetchedAt: now}
	if err := s.Index(ctx, []*post.Post{p}); err != nil {
		t.Fatal(err)
	}
	// An index made by someone else (a restore, a reindex): the template's settings apply.
	other := s.prefix + "-2001.01"
	if err := s.client.Do(ctx, http.MethodPut, "/"+other, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	settings := func() map[string][2]string {
		var got map[string]struct {
			Settings struct {
				Index struct {
					Shards   string `json:"number_of_shards"`
					Replicas string `json:"number_of_replicas"`
				} `json:"index"`
			} `json:"settings"`
		}
		if err := s.client.Do(ctx, http.MethodGet, "/"+s.prefix+"-*/_settings", nil, nil, &got); err != nil {
			t.Fatal(err)
		}
		out := map[string][2]string{}
		for name, v := range got {
			out[name] = [2]string{v.Settings.Index.Shards, v.Settings.Index.Replicas}
		}
		return out
	}
	got := settings()
	if len(got) != 2 {
		t.Fatalf("indices: %v", got)
	}
	for name, sr := range got {
		if sr != [2]string{"1", "0"} {
			t.Errorf("%s: shards/replicas %v, want 1/0", name, sr)
		}
	}
	// The template puts the alias on it too, so it is searchable (and Drop finds it).
	var aliases map[string]struct {
		Aliases map[string]any `json:"aliases"`
	}
	if err := s.client.Do(ctx, http.MethodGet, "/"+other+"/_alias", nil, nil, &aliases); err != nil {
		t.Fatal(err)
	}
	if _, ok := aliases[other].Aliases[s.prefix]; !ok {
		t.Errorf("%s made outside the store has aliases %v, want %s from the template", other, aliases[other].Aliases, s.prefix)
	}
	var health struct {
		Status string `json:"status"`
	}
	if err := s.client.Do(ctx, http.MethodGet, "/_cluster/health/"+s.prefix+"-*", nil, nil, &health); err != nil || health.Status != "green" {
		t.Errorf("health of the posts indices: %q (%v), want green on this node", health.Status, err)
	}

	s2, err := New(ctx, Config{URLs: strings.Split(esURL(t), ","), IndexPrefix: s.prefix}, WithReplicas(1), WithShards(2))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	for name, sr := range settings() {
		if sr[1] != "1" {
			t.Errorf("%s after es.replicas=1: replicas %s, want 1 (a dynamic setting)", name, sr[1])
		}
	}
	var tpl struct {
		IndexTemplates []struct {
			IndexTemplate struct {
				Template struct {
					Settings map[string]any `json:"settings"`
				} `json:"template"`
			} `json:"index_template"`
		} `json:"index_templates"`
	}
	if err := s.client.Do(ctx, http.MethodGet, "/_index_template/"+s.prefix, nil, nil, &tpl); err != nil || len(tpl.IndexTemplates) != 1 {
		t.Fatalf("template: %v", err)
	}
	tt := tpl.IndexTemplates[0].IndexTemplate.Template
	idx, _ := tt.Settings["index"].(map[string]any)
	if idx["number_of_shards"] != "2" || idx["number_of_replicas"] != "1" {
		t.Errorf("template after the change: settings %v, want 2 shards, 1 replica", tt.Settings)
	}
}
