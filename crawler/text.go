package crawler

import (
	"bytes"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/unicode/norm"
)

// ToUTF8 converts a response body to UTF-8 using the Content-Type charset, a BOM, an XML
// declaration or an HTML <meta> charset (Windows-1258 and the other WHATWG encodings).
// Bodies that already are valid UTF-8 with no other declaration are returned unchanged.
func ToUTF8(body []byte, contentType string) []byte {
	if label := xmlDeclEncoding(body); label != "" && !strings.EqualFold(label, "utf-8") {
		if enc, _ := charset.Lookup(label); enc != nil {
			if out, err := io.ReadAll(enc.NewDecoder().Reader(bytes.NewReader(body))); err == nil {
				return out
			}
		}
	}
	enc, name, _ := charset.DetermineEncoding(body, contentType)
	if name == "utf-8" || enc == nil {
		return body
	}
	out, err := io.ReadAll(enc.NewDecoder().Reader(bytes.NewReader(body)))
	if err != nil {
		return body
	}
	return out
}

// xmlDeclEncoding returns the encoding="..." of a leading XML declaration.
func xmlDeclEncoding(b []byte) string {
	b = bytes.TrimLeft(b, " \t\r\n\ufeff")
	if !bytes.HasPrefix(b, []byte("<?xml")) {
		return ""
	}
	end := bytes.Index(b, []byte("?>"))
	if end < 0 {
		return ""
	}
	decl := string(b[:end])
	i := strings.Index(decl, "encoding=")
	if i < 0 {
		return ""
	}
	rest := decl[i+len("encoding="):]
	if rest == "" {
		return ""
	}
	q := rest[0]
	if q != '"' && q != '\'' {
		return ""
	}
	if j := strings.IndexByte(rest[1:], q); j >= 0 {
		return rest[1 : 1+j]
	}
	return ""
}

// CleanText makes crawled text ready for a post: valid UTF-8, NFC (decomposed Vietnamese
// such as Windows-1258 combining tone marks is composed), control characters removed,
// runs of spaces collapsed, at most one blank line between paragraphs, trimmed. Case and
// tone-mark placement are kept as written: the classifier normalizes for matching.
func CleanText(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = norm.NFC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	space, newlines := false, 0
	for _, r := range s {
		switch {
		case r == '\n':
			newlines++
			space = false
			continue
		case r == '\u00a0' || unicode.IsSpace(r):
			space = true
			continue
		case unicode.IsControl(r) || r == '\u200b' || r == '\ufeff':
			continue
		}
		if b.Len() > 0 {
			switch {
			case newlines >= 2:
				b.WriteString("\n\n")
			case newlines == 1:
				b.WriteByte('\n')
			case space:
				b.WriteByte(' ')
			}
		}
		newlines, space = 0, false
		b.WriteRune(r)
	}
	return b.String()
}

// HTMLToText returns the visible text of an HTML fragment: tags removed, entities decoded,
// <br> and block ends as line breaks, script/style/template content dropped, then
// CleanText. Malformed HTML never fails; it yields whatever text the tokenizer finds.
func HTMLToText(fragment string) string {
	z := html.NewTokenizer(strings.NewReader(fragment))
	var b strings.Builder
	skip := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return CleanText(b.String())
		case html.TextToken:
			if skip == 0 {
				// Source line breaks are spaces in HTML; only <br> and blocks break lines.
				b.WriteString(strings.Map(func(r rune) rune {
					if r == '\n' || r == '\r' || r == '\t' {
						return ' '
					}
					return r
				}, string(z.Text())))
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "template", "noscript":
				if tt == html.StartTagToken {
					skip++
				}
			case "br":
				b.WriteByte('\n')
			case "p", "div", "li", "blockquote", "tr", "h1", "h2", "h3", "h4", "h5", "h6":
				b.WriteString("\n\n")
			case "img":
				// Smilies carry their meaning in alt text (":)", "😂").
				for {
					k, v, more := z.TagAttr()
					if string(k) == "alt" && len(v) > 0 && len(v) <= 16 {
						b.WriteByte(' ')
						b.Write(v)
						b.WriteByte(' ')
					}
					if !more {
						break
					}
				}
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "template", "noscript":
				if skip > 0 {
					skip--
				}
			case "p", "div", "li", "blockquote", "tr", "h1", "h2", "h3", "h4", "h5", "h6":
				b.WriteString("\n\n")
			}
		}
	}
}

// Truncate cuts s to at most n bytes on a rune boundary.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

var blockTags = map[string]bool{"p": true, "div": true, "li": true, "blockquote": true, "tr": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true}

// NodeText is HTMLToText for an already parsed node: it walks the tree instead of
// serializing and re-tokenizing it. Elements for which skip returns true (quotes,
// signatures) are left out with their content.
func NodeText(n *html.Node, skip func(*html.Node) bool) string {
	var b strings.Builder
	var walk func(n *html.Node, depth int)
	walk = func(n *html.Node, depth int) {
		if depth > 512 {
			return
		}
		switch n.Type {
		case html.TextNode:
			b.WriteString(strings.Map(func(r rune) rune {
				if r == '\n' || r == '\r' || r == '\t' {
					return ' '
				}
				return r
			}, n.Data))
			return
		case html.ElementNode:
			if skip != nil && skip(n) {
				return
			}
			switch n.Data {
			case "script", "style", "template", "noscript":
				return
			case "br":
				b.WriteByte('\n')
				return
			case "img":
				for _, a := range n.Attr {
					if a.Key == "alt" && a.Val != "" && len(a.Val) <= 16 {
						b.WriteString(" " + a.Val + " ")
					}
				}
				return
			}
		}
		block := n.Type == html.ElementNode && blockTags[n.Data]
		if block {
			b.WriteString("\n\n")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, depth+1)
		}
		if block {
			b.WriteString("\n\n")
		}
	}
	walk(n, 0)
	return CleanText(b.String())
}
