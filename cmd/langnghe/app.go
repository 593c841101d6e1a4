package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/langnghe/langnghe/bus"
	"github.com/langnghe/langnghe/classifier"
	"github.com/langnghe/langnghe/indexer"
	"github.com/langnghe/langnghe/store"
	blevestore "github.com/langnghe/langnghe/store/bleve"
	esstore "github.com/langnghe/langnghe/store/elasticsearch"
	"github.com/langnghe/langnghe/triage"
	"github.com/langnghe/langnghe/triage/estriage"
	"github.com/langnghe/langnghe/web"
)

// app holds the components one process runs. Each role opens only what it needs.
type app struct {
	cfg      Config
	log      *slog.Logger
	reg      *prometheus.Registry
	busM     *bus.Metrics
	brokers  []string
	embedded *bus.Embedded
	producer *bus.Producer
	st       store.Store
	ix       *indexer.Indexer // set by indexConsumer; its backpressure shows in /readyz
	front    *frontListener   // the HTTP listener open returned, served from the start
	waiting  waitStatus       // what the role waits for at start-up (/readyz says it)
	// embeddedExtra is applied after the defaults when the embedded broker starts
	// (benchmarks compare the durable log with the memory-only broker this way).
	embeddedExtra []bus.EmbeddedOption
	auth          *web.Auth       // webauth.go: login guard of the UI and API
	lag           *bus.LagMonitor // consumer lag of this process's groups (ops.go)
	lock          *dataDirLock    // held while this process uses data_dir (lockDataDir)
}

// lockDataDir takes data_dir for this process (see lock.go); every command that writes
// under it (bleve, alert state, cursors, outbox) calls it first. Idempotent.
func (a *app) lockDataDir() error {
	if a.lock != nil {
		return nil
	}
	l, err := lockDataDir(a.cfg.DataDir)
	if err != nil {
		return err
	}
	a.lock = l
	return nil
}

func newApp(cfg Config, stderr io.Writer) *app {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	registerBuildInfo(reg) // ops.go
	return &app{
		cfg:  cfg,
		log:  slog.New(logHandler(cfg.LogFormat, stderr, level)), // ops.go
		reg:  reg,
		busM: bus.NewMetrics(reg),
	}
}

func (a *app) topic(name string) string { return a.cfg.Kafka.TopicPrefix + name }
func (a *app) group(role string) string { return a.cfg.Kafka.GroupPrefix + "-" + role }

// startBus connects to the configured brokers, or starts the embedded broker when none
// are configured and the role allows it (only `run`). Topics are created if missing.
func (a *app) startBus(ctx context.Context, embeddedOK bool) error {
	a.brokers = a.cfg.Kafka.Brokers
	var topics []bus.TopicSpec
	for _, t := range bus.DefaultTopics(a.cfg.Kafka.Partitions, a.cfg.Kafka.Replication) {
		t.Name = a.topic(t.Name)
		topics = append(topics, t)
	}
	if len(a.brokers) == 0 {
		if !embeddedOK {
			return usageError{"cần kafka.brokers (LANGNGHE_KAFKA_BROKERS) cho vai trò này; broker nhúng chỉ có trong `run` / kafka.brokers is required for this role; the embedded broker exists only in `run`"}
		}
		// Pipeline records are never deleted by age here: the trimmer (trimEmbedded)
		// deletes them once every stage reading them has committed past them.
		for i, t := range topics {
			if t.Name != a.topic(bus.TopicDLQ) {
				t.Configs = maps.Clone(t.Configs)
				t.Configs["retention.ms"] = "-1"
				topics[i] = t
			}
		}
		// The broker's log lives in the data dir, fsynced before each produce and commit is
		// acknowledged: the crawler saves a cursor once its posts are acknowledged, so
		// those posts must survive a crash or Ctrl-C until the stages downstream commit.
		opts := []bus.EmbeddedOption{bus.WithEmbeddedLogger(a.log), bus.WithEmbeddedPartitions(a.cfg.Kafka.Partitions),
			bus.WithEmbeddedDataDir(filepath.Join(a.cfg.DataDir, "kafka")), bus.WithEmbeddedTopics(topics...)}
		emb, err := bus.StartEmbedded(ctx, append(opts, a.embeddedExtra...)...)
		if err != nil {
			return fmt.Errorf("starting embedded broker: %w", err)
		}
		a.embedded, a.brokers = emb, emb.Brokers()
		a.log.Info("broker Kafka nhúng / embedded Kafka broker", "brokers", strings.Join(a.brokers, ","), "data_dir", filepath.Join(a.cfg.DataDir, "kafka"))
	}
	ensure := func(ctx context.Context) error {
		if err := bus.EnsureTopics(ctx, a.brokers, topics...); err != nil {
			return fmt.Errorf("creating topics on %s: %w", strings.Join(a.brokers, ","), err)
		}
		return nil
	}
	if a.embedded != nil {
		if err := ensure(ctx); err != nil {
			return err
		}
	} else if err := a.waitFor(ctx, "kafka", ensure); err != nil { // Kafka may come up after us
		return err
	}
	a.producer = bus.NewProducer(a.brokers, bus.WithProducerLogger(a.log), bus.WithProducerMetrics(a.busM))
	return nil
}

