package post

import (
	"bufio"
	"encoding/json"
	"os"
	"reflect"
	"testing"

	gojson "github.com/goccy/go-json"
)

// FuzzDecodeAgreesWithStd guards Decode's use of goccy/go-json: on any input it must
// accept exactly what encoding/json accepts and fill the same Post, so the faster decoder
// changes nothing but speed. Seeds: every input of testdata/decode_cases.jsonl plus
// inputs that probe known differences between JSON decoders (invalid UTF-8, case-folded
// and duplicate keys, escapes, numbers out of range, null).
func FuzzDecodeAgreesWithStd(f *testing.F) {
	file, err := os.Open("testdata/decode_cases.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		var c struct {
			Input json.RawMessage `json:"input"`
		}
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(c.Input))
	}
	for _, s := range []string{
		`{"id":"a:b:c","text":"\xff\xfe ok","schema":1}`,
		`{"ID":"a:b:c","Text":"x","text":"y","TEXT":"z"}`,
		`{"text":"\ud83d\ude00 \u00e0 \ud800 \\ \" \/"}`,
		`{"metrics":{"likes":1e400}}`,
		`{"metrics":{"likes":-1,"shares":1.5}}`,
		`{"published_at":"2026-11-20T08:15:00+07:00","fetched_at":null}`,
		`{"analysis":null,"author":{"id":"a1:3f9c0d2e4b6a8c1e5f7a9b0c2d4e6f81","extra":[1,{"a":[]}]}}`,
		`{"analysis":{"narratives":[{"id":"x","score":"1"}]}}`,
		`null`, `[]`, `{"text":"a"} trailing`, ` {"text":"a"} `,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var std, fast Post
		stdErr := json.Unmarshal(data, &std)
		fastErr := gojson.Unmarshal(data, &fast)
		if (stdErr == nil) != (fastErr == nil) {
			t.Fatalf("on %q: encoding/json error %v, goccy/go-json error %v", data, stdErr, fastErr)
		}
		if stdErr == nil && !reflect.DeepEqual(std, fast) {
			t.Fatalf("on %q the decoders disagree:\nencoding/json %#v\ngoccy/go-json %#v", data, std, fast)
		}
	})
}
