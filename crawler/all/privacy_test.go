package all_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/langnghe/langnghe/crawler"
	"github.com/langnghe/langnghe/crawler/crawlertest"
	"github.com/langnghe/langnghe/post"
)

// accountPatterns find account identifiers in raw payloads (JSON, possibly escaped inside a
// YAML cassette; HTML; RSS): DIDs, handles, usernames, acct, Mastodon account ids and URLs,
// Reddit authors, comment user ids, forum authors and member links, feed authors.
var accountPatterns = []*regexp.Regexp{
	regexp.MustCompile(`did:(?:plc|web):[a-zA-Z0-9._%-]+`),
	regexp.MustCompile(`\\?"(?:handle|acct|username|author|userid|user_id|did)\\?"\s*:\s*\\?"([^"\\]+)`),
	regexp.MustCompile(`\\?"account\\?"\s*:\s*\{\s*\\?"id\\?"\s*:\s*\\?"([^"\\]+)`),
	regexp.MustCompile(`\\?"userid\\?"\s*:\s*(\d+)`),
	regexp.MustCompile(`https://[a-z0-9.-]+/@([A-Za-z0-9_]+)`),
	regexp.MustCompile(`data-author="([^"]+)"`),
	regexp.MustCompile(`/members/([^/"]+)/`),
	regexp.MustCompile(`<(?:author|dc:creator)>(?:<!\[CDATA\[)?([^<\]]+)`),
	regexp.MustCompile(`<author>\s*<name>([^<]+)`),
}

