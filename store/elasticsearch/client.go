package elasticsearch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	es "github.com/elastic/go-elasticsearch/v8"
	gojson "github.com/goccy/go-json"

	"github.com/langnghe/langnghe/store"
)

// Client is one set of connection settings to a cluster (addresses, authentication, TLS,
// retries) and the one way this project talks to Elasticsearch: JSON requests whose
// failures come back as wrapped errors with the credentials removed. The posts store,
// the alert history (alerting/eshistory) and the alert state (alerting/esstate) share
// one Client, so the settings live in one place. It is safe for concurrent use.
type Client struct {
	es      *es.Client
	secrets []string // removed from every error message
}

// ClientOption configures NewClient.
type ClientOption func(*clientOptions)

type clientOptions struct {
	transport http.RoundTripper
}

// WithClientTransport sets the HTTP transport (tests, proxies, custom TLS).
func WithClientTransport(rt http.RoundTripper) ClientOption {
	return func(o *clientOptions) { o.transport = rt }
}

var errBadURL = errors.New("invalid Elasticsearch URL")

// NewClient builds a client from cfg's connection settings (cfg.IndexPrefix is not
// used). It does not contact the cluster.
func NewClient(cfg Config, opts ...ClientOption) (*Client, error) {
	var o clientOptions
	for _, opt := range opts {
		opt(&o)
	}
	if len(cfg.URLs) == 0 {
		return nil, errors.New("elasticsearch: no URLs configured")
	}
	ecfg := es.Config{
		Username:               cfg.Username,
		Password:               cfg.Password,
		APIKey:                 cfg.APIKey,
		CACert:                 cfg.CACert,
		CertificateFingerprint: cfg.CertificateFingerprint,
		Transport:              o.transport,
		// The client retries 502/503/504 and connection errors itself; 429 is left to
		// the caller (the indexer backs off and keeps Kafka offsets uncommitted).
		MaxRetries: 2,
	}
	for _, raw := range cfg.URLs {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("elasticsearch: bad URL (not shown, it may hold credentials): %w", errBadURL)
		}
		// Credentials in a URL are moved into the auth fields, so they cannot leak into
		// an error message that quotes the URL.
		if u.User != nil {
			if ecfg.Username == "" {
				ecfg.Username = u.User.Username()
				ecfg.Password, _ = u.User.Password()
			}
			u.User = nil
		}
		ecfg.Addresses = append(ecfg.Addresses, u.String())
	}
	c := &Client{}
	for _, secret := range []string{ecfg.Password, ecfg.APIKey} {
		if secret != "" {
			c.secrets = append(c.secrets, secret)
		}
	}
	client, err := es.NewClient(ecfg)
	if err != nil {
		return nil, fmt.Errorf("elasticsearch: client: %s", c.redact(err.Error()))
	}
	c.es = client
	return c, nil
}

// Close releases the client's connections. Closing twice is not an error.
func (c *Client) Close() error {
	if err := c.es.Close(context.Background()); err != nil && !errors.Is(err, es.ErrAlreadyClosed) {
		return err
	}
	return nil
}

// redact removes every secret from msg; transport errors may echo headers or URLs.
func (c *Client) redact(msg string) string {
	for _, secret := range c.secrets {
		msg = strings.ReplaceAll(msg, secret, "[redacted]")
	}
	return msg
}

// Do sends one request to path (already escaped: a document id goes through
// url.PathEscape) and decodes a 2xx JSON answer into out (unless nil; a *[]byte gets the
// body undecoded).
//
// body is nil (no body), []byte (sent as is, as NDJSON: _bulk), json.RawMessage (sent as
// is, as JSON) or any other value (encoded with encoding/json). A non-2xx answer is
// returned as *StatusError; a connection failure wraps store.ErrUnavailable; when ctx
// ends, ctx.Err() is returned.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body any, out any) error {
	var rd io.Reader
	contentType := "application/json"
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
		contentType = "application/x-ndjson"
	case json.RawMessage:
		rd = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			return fmt.Errorf("elasticsearch: encode %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(buf)
	}
	target := path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return fmt.Errorf("elasticsearch: %s %s: %w", method, path, err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	res, err := c.es.Perform(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: elasticsearch %s %s: %s", store.ErrUnavailable, method, path, c.redact(err.Error()))
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return fmt.Errorf("%w: elasticsearch %s %s: read: %s", store.ErrUnavailable, method, path, c.redact(err.Error()))
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		se := &StatusError{Method: method, Path: path, Status: res.StatusCode}
		var ae apiError
		if json.Unmarshal(data, &ae) == nil && ae.Error.Type != "" {
			se.Type, se.Reason = ae.Error.Type, c.redact(ae.String())
		} else {
			se.Reason = c.redact(truncate(string(data), 300))
		}
		return se
	}
	if raw, ok := out.(*[]byte); ok {
		*raw = data
		return nil
	}
	if out != nil {
		unmarshal := json.Unmarshal
		if _, ok := out.(*bulkResponse); ok {
			unmarshal = gojson.Unmarshal // the one response read for every batch of posts
		}
		if err := unmarshal(data, out); err != nil {
			return fmt.Errorf("elasticsearch: decode %s %s: %w", method, path, err)
		}
	}
	return nil
}

