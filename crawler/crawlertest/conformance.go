// Package crawlertest is the conformance suite every crawler source passes, and helpers
// to replay captured HTTP cassettes from a local server.
package crawlertest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/langnghe/langnghe/crawler"
	"github.com/langnghe/langnghe/post"
)

// Case describes one source under test.
type Case struct {
	// Setup returns a fresh source reading a local site the test controls, and a function
	// that publishes one more post on that site.
	Setup func(t *testing.T) (src crawler.Source, addPost func())
	// Platform is the expected post.Platform.
	Platform string
}

var errSinkDown = errors.New("sink down (injected)")

// Run runs the conformance suite:
//   - a first pass emits valid posts (Validate passes, NFC valid UTF-8 text, pseudonymous
//     author ids, the source's name and platform) with unique ids;
//   - a second pass from the saved cursor emits nothing;
//   - the same first pass again from the empty cursor (a crash before the cursor was
//     saved) emits the same ids: at-least-once with stable ids;
//   - after the site publishes a post, the next pass emits exactly the new post;
//   - when the sink fails, the Runner keeps the old cursor and the next pass emits the
//     posts again (nothing is lost).
func Run(t *testing.T, c Case) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	t.Run("passes", func(t *testing.T) {
		src, addPost := c.Setup(t)
		first, cur1 := pass(ctx, t, src, crawler.Cursor{})
		if len(first) == 0 {
			t.Fatal("first pass emitted no posts")
		}
		checkPosts(t, c, src, first)

		again, cur2 := pass(ctx, t, src, cur1)
		if len(again) != 0 {
			t.Errorf("second pass from the saved cursor emitted %d posts, want 0: %v", len(again), ids(again))
		}

		replay, _ := pass(ctx, t, src, crawler.Cursor{})
		if !slices.Equal(sortedIDs(replay), sortedIDs(first)) {
			t.Errorf("re-running the first pass (cursor not saved) emitted different ids:\n got %v\nwant %v", sortedIDs(replay), sortedIDs(first))
		}

		addPost()
		fresh, cur3 := pass(ctx, t, src, cur2)
		if len(fresh) != 1 {
			t.Fatalf("after one new post on the site the pass emitted %d posts, want 1: %v", len(fresh), ids(fresh))
		}
		if slices.Contains(ids(first), fresh[0].ID) {
			t.Errorf("new post id %s was already emitted in the first pass", fresh[0].ID)
		}
		checkPosts(t, c, src, fresh)
		if none, _ := pass(ctx, t, src, cur3); len(none) != 0 {
			t.Errorf("pass after the new post emitted %d again: %v", len(none), ids(none))
		}
	})

	t.Run("sink failure keeps the cursor", func(t *testing.T) {
		src, _ := c.Setup(t)
		cursors := crawler.NewMemCursors()
		fail := true
		var got []*post.Post
		sink := crawler.SinkFunc(func(_ context.Context, ps []*post.Post) error {
			if fail {
				return errSinkDown
			}
			got = append(got, ps...)
			return nil
		})
		r := crawler.NewRunner([]crawler.Scheduled{{Source: src, Kind: c.Platform}}, cursors, sink, crawler.WithBatch(1))
		if _, err := r.Pass(ctx, crawler.Scheduled{Source: src}); !errors.Is(err, errSinkDown) {
			t.Fatalf("pass with a failing sink returned %v, want the sink error", err)
		}
		if cur, _ := cursors.Load(ctx, src.Name()); len(cur.Seen) != 0 || cur.Since != "" {
			t.Fatalf("cursor advanced although the sink failed: %+v", cur)
		}
		st := r.Status()[0]
		if st.State != "error" || st.LastErrorKind != "sink" {
			t.Errorf("health after sink failure = %s/%s, want error/sink", st.State, st.LastErrorKind)
		}
		fail = false
		n, err := r.Pass(ctx, crawler.Scheduled{Source: src})
		if err != nil || n == 0 {
			t.Fatalf("pass after the sink recovered: %d posts, %v; want >0 posts", n, err)
		}
		if n2, err := r.Pass(ctx, crawler.Scheduled{Source: src}); err != nil || n2 != 0 {
			t.Errorf("pass after a saved cursor: %d posts, %v; want 0", n2, err)
		}
	})
}

// Collect runs one Fetch of src from cur and returns the posts it emitted, in order, with
// the cursor and the error Fetch returned.
func Collect(ctx context.Context, src crawler.Source, cur crawler.Cursor) ([]*post.Post, crawler.Cursor, error) {
	var out []*post.Post
	next, err := src.Fetch(ctx, cur, func(p *post.Post) error {
		out = append(out, p)
		return nil
	})
	return out, next, err
}

// Fetch is Collect that fails the test when Fetch returns an error.
func Fetch(t testing.TB, src crawler.Source, cur crawler.Cursor) ([]*post.Post, crawler.Cursor) {
	t.Helper()
	out, next, err := Collect(context.Background(), src, cur)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	return out, next
}

func pass(ctx context.Context, t *testing.T, src crawler.Source, cur crawler.Cursor) ([]*post.Post, crawler.Cursor) {
	t.Helper()
	before := cur.Clone()
	out, next, err := Collect(ctx, src, cur)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if !slices.Equal(before.Seen, cur.Seen) || before.Since != cur.Since {
		t.Fatal("Fetch modified the cursor it was given")
	}
	return out, next
}

func checkPosts(t *testing.T, c Case, src crawler.Source, ps []*post.Post) {
	t.Helper()
	seen := map[string]bool{}
	for _, p := range ps {
		if seen[p.ID] {
			t.Errorf("id %s emitted twice in one pass", p.ID)
		}
		seen[p.ID] = true
		if err := p.Validate(); err != nil {
			t.Errorf("post %s invalid: %v", p.ID, err)
		}
		if p.Platform != c.Platform {
			t.Errorf("post %s platform %q, want %q", p.ID, p.Platform, c.Platform)
		}
		if p.Source != src.Name() {
			t.Errorf("post %s source %q, want %q", p.ID, p.Source, src.Name())
		}
		if strings.TrimSpace(p.Text) == "" {
			t.Errorf("post %s has empty text", p.ID)
		}
		if !utf8.ValidString(p.Text) || !norm.NFC.IsNormalString(p.Text) {
			t.Errorf("post %s text is not NFC UTF-8", p.ID)
		}
		if strings.ContainsAny(p.Text, "<>") && strings.Contains(p.Text, "</") {
			t.Errorf("post %s text still has HTML: %q", p.ID, crawler.Truncate(p.Text, 120))
		}
		if !post.IsPseudonym(p.Author.ID) { // the full form: "a1:" before a raw handle passed the prefix check
			t.Errorf("post %s author id is not a pseudonym (a1: and 32 hex digits)", p.ID)
		}
		if p.FetchedAt.IsZero() {
			t.Errorf("post %s has no fetched_at", p.ID)
		}
	}
}

func ids(ps []*post.Post) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

func sortedIDs(ps []*post.Post) []string {
	out := ids(ps)
	slices.Sort(out)
	return out
}
