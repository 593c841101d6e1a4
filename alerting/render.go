package alerting

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode/utf8"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
	"github.com/langnghe/langnghe/store/query"
)

// snippetBytes bounds the post text shown per post in an email.
const snippetBytes = 600

type renderInput struct {
	id, key  string
	now      time.Time
	from, to time.Time
	count    int
	posts    []*post.Post
	reason   string
	digest   *digestData
	query    *QuerySpec // the query of this key, when it narrows the rule's
	// ids are every post the notification reports (match rules): its links then select
	// exactly those posts. Without ids (store rules) the links select the rule's query
	// over [from, to) on published_at, which is what the rule counted.
	ids []string
}

// LinkMaxIDs is the most post ids a notification's links name; a match notification
// over more posts links to its first LinkMaxIDs and says so. It keeps a link under about
// 12 KB, which every mail client and browser passes.
const LinkMaxIDs = 200

// segment is a run of post text, emphasised when Mark.
type segment struct {
	Text string
	Mark bool
	For  string
}

type postView struct {
	Platform, Source, Published string
	URL                         string // only http(s), else empty
	Segments                    []segment
	Labels                      string
}

type groupView struct {
	Narrative string
	Count     int
	Trend     string
	Posts     []postView
}

type emailView struct {
	Rule, RuleID, Kind, Severity, Key string
	Reason                            string
	Window                            string
	Count                             int
	Posts                             []postView
	Groups                            []groupView
	WebURL, KibanaURL                 string
	LinkNote                          string // when the links name only the first posts
	Query                             string
}

// safeURL returns u if it is an absolute http(s) URL, else "". Crawled URLs are hostile:
// a javascript: or data: link must never reach an email.
func safeURL(u string) string {
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		return ""
	}
	return pu.String()
}

// segments cuts p.Text (at most snippetBytes around the first highlight) into marked and
// unmarked runs from store.Highlights: evidence terms and query words.
func segments(p *post.Post, queryText string) []segment {
	text := p.Text
	hl := store.Highlights(p, queryText)
	start, end := 0, len(text)
	if len(text) > snippetBytes {
		if len(hl) > 0 && hl[0].Start > snippetBytes/4 {
			start = hl[0].Start - snippetBytes/4
		}
		end = min(len(text), start+snippetBytes)
		for start > 0 && !utf8.RuneStart(text[start]) {
			start--
		}
		for end < len(text) && !utf8.RuneStart(text[end]) {
			end--
		}
	}
	// Overlapping highlights (a sentiment term inside a narrative phrase) become one mark.
	var merged []store.Highlight
	for _, h := range hl {
		if n := len(merged); n > 0 && h.Start <= merged[n-1].End {
			if h.End > merged[n-1].End {
				merged[n-1].End = h.End
			}
			if merged[n-1].For == "" || merged[n-1].For == "sentiment" {
				if h.For != "" {
					merged[n-1].For = h.For
				}
			}
			continue
		}
		merged = append(merged, h)
	}
	hl = merged
	var out []segment
	if start > 0 {
		out = append(out, segment{Text: "… "})
	}
	pos := start
	for _, h := range hl {
		if h.End <= pos || h.Start >= end {
			continue
		}
		s := max(h.Start, pos)
		e := min(h.End, end)
		if s > pos {
			out = append(out, segment{Text: text[pos:s]})
		}
		out = append(out, segment{Text: text[s:e], Mark: true, For: h.For})
		pos = e
	}
	if pos < end {
		out = append(out, segment{Text: text[pos:end]})
	}
	if end < len(text) {
		out = append(out, segment{Text: " …"})
	}
	for i := range out {
		out[i].Text = strings.ToValidUTF8(out[i].Text, "�")
	}
	return out
}

func (e *Engine) postView(p *post.Post, queryText string) postView {
	v := postView{
		Platform: p.Platform, Source: p.Source,
		Published: p.PublishedAt.In(Zone).Format("15:04 02/01/2006"),
		URL:       safeURL(p.URL), Segments: segments(p, queryText),
	}
	if a := p.Analysis; a != nil {
		var parts []string
		parts = append(parts, "cảm xúc/sentiment "+a.Sentiment.Label, "độc hại/toxicity "+a.Toxicity.Label)
		for _, n := range a.Narratives {
			parts = append(parts, "chủ đề/narrative "+n.ID)
		}
		if a.Flagged {
			parts = append(parts, "gắn cờ/flagged")
		}
		v.Labels = strings.Join(parts, " · ")
	}
	return v
}

