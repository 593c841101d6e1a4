package rss

import "github.com/langnghe/langnghe/crawler"

// The kinds this package reads, registered for the sources file (see crawler.Register).
func init() {
	newSource := func(c Config, env crawler.Env) (crawler.Source, error) { return New(c, env) }
	crawler.Register(Kind, crawler.SpecOf[Config]("feed RSS 2.0, RSS 1.0, Atom; follow_links lấy toàn văn / RSS 2.0, RSS 1.0 and Atom feeds; follow_links fetches the full article"), newSource)
}
