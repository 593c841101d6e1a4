package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/langnghe/langnghe/alerting"
	"github.com/langnghe/langnghe/post"
	blevestore "github.com/langnghe/langnghe/store/bleve"
	"github.com/langnghe/langnghe/store/storetest"
	"github.com/langnghe/langnghe/testinfra"
	"github.com/langnghe/langnghe/triage"
)

// xssPosts are crawled posts carrying the classic payloads in every field a page shows.
func xssPosts() []*post.Post {
	at := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	mk := func(id, title, text, link string) *post.Post {
		start := strings.Index(text, "lừa đảo")
		return &post.Post{Schema: 1, ID: id, Platform: "forum", Source: "<b>nguon</b>", URL: link, ThreadURL: link, Title: title, Text: text,
			PublishedAt: at, FetchedAt: at, Analysis: &post.Analysis{Model: "default@test", Sentiment: post.Label{Label: "negative", Score: -0.6},
				Toxicity: post.Label{Label: "clean"}, Narratives: []post.Narrative{{ID: "scam", Score: 2.5}}, Flagged: true,
				Evidence: []post.Evidence{{For: "scam", Term: "lừa đảo", Start: start, End: start + len("lừa đảo"), Weight: 1.5}}}}
	}
	return []*post.Post{
		mk("forum:xss:1", `<script>window.__xss=1</script>`, `xsstest lừa đảo <script>window.__xss=1</script> chuyển khoản`, "https://example.test/1"),
		mk("forum:xss:2", `<img src=x onerror="window.__xss=2">`, `xsstest lừa đảo <img src=x onerror="window.__xss=2"> <svg onload="window.__xss=2">`, "javascript:window.__xss=3"),
		mk("forum:xss:3", "tiêu đề", `xsstest lừa đảo "><iframe src="javascript:window.__xss=4"></iframe>`, "data:text/html,<script>window.__xss=5</script>"),
	}
}

// todayPosts are published on the browser test clock's Hanoi day (it began at
// 2026-11-30T17:00Z), unflagged so the queue is unchanged; one source name is hostile.
func todayPosts() []*post.Post {
	var out []*post.Post
	for i, src := range []string{`<img src=x onerror="window.__xss=6">`, `<img src=x onerror="window.__xss=6">`, "tuoitre-rss"} {
		p := storetest.Fixtures()[0]
		p.ID, p.Source, p.Title, p.Text = fmt.Sprintf("rss:today:%d", i), src, "", "mưa lớn ngập đường sáng nay"
		p.PublishedAt = time.Date(2026, 11, 30, 18+i, 0, 0, 0, time.UTC)
		p.Analysis = &post.Analysis{Model: "test", Sentiment: post.Label{Label: "negative"}, Toxicity: post.Label{Label: "clean"},
			Narratives: []post.Narrative{{ID: "disaster", Score: 1}}}
		out = append(out, p)
	}
	return out
}