// WebSearchURL is the web UI search for q over [from, to) on published_at: the query
// string itself as q. With ids it selects exactly those posts instead (ids=a,b,...; q is
// kept so the matched words are highlighted) and the window is left out: reported posts
// were published before the alert fired, at any time.
func (l Links) WebSearchURL(q QuerySpec, from, to time.Time, ids ...string) string {
	if l.WebURL == "" {
		return ""
	}
	v := url.Values{}
	if !q.IsZero() {
		v.Set("q", q.Text)
	}
	if len(ids) > 0 {
		v.Set("ids", strings.Join(ids, ","))
		return strings.TrimRight(l.WebURL, "/") + "/?" + v.Encode()
	}
	if !from.IsZero() {
		v.Set("from", from.UTC().Format(time.RFC3339))
	}
	if !to.IsZero() {
		v.Set("to", to.UTC().Format(time.RFC3339))
	}
	return strings.TrimRight(l.WebURL, "/") + "/?" + v.Encode()
}

// KQL translates q into Kibana Query Language over the fields the stores index, with the
// same meaning: a text term is a phrase on the folded (or, under +, exact) text or title;
// field filters compare the label fields; from:/to: bound published_at (relative ones as
// date math, now-24h). A query that does not parse (rules are validated at load) gives
// its folded words on text_folded.
func KQL(q QuerySpec) string {
	e, err := query.Parse(q.Text)
	if err != nil {
		var parts []string
		for _, w := range query.FoldedWords(q.Text) {
			parts = append(parts, store.FieldTextFolded+":"+kqlQuote(w))
		}
		return strings.Join(parts, " and ")
	}
	return kql(e)
}

func kqlQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

var kqlFields = map[string]string{
	query.FieldNarrative: store.FieldNarrativeIDs, query.FieldSentiment: store.FieldSentiment,
	query.FieldToxicity: store.FieldToxicity, query.FieldSource: store.FieldSource,
	query.FieldPlatform: store.FieldPlatform, query.FieldFlagged: store.FieldFlagged,
}

func kql(e *query.Expr) string {
	if e == nil {
		return ""
	}
	group := func(a *query.Expr) string {
		s := kql(a)
		if a.Op == query.OpAnd || a.Op == query.OpOr {
			return "(" + s + ")"
		}
		return s
	}
	switch e.Op {
	case query.OpAnd, query.OpOr:
		sep := " and "
		if e.Op == query.OpOr {
			sep = " or "
		}
		parts := make([]string, len(e.Args))
		for i, a := range e.Args {
			parts[i] = group(a)
		}
		return strings.Join(parts, sep)
	case query.OpNot:
		return "not " + group(e.Args[0])
	case query.OpText:
		text, title := store.FieldTextFolded, store.FieldTitleFolded
		if e.Exact {
			text, title = store.FieldTextExact, store.FieldTitleExact
		}
		phrase := kqlQuote(strings.Join(e.Words, " "))
		return "(" + text + ":" + phrase + " or " + title + ":" + phrase + ")"
	case query.OpField:
		if e.Field == query.FieldFlagged {
			return store.FieldFlagged + ":" + e.Value
		}
		return kqlFields[e.Field] + ":" + kqlQuote(e.Value)
	case query.OpRange:
		op := ">="
		if e.Field == query.FieldTo {
			op = "<"
		}
		bound := kqlQuote(e.At.UTC().Format(time.RFC3339Nano))
		if e.Ago > 0 {
			bound = fmt.Sprintf("now-%ds", int64(e.Ago/time.Second))
		}
		return store.FieldPublishedAt + " " + op + " " + bound
	}
	return ""
}

// rison quotes s as a Rison string (the encoding of Kibana's URL state).
func rison(s string) string {
	return "'" + strings.NewReplacer("!", "!!", "'", "!'").Replace(s) + "'"
}

