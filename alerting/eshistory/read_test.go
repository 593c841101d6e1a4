package eshistory_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/langnghe/langnghe/alerting"
	"github.com/langnghe/langnghe/alerting/eshistory"
	esstore "github.com/langnghe/langnghe/store/elasticsearch"
	"github.com/langnghe/langnghe/testinfra"
)

// The reader `serve` uses: a missing index is an empty history (not an error, not a
// created index), and recorded alerts come back newest first with their fields.
func TestReaderNewestFirst(t *testing.T) {
	esURL := testinfra.ElasticsearchURL(t)
	ctx := context.Background()
	client, err := esstore.NewClient(esstore.Config{URLs: []string{esURL}})
	if err != nil {
		t.Fatal(err)
	}
	index := fmt.Sprintf("lntest-%d_alerts", time.Now().UnixNano())
	r := eshistory.NewReader(client, index)
	if list, err := r.ReadHistory(ctx); err != nil || len(list) != 0 {
		t.Fatalf("missing index: %v, %v; want an empty history", list, err)
	}
	rec, _ := eshistory.New(client, index)
	defer rec.Delete(ctx)
	base := time.Date(2026, 5, 1, 3, 0, 0, 0, time.UTC)
	for i, id := range []string{"b", "c", "a"} { // recorded out of time order
		n := &alerting.Notification{ID: id, RuleID: "r", Kind: alerting.KindMatch, Subject: "s " + id, CreatedAt: base.Add(time.Duration([]int{2, 3, 1}[i]) * time.Minute), Status: alerting.StatusSent}
		if err := rec.Record(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	rec.Refresh(ctx)
	list, err := r.ReadHistory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids string
	for _, n := range list {
		ids += n.ID
	}
	if ids != "cba" || list[0].Subject != "s c" || list[0].Status != alerting.StatusSent {
		t.Fatalf("history = %q (first %+v), want c, b, a", ids, list[0])
	}
}
