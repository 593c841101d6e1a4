package html

import "github.com/langnghe/langnghe/crawler"

// The kinds this package reads, registered for the sources file (see crawler.Register).
func init() {
	newSource := func(c Config, env crawler.Env) (crawler.Source, error) { return New(c, env) }
	crawler.Register(Kind, crawler.SpecOf[Config]("trang HTML đọc theo bộ chọn CSS (rules) / HTML pages read by CSS selectors (rules)"), newSource)
	crawler.Register(KindXenForo, crawler.SpecOf[Config]("diễn đàn XenForo (kiểu voz.vn), quy tắc có sẵn / XenForo forums (voz.vn style), ready-made rules"), newSource)
	crawler.Register(KindVnExpress, crawler.SpecOf[Config]("trang tin và bình luận độc giả từ API JSON (kiểu VnExpress) / news pages and their reader comments from a JSON endpoint (VnExpress shape)"), newSource)
}
