package bluesky

import "github.com/langnghe/langnghe/crawler"

// The kinds this package reads, registered for the sources file (see crawler.Register).
func init() {
	newSource := func(c Config, env crawler.Env) (crawler.Source, error) { return New(c, env) }
	crawler.Register(Kind, crawler.SpecOf[Config]("AppView công khai Bluesky: search, author, thread / Bluesky public AppView: search, author and thread"), newSource)
}