// TestBrowser drives the UI in headless Chromium: log in, search, page, filter by facet,
// open a post, hostile posts that never execute, a syntax error, CSRF refused, log out.
func TestBrowser(t *testing.T) {
	chromium := testinfra.Chromium(t)
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	st, err := blevestore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if err := st.Index(ctx, append(append(append(storetest.Fixtures(), xssPosts()...), campaign()...), todayPosts()...)); err != nil {
		t.Fatal(err)
	}
	st.Refresh(ctx)
	line, _ := UserLine("lan", RoleAnalyst, []byte(testPassword), bcrypt.MinCost)
	u, _ := ParseUser(line)
	adminLine, _ := UserLine("minh", RoleAdmin, []byte(testPassword), bcrypt.MinCost)
	admin, _ := ParseUser(adminLine)
	clock := func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }
	ts, err := triage.OpenFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Close()
	silences, err := alerting.OpenSilenceFile(filepath.Join(t.TempDir(), "silences.json"), alerting.WithSilenceClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	history := fakeHistory{{ID: "lua-dao/1", RuleID: "lua-dao", Kind: alerting.KindMatch, Severity: "high", Status: alerting.StatusSent,
		Subject: "Lừa đảo chuyển khoản: 3 bài", CreatedAt: clock().Add(-time.Hour), PostIDs: []string{"forum:xss:1"}}}
	srv := httptest.NewServer(NewAuth(WithUsers(u, admin)).Wrap(New(st, WithClock(clock), WithTriage(ts),
		WithAlerts(history), WithSilences(silences, func() []string { return []string{"lua-dao"} }),
		WithNarratives([]NarrativeLabel{{ID: "scam", NameVI: "Lừa đảo", NameEN: "Scam"}, {ID: "disaster", NameVI: "Thiên tai", NameEN: "Disaster"}})).Handler()))
	defer srv.Close()
	// A page of another origin that posts to the UI, as a CSRF attack would.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<form id=f method=post action="%s/logout"></form><script>document.getElementById('f').submit()</script>`, srv.URL)
	}))
	defer evil.Close()

	outDir := os.Getenv("LANGNGHE_TEST_OUT")
	if outDir == "" {
		outDir = filepath.Join(os.TempDir(), "langnghe-browser")
	}
	os.MkdirAll(outDir, 0o755)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 1000), chromedp.Flag("disable-gpu", true))
	actx, cancel := chromedp.NewExecAllocator(ctx, opts...)
	defer cancel()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	bctx, cancel = context.WithTimeout(bctx, 90*time.Second)
	defer cancel()

	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, actions...); err != nil {
			sctx, c := context.WithTimeout(bctx, 5*time.Second)
			shot, _ := chromedp.Run(sctx, chromedp.FullScreenshot(100))
			c()
			os.WriteFile(filepath.Join(outDir, "failed.png"), shot, 0o644)
			t.Fatalf("%s: %v", step, err)
		}
	}
	text := func(step string, a chromedp.Action[string]) string {
		t.Helper()
		v, err := chromedp.Run(bctx, a)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		return v
	}
	eval := func(step, js string, out any) {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Evaluate[json.RawMessage](js, chromedp.EvalAwaitPromise))
		if err == nil {
			err = json.Unmarshal(v, out)
		}
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	shot := func(name string) {
		b, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		os.WriteFile(filepath.Join(outDir, name+".png"), b, 0o644)
	}
	noXSS := func(step string) {
		var v any
		eval(step+": xss flag", `window.__xss === undefined ? null : window.__xss`, &v)
		if v != nil {
			t.Fatalf("%s: a payload executed (window.__xss = %v)", step, v)
		}
	}
	C := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	poll := func(js string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(10*time.Second)))
			return err
		})
	}
	var loc string
	location := func() string { return text("location", chromedp.Location()) }

	// Not logged in: the page sends the browser to the login form.
	run("login page", chromedp.Navigate(srv.URL+"/?q=lu+lut"), chromedp.WaitVisible(C(`#login`)))
	if loc = location(); !strings.Contains(loc, "/login?next=") {
		t.Fatalf("not redirected to login: %s", loc)
	}
	run("wrong password", chromedp.SendKeys(C(`input[name=user]`), "lan"), chromedp.SendKeys(C(`input[name=password]`), "sai-mat-khau"),
		chromedp.Submit(C(`#login`)), chromedp.WaitVisible(C(`#login-error`)))
	run("log in", chromedp.SendKeys(C(`input[name=user]`), "lan"), chromedp.SendKeys(C(`input[name=password]`), testPassword),
		chromedp.Submit(C(`#login`)), chromedp.WaitVisible(C(`#hits li`)))
	if loc = location(); !strings.Contains(loc, "q=lu+lut") {
		t.Errorf("after login: %s, want back on the search", loc)
	}

	// First load of / with results, after login.
	start := time.Now()
	run("first page", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(C(`#hits li`)), chromedp.WaitVisible(C(`#facets .facet button`)))
	t.Logf("first page load of / with results and facets: %v", time.Since(start))
	shot("search")
	if st := text("status", chromedp.Text(C(`#status`))); !strings.Contains(st, "1–20") {
		t.Fatalf("status %q, want the first 20", st)
	}
	if dates := text("dates", chromedp.Text(C(`#hits li .meta`))); !strings.Contains(dates, "(giờ VN)") {
		t.Errorf("hit date %q not labelled as Vietnam time", dates)
	}
	if axis := text("chart axis", chromedp.Text(C(`.xaxis`))); !strings.Contains(axis, "mỗi cột") || strings.Contains(axis, "0m0s") {
		t.Errorf("chart axis %q: the bar width should read as people write it (12h, not 12h0m0s)", axis)
	}
	// The axis ends where the last bar ends (its start plus the API's interval), not at the
	// last bar's start: a one-bar chart read "07:00 … 07:00".
	var ax struct{ Last, LastStart, Interval string }
	eval("chart axis end", `(async () => { const bars = [...document.querySelectorAll('#chart .bars span')]; const sp = [...document.querySelectorAll('#chart .xaxis span')];
		const r = await (await fetch('/api/search?limit=1')).json();
		return {Last: sp[sp.length - 1].textContent, LastStart: bars[bars.length - 1].dataset.start, Interval: r.interval}; })()`, &ax)
	lastStart, err := time.Parse(time.RFC3339, ax.LastStart)
	if err != nil {
		t.Fatalf("last bar start %q: %v", ax.LastStart, err)
	}
	iv, err := time.ParseDuration(ax.Interval)
	if err != nil {
		t.Fatalf("API interval %q: %v", ax.Interval, err)
	}
	var wantEnd string
	eval("axis end text", fmt.Sprintf(`LN.time(%q)`, lastStart.Add(iv).Format(time.RFC3339)), &wantEnd)
	if ax.Last != wantEnd {
		t.Errorf("chart axis ends at %q, want the last bar's end %q (start %s + %s)", ax.Last, wantEnd, ax.LastStart, ax.Interval)
	}

	// Drag-zoom: dragging across the chart selects the buckets under the pointer; their
	// span becomes from/to (shown in the Vietnam-time pickers) and the count is theirs.
	var ch struct {
		Left, Width, Top, Height float64
		Counts                   []int
		Starts                   []string
		Total                    int
	}
	eval("chart geometry", `(async () => { const b = document.querySelector('#chart .bars').getBoundingClientRect(); const bars = [...document.querySelectorAll('#chart .bars span')];
		const r = await (await fetch('/api/search?limit=1')).json();
		return {Left: b.left, Width: b.width, Top: b.top, Height: b.height, Counts: bars.map(s => +s.dataset.count), Starts: bars.map(s => s.dataset.start), Total: r.total}; })()`, &ch)
	zi, zj, want := -1, -1, 0
	for i := 0; i < len(ch.Counts) && zi < 0; i++ {
		sum := 0
		for j := i; j < len(ch.Counts); j++ {
			sum += ch.Counts[j]
			if j > i && sum > 0 && sum < ch.Total {
				zi, zj, want = i, j, sum
				break
			}
		}
	}
	if zi < 0 || zj+1 >= len(ch.Starts) {
		t.Fatalf("chart %+v: no bucket span to zoom into", ch)
	}
	bx := func(k int) float64 { return ch.Left + (float64(k)+0.5)*ch.Width/float64(len(ch.Counts)) }
	by := ch.Top + ch.Height/2
	run("drag zoom", chromedp.MouseEvent(chromedp.MousePressed, bx(zi), by, chromedp.ButtonLeft, chromedp.ClickCount(1)),
		chromedp.MouseEvent(chromedp.MouseMoved, (bx(zi)+bx(zj))/2, by, chromedp.ButtonLeft),
		chromedp.MouseEvent(chromedp.MouseMoved, bx(zj), by, chromedp.ButtonLeft),
		chromedp.MouseEvent(chromedp.MouseReleased, bx(zj), by, chromedp.ButtonLeft, chromedp.ClickCount(1)),
		poll(fmt.Sprintf(`document.getElementById('status').textContent.startsWith('%d ')`, want)))
	var zoom struct{ From, To, Preset, FromAt, ToAt, URL string }
	eval("zoom state", `({From: document.getElementById('from').value, To: document.querySelector('input[name=to]').value, Preset: document.getElementById('preset').value,
		FromAt: document.getElementById('from-at').value, ToAt: document.getElementById('to-at').value, URL: location.search})`, &zoom)
	zFrom, _ := time.Parse(time.RFC3339, ch.Starts[zi])
	zTo, _ := time.Parse(time.RFC3339, ch.Starts[zj+1])
	hanoi := time.FixedZone("ICT", 7*3600)
	if got, _ := time.Parse(time.RFC3339, zoom.From); !got.Equal(zFrom) || zoom.Preset != "custom" ||
		zoom.FromAt != zFrom.In(hanoi).Format("2006-01-02T15:04") || zoom.ToAt != zTo.In(hanoi).Format("2006-01-02T15:04") ||
		!strings.Contains(zoom.URL, "from=") || !strings.Contains(zoom.URL, "to=") {
		t.Errorf("after zooming into buckets %d..%d (%s..%s): %+v", zi, zj, zFrom, zTo, zoom)
	}
	if got, _ := time.Parse(time.RFC3339, zoom.To); !got.Equal(zTo) {
		t.Errorf("zoom to %q, want the end of bucket %d (%s)", zoom.To, zj, zTo)
	}
	shot("zoom")
	run("zoom reset", chromedp.Click(C(`#zoom-reset`)), poll(fmt.Sprintf(`document.getElementById('status').textContent.startsWith('%d ')`, ch.Total)))
	if v := text("from after reset", chromedp.Value(C(`#from`))); v != "" {
		t.Errorf("from after reset: %q, want empty (all time)", v)
	}
	// The absolute pickers: the same span typed in Vietnam time gives the same count.
	run("absolute range", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { for (const [id, v] of [['from-at', %q], ['to-at', %q]]) {
		const e = document.getElementById(id); e.value = v; e.dispatchEvent(new Event('change', {bubbles: true})); } })()`,
		zFrom.In(hanoi).Format("2006-01-02T15:04"), zTo.In(hanoi).Format("2006-01-02T15:04"))),
		poll(fmt.Sprintf(`document.getElementById('status').textContent.startsWith('%d ')`, want)))
	if loc = location(); !strings.Contains(loc, "from="+url.QueryEscape(zFrom.UTC().Format(time.RFC3339))) {
		t.Errorf("absolute from %s (Vietnam time) not sent as %s: %s", zFrom.In(hanoi), zFrom.UTC().Format(time.RFC3339), loc)
	}
	if z := text("zone label", chromedp.Text(C(`.range .zone`))); !strings.Contains(z, "Asia/Ho_Chi_Minh") {
		t.Errorf("pickers not labelled with the zone: %q", z)
	}
	run("back to all", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(C(`#hits li`)))

	// Paging.
	run("next page", chromedp.Click(C(`#next`)), chromedp.WaitVisible(C(`#prev:not([disabled])`)))
	if st, loc := text("status", chromedp.Text(C(`#status`))), location(); !strings.Contains(st, "21–") || !strings.Contains(loc, "offset=20") {
		t.Fatalf("page 2: status %q url %s", st, loc)
	}

	// Facet filter: the narrative facet shows Vietnamese names; clicking filters to its count.
	sel := `#facets [data-facet=narrative] button[data-value=scam]`
	label, count := text("facet", chromedp.Text(C(sel))), text("facet count", chromedp.Text(C(sel+` .count`)))
	if !strings.HasPrefix(label, "Lừa đảo") {
		t.Errorf("facet label %q, want the Vietnamese name", label)
	}
	run("facet click", chromedp.Click(C(sel)), chromedp.WaitVisible(C(`#filters .chip`)),
		poll(`document.getElementById('status').textContent.startsWith('`+count+` ')`))
	if loc = location(); !strings.Contains(loc, "narrative=scam") {
		t.Fatalf("facet click: url %s", loc)
	}
	var tags []string
	eval("tags", `[...document.querySelectorAll('#hits li')].map(li => li.querySelector('.meta').textContent)`, &tags)
	for _, tg := range tags {
		if !strings.Contains(tg, "Lừa đảo") {
			t.Errorf("hit without the filtered narrative: %q", tg)
		}
	}

	// Hostile posts in the results: shown as text, nothing runs, no javascript: links.
	run("xss search", chromedp.Navigate(srv.URL+"/?q=xsstest"), chromedp.WaitVisible(C(`#hits li`)),
		poll(`document.querySelectorAll('#hits li').length === 3`))
	time.Sleep(300 * time.Millisecond) // give an onerror handler the chance to fire
	noXSS("search results")
	var bad int
	eval("xss dom", `document.querySelectorAll('#hits script, #hits img, #hits svg, #hits iframe, a[href^="javascript:"], a[href^="data:"]').length`, &bad)
	if bad != 0 {
		t.Fatalf("%d hostile elements or links rendered", bad)
	}
	if hits := text("xss text", chromedp.Text(C(`#hits`))); !strings.Contains(hits, `<script>window.__xss=1</script>`) {
		t.Errorf("the payload is not shown as text: %q", hits)
	}
	shot("xss")

	// Open a post from the results.
	run("open post", chromedp.Click(C(`#hits li a.open-post`)), chromedp.WaitVisible(C(`#evidence tbody tr`)))
	if loc = location(); !strings.Contains(loc, "/posts/forum%3Axss%3A") {
		t.Fatalf("post url %s", loc)
	}
	var marks []string
	eval("post marks", `[...document.querySelectorAll('#text mark.evidence')].map(m => m.textContent + '|' + m.title)`, &marks)
	if len(marks) != 1 || !strings.HasPrefix(marks[0], "lừa đảo|Lừa đảo (narrative)") || !strings.Contains(marks[0], "default@test") || !strings.Contains(marks[0], "trọng số 1.500") {
		t.Errorf("evidence marks %q, want the term explained with narrative name, weight and model", marks)
	}
	if w := text("evidence weight", chromedp.Text(C(`#evidence tbody td.weight`))); w != "1.500" {
		t.Errorf("evidence table weight %q, want 1.500", w)
	}
	time.Sleep(300 * time.Millisecond)
	noXSS("post page")
	eval("post links", `[...document.querySelectorAll('a')].filter(a => !/^https?:/.test(a.href)).length`, &bad)
	if bad != 0 {
		t.Errorf("%d non-http(s) links on the post page", bad)
	}
	shot("post")
	run("post 404", chromedp.Navigate(srv.URL+"/posts/"+url.PathEscape("no:such:post")),
		poll(`document.getElementById('status').textContent.length > 0`))
	if st := text("404", chromedp.Text(C(`#status`))); !strings.Contains(st, "không có bài này") {
		t.Errorf("missing post: %q", st)
	}

	// Export: the CSV button streams every match (not a page), counting rows.
	run("export", chromedp.Navigate(srv.URL+"/?q=narrative:scam"), chromedp.WaitVisible(C(`#hits li`)), chromedp.WaitVisible(C(`#export button[data-format=csv]`)),
		chromedp.Click(C(`#export button[data-format=csv]`)), poll(`document.getElementById('export').dataset.done !== undefined`))
	var exported struct {
		Done   string
		Status string
		Total  int
	}
	eval("export result", `(async () => { const r = await fetch('/api/search?q=narrative:scam&limit=1'); const b = await r.json();
		return {Done: document.getElementById('export').dataset.done, Status: document.getElementById('export-status').textContent, Total: b.total}; })()`, &exported)
	if exported.Done != fmt.Sprint(exported.Total) || exported.Total <= 3 || !strings.Contains(exported.Status, ".csv") {
		t.Errorf("export: %+v, want every scam match saved to a .csv", exported)
	}
	shot("export")

	// Queue: the copy-paste campaign (emoji added, accents dropped) is one item of three.
	run("queue", chromedp.Navigate(srv.URL+"/queue"), chromedp.WaitVisible(C(`#items li.cluster`)))
	var first struct{ ID, Count string }
	eval("queue first", `({ID: document.querySelector('#items li.cluster').dataset.id, Count: document.querySelector('#items li.cluster').dataset.count})`, &first)
	if first.ID != "forum:camp:a" || first.Count != "3" {
		t.Errorf("first queue item %+v, want the campaign grouped as 3", first)
	}
	// Triage it: escalate, shown at once, stored, and on the post page with the audit trail.
	run("triage", chromedp.Click(C(`#items li.cluster .triage-escalate`)), poll(`document.querySelector('#items li.cluster .triage.escalate') !== null`))
	noXSS("queue") // the hostile posts are flagged: they are in the queue as text
	shot("queue")
	run("triage stored", chromedp.Navigate(srv.URL+"/queue"), chromedp.WaitVisible(C(`#items li.cluster .triage.escalate`)))
	run("post triage", chromedp.Navigate(srv.URL+"/posts/forum%3Acamp%3Ab"), chromedp.WaitVisible(C(`#triage-history li`)))
	if h := text("post triage history", chromedp.Text(C(`#triage-history`))); !strings.Contains(h, "Chuyển cấp") || !strings.Contains(h, "lan (analyst)") {
		t.Errorf("post page triage history %q", h)
	}
	if h, _ := ts.History(ctx, "forum:camp:c"); len(h) != 1 || h[0].Action != "escalate" || h[0].User != "lan" {
		t.Errorf("stored triage of a group member: %+v", h)
	}

	// Overview: today (the Hanoi day of the clock) counts the three posts published since
	// its midnight, with the narrative's Vietnamese name, a hostile source name as text, an
	// English switch, and a link to exactly those posts on the search page.
	run("overview", chromedp.Navigate(srv.URL+"/overview"), chromedp.WaitVisible(C(`#narratives tbody tr[data-term=disaster]`)))
	var ov struct{ Count, Narrative, Sources, Status string }
	eval("overview numbers", `({Count: document.getElementById('volume-count').textContent, Narrative: document.querySelector('#narratives tr[data-term=disaster]').textContent,
		Sources: document.getElementById('sources').textContent, Status: document.getElementById('status').textContent})`, &ov)
	if ov.Count != "3" || !strings.HasPrefix(ov.Narrative, "Thiên tai3") || !strings.Contains(ov.Sources, `<img src=x onerror="window.__xss=6">2`) || !strings.Contains(ov.Status, "2026-12-01 (giờ VN)") {
		t.Errorf("overview %+v, want 3 posts today, Thiên tai 3, the hostile source as text with 2", ov)
	}
	time.Sleep(300 * time.Millisecond)
	noXSS("overview")
	shot("overview")
	run("overview english", chromedp.Click(C(`#lang`)), chromedp.WaitVisible(C(`html[lang=en] #narratives tr[data-term=disaster]`)))
	if n := text("overview english", chromedp.Text(C(`#narratives tr[data-term=disaster] td`))); n != "Disaster" {
		t.Errorf("English narrative name %q", n)
	}
	run("overview vietnamese", chromedp.Click(C(`#lang`)), chromedp.WaitVisible(C(`html[lang=vi] #narratives tr[data-term=disaster]`)))
	run("overview to search", chromedp.Click(C(`#volume-count a`)), chromedp.WaitVisible(C(`#hits li`)), poll(`document.getElementById('status').textContent.startsWith('3 ')`))

	// A syntax error: its position is marked and the old results are gone.
	run("syntax error", chromedp.Navigate(srv.URL+"/?q=lu+lut"), chromedp.WaitVisible(C(`#hits li`)),
		chromedp.SetValue(C(`#q`), `lu (lut`), chromedp.Submit(C(`#search`)), chromedp.WaitVisible(C(`#qerror`)))
	var nHits int
	eval("syntax error hits", `document.querySelectorAll('#hits li').length`, &nHits)
	if qe := text("qerror", chromedp.Text(C(`#qerror`))); nHits != 0 || !strings.Contains(qe, "^") || !strings.Contains(qe, "lu (lut") {
		t.Errorf("after a syntax error: %d hits left, marker %q", nHits, qe)
	}
	shot("syntax-error")

	// CSRF: a page of another origin posts the logout form; the server refuses it and the
	// session survives. A same-origin POST without the token is refused too.
	run("csrf cross-origin", chromedp.Navigate(evil.URL), poll(`location.pathname === '/logout' && document.readyState === 'complete'`))
	if page := text("csrf page", chromedp.Text(C(`body`))); !strings.Contains(page, "cross-origin request refused") {
		t.Errorf("cross-origin logout form: page says %q, want refused", page)
	}
	var status int
	run("sources page", chromedp.Navigate(srv.URL+"/sources"), chromedp.WaitVisible(C(`#logout`)))
	eval("csrf no token", `fetch('/logout', {method: 'POST'}).then(r => r.status)`, &status)
	if status != http.StatusForbidden {
		t.Errorf("POST /logout without token: %d, want 403", status)
	}
	run("still logged in", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(C(`#logout`)))

	// Log out.
	run("logout", chromedp.Click(C(`#logout`)), chromedp.WaitVisible(C(`#login`)))
	run("after logout", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(C(`#login`)))
	if loc = location(); !strings.Contains(loc, "/login") {
		t.Fatalf("after logout: %s", loc)
	}
	// Silence an alert: an admin creates a silence on /alerts (a plain form with the CSRF
	// token), sees it with its expiry in Vietnam time, and removes it.
	run("admin login", chromedp.SendKeys(C(`input[name=user]`), "minh"), chromedp.SendKeys(C(`input[name=password]`), testPassword),
		chromedp.Submit(C(`#login`)), chromedp.WaitVisible(C(`#hits li`)))
	run("alerts page", chromedp.Navigate(srv.URL+"/alerts"), chromedp.WaitVisible(C(`#silence-form`)), chromedp.WaitVisible(C(`.no-silences`)))
	run("silence", chromedp.SendKeys(C(`#silence-form input[name=rule]`), "lua-dao"), chromedp.SendKeys(C(`#silence-form input[name=for]`), "2h"),
		chromedp.SendKeys(C(`#silence-form input[name=comment]`), "<b>đang xử lý</b>"),
		chromedp.Submit(C(`#silence-form`)), chromedp.WaitVisible(C(`tr.silence`)))
	if row := text("silence row", chromedp.Text(C(`tr.silence`))); !strings.Contains(row, "lua-dao") || !strings.Contains(row, "09:00 01/12/2026 (giờ VN)") || !strings.Contains(row, "<b>đang xử lý</b>") {
		t.Errorf("silence row %q, want rule lua-dao until 09:00 Vietnam time and the comment as text", row)
	}
	if l, _ := silences.List(ctx); len(l) != 1 || l[0].Rule != "lua-dao" || l[0].CreatedBy != "minh" {
		t.Errorf("stored silences %+v", l)
	}
	shot("silence")
	run("unsilence", chromedp.Click(C(`tr.silence .remove-silence`)), chromedp.WaitVisible(C(`.no-silences`)))
	if l, _ := silences.List(ctx); len(l) != 0 {
		t.Errorf("silence not removed: %+v", l)
	}
	t.Logf("screenshots in %s", outDir)
}