// KibanaDiscoverURL opens Discover on the posts data view with q over [from, to) on
// published_at, or, with ids, on exactly those posts (KQL id:(...), over all time).
func (l Links) KibanaDiscoverURL(q QuerySpec, from, to time.Time, ids ...string) string {
	if l.KibanaURL == "" {
		return ""
	}
	g := fmt.Sprintf("(time:(from:%s,to:%s))", rison(from.UTC().Format(time.RFC3339)), rison(to.UTC().Format(time.RFC3339)))
	kq := KQL(q)
	if len(ids) > 0 {
		g = "(time:(from:'1970-01-01T00:00:00Z',to:now))"
		quoted := make([]string, len(ids))
		for i, id := range ids {
			quoted[i] = kqlQuote(id)
		}
		idq := store.FieldID + ":(" + strings.Join(quoted, " or ") + ")"
		if kq == "" {
			kq = idq
		} else {
			kq = "(" + kq + ") and " + idq
		}
	}
	a := fmt.Sprintf("(index:%s,query:(language:kuery,query:%s))", rison(l.KibanaIndex), rison(kq))
	return strings.TrimRight(l.KibanaURL, "/") + "/app/discover#/?_g=" + url.QueryEscape(g) + "&_a=" + url.QueryEscape(a)
}

var severityVI = map[string]string{"info": "thông tin", "warning": "cảnh báo", "high": "cao", "critical": "khẩn cấp"}

var kindVI = map[Kind]string{KindMatch: "khớp", KindThreshold: "ngưỡng", KindSpike: "đột biến", KindDigest: "tóm tắt"}

