package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/langnghe/langnghe/post"
	esstore "github.com/langnghe/langnghe/store/elasticsearch"
	"github.com/langnghe/langnghe/store/storetest"
	"github.com/langnghe/langnghe/testinfra"
	"github.com/langnghe/langnghe/triage"
	"github.com/langnghe/langnghe/triage/estriage"
)

// Two `serve` replicas on the real Elasticsearch, each with its own data dir: a decision
// taken on one is in the other's history and export at once, stored in <base>-triage
// (not in a data-dir file), and the second decision's previous state is the first's.
func TestServeReplicasShareTriage(t *testing.T) {
	esURL := testinfra.ElasticsearchURL(t)
	uniq := fmt.Sprintf("lntr%d", time.Now().UnixNano())
	prefix := uniq + "-posts"
	ctx := context.Background()
	st, err := esstore.New(ctx, esstore.Config{URLs: []string{esURL}, IndexPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Drop(ctx); st.Client().DeleteIndex(ctx, estriage.IndexName(prefix)); st.Close() })
	p := storetest.Fixtures()[3]
	if err := st.Index(ctx, []*post.Post{p}); err != nil {
		t.Fatal(err)
	}
	st.Refresh(ctx)

	env := []string{"LANGNGHE_ES_URL=" + esURL, "LANGNGHE_ES_INDEX_PREFIX=" + prefix, "LANGNGHE_LOG_LEVEL=warn",
		"LANGNGHE_HTTP_PROXY_HEADER=X-User", "LANGNGHE_HTTP_PROXY_FROM=127.0.0.1/32", "LANGNGHE_HTTP_PROXY_ROLE=analyst"}
	dir := t.TempDir()
	var addrs []string
	for _, name := range []string{"a", "b"} {
		addr := freeAddr(t)
		startInProcess(t, append(env, "LANGNGHE_DATA_DIR="+filepath.Join(dir, name)), "serve", "--http.listen", addr)
		addrs = append(addrs, "http://"+addr)
	}
	do := func(method, u, csrf, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, u, strings.NewReader(body))
		req.Header.Set("X-User", "lan")
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	decide := func(base, action string) triage.Record {
		t.Helper()
		var me struct{ CSRF string }
		deadline := time.Now().Add(30 * time.Second)
		for {
			code, body := do("GET", base+"/api/me", "", "")
			if code == 200 {
				json.Unmarshal([]byte(body), &me)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s/api/me: %d %s", base, code, body)
			}
			time.Sleep(200 * time.Millisecond)
		}
		code, body := do("POST", base+"/api/triage", me.CSRF, fmt.Sprintf(`{"ids":[%q],"action":%q}`, p.ID, action))
		var out struct{ Records []triage.Record }
		if json.Unmarshal([]byte(body), &out); code != 200 || len(out.Records) != 1 {
			t.Fatalf("triage on %s: %d %s", base, code, body)
		}
		return out.Records[0]
	}
	decide(addrs[0], triage.Escalate)
	if r := decide(addrs[1], triage.FalsePositive); r.Previous != triage.Escalate {
		t.Errorf("decision on replica b: previous %q, want escalate from replica a", r.Previous)
	}
	code, body := do("GET", addrs[0]+"/api/triage/"+p.ID, "", "")
	if code != 200 || !strings.Contains(body, `"escalate"`) || strings.Index(body, `"false_positive"`) < strings.Index(body, `"action":"escalate"`) {
		t.Errorf("history on replica a: %d %s, want escalate then false_positive", code, body)
	}
	// The export for training takes the latest decision: the false positive.
	code, body = do("GET", addrs[0]+"/api/triage/export?task=flagged", "", "")
	var line struct{ ID, Label, Action string }
	if lines := strings.Split(strings.TrimSpace(body), "\n"); code != 200 || len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &line) != nil ||
		line.ID != p.ID || line.Label != "not_flagged" || line.Action != triage.FalsePositive {
		t.Errorf("export on replica a: %d %.300s; want one line, %s not_flagged", code, body, p.ID)
	}
	for _, d := range []string{"a", "b"} {
		if _, err := os.Stat(filepath.Join(dir, d, "triage", "triage.jsonl")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("replica %s has a triage file in its data dir (%v), want the decisions in Elasticsearch only", d, err)
		}
	}
	x := estriage.New(st.Client(), estriage.IndexName(prefix))
	if h, err := x.History(ctx, p.ID); err != nil || len(h) != 2 {
		t.Errorf("%s: %d records, %v; want 2", x.Name(), len(h), err)
	}
}
