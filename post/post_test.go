package post

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// TestDecodeCases runs testdata/decode_cases.jsonl: each line is a case name, an input
// post and the error text expected ("" = valid).
func TestDecodeCases(t *testing.T) {
	f, err := os.Open("testdata/decode_cases.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		var c struct {
			Case  string          `json:"case"`
			Input json.RawMessage `json:"input"`
			Error string          `json:"error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("decode_cases.jsonl:%d: %v", n, err)
		}
		t.Run(c.Case, func(t *testing.T) {
			_, err := Decode(c.Input)
			switch {
			case c.Error == "" && err != nil:
				t.Errorf("want valid, got %v", err)
			case c.Error != "" && err == nil:
				t.Errorf("want error containing %q, got valid", c.Error)
			case c.Error != "" && !strings.Contains(err.Error(), c.Error):
				t.Errorf("error %q lacks %q", err, c.Error)
			}
		})
	}
	if n < 10 {
		t.Fatalf("only %d cases read", n)
	}
}

func TestErrorKindsForDeadLettering(t *testing.T) {
	cases := []struct {
		in   string
		kind error
	}{
		{`{not json`, ErrMalformed},
		{`[1,2]`, ErrMalformed},
		{`{"schema":99}`, ErrSchemaTooNew},
		{`{"schema":1,"id":"x"}`, ErrInvalid},
	}
	for _, c := range cases {
		_, err := Decode([]byte(c.in))
		if !errors.Is(err, c.kind) {
			t.Errorf("Decode(%s) = %v, want it to wrap %v", c.in, err, c.kind)
		}
	}
	var fe *FieldError
	_, err := Decode([]byte(`{"schema":1,"id":"rss:a:1","platform":"rss","published_at":"2026-11-20T08:15:00Z"}`))
	if !errors.As(err, &fe) || fe.Path != "source" {
		t.Errorf("want a FieldError for path source, got %v", err)
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 20, 8, 15, 0, 0, time.UTC)
	p := &Post{Schema: 1, ID: MakeID("RSS", "VnExpress.net", "Ab1"), Platform: "rss", Source: "vnexpress", Text: "Nước ngập", PublishedAt: at, FetchedAt: at,
		Analysis: &Analysis{Model: "m@1", Sentiment: Label{"negative", -0.4}, Toxicity: Label{"clean", 0}, Evidence: []Evidence{{For: "disaster", Term: "ngập", Start: 5, End: 12, Weight: 0.8}}}}
	if !strings.HasPrefix(p.ID, "rss:vnexpress.net:h1") || strings.Contains(p.ID, "Ab1") || p.ID != MakeID("rss", "vnexpress.net", "Ab1") {
		t.Errorf("MakeID lowercases platform and site and hashes the native id: %q", p.ID)
	}
	b, err := Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if q.Text != p.Text || !q.PublishedAt.Equal(at) || q.Analysis.Evidence[0] != p.Analysis.Evidence[0] {
		t.Errorf("round trip changed the post: %+v", q)
	}
}

func TestPseudonymizeAuthor(t *testing.T) {
	a := PseudonymizeAuthor([]byte("k1"), "mastodon", "12345")
	if a != PseudonymizeAuthor([]byte("k1"), "mastodon", "12345") {
		t.Error("same key and author must give the same id")
	}
	if a == PseudonymizeAuthor([]byte("k2"), "mastodon", "12345") {
		t.Error("another key must give another id")
	}
	if a == PseudonymizeAuthor([]byte("k1"), "bluesky", "12345") {
		t.Error("the same native id on another platform is another person")
	}
	if !strings.HasPrefix(a, "a1:") || strings.Contains(a, "12345") {
		t.Errorf("id %q must be a1:<hash> without the native id", a)
	}
	if PseudonymizeAuthor([]byte("k1"), "rss", "") != "" {
		t.Error("no author stays no author")
	}
}

// A newer schema is named as such even when its fields no longer fit this build's types.
func TestNewerSchemaWithIncompatibleFields(t *testing.T) {
	_, err := Decode([]byte(`{"schema":2,"id":"rss:a:1","platform":"rss","source":"s","text":{"parts":["a"]},"published_at":"2026-11-20T08:15:00Z"}`))
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("err = %v, want ErrSchemaTooNew", err)
	}
}

func BenchmarkDecode(b *testing.B) {
	data := []byte(`{"schema":1,"id":"mastodon:mastodon.social:109294719267373593","platform":"mastodon","source":"mastodon-vn","url":"https://mastodon.social/@x/109294719267373593","author":{"id":"a1:3f9c0d2e4b6a8c1e5f7a9b0c2d4e6f81"},"text":"Cảnh báo lừa đảo: giả danh công an gọi điện yêu cầu chuyển khoản trước, mọi người cẩn thận","lang":"vi","published_at":"2026-11-20T08:15:00Z","fetched_at":"2026-11-20T08:16:02Z","metrics":{"likes":3,"shares":0,"replies":1},"analysis":{"model":"default@1","sentiment":{"label":"negative","score":-0.5},"toxicity":{"label":"clean","score":0},"narratives":[{"id":"scam","score":0.9}],"evidence":[{"for":"scam","term":"chuyển khoản trước","start":60,"end":83}],"flagged":true}}`)
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		if _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

// Post ids never carry the native id, which can name the account (a Bluesky URI holds the
// author's DID); they stay stable, distinct per post, in the documented form, and ids of
// the older clear-text scheme upgrade to exactly the id MakeID gives the same post.
func TestMakeIDHidesNativeID(t *testing.T) {
	natives := []string{
		"did:plc:z72i7hdynmk6r22z27h6tvur/3lkeq4ca2jaka",
		"https://mastodon.social/users/Gargron/statuses/109294719267373593",
		"109294719267373593",
		"post-900001",
		"https://blog.example/~nguyenvana/bai-1",
		"",
	}
	seen := map[string]string{}
	for _, n := range natives {
		id := MakeID("Bluesky", "BSKY.app", n)
		if !IsHashedID(id) || !strings.HasPrefix(id, "bluesky:bsky.app:h1") {
			t.Errorf("MakeID(%q) = %q, not platform:site:h1<26 base32>", n, id)
		}
		for _, part := range strings.FieldsFunc(n, func(r rune) bool { return r == '/' || r == ':' || r == '~' || r == '.' }) {
			if len(part) >= 4 && strings.Contains(id, part) {
				t.Errorf("MakeID(%q) = %q contains %q", n, id, part)
			}
		}
		if MakeID("bluesky", "bsky.app", n) != id {
			t.Errorf("MakeID(%q) is not stable / case-insensitive in platform and site", n)
		}
		if prev, dup := seen[id]; dup {
			t.Errorf("%q and %q share id %s", prev, n, id)
		}
		seen[id] = n
		if n != "" {
			if got := UpgradeID("bluesky:bsky.app:" + n); got != id {
				t.Errorf("UpgradeID(old id of %q) = %q, want %q", n, got, id)
			}
		}
		if UpgradeID(id) != id {
			t.Errorf("UpgradeID changed a current id %q", id)
		}
	}
	if MakeID("rss", "a", "1") == MakeID("rss", "b", "1") || MakeID("rss", "a", "1") == MakeID("forum", "a", "1") {
		t.Error("the same native id on two sites or platforms gives one id")
	}
	for _, notID := range []string{"", "plain", "rss:only-two"} {
		if UpgradeID(notID) != notID {
			t.Errorf("UpgradeID(%q) = %q, want it unchanged", notID, UpgradeID(notID))
		}
	}
}

// TestEvidenceWeightOptional: posts written before evidence carried a weight still
// decode (weight 0), a recorded weight survives the round trip, and an unrecorded one
// is not written, so older readers see the same JSON as before.
func TestEvidenceWeightOptional(t *testing.T) {
	old := `{"schema":1,"id":"rss:a:1","platform":"rss","source":"a","text":"Nước ngập","published_at":"2026-11-20T08:15:00Z","fetched_at":"2026-11-20T08:15:00Z",` +
		`"analysis":{"model":"m@1","sentiment":{"label":"negative","score":-0.4},"toxicity":{"label":"clean","score":0},"narratives":[],"evidence":[{"for":"disaster","term":"ngập","start":5,"end":12}],"flagged":false}}`
	p, err := Decode([]byte(old))
	if err != nil {
		t.Fatalf("a post without evidence weights no longer decodes: %v", err)
	}
	if w := p.Analysis.Evidence[0].Weight; w != 0 {
		t.Errorf("weight of an old post = %v, want 0", w)
	}
	b, err := Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), `"weight"`) {
		t.Errorf("an unrecorded weight is written: %s", b)
	}
	p.Analysis.Evidence[0].Weight = -0.75
	if b, err = Encode(p); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"weight":-0.75`) {
		t.Errorf("weight not encoded: %s", b)
	}
	q, err := Decode(b)
	if err != nil || q.Analysis.Evidence[0].Weight != -0.75 {
		t.Errorf("weight lost in the round trip: %v %+v", err, q)
	}
}
