package mastodon

import "github.com/langnghe/langnghe/crawler"

// The kinds this package reads, registered for the sources file (see crawler.Register).
func init() {
	newSource := func(c Config, env crawler.Env) (crawler.Source, error) { return New(c, env) }
	crawler.Register(Kind, crawler.SpecOf[Config]("API công khai Mastodon: timeline tag, public, context / Mastodon public API: tag, public and context timelines"), newSource)
}