// trimEmbedded deletes, every minute, the embedded broker's records that every stage
// reading them has committed (posts.raw: classify; posts.classified: index and alert), so
// the data dir holds only work still to do. Dead letters keep their time retention.
func (a *app) trimEmbedded(ctx context.Context) error {
	if a.embedded == nil {
		return nil
	}
	return a.embedded.RunTrimmer(ctx, time.Minute, map[string][]string{
		a.topic(bus.TopicRaw):        {a.group("classify")},
		a.topic(bus.TopicClassified): {a.group("index"), a.group("alert")},
	}, a.log)
}

// openStore opens Elasticsearch when es.url is set, else the embedded bleve index.
func (a *app) openStore(ctx context.Context) error {
	if len(a.cfg.ES.URL) == 0 {
		if err := a.lockDataDir(); err != nil {
			return err
		}
		dir := filepath.Join(a.cfg.DataDir, "bleve")
		st, err := openBleve(ctx, dir, a.log)
		if err != nil {
			return fmt.Errorf("opening bleve index %s: %w", dir, err)
		}
		a.st = st
		a.log.Info("kho nhúng bleve / embedded bleve store", "dir", dir)
		return nil
	}
	ecfg, err := a.esConfig()
	if err != nil {
		return err
	}
	// Elasticsearch may come up after us: wait for it (only configuration errors end the
	// wait). New reads and installs the index template, so success means it is usable.
	err = a.waitFor(ctx, "elasticsearch", func(ctx context.Context) error {
		st, err := esstore.New(ctx, ecfg, esstore.WithLogger(a.log), esstore.WithShards(a.cfg.ES.Shards), esstore.WithReplicas(a.cfg.ES.Replicas))
		if err != nil {
			return fmt.Errorf("connecting to Elasticsearch %s: %w", strings.Join(a.cfg.ES.URL, ","), err)
		}
		a.st = st
		return nil
	})
	if err != nil {
		return err
	}
	a.log.Info("Elasticsearch", "urls", strings.Join(a.cfg.ES.URL, ","), "index_prefix", a.cfg.ES.IndexPrefix)
	return nil
}

