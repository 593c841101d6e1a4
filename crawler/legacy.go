package crawler

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/charmap"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/vntext"
)

// A source's `encoding:` is either a legacy Vietnamese encoding that classifier converts
// (vntext.ParseEncoding: "tcvn3"/"abc"/"tcvn", "vni"/"vni-windows", "viqr") or any
// WHATWG label (windows-1258, windows-1252, …) that x/text decodes. The conversion tables
// live only in classifier (legacy.go): the crawler never maps legacy letters itself.
//
// Where each conversion happens:
//   - TCVN3 and VNI are font tricks on single bytes: the Fetcher decodes the whole body
//     as Windows-1252 (what vntext.DecodeLegacy expects: the text such a page shows in
//     a browser) and converts it with vntext.DecodeLegacy, before HTML/XML parsing.
//     Both only touch non-ASCII characters, so markup and URLs are left as they are.
//   - VIQR is plain ASCII ("Vie^.t"); converting markup would garble URLs
//     ("google.com" reads as "googlẹcom"), so it is converted on extracted text, by the
//     Runner (FixPostText).
//   - WHATWG labels are decoded by the Fetcher with x/text while the body is read.
//   - No encoding declared: the Runner runs vntext.DetectLegacy (what FixLegacy
//     uses) on each post's title and text, so a TCVN3/VNI/VIQR page served as
//     windows-1252 or UTF-8 is detected and converted.

// legacyEncoding returns the classifier encoding enc names, if it names one.
func legacyEncoding(enc string) (vntext.Encoding, bool) {
	e, err := vntext.ParseEncoding(enc)
	return e, err == nil
}

// KnownEncoding reports whether a source's `encoding:` is empty, UTF-8, a legacy
// Vietnamese encoding classifier converts, or a WHATWG label (for config validation).
func KnownEncoding(enc string) bool {
	if isUTF8(enc) {
		return true
	}
	if _, ok := legacyEncoding(enc); ok {
		return true
	}
	e, _ := charset.Lookup(enc)
	return e != nil
}

func isUTF8(enc string) bool {
	switch strings.ToLower(strings.TrimSpace(enc)) {
	case "", "utf-8", "utf8":
		return true
	}
	return false
}

// decodeBody converts a whole response body from enc to UTF-8 the way the Fetcher does:
// TCVN3 and VNI through vntext.DecodeLegacy on the body read as Windows-1252, WHATWG
// labels through x/text; UTF-8, empty and VIQR bodies (converted later, on text) are
// returned unchanged. An unknown enc is an ErrConfig.
func decodeBody(body []byte, enc string) ([]byte, error) {
	if isUTF8(enc) {
		return body, nil
	}
	if le, ok := legacyEncoding(enc); ok {
		if le == vntext.VIQR {
			return body, nil
		}
		s, err := vntext.DecodeLegacy(readWindows1252(body), le)
		if err != nil {
			return nil, fmt.Errorf("%w: encoding %q: %w", ErrConfig, enc, err)
		}
		return []byte(s), nil
	}
	e, _ := charset.Lookup(enc)
	if e == nil {
		return nil, fmt.Errorf("%w: unknown encoding %q", ErrConfig, enc)
	}
	return io.ReadAll(e.NewDecoder().Reader(bytes.NewReader(body)))
}

// readWindows1252 reads body as Windows-1252 the way browsers do (WHATWG): the five
// bytes Windows-1252 leaves undefined (0x81 0x8D 0x8F 0x90 0x9D) become the C1 controls
// of the same number, not U+FFFD as x/text's decoder makes them, because TCVN3 uses them
// for the capitals Ả Ì Ĩ Í Ù, which vntext.DecodeLegacy maps back from there.
func readWindows1252(body []byte) string {
	var b strings.Builder
	b.Grow(len(body) + len(body)/2)
	for _, c := range body {
		r := charmap.Windows1252.DecodeByte(c)
		if r == utf8.RuneError {
			r = rune(c)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// legacyReader decodes a body from enc while it is read (used by the fetcher for sources
// with `encoding:`); nil when the body is to be passed on as it is (empty, UTF-8, VIQR,
// unknown). TCVN3 and VNI bodies are read whole (the Fetcher's MaxBody cap still applies
// underneath) and converted at once.
func legacyReader(r io.Reader, enc string) io.Reader {
	if isUTF8(enc) {
		return nil
	}
	if le, ok := legacyEncoding(enc); ok {
		if le == vntext.VIQR {
			return nil
		}
		return &wholeReader{r: r, enc: enc}
	}
	e, _ := charset.Lookup(enc)
	if e == nil {
		return nil
	}
	return e.NewDecoder().Reader(r)
}

// wholeReader reads r to the end on the first Read, converts it with decodeBody and then
// serves the result. A read error (ErrTooLarge from the cap) is returned as it is.
type wholeReader struct {
	r    io.Reader
	enc  string
	out  *bytes.Reader
	err  error
	done bool
}

func (w *wholeReader) Read(p []byte) (int, error) {
	if !w.done {
		w.done = true
		raw, err := io.ReadAll(w.r)
		if err != nil {
			w.err = err
			return 0, err
		}
		out, err := decodeBody(raw, w.enc)
		if err != nil {
			w.err = err
			return 0, err
		}
		w.out = bytes.NewReader(out)
	}
	if w.err != nil {
		return 0, w.err
	}
	return w.out.Read(p)
}

// Encoded is implemented by sources that have an `encoding:` setting; the Runner reads it
// to decide how FixPostText treats their posts. Called once per pass.
type Encoded interface {
	// Encoding returns the source's configured encoding, "" when none is declared.
	Encoding() string
}

// FixPostText converts legacy Vietnamese in a post's title and text, after extraction, by
// what its source declared (enc). Nothing declared: vntext.DetectLegacy looks at the
// title and text together (a short title alone rarely shows enough evidence; both come
// from the same page) and, on clear evidence of TCVN3/VNI/VIQR, both are converted with
// vntext.DecodeLegacy. "viqr" declared: both are converted. Any other declared
// encoding was already decoded from the body by the Fetcher, so the text is left alone.
// It returns the encoding it converted from, or "".
func FixPostText(p *post.Post, enc string) vntext.Encoding {
	var from vntext.Encoding
	switch le, ok := legacyEncoding(enc); {
	case strings.TrimSpace(enc) == "":
		from = vntext.DetectLegacy(p.Title + "\n\n" + p.Text)
	case ok && le == vntext.VIQR:
		from = le
	}
	if from == "" {
		return ""
	}
	for _, f := range []*string{&p.Text, &p.Title} {
		if out, err := vntext.DecodeLegacy(*f, from); err == nil {
			*f = CleanText(out)
		}
	}
	return from
}