// CreateIndex creates index with body (settings and mappings; nil for none) unless it
// exists already, so concurrent writers may race here harmlessly. It returns once the
// primary shard is active (wait_for_active_shards=1, Elasticsearch's default, made
// explicit because the first write follows at once).
func (c *Client) CreateIndex(ctx context.Context, index string, body any) error {
	if body == nil {
		body = map[string]any{}
	}
	err := c.Do(ctx, http.MethodPut, "/"+index, url.Values{"wait_for_active_shards": {"1"}}, body, nil)
	var se *StatusError
	if err != nil && !(errors.As(err, &se) && se.Type == "resource_already_exists_exception") {
		return fmt.Errorf("elasticsearch: create index %s: %w", index, err)
	}
	return nil
}

// LazyIndex is one index created with its settings and mappings on first use, once per
// handle (the alert history and the alert state create theirs this way). It is safe for
// concurrent use.
type LazyIndex struct {
	client *Client
	name   string
	body   any

	mu      sync.Mutex // guards created: the first writers may race to create the index
	created bool
}

// LazyIndex returns a handle on index name, created with body when first ensured.
func (c *Client) LazyIndex(name string, body any) *LazyIndex {
	return &LazyIndex{client: c, name: name, body: body}
}

// Name is the index name.
func (x *LazyIndex) Name() string { return x.name }

// Ensure creates the index unless this handle did so already (CreateIndex: an index that
// exists is fine).
func (x *LazyIndex) Ensure(ctx context.Context) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.created {
		return nil
	}
	if err := x.client.CreateIndex(ctx, x.name, x.body); err != nil {
		return err
	}
	x.created = true
	return nil
}

// Delete deletes the index (a missing one is fine); the next Ensure creates it again.
func (x *LazyIndex) Delete(ctx context.Context) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := x.client.DeleteIndex(ctx, x.name); err != nil {
		return err
	}
	x.created = false
	return nil
}

// DeleteIndex deletes the named indices; names that do not exist are not an error. It
// takes concrete names only (no wildcards or commas), so a caller's bad name cannot
// widen into other indices.
func (c *Client) DeleteIndex(ctx context.Context, names ...string) error {
	for _, n := range names {
		if n == "" || strings.ContainsAny(n, "*,") || strings.HasPrefix(n, "_") {
			return fmt.Errorf("elasticsearch: refusing to delete %q: not one concrete index name", n)
		}
	}
	if len(names) == 0 {
		return nil
	}
	return c.Do(ctx, http.MethodDelete, "/"+strings.Join(names, ","), url.Values{"ignore_unavailable": {"true"}}, nil, nil)
}

// apiError is Elasticsearch's error body.
type apiError struct {
	Error struct {
		Type      string `json:"type"`
		Reason    string `json:"reason"`
		RootCause []struct {
			Type   string `json:"type"`
			Reason string `json:"reason"`
		} `json:"root_cause"`
	} `json:"error"`
	Status int `json:"status"`
}

func (e *apiError) String() string {
	r := e.Error.Type + ": " + e.Error.Reason
	if len(e.Error.RootCause) > 0 && e.Error.RootCause[0].Reason != e.Error.Reason {
		r += " (" + e.Error.RootCause[0].Type + ": " + e.Error.RootCause[0].Reason + ")"
	}
	return r
}

// StatusError is a non-2xx answer to a whole request, with Elasticsearch's error type and
// reason (credentials removed). It unwraps to store.ErrUnavailable for statuses a retry
// may cure (auth trouble, timeouts, 429, 5xx), to store.ErrBadQuery for a 400 from a
// search, and to nothing otherwise.
type StatusError struct {
	Method, Path string
	Status       int
	Type         string // e.g. "resource_already_exists_exception"; empty when the body had none
	Reason       string
	badQuery     bool
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("elasticsearch %s %s: status %d: %s", e.Method, e.Path, e.Status, e.Reason)
}

func (e *StatusError) Unwrap() error {
	switch {
	case e.Status == 401 || e.Status == 403 || e.Status == 408 || e.Status == 429 || e.Status >= 500:
		return store.ErrUnavailable
	case e.Status == 400 && e.badQuery:
		return store.ErrBadQuery
	}
	return nil
}

// IsStatus reports whether err is (or wraps) a *StatusError with status.
func IsStatus(err error, status int) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Status == status
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
