package jsonapi

import "github.com/langnghe/langnghe/crawler"

// The kinds this package reads, registered for the sources file (see crawler.Register).
func init() {
	newSource := func(c Config, env crawler.Env) (crawler.Source, error) { return New(c, env) }
	crawler.Register(Kind, crawler.SpecOf[Config]("API JSON bất kỳ theo ánh xạ trường / any JSON listing, by field mappings"), newSource)
}
