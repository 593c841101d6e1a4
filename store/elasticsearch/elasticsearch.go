// Package elasticsearch is the production store.Store on Elasticsearch 8, using the
// official go-elasticsearch client. Posts go to monthly indices <prefix>-YYYY.MM (by
// published_at), which a composable index template maps and puts behind the alias
// <prefix>; every read goes to the alias. Only open-source core features are used (no
// ILM, no security APIs), so it runs on a minimal distribution too.
package elasticsearch

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/langnghe/langnghe/store"
)

// DefaultIndexPrefix names the template, the alias and the start of every index.
const DefaultIndexPrefix = "langnghe-posts"

// Config says where the cluster is and how to authenticate. Credentials never appear in
// errors or logs.
type Config struct {
	URLs     []string
	Username string
	Password string
	APIKey   string // base64 "id:key", as Elasticsearch hands it out
	// CACert is a PEM bundle trusted for https URLs; CertificateFingerprint is the SHA-256
	// hex fingerprint Elasticsearch prints at first start (either, or the system roots).
	CACert                 []byte
	CertificateFingerprint string
	IndexPrefix            string // default DefaultIndexPrefix
}

// Store is the Elasticsearch store.Store. It is safe for concurrent use.
type Store struct {
	client      *Client
	prefix      string
	log         *slog.Logger
	transport   http.RoundTripper
	shards      int
	replicas    int
	bulkBytes   int
	bulkDocs    int
	concurrency int

	// ready holds the monthly indices known to exist with the alias on them, so Index
	// creates each one once per process rather than checking on every batch.
	ready sync.Map // index name -> struct{}

	// bodies recycles _bulk request buffers: growing a fresh one to a few hundred KB for
	// every part was half of the bytes the indexer allocated.
	bodies sync.Pool // *bytes.Buffer
}

var (
	_ store.Store            = (*Store)(nil)
	_ store.Retainer         = (*Store)(nil)
	_ store.RetentionPlanner = (*Store)(nil)
	_ store.DocumentEncoder  = (*Store)(nil)
)

// Option configures New.
type Option func(*Store)

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.log = l } }

// WithTransport sets the HTTP transport (tests, proxies, custom TLS).
func WithTransport(rt http.RoundTripper) Option { return func(s *Store) { s.transport = rt } }

// WithShards sets the primary shard count of new monthly indices (default 1: a month of
// posts is small, and one shard keeps relevance scores exact).
// It goes into the index template, so it applies to indices created after a change.
func WithShards(n int) Option { return func(s *Store) { s.shards = max(n, 1) } }

// DefaultBulkBytes is the target size of one _bulk request body (Elastic's guidance: a
// few MB to tens of MB; small enough that a retry costs little).
const DefaultBulkBytes = 5 << 20

// WithBulkBytes sets the target size of one _bulk request; Index splits larger batches
// into several requests (default DefaultBulkBytes).
func WithBulkBytes(n int) Option {
	return func(s *Store) {
		if n > 0 {
			s.bulkBytes = n
		}
	}
}

// DefaultBulkDocs and DefaultConcurrency: Index sends a batch of up to 500 posts as one
// _bulk request at a time. The indexer encodes the next batch while this one is written
// (IndexEncoded), so splitting a batch to overlap encoding buys nothing, and two
// concurrent requests into one shard cost Elasticsearch more CPU per document (60 vs 41
// µs measured by indexer.BenchmarkIndexerVsBulk, throughput ratio to a plain _bulk loader
// 0.74-0.84 vs 0.83-0.96). More workers may pay off on a cluster with many shards.
const (
	DefaultBulkDocs    = 500
	DefaultConcurrency = 1
)

// WithBulkDocs sets the most posts per part of a batch (default DefaultBulkDocs).
func WithBulkDocs(n int) Option {
	return func(s *Store) {
		if n > 0 {
			s.bulkDocs = n
		}
	}
}

// WithConcurrency sets how many parts of one batch are in flight at once (default
// DefaultConcurrency).
func WithConcurrency(n int) Option {
	return func(s *Store) {
		if n > 0 {
			s.concurrency = n
		}
	}
}

// DefaultReplicas is the replica count of monthly indices: 0, so a single node is green
// (Elasticsearch's own default, 1, leaves one node yellow forever). A cluster of two or
// more data nodes should use 1 (es.replicas).
const DefaultReplicas = 0

// WithReplicas sets the replica count of monthly indices (default DefaultReplicas). It
// goes into the index template; when it differs from the installed template's, New
// reinstalls the template and sets it on the existing indices too (a dynamic setting).
func WithReplicas(n int) Option { return func(s *Store) { s.replicas = max(n, 0) } }

// New connects, checks the cluster answers, and installs the index template (idempotent,
// versioned). Errors wrap store.ErrUnavailable when the cluster cannot be reached.
func New(ctx context.Context, cfg Config, opts ...Option) (*Store, error) {
	s := &Store{bodies: sync.Pool{New: func() any { return new(bytes.Buffer) }}, prefix: cfg.IndexPrefix, log: slog.Default(), shards: 1, replicas: DefaultReplicas, bulkBytes: DefaultBulkBytes, bulkDocs: DefaultBulkDocs, concurrency: DefaultConcurrency}
	if s.prefix == "" {
		s.prefix = DefaultIndexPrefix
	}
	for _, o := range opts {
		o(s)
	}
	if strings.ContainsAny(s.prefix, `*,"\/ ?<>|#:`) || s.prefix != strings.ToLower(s.prefix) {
		return nil, fmt.Errorf("elasticsearch: index prefix %q must be lowercase without * , \" \\ / ? < > | # : or spaces", s.prefix)
	}
	client, err := NewClient(cfg, WithClientTransport(s.transport))
	if err != nil {
		return nil, err
	}
	s.client = client
	if err := s.ensureTemplate(ctx); err != nil {
		_ = client.Close()
		return nil, err
	}
	return s, nil
}

// Client is the Elasticsearch client, so that other writers to the same cluster (alert
// history and state) share its connection settings instead of repeating them.
func (s *Store) Client() *Client { return s.client }

// Close releases the client's connections.
func (s *Store) Close() error {
	return s.client.Close()
}