// openBleve opens the index but gives up when ctx ends (Ctrl-C, SIGTERM): opening a large
// index, or waiting on another process's lock, must not make the command deaf to signals.
// An index opened after ctx ended is closed again.
func openBleve(ctx context.Context, dir string, log *slog.Logger) (*blevestore.Store, error) {
	type opened struct {
		st  *blevestore.Store
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		st, err := blevestore.Open(dir, blevestore.WithLogger(log))
		ch <- opened{st, err}
	}()
	select {
	case o := <-ch:
		return o.st, o.err
	case <-ctx.Done():
		go func() {
			if o := <-ch; o.st != nil {
				_ = o.st.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

func (a *app) esConfig() (esstore.Config, error) {
	c := a.cfg.ES
	pw, err := readSecret(c.Password, c.PasswordFile)
	if err != nil {
		return esstore.Config{}, fmt.Errorf("es.password_file: %w", err)
	}
	key, err := readSecret(c.APIKey, c.APIKeyFile)
	if err != nil {
		return esstore.Config{}, fmt.Errorf("es.api_key_file: %w", err)
	}
	var ca []byte
	if c.CAFile != "" {
		if ca, err = os.ReadFile(c.CAFile); err != nil {
			return esstore.Config{}, fmt.Errorf("es.ca_file: %w", err)
		}
	}
	return esstore.Config{URLs: c.URL, Username: c.Username, Password: pw, APIKey: key, CACert: ca, CertificateFingerprint: c.Fingerprint, IndexPrefix: c.IndexPrefix}, nil
}

func (a *app) loadModel() (classifier.Model, error) {
	if a.cfg.Model.Dir != "" {
		return classifier.Load(a.cfg.Model.Dir)
	}
	return classifier.LoadDefault()
}

// classifyConsumer consumes posts.raw, classifies and produces posts.classified.
func (a *app) classifyConsumer() (*bus.Consumer, error) {
	model, err := a.loadModel()
	if err != nil {
		return nil, fmt.Errorf("loading model: %w", err)
	}
	opts := []classifier.StageOption{classifier.WithStageMetrics(a.reg)}
	if a.cfg.Model.Dir != "" { // reload on file change or SIGHUP; a failed reload keeps this model
		opts = append(opts, classifier.WithReloader(classifier.NewReloader(a.cfg.Model.Dir, a.loadModel,
			classifier.WithSIGHUP(), classifier.WithReloadLogger(a.log), classifier.WithReloadMetrics(a.reg))))
	}
	stage := classifier.NewStage(model, a.producer, a.topic(bus.TopicClassified), opts...)
	return a.consumer("classify", a.topic(bus.TopicRaw), stage.Process), nil
}

// indexConsumer consumes posts.classified and writes to the store.
func (a *app) indexConsumer() *bus.Consumer {
	a.ix = indexer.New(a.st, indexer.WithLogger(a.log), indexer.WithMetrics(a.reg))
	// Decoding and encoding batch n+1 overlaps the store writing batch n.
	return a.consumer("index", a.topic(bus.TopicClassified), a.ix.Process, bus.WithPrepare(a.ix.Prepare))
}

func (a *app) consumer(stage, topic string, p bus.Processor, extra ...bus.ConsumerOption) *bus.Consumer {
	opts := []bus.ConsumerOption{
		bus.WithBatch(a.cfg.Kafka.BatchSize, 50*time.Millisecond),
		bus.WithDLQ(a.producer),
		bus.WithDLQTopic(a.topic(bus.TopicDLQ)),
		bus.WithConsumerLogger(a.log),
		bus.WithConsumerMetrics(a.busM),
	}
	a.watchLag(a.group(stage), topic) // ops.go
	a.busM.InitStage(stage)
	return bus.NewConsumer(a.brokers, a.group(stage), topic, stage, p, append(opts, extra...)...)
}

// readiness is what /readyz checks for this process.
func (a *app) readiness() []web.Check {
	var checks []web.Check
	if a.st != nil {
		checks = append(checks, web.Check{Name: "store", Fn: a.st.Ready})
	}
	if a.ix != nil {
		checks = append(checks, web.Check{Name: "indexer", Fn: a.ix.Ready})
	}
	if len(a.brokers) > 0 {
		brokers := a.brokers
		checks = append(checks, web.Check{Name: "kafka", Fn: func(ctx context.Context) error { return bus.Ping(ctx, brokers) }})
	}
	return checks
}

// server builds the HTTP server: API and UI when a store is open, always /metrics and
// health; opts add routes (sharedViews).
func (a *app) server(opts ...web.Option) *web.Server {
	return web.New(a.st, append(append(a.webOptions(),
		web.WithChecks(a.readiness()...),
		web.WithNarratives(a.narrativeLabels()),
		web.WithExportMax(a.cfg.HTTP.ExportMax),
		web.WithTriage(a.triageStore())), opts...)...)
}

// webOptions are the options every web.Server of this process shares: metrics, logs,
// the search deadline and the bound on concurrent expensive requests.
func (a *app) webOptions() []web.Option {
	return []web.Option{
		web.WithRegistry(a.reg), web.WithLogger(a.log),
		web.WithSearchTimeout(time.Duration(a.cfg.HTTP.SearchTimeout)),
		web.WithMaxExpensive(a.cfg.HTTP.MaxSearches),
	}
}

// healthServer serves only /healthz, /readyz (over everything the process uses) and
// /metrics: the listener of a pipeline role (classify, index).
func (a *app) healthServer() *web.Server {
	return web.New(nil, append(a.webOptions(), web.WithChecks(a.readiness()...))...)
}

// triageStore is where the analysts' triage decisions are kept. With Elasticsearch, the
// index <base>-triage on the posts store's client (triage/estriage), shared by every
// serve replica; embedded, data_dir/triage/triage.jsonl (appended and fsynced per
// decision; one process owns a data dir). Without a store there is nothing to triage; a
// log that cannot be opened leaves triage off with an error logged.
func (a *app) triageStore() triage.Store {
	if a.st == nil {
		return nil
	}
	if es, ok := a.st.(*esstore.Store); ok {
		x := estriage.New(es.Client(), estriage.IndexName(a.cfg.ES.IndexPrefix))
		a.log.Info("triage trong Elasticsearch / triage in Elasticsearch", "index", x.Name())
		return x
	}
	f, err := triage.OpenFile(filepath.Join(a.cfg.DataDir, "triage"))
	if err != nil {
		a.log.Error("triage unavailable", "err", err)
		return nil
	}
	return f
}

// needs says what a role opens at start-up.
type needs struct {
	bus      bool // Kafka (brokers from config)
	embedded bool // with bus: start the embedded broker when none is configured (run only)
	store    bool // the search store
	ui       bool // serves the UI or an API beyond health: refuse a network listener without logins
}

// open brings up what a role needs, in a fixed order: the HTTP listener first, so a port
// clash fails start-up at once, then the bus, then the store. While it waits for Kafka or
// Elasticsearch the listener already answers /healthz (200) and /readyz (503, naming the
// dependency); serveHTTP on the returned listener swaps the role's handler in. The
// listener is closed when a later step fails.
func (a *app) open(ctx context.Context, n needs) (net.Listener, error) {
	ln, err := a.listen()
	if err != nil {
		return nil, usageError{err.Error()}
	}
	if n.ui {
		if err := a.checkExposure(ln); err != nil {
			ln.Close()
			return nil, usageError{err.Error()}
		}
	}
	a.front = a.startFront(ln)
	if err := a.openNeeds(ctx, n); err != nil {
		a.front.stop()
		return nil, err
	}
	return a.front, nil
}

func (a *app) openNeeds(ctx context.Context, n needs) error {
	if n.bus {
		if err := a.startBus(ctx, n.embedded); err != nil {
			return err
		}
	}
	if n.store {
		return a.openStore(ctx)
	}
	return nil
}

// listen binds the HTTP address early so a port clash fails start-up at once.
func (a *app) listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", a.cfg.HTTP.Listen)
	if err != nil {
		return nil, fmt.Errorf("http.listen %s: %w", a.cfg.HTTP.Listen, err)
	}
	return ln, nil
}

// newHTTPServer is the one constructor of every http.Server the binary runs (API, role
// health, the start-up listener, demo site; TestEveryListenerUsesNewHTTPServer keeps it
// so): slow or idle clients are cut off by c's timeouts and oversized headers get 431. A
// streaming handler (an export) that needs longer than write_timeout extends its own
// deadline with http.NewResponseController(w).SetWriteDeadline.
func newHTTPServer(h http.Handler, c HTTPConfig) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: time.Duration(c.ReadHeaderTimeout),
		ReadTimeout:       time.Duration(c.ReadTimeout),
		WriteTimeout:      time.Duration(c.WriteTimeout),
		IdleTimeout:       time.Duration(c.IdleTimeout),
		MaxHeaderBytes:    c.MaxHeaderBytes,
	}
}

// serveHTTP runs the HTTP server until ctx ends, then shuts it down within 2 s. On the
// listener open returned, the server already runs: h replaces the start-up handler.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, c HTTPConfig) error {
	if f, ok := ln.(*frontListener); ok {
		return f.serve(ctx, h)
	}
	srv := newHTTPServer(h, c)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	return nil
}

