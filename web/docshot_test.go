package web

import (
	"bufio"
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/langnghe/langnghe/classifier"
	"github.com/langnghe/langnghe/models"
	"github.com/langnghe/langnghe/post"
	blevestore "github.com/langnghe/langnghe/store/bleve"
	"github.com/langnghe/langnghe/testinfra"
)

// TestDocsScreenshot writes the README's picture of the search page: the shipped demo
// posts, classified by the default model, searched for "lu lut" over the last 30 days.
// It checks the demo search shows hits and facets and renders a PNG; it writes the
// picture to docs/ only when LANGNGHE_DOCS_SHOT names the output file:
//
//	LANGNGHE_DOCS_SHOT=$PWD/docs/search.png go test -run TestDocsScreenshot ./web/
func TestDocsScreenshot(t *testing.T) {
	out := os.Getenv("LANGNGHE_DOCS_SHOT")
	if out == "" {
		out = filepath.Join(t.TempDir(), "search.png")
	}
	chromium := testinfra.Chromium(t)
	f, err := models.FS().Open("demo/posts.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := classifier.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	var posts []*post.Post
	var newest time.Time
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		p, err := post.Decode(sc.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		classifier.Classify(m, p)
		posts = append(posts, p)
		if p.PublishedAt.After(newest) {
			newest = p.PublishedAt
		}
	}
	shift := now.Add(-time.Hour).Sub(newest)
	for _, p := range posts {
		p.PublishedAt, p.FetchedAt = p.PublishedAt.Add(shift), p.FetchedAt.Add(shift)
	}
	st, err := blevestore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if err := st.Index(ctx, posts); err != nil {
		t.Fatal(err)
	}
	st.Refresh(ctx)
	srv := httptest.NewServer(NewAuth().Wrap(New(st, WithClock(func() time.Time { return now }), WithNarratives(narrativeLabelsOf(t, m))).Handler()))
	defer srv.Close()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.WindowSize(1200, 820), chromedp.Flag("disable-gpu", true))
	actx, cancel := chromedp.NewExecAllocator(ctx, opts...)
	defer cancel()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	bctx, cancel = context.WithTimeout(bctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/?q=lu+lut&from=30d"), chromedp.WaitVisible(chromedp.CSS(`#hits li`)),
		chromedp.WaitVisible(chromedp.CSS(`#facets .facet button`)), chromedp.Sleep(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 10<<10 {
		t.Fatalf("screenshot is not a plausible PNG page (%d bytes)", len(png))
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", out, len(png))
}

// narrativeLabelsOf names the model's narratives for the facets and tags.
func narrativeLabelsOf(t *testing.T, m classifier.Model) []NarrativeLabel {
	t.Helper()
	var out []NarrativeLabel
	for _, n := range classifier.Narratives(m) {
		out = append(out, NarrativeLabel{ID: n.ID, NameVI: n.NameVI, NameEN: n.NameEN})
	}
	return out
}
