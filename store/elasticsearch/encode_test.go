package elasticsearch

import (
	"bytes"
	"encoding/json"
	"testing"

	gojson "github.com/goccy/go-json"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
	"github.com/langnghe/langnghe/store/storetest"
)

// TestDocumentEncodingMatchesStd: the store encodes documents with goccy/go-json for
// speed; it must write byte for byte what encoding/json would, including for hostile text
// (HTML, invalid UTF-8, line and paragraph separators, control characters).
func TestDocumentEncodingMatchesStd(t *testing.T) {
	posts := storetest.Generate(2000, 5)
	hostile := []string{
		"<script>alert('x')</script> & \"quoted\"",
		"invalid \xff\xfe utf-8 \xc3",
		"separators \u2028 \u2029 and \x00\x01\x1f controls \t\n\r",
		"emoji 😡👍 and decomposed a\u0301 \\ backslash",
	}
	for i, h := range hostile {
		p := *posts[i]
		p.Text, p.Title = h, h
		posts = append(posts, &p)
	}
	for i, p := range posts {
		doc := document{Post: p, DocFields: store.Fields(p)}
		var std, fast bytes.Buffer
		se := json.NewEncoder(&std)
		se.SetEscapeHTML(false)
		fe := gojson.NewEncoder(&fast)
		fe.SetEscapeHTML(false)
		if err := se.Encode(doc); err != nil {
			t.Fatal(err)
		}
		if err := fe.Encode(doc); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(std.Bytes(), fast.Bytes()) {
			t.Fatalf("post %d (%s) encodes differently:\nencoding/json %s\ngoccy/go-json %s", i, p.ID, std.Bytes(), fast.Bytes())
		}
		if _, err := post.Decode(fast.Bytes()); err != nil && i < 2000 {
			t.Fatalf("post %d: the document does not decode as a post: %v", i, err)
		}
	}
}
