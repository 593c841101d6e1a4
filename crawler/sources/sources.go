// Package sources reads the crawler's sources file (YAML) and builds the configured
// sources of every kind: rss, html, xenforo, mastodon, bluesky, jsonapi.
//
//	contact: https://example.org/lien-he   # put in the User-Agent so site owners can reach you
//	host_delay: 1s                         # minimum time between two requests to one host
//	sources:
//	  - name: vnexpress-tin-moi
//	    kind: rss
//	    url: https://vnexpress.net/rss/tin-moi-nhat.rss
//	    interval: 10m
//
// Each kind's fields are in its package's Config and in the sample.yaml beside it.
package sources

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/langnghe/langnghe/crawler"
	"github.com/langnghe/langnghe/crawler/bluesky"
	"github.com/langnghe/langnghe/crawler/html"
	"github.com/langnghe/langnghe/crawler/jsonapi"
	"github.com/langnghe/langnghe/crawler/mastodon"
	"github.com/langnghe/langnghe/crawler/rss"
)

// File is a parsed sources file.
type File struct {
	// Contact is the URL (or mailto:) put in the User-Agent.
	Contact string `yaml:"contact"`
	// HostDelay is the minimum gap between requests to one host (default 1s).
	HostDelay *time.Duration `yaml:"host_delay"`
	// Hosts overrides delay and concurrency per host name: {voz.vn: {delay: 5s, concurrency: 1}}.
	Hosts map[string]crawler.HostRule `yaml:"hosts"`
	// Parallel is how many sources crawl at once in one pass (default 4).
	Parallel int         `yaml:"parallel"`
	Sources  []yaml.Node `yaml:"sources"`

	name string
}

// Kinds lists the known source kinds.
var Kinds = []string{rss.Kind, html.Kind, html.KindXenForo, html.KindVnExpress, mastodon.Kind, bluesky.Kind, jsonapi.Kind}

// Load reads and parses path; per-source errors come from Build.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sources file: %w", err)
	}
	return Parse(path, b)
}

// Parse parses a sources file's bytes; name is used in error messages.
func Parse(name string, b []byte) (*File, error) {
	f := &File{name: name}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(f); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(f.Sources) == 0 {
		return nil, fmt.Errorf("%s: no sources", name)
	}
	if f.Parallel <= 0 {
		f.Parallel = 4
	}
	return f, nil
}

// Politeness returns the shared politeness state the file asks for.
func (f *File) Politeness() *crawler.Politeness {
	d := crawler.DefaultHostDelay
	if f.HostDelay != nil {
		d = *f.HostDelay
	}
	return crawler.NewPoliteness(crawler.WithHostDelay(d), crawler.WithHostRules(f.Hosts))
}

// Build constructs every source. Errors name the file, line and source; all are reported.
func (f *File) Build(env crawler.Env) ([]crawler.Scheduled, error) {
	var out []crawler.Scheduled
	var errs []error
	names := map[string]int{}
	for i := range f.Sources {
		n := &f.Sources[i]
		s, kind, interval, err := build(n, env)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: sources[%d]: %w", f.name, n.Line, i, err))
			continue
		}
		if prev, dup := names[s.Name()]; dup {
			errs = append(errs, fmt.Errorf("%s:%d: sources[%d]: %w: name %q already used at line %d", f.name, n.Line, i, crawler.ErrConfig, s.Name(), prev))
			continue
		}
		names[s.Name()] = n.Line
		out = append(out, crawler.Scheduled{Source: s, Kind: kind, Interval: interval})
	}
	return out, errors.Join(errs...)
}

// strictDecode decodes node into v, rejecting unknown keys.
func strictDecode(n *yaml.Node, v any) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", crawler.ErrConfig, err)
	}
	return nil
}

func build(n *yaml.Node, env crawler.Env) (crawler.Source, string, time.Duration, error) {
	var probe struct {
		Kind string `yaml:"kind"`
	}
	if err := n.Decode(&probe); err != nil {
		return nil, "", 0, fmt.Errorf("%w: %v", crawler.ErrConfig, err)
	}
	switch probe.Kind {
	case rss.Kind:
		var c rss.Config
		if err := strictDecode(n, &c); err != nil {
			return nil, "", 0, err
		}
		s, err := rss.New(c, env)
		return s, c.Kind, interval(c.Common), err
	case html.Kind, html.KindXenForo, html.KindVnExpress:
		var c html.Config
		if err := strictDecode(n, &c); err != nil {
			return nil, "", 0, err
		}
		s, err := html.New(c, env)
		return s, c.Kind, interval(c.Common), err
	case mastodon.Kind:
		var c mastodon.Config
		if err := strictDecode(n, &c); err != nil {
			return nil, "", 0, err
		}
		s, err := mastodon.New(c, env)
		return s, c.Kind, interval(c.Common), err
	case bluesky.Kind:
		var c bluesky.Config
		if err := strictDecode(n, &c); err != nil {
			return nil, "", 0, err
		}
		s, err := bluesky.New(c, env)
		return s, c.Kind, interval(c.Common), err
	case jsonapi.Kind:
		var c jsonapi.Config
		if err := strictDecode(n, &c); err != nil {
			return nil, "", 0, err
		}
		s, err := jsonapi.New(c, env)
		return s, c.Kind, interval(c.Common), err
	}
	return nil, "", 0, fmt.Errorf("%w: kind %q (known: %v)", crawler.ErrConfig, probe.Kind, Kinds)
}

func interval(c crawler.Common) time.Duration {
	if c.Interval <= 0 {
		return 15 * time.Minute
	}
	return c.Interval
}
