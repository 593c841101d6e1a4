package crawler

import (
	"net/http"
	"sort"
	"time"

	"github.com/gocolly/colly/v2"
)

// Conditional makes a colly collector send conditional requests for one pass: before a
// request to a URL for which tr holds a validator, it sets If-None-Match (ETag) and
// If-Modified-Since (Last-Modified); after a 2xx response to a URL that remember accepts
// (nil: every URL), it records the response's ETag/Last-Modified in tr, so the next
// pass's cursor carries them. Sources call it once per collector, before Visit.
//
// colly reports a 304 through OnError (and Visit returns an error) with no body and no
// OnResponse/OnHTML; sources recognise it with NotModified and treat it as "nothing new":
// no posts, no error. The politeTransport already counts it in
// langnghe_crawler_requests_total{code="304"}. A 304 refreshes the validator's age in tr
// (Tracker.Revalidated), so a page that stays unchanged is not the first one evicted when
// the cursor trims its validators.
//
// The validator of a 2xx response is recorded as soon as the response arrives; a source
// whose pass fails afterwards returns its old cursor, so a page whose posts were not all
// emitted never keeps a validator that would hide them on the next pass.
func Conditional(c *colly.Collector, tr *Tracker, remember func(url string) bool) {
	c.OnRequest(func(r *colly.Request) {
		// Validators are keyed by the URL as requested (the next pass requests it again),
		// not the final URL after a redirect; Go's client carries the headers along.
		r.Ctx.Put(requestedKey, r.URL.String())
		if v, ok := tr.Validator(r.URL.String()); ok {
			if v.ETag != "" {
				r.Headers.Set("If-None-Match", v.ETag)
			}
			if v.LastModified != "" {
				r.Headers.Set("If-Modified-Since", v.LastModified)
			}
		}
	})
	c.OnResponse(func(r *colly.Response) {
		if r.StatusCode < 200 || r.StatusCode > 299 {
			return
		}
		u := requested(r)
		if remember != nil && !remember(u) {
			return
		}
		tr.SetValidator(u, r.Headers.Get("ETag"), r.Headers.Get("Last-Modified"))
	})
	c.OnError(func(r *colly.Response, _ error) {
		if NotModified(r) {
			tr.Revalidated(requested(r))
		}
	})
}

const requestedKey = "langnghe.conditional.url"

func requested(r *colly.Response) string { return RequestedURL(r.Request) }

// RequestedURL is the URL a request was made for before any redirect, under which
// Conditional keys its validator.
func RequestedURL(r *colly.Request) string {
	if r.Ctx != nil {
		if u := r.Ctx.Get(requestedKey); u != "" {
			return u
		}
	}
	return r.URL.String()
}

// SetNext records the next-page link of a page whose validator was recorded in this pass
// (no validator: nothing to do).
func (t *Tracker) SetNext(url, next string) {
	v, ok := t.next.Validators[url]
	if !ok || v.Next == next {
		return
	}
	v.Next = next
	t.next.Validators[url] = v
}

// NotModified reports whether r is a 304 answer to a conditional request.
func NotModified(r *colly.Response) bool {
	return r != nil && r.StatusCode == http.StatusNotModified && r.Request != nil
}

// Revalidated notes that the server answered 304 for url: the stored validator stays and
// its age is reset.
func (t *Tracker) Revalidated(url string) {
	v, ok := t.next.Validators[url]
	if !ok {
		return
	}
	v.At = time.Now().UTC()
	t.next.Validators[url] = v
}

// TrimValidators keeps every validator whose URL keep accepts and at most n others, the
// most recently confirmed ones (by At). Sources that visit many pages per pass (thread
// pages of a forum) call it before Cursor so their list pages always keep validators
// while thread pages only keep the newest n.
func (t *Tracker) TrimValidators(keep func(url string) bool, n int) {
	type kv struct {
		url string
		at  time.Time
	}
	var others []kv
	for u, v := range t.next.Validators {
		if keep == nil || !keep(u) {
			others = append(others, kv{u, v.At})
		}
	}
	if len(others) <= n {
		return
	}
	sort.Slice(others, func(i, j int) bool {
		if !others[i].at.Equal(others[j].at) {
			return others[i].at.After(others[j].at)
		}
		return others[i].url < others[j].url
	})
	for _, o := range others[max(n, 0):] {
		delete(t.next.Validators, o.url)
	}
}
