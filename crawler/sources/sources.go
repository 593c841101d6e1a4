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
// The kinds are whatever crawler.Register made known (import crawler/all for all of
// them). Each source entry is first checked against its kind's spec (unknown or
// misspelled keys, wrong types, values outside an enum, missing required keys: each
// reported as file:line: sources[i].field.path) and then built by the kind's constructor.
// `langnghe config sources [KIND]` prints the kinds and their fields (Help); each source
// folder's sample.yaml shows them in use.
package sources

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/langnghe/langnghe/crawler"
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

// Build constructs every source. Errors name the file, line and field path; all are
// reported, and all wrap crawler.ErrConfig.
func (f *File) Build(env crawler.Env) ([]crawler.Scheduled, error) {
	var out []crawler.Scheduled
	var errs []error
	names := map[string]int{}
	for i := range f.Sources {
		n := &f.Sources[i]
		path := fmt.Sprintf("sources[%d]", i)
		k, ferrs := f.kindOf(n, path)
		if k == nil || len(ferrs) > 0 {
			errs = append(errs, ferrs...)
			continue
		}
		s, err := k.Build(n, env)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: %s: %w", f.name, n.Line, path, err))
			continue
		}
		if prev, dup := names[s.Source.Name()]; dup {
			errs = append(errs, fmt.Errorf("%s:%d: %s: %w: name %q already used at line %d", f.name, n.Line, path, crawler.ErrConfig, s.Source.Name(), prev))
			continue
		}
		names[s.Source.Name()] = n.Line
		out = append(out, s)
	}
	return out, errors.Join(errs...)
}

// Check builds every source with a throwaway environment (no network traffic: sources
// only fetch when run) and returns all configuration errors, for `langnghe config check`.
func (f *File) Check() error {
	_, err := f.Build(crawler.Env{Politeness: crawler.NewPoliteness(), UserAgent: crawler.UserAgent("check", f.Contact)})
	return err
}

// kindOf finds the kind of source entry n and checks n against its spec. A nil kind means
// the entry cannot be built at all.
func (f *File) kindOf(n *yaml.Node, path string) (*crawler.Kind, []error) {
	at := func(line int, p, msg string) error {
		return fmt.Errorf("%s:%d: %w", f.name, line, &crawler.FieldError{Line: line, Path: p, Msg: msg})
	}
	if n.Kind != yaml.MappingNode {
		return nil, []error{at(n.Line, path, "cần một bảng khóa: giá trị / want a mapping (key: value)")}
	}
	var kindNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "kind" {
			kindNode = n.Content[i+1]
		}
	}
	known := strings.Join(crawler.Kinds(), ", ")
	if kindNode == nil {
		return nil, []error{at(n.Line, path+".kind", "thiếu loại nguồn / source kind missing (có / known: "+known+")")}
	}
	k, ok := crawler.Lookup(kindNode.Value)
	if !ok {
		return nil, []error{at(kindNode.Line, path+".kind", fmt.Sprintf("loại nguồn không có / unknown source kind %q (có / known: %s)", kindNode.Value, known))}
	}
	var errs []error
	for _, fe := range k.Check(n, path) {
		errs = append(errs, fmt.Errorf("%s:%d: %w", f.name, fe.Line, fe))
	}
	return &k, errs
}

// Help writes the known source kinds with their summaries, or with kind set, the fields
// of that kind (type, required, default, allowed values, help), Vietnamese first.
func Help(w io.Writer, kind string) error {
	if kind == "" {
		fmt.Fprintln(w, "Loại nguồn / source kinds (langnghe config sources KIND: các trường / its fields):")
		for _, name := range crawler.Kinds() {
			k, _ := crawler.Lookup(name)
			fmt.Fprintf(w, "  %-14s %s\n", name, k.Spec.Summary)
		}
		return nil
	}
	k, ok := crawler.Lookup(kind)
	if !ok {
		return fmt.Errorf("%w: loại nguồn không có / unknown source kind %q (có / known: %s)", crawler.ErrConfig, kind, strings.Join(crawler.Kinds(), ", "))
	}
	fmt.Fprintf(w, "%s: %s\n", kind, k.Spec.Summary)
	writeFields(w, k.Spec.Fields, "  ")
	return nil
}

func writeFields(w io.Writer, fields []crawler.Field, indent string) {
	for _, f := range fields {
		var notes []string
		if f.Required {
			notes = append(notes, "bắt buộc / required")
		}
		if f.Default != "" {
			notes = append(notes, "mặc định / default "+f.Default)
		}
		if len(f.Enum) > 0 {
			notes = append(notes, "một trong / one of "+strings.Join(f.Enum, ", "))
		}
		note := ""
		if len(notes) > 0 {
			note = " [" + strings.Join(notes, "; ") + "]"
		}
		fmt.Fprintf(w, "%s%s (%s)%s: %s\n", indent, f.Name, crawler.TypeHelp(f.Type), note, f.Help)
		writeFields(w, f.Fields, indent+"  ")
	}
}
