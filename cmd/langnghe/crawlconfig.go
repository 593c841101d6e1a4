package main

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/langnghe/langnghe/crawler/sources"
)

// CrawlConfig is the crawl role's part of the configuration (also read by `run`).
type CrawlConfig struct {
	Sources SourcesRef `yaml:"sources" help:"tệp nguồn YAML (mẫu: crawler/*/sample.yaml); trong tệp cấu hình có thể viết thẳng nội dung / sources file (see crawler/*/sample.yaml); in the config file it may also be the sources inline"`
}

// SourcesRef names the sources file, or in the YAML config file holds its content inline:
//
//	crawl:
//	  sources: /etc/langnghe/sources.yaml
//
// or
//
//	crawl:
//	  sources:
//	    contact: https://example.org/lien-he
//	    sources:
//	      - {name: vnexpress, kind: rss, url: https://vnexpress.net/rss/tin-moi-nhat.rss}
//
// Env (LANGNGHE_CRAWL_SOURCES) and flags (--crawl.sources, --sources) take a path.
type SourcesRef struct {
	Path   string
	Inline []byte // the sources mapping re-encoded as YAML; set only from the config file
}

// Set takes a path (env and flags).
func (s *SourcesRef) Set(v string) error {
	s.Path, s.Inline = v, nil
	return nil
}

// String is the path, or a marker for inline sources (help and logs).
func (s SourcesRef) String() string {
	if s.Inline != nil {
		return "(trong tệp cấu hình / inline)"
	}
	return s.Path
}

// IsZero reports that no sources were configured.
func (s SourcesRef) IsZero() bool { return s.Path == "" && s.Inline == nil }

// UnmarshalYAML accepts a path (scalar) or the sources file's mapping inline.
func (s *SourcesRef) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		return s.Set(n.Value)
	case yaml.MappingNode:
		b, err := yaml.Marshal(n)
		if err != nil {
			return fmt.Errorf("line %d: crawl.sources: %w", n.Line, err)
		}
		s.Path, s.Inline = "", b
		return nil
	default:
		return fmt.Errorf("line %d: crawl.sources: cần đường dẫn tệp hoặc bảng nguồn / want a file path or the sources mapping", n.Line)
	}
}

// load parses the sources; per-source errors come from File.Build.
func (s SourcesRef) load() (*sources.File, error) {
	if s.Inline != nil {
		return sources.Parse("crawl.sources (inline)", s.Inline)
	}
	return sources.Load(s.Path)
}

func validateCrawlConfig(c *Config) ConfigErrors {
	src := c.Crawl.Sources
	if src.Inline != nil {
		if _, err := src.load(); err != nil {
			return ConfigErrors{{Path: "crawl.sources", Msg: err.Error()}}
		}
		return nil
	}
	// A path is read by the roles that crawl: a config file shared by every role may
	// name a sources file that exists only on the crawl hosts.
	return nil
}