// render builds the notification and its email bodies.
func (e *Engine) render(r *Rule, in renderInput) *Notification {
	q := r.Query
	if in.query != nil {
		q = *in.query
	}
	v := emailView{
		Rule: r.Name, RuleID: r.ID, Kind: string(r.Kind), Severity: r.Severity, Key: in.key,
		Reason: in.reason, Count: in.count,
		Window: in.from.In(Zone).Format("15:04 02/01/2006") + " – " + in.to.In(Zone).Format("15:04 02/01/2006") + " (giờ Việt Nam / Vietnam time)",
		WebURL: e.links.WebSearchURL(q, in.from, in.to, in.ids...), KibanaURL: e.links.KibanaDiscoverURL(q, in.from, in.to, in.ids...),
		Query: q.Text,
	}
	if len(in.ids) > 0 && in.count > len(in.ids) {
		v.LinkNote = fmt.Sprintf("Liên kết mở %d bài đầu tiên trong %d / the links open the first %d of %d posts", len(in.ids), in.count, len(in.ids), in.count)
	}
	ids := in.ids
	shown := func(id string) {
		if len(in.ids) == 0 {
			ids = append(ids, id)
		}
	}
	for _, p := range in.posts {
		v.Posts = append(v.Posts, e.postView(p, r.Query.Text))
		shown(p.ID)
	}
	if in.digest != nil {
		for _, g := range in.digest.groups {
			gv := groupView{Narrative: g.Narrative, Count: g.Count, Trend: trend(g.Count, g.Previous)}
			for _, p := range g.Posts {
				gv.Posts = append(gv.Posts, e.postView(p, r.Query.Text))
				shown(p.ID)
			}
			v.Groups = append(v.Groups, gv)
		}
	}
	subject := fmt.Sprintf("[Lắng Nghe][%s] %s: %s", severityVI[r.Severity], r.Name, firstPart(in.reason))
	if in.key != "" && r.Kind != KindDigest {
		subject = fmt.Sprintf("[Lắng Nghe][%s] %s (%s): %s", severityVI[r.Severity], r.Name, in.key, firstPart(in.reason))
	}
	var tb, hb bytes.Buffer
	if err := textTmpl.Execute(&tb, v); err != nil {
		fmt.Fprintf(&tb, "%s\n\n(render error: %v)", in.reason, err)
	}
	if err := htmlTmpl.Execute(&hb, v); err != nil {
		hb.Reset()
	}
	return &Notification{
		ID: in.id, RuleID: r.ID, RuleName: r.Name, Kind: r.Kind, Severity: r.Severity, Key: in.key,
		Count: in.count, Reason: in.reason, From: in.from, To: in.to, PostIDs: ids, CreatedAt: in.now,
		SearchPath: Links{WebURL: "/"}.WebSearchURL(q, in.from, in.to, in.ids...),
		Recipients: e.rules.Addresses(r), Subject: oneLine(subject), Text: tb.String(), HTML: hb.String(),
	}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// firstPart is the Vietnamese half of a "vi / en" reason.
func firstPart(s string) string {
	if vi, _, ok := strings.Cut(s, " / "); ok {
		return vi
	}
	return s
}

func trend(cur, prev int) string {
	switch {
	case prev == 0 && cur == 0:
		return "="
	case prev == 0:
		return "mới / new"
	}
	pct := 100 * float64(cur-prev) / float64(prev)
	return fmt.Sprintf("%+.0f%% so với kỳ trước / vs previous period (%d)", pct, prev)
}

var funcs = map[string]any{
	"sevVI":  func(s string) string { return severityVI[s] },
	"kindVI": func(s string) string { return kindVI[Kind(s)] },
}

var textTmpl = texttemplate.Must(texttemplate.New("text").Funcs(funcs).Parse(`Lắng Nghe – cảnh báo / alert
Luật / rule: {{.Rule}} ({{.RuleID}}, {{kindVI .Kind}} / {{.Kind}})
Mức độ / severity: {{sevVI .Severity}} / {{.Severity}}
{{if .Key}}Nhóm / key: {{.Key}}
{{end}}Lý do / why: {{.Reason}}
Khoảng thời gian / window: {{.Window}}
Truy vấn / query: {{.Query}}
{{if .WebURL}}Xem trong Lắng Nghe / open in the web UI: {{.WebURL}}
{{end}}{{if .KibanaURL}}Xem trong Kibana / open in Kibana: {{.KibanaURL}}
{{end}}{{if .LinkNote}}{{.LinkNote}}
{{end}}{{range .Groups}}
== Chủ đề / narrative {{.Narrative}}: {{.Count}} bài / posts ({{.Trend}})
{{range .Posts}}  - [{{.Platform}} {{.Source}} {{.Published}}] {{range .Segments}}{{if .Mark}}[[{{.Text}}]]{{else}}{{.Text}}{{end}}{{end}}
    {{.Labels}}{{if .URL}}
    {{.URL}}{{end}}
{{end}}{{end}}{{if .Posts}}
Bài tiêu biểu / top posts ([[...]] = từ khớp / matched terms):
{{range .Posts}}
- [{{.Platform}} {{.Source}} {{.Published}}] {{range .Segments}}{{if .Mark}}[[{{.Text}}]]{{else}}{{.Text}}{{end}}{{end}}
  {{.Labels}}{{if .URL}}
  {{.URL}}{{end}}
{{end}}{{end}}
--
Thư tự động từ Lắng Nghe; nội dung bài đăng là văn bản công khai do người khác viết.
Automatic email from Lắng Nghe; post text is public content written by others.
`))

var htmlTmpl = htmltemplate.Must(htmltemplate.New("html").Funcs(funcs).Parse(`<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>{{.Rule}}</title></head>
<body style="font-family:Arial,sans-serif;font-size:14px;color:#222">
<h2 style="margin:0 0 8px">{{.Rule}} <small style="color:#666">({{sevVI .Severity}} / {{.Severity}})</small></h2>
<p><b>Lý do</b> / why: {{.Reason}}</p>
<p><b>Khoảng thời gian</b> / window: {{.Window}}<br><b>Luật</b> / rule: {{.RuleID}} ({{kindVI .Kind}} / {{.Kind}}){{if .Key}}<br><b>Nhóm</b> / key: {{.Key}}{{end}}<br><b>Truy vấn</b> / query: <code>{{.Query}}</code></p>
<p>{{if .WebURL}}<a href="{{.WebURL}}">Xem trong Lắng Nghe / open in the web UI</a>{{end}}{{if .KibanaURL}} · <a href="{{.KibanaURL}}">Xem trong Kibana / open in Kibana</a>{{end}}{{if .LinkNote}}<br><small>{{.LinkNote}}</small>{{end}}</p>
{{range .Groups}}<h3>Chủ đề / narrative {{.Narrative}}: {{.Count}} bài / posts <small>({{.Trend}})</small></h3>
{{range .Posts}}{{template "post" .}}{{end}}{{end}}
{{if .Posts}}<h3>Bài tiêu biểu / top posts</h3>{{range .Posts}}{{template "post" .}}{{end}}{{end}}
<p style="color:#666;font-size:12px">Thư tự động từ Lắng Nghe; nội dung bài đăng là văn bản công khai do người khác viết.<br>Automatic email from Lắng Nghe; post text is public content written by others.</p>
</body></html>
{{define "post"}}<div style="border-left:3px solid #ccc;padding:4px 8px;margin:8px 0">
<div style="color:#666;font-size:12px">{{.Platform}} · {{.Source}} · {{.Published}}</div>
<div>{{range .Segments}}{{if .Mark}}<mark{{if .For}} title="{{.For}}"{{end}}>{{.Text}}</mark>{{else}}{{.Text}}{{end}}{{end}}</div>
<div style="color:#666;font-size:12px">{{.Labels}}{{if .URL}} · <a href="{{.URL}}">bài gốc / original post</a>{{end}}</div>
</div>{{end}}`))