func accountIDs(payloads ...[]byte) map[string]bool {
	out := map[string]bool{}
	for _, b := range payloads {
		for _, re := range accountPatterns {
			for _, m := range re.FindAllSubmatch(b, -1) {
				v := m[0]
				if len(m) > 1 {
					v = m[1]
				}
				if s := strings.ToLower(strings.TrimSpace(string(v))); len(s) >= 3 {
					out[s] = true
				}
			}
		}
	}
	return out
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// serveMux serves fixed bodies by path (robots.txt: 404, so everything is allowed).
func serveMux(t *testing.T, ctype string, bodies map[string][]byte) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := bodies[r.URL.Path]
		if !ok && bodies["*"] != nil && r.URL.Path != "/robots.txt" {
			b, ok = bodies["*"], true
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", ctype)
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// Post ids never carry an account identifier. For every registered source kind, real
// captured payloads (../shared/fixtures, plus the source folders' own testdata where the
// shared set has no page of that shape) are crawled through the kind's registered
// constructor; every account identifier found in the raw payloads (DIDs, handles,
// usernames, acct, account ids and URLs, forum authors, comment user ids) must be absent
// from every post id, and no 6-character piece of one may appear in the id's hashed part.
// Post.URL may keep the public link (DESIGN.md, "Post ids").
func TestPostIDsCarryNoAccountIdentifier(t *testing.T) {
	fx := func(rel string) []byte { return read(t, crawlertest.SharedFixture(t, rel)) }
	type setup func(t *testing.T) (yamlCfg string, payloads [][]byte)
	cassette := func(rel string) (string, []byte) {
		base, _ := crawlertest.Replay(t, crawlertest.LoadCassette(t, crawlertest.SharedFixture(t, rel)))
		return base, fx(rel)
	}
	cases := map[string][]setup{
		"bluesky": {
			func(t *testing.T) (string, [][]byte) {
				base, b := cassette("bluesky/bskyr_f_search.yml")
				return "max_pages: 1\nappview: " + base + "\nmode: search\nquery: redistricting\n", [][]byte{b}
			},
			func(t *testing.T) (string, [][]byte) {
				base, b := cassette("bluesky/bskyr_f_autfeed.yml")
				return "max_pages: 1\nappview: " + base + "\nmode: author\nactor: chriskenny.bsky.social\n", [][]byte{b}
			},
			func(t *testing.T) (string, [][]byte) {
				base, b := cassette("bluesky/bskyr_f_postthread.yml")
				return "appview: " + base + "\nmode: thread\nuri: at://did:plc:ic6zqvuw5ulmfpjiwnhsr2ns/app.bsky.feed.post/3k7qmjev5lr2s\n", [][]byte{b}
			},
		},
		"mastodon": {
			func(t *testing.T) (string, [][]byte) {
				b := fx("mastodon/derived/mastodon.social_api_v1_timelines_public_limit20_2025-07-17.json")
				return "instance: " + serveMux(t, "application/json", map[string][]byte{"/api/v1/timelines/public": b}) + "\ntimeline: public\n", [][]byte{b}
			},
			func(t *testing.T) (string, [][]byte) {
				b := fx("mastodon/bigbone_public_timeline.json")
				return "instance: " + serveMux(t, "application/json", map[string][]byte{"/api/v1/timelines/public": b}) + "\ntimeline: public\n", [][]byte{b}
			},
			func(t *testing.T) (string, [][]byte) {
				base, b := cassette("mastodon/mastodonpy_test_hashtag_tl.yaml")
				return "max_pages: 1\ninstance: " + base + "\ntag: hoot\n", [][]byte{b}
			},
		},
		"rss": {
			func(t *testing.T) (string, [][]byte) {
				b := fx("rss/vnexpress_tin-moi-nhat_2017-08-30_browser-copy.xml") // no authors: checks the id form
				return "url: " + serveMux(t, "text/xml", map[string][]byte{"/feed.rss": b}) + "/feed.rss\n", [][]byte{b}
			},
			func(t *testing.T) (string, [][]byte) {
				b := read(t, "../rss/testdata/atom.xml")
				return "url: " + serveMux(t, "application/atom+xml", map[string][]byte{"/atom.xml": b}) + "/atom.xml\n", [][]byte{b}
			},
		},
		"jsonapi": {
			func(t *testing.T) (string, [][]byte) {
				b := fx("reddit/goreddit_subreddit_search-posts.json")
				return "url: " + serveMux(t, "application/json", map[string][]byte{"/search.json": b}) + "/search.json\nitems: data.children\nplatform: reddit\n" +
					"fields: {id: data.name, title: data.title, text: data.title, author: data.author, published_at: data.created_utc, url: data.permalink}\n", [][]byte{b}
			},
		},
		"xenforo": {
			func(t *testing.T) (string, [][]byte) {
				list := fx("forum-html/voz_2020_forum_view_diem-bao.33.html")
				thread := read(t, "../html/testdata/xenforo_thread_page2.html")
				base := serveMux(t, "text/html; charset=utf-8", map[string][]byte{"/f/diem-bao.33/": list, "*": thread})
				return "urls: [" + base + "/f/diem-bao.33/]\nmax_links: 3\nmax_pages: 1\n", [][]byte{list, thread}
			},
		},
		"html": {
			func(t *testing.T) (string, [][]byte) {
				thread := read(t, "../html/testdata/xenforo_thread.html")
				base := serveMux(t, "text/html; charset=utf-8", map[string][]byte{"/t/x.1/": thread})
				return "urls: [" + base + "/t/x.1/]\nmax_pages: 1\nrules: {post: article.message--post, id: {attr: data-content, trim_prefix: post-}, author: {attr: data-author}, " +
					"time: {selector: time, attr: datetime}, text: {selector: .bbWrapper}}\n", [][]byte{thread}
			},
		},
		"news_comments": {
			func(t *testing.T) (string, [][]byte) {
				comments := read(t, "../jsonapi/testdata/vnexpress_comments.json")
				base := serveMux(t, "text/html; charset=utf-8", map[string][]byte{
					"/thoi-su":          []byte(`<html><body><h3 class="title-news"><a href="/bai-4219024.html">Bài</a></h3></body></html>`),
					"/bai-4219024.html": []byte(`<html><head><meta name="tt_article_id" content="4219024"></head><body><h1>Bài</h1></body></html>`),
					"/index/get":        comments,
				})
				return "urls: [" + base + "/thoi-su]\ncomments: {id: {selector: 'meta[name=\"tt_article_id\"]', attr: content}, url: '" + base + "/index/get?objectid={id}', items: data.items, children: replys.items, text_html: true, time_format: unix, " +
					"fields: {id: comment_id, text: content, author: userid, published_at: creation_time}}\n", [][]byte{comments}
			},
		},
	}
	for _, kind := range crawler.Kinds() {
		if len(cases[kind]) == 0 {
			t.Errorf("kind %s has no real-payload case here: add one", kind)
		}
	}
	checked := map[string]int{}
	for kind, setups := range cases {
		k, ok := crawler.Lookup(kind)
		if !ok {
			t.Errorf("case for unregistered kind %s", kind)
			continue
		}
		for i, setup := range setups {
			t.Run(kind, func(t *testing.T) {
				cfg, payloads := setup(t)
				var n yaml.Node
				if err := yaml.Unmarshal([]byte("name: privacy\nkind: "+kind+"\nallow_private: true\n"+cfg), &n); err != nil {
					t.Fatal(err)
				}
				s, err := k.Build(n.Content[0], crawlertest.Env())
				if err != nil {
					t.Fatal(err)
				}
				posts, _ := crawlertest.Fetch(t, s.Source, crawler.Cursor{})
				ids := accountIDs(payloads...)
				if len(posts) == 0 {
					t.Fatalf("case %d: no posts", i)
				}
				checked[kind] += len(ids)
				for _, p := range posts {
					if !post.IsHashedID(p.ID) {
						t.Errorf("id %q is not platform:site:h1<hash>", p.ID)
					}
					id := strings.ToLower(p.ID)
					hashed := id[strings.LastIndexByte(id, ':')+1:]
					for acct := range ids {
						if strings.Contains(id, acct) {
							t.Errorf("id %q contains the account identifier %q", p.ID, acct)
						}
						for j := 0; j+6 <= len(acct); j++ {
							if strings.Contains(hashed, acct[j:j+6]) {
								t.Errorf("id %q contains %q, a piece of the account identifier %q", p.ID, acct[j:j+6], acct)
							}
						}
					}
				}
				t.Logf("case %d: %d posts, %d account identifiers checked", i, len(posts), len(ids))
			})
		}
	}
	for kind := range cases {
		if checked[kind] == 0 {
			t.Errorf("kind %s: no account identifier found in its payloads, so its ids were checked against nothing", kind)
		}
	}
}