// close releases everything, in reverse order of opening.
func (a *app) close() {
	if a.front != nil {
		a.front.stop()
	}
	if a.producer != nil {
		if err := a.producer.Close(); err != nil {
			a.log.Warn("closing producer", "err", err)
		}
	}
	if a.st != nil {
		if err := a.st.Close(); err != nil {
			a.log.Warn("closing store", "err", err)
		}
	}
	if a.embedded != nil {
		_ = a.embedded.Close()
	}
	a.lock.release()
}

// taskGroup runs tasks until the first fails or ctx ends; Wait returns the first real error.
type taskGroup struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
	err    error
}

// newTaskGroup's context is detached from the signal context on purpose: on Ctrl-C,
// waitAndStop cancels the tasks itself and gives them shutdownGrace to commit and close.
func newTaskGroup() *taskGroup {
	ctx, cancel := context.WithCancel(context.Background())
	return &taskGroup{ctx: ctx, cancel: cancel}
}

// waitAndStop waits for Ctrl-C (ctx) or a failing task, then stops every task within
// shutdownGrace; consumers commit what they processed on the way out.
func (g *taskGroup) waitAndStop(ctx context.Context, log *slog.Logger) error {
	select {
	case <-ctx.Done():
		log.Info("đang dừng / shutting down")
	case <-g.ctx.Done():
	}
	g.cancel()
	done := make(chan error, 1)
	go func() { done <- g.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(shutdownGrace):
		return errors.New("dừng quá hạn / shutdown took longer than " + shutdownGrace.String())
	}
}

func (g *taskGroup) Go(name string, fn func(ctx context.Context) error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := fn(g.ctx); err != nil && !errors.Is(err, context.Canceled) {
			g.once.Do(func() { g.err = fmt.Errorf("%s: %w", name, err) })
			g.cancel()
		}
	}()
}

func (g *taskGroup) Wait() error {
	g.wg.Wait()
	g.cancel()
	return g.err
}
