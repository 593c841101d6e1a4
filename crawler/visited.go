package crawler

import (
	"container/list"
	"net/url"
	"sync"
)

// Visited is a bounded set of request hashes for colly (storage.Storage): at most
// capacity entries, least recently used evicted first. Colly's default in-memory store
// keeps every URL ever visited; this one keeps memory flat over any crawl length, at the
// price that a page evicted long ago may be fetched again (harmless: post ids are stable
// and the cursor filters re-seen posts). Cookies are not stored: sources crawl logged out.
type Visited struct {
	mu       sync.Mutex
	capacity int
	ll       *list.List
	items    map[uint64]*list.Element
	evicted  int // since the map was last rebuilt
}

// NewVisited returns a set holding at most capacity hashes (minimum 1).
func NewVisited(capacity int) *Visited {
	return &Visited{capacity: max(capacity, 1), ll: list.New(), items: map[uint64]*list.Element{}}
}

// Init implements storage.Storage.
func (v *Visited) Init() error { return nil }

// Visited implements storage.Storage.
func (v *Visited) Visited(id uint64) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if e, ok := v.items[id]; ok {
		v.ll.MoveToFront(e)
		return nil
	}
	v.items[id] = v.ll.PushFront(id)
	for v.ll.Len() > v.capacity {
		e := v.ll.Back()
		v.ll.Remove(e)
		delete(v.items, e.Value.(uint64))
		v.evicted++
	}
	// A Go map does not shrink after deletes; under steady churn rebuild it once per
	// capacity evictions (amortized O(1)) so its memory stays proportional to capacity.
	if v.evicted >= v.capacity {
		fresh := make(map[uint64]*list.Element, v.capacity)
		for k, e := range v.items {
			fresh[k] = e
		}
		v.items, v.evicted = fresh, 0
	}
	return nil
}

// IsVisited implements storage.Storage.
func (v *Visited) IsVisited(id uint64) (bool, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	_, ok := v.items[id]
	return ok, nil
}

// Len is the number of hashes held.
func (v *Visited) Len() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.ll.Len()
}

// Cookies implements storage.Storage: none are kept.
func (v *Visited) Cookies(*url.URL) string { return "" }

// SetCookies implements storage.Storage: cookies are dropped.
func (v *Visited) SetCookies(*url.URL, string) {}
