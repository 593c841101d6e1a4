// Package all registers every source kind with the crawler: import it for its side
// effect where sources files are read (the langnghe command, tests).
//
//	import _ "github.com/langnghe/langnghe/crawler/all"
//
// A new source kind is a folder under crawler/ whose init calls crawler.Register, plus
// one import line here.
package all

import (
	_ "github.com/langnghe/langnghe/crawler/bluesky"
	_ "github.com/langnghe/langnghe/crawler/html" // html, xenforo, news_comments
	_ "github.com/langnghe/langnghe/crawler/jsonapi"
	_ "github.com/langnghe/langnghe/crawler/mastodon"
	_ "github.com/langnghe/langnghe/crawler/rss"
)
