package main

import (
	"context"
	"fmt"
	"os"

	"github.com/langnghe/langnghe/alerting/eshistory"
	"github.com/langnghe/langnghe/crawler"
	"github.com/langnghe/langnghe/sourcestatus/esindex"
	esstore "github.com/langnghe/langnghe/store/elasticsearch"
	"github.com/langnghe/langnghe/web"
)

// sourcesPublishEvery is how often a crawl replica reports its sources (tests shorten it).
var sourcesPublishEvery = esindex.PublishEvery

// sharedViews are the routes `serve` adds with Elasticsearch, so analysts need one
// address: /api/alerts and /alerts from the history index the alert role writes
// (<base>-alerts), /api/sources from the index every crawl replica reports to
// (<base>-sources). With the embedded bleve index there is no shared place to read them
// from: `run` serves both from its own engine and crawler.
func (a *app) sharedViews() []web.Option {
	es, ok := a.st.(*esstore.Store)
	if !ok {
		return nil
	}
	history := eshistory.NewReader(es.Client(), eshistory.IndexName(a.cfg.ES.IndexPrefix))
	srcs := esindex.New(es.Client(), esindex.IndexName(a.cfg.ES.IndexPrefix))
	a.log.Info("cảnh báo và nguồn đọc từ Elasticsearch / alerts and sources read from Elasticsearch", "alerts", history.Index(), "sources", srcs.Name())
	return []web.Option{web.WithAlertHistory(history), web.WithSourceReader(srcs)}
}

// publishSources reports the crawl replica's sources to <base>-sources every
// esindex.PublishEvery when Elasticsearch is configured, for `serve`'s /api/sources.
// Crawling does not depend on it: without es.url it does nothing, and while
// Elasticsearch is away it logs once and retries.
func (a *app) publishSources(ctx context.Context, runner *crawler.Runner) error {
	if len(a.cfg.ES.URL) == 0 {
		return nil
	}
	ecfg, err := a.esConfig()
	if err != nil {
		return err
	}
	client, err := esstore.NewClient(ecfg)
	if err != nil {
		return fmt.Errorf("elasticsearch client: %w", err)
	}
	defer client.Close()
	idx := esindex.New(client, esindex.IndexName(a.cfg.ES.IndexPrefix))
	host, _ := os.Hostname()
	replica := fmt.Sprintf("%s/%d", host, os.Getpid())
	a.log.Info("trạng thái nguồn ghi vào Elasticsearch / source status published to Elasticsearch", "index", idx.Name(), "every", sourcesPublishEvery)
	return idx.Run(ctx, runner.Status, replica, sourcesPublishEvery, a.log)
}
