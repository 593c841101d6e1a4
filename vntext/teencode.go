package vntext

import (
	"bufio"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
)

// teenEntry is the expansion of one teencode abbreviation.
type teenEntry struct{ norm, fold string }

// defaultTeencode returns the dictionary from the embedded teencode.tsv. The
// normalizer is a plain function shared by the store and query parser, so the dictionary
// is package data, parsed once; a broken file leaves it empty (TestTeencodeFileParses
// keeps that from shipping).
var defaultTeencode = sync.OnceValue(func() map[string]teenEntry {
	d, _ := loadTeencode()
	return d
})

// teenTable is the teencode dictionary in a SymbolTable, so the per-word lookup of the
// tokenizer (every word up to the longest key) hashes two machine words instead of going
// through a string map. It holds the same entries as defaultTeencode.
type teenTable struct {
	syms    SymbolTable
	entries []teenEntry // by id-1
	maxKey  int         // longest key in bytes: longer words skip the lookup
}

var defaultTeenTable = sync.OnceValue(func() *teenTable {
	t := &teenTable{}
	for k, e := range defaultTeencode() {
		t.entries = append(t.entries, e)
		t.syms.Put(k, int32(len(t.entries)))
		t.maxKey = max(t.maxKey, len(k))
	}
	return t
})

// lookup returns the expansion of the normalized word w, or nil.
func (t *teenTable) lookup(w []byte) *teenEntry {
	if len(w) > t.maxKey {
		return nil
	}
	if id := t.syms.Get(w); id > 0 {
		return &t.entries[id-1]
	}
	return nil
}

// teencodeTSV is the dictionary of teencode and common abbreviations, written for this
// project (see the file's header). It lives beside the normalizer, not in models/, because
// it is part of the normalizer's output contract and this package imports nothing of ours.
//
//go:embed teencode.tsv
var teencodeTSV string

// ErrDictionary marks a malformed line of a dictionary file (teencode.tsv).
var ErrDictionary = errors.New("bad dictionary line")

func loadTeencode() (map[string]teenEntry, error) {
	return parseTeencode("teencode.tsv", strings.NewReader(teencodeTSV))
}

// parseTeencode reads abbreviation<TAB>expansion lines. Keys must be one syllable.
func parseTeencode(name string, r io.Reader) (map[string]teenEntry, error) {
	d := make(map[string]teenEntry)
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		key, exp, ok := strings.Cut(text, "\t")
		key, exp = Normalize(strings.TrimSpace(key)), strings.TrimSpace(exp)
		if !ok || key == "" || exp == "" {
			return nil, fmt.Errorf("%s:%d: %w: want abbreviation<TAB>expansion", name, line, ErrDictionary)
		}
		if wordEnd(key, 0) != len(key) {
			return nil, fmt.Errorf("%s:%d: %w: abbreviation %q is not one syllable", name, line, ErrDictionary, key)
		}
		if _, dup := d[key]; dup {
			return nil, fmt.Errorf("%s:%d: %w: duplicate abbreviation %q", name, line, ErrDictionary, key)
		}
		n := strings.Join(strings.Fields(Normalize(exp)), " ")
		d[key] = teenEntry{norm: n, fold: string(appendFolded(nil, n))}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return d, nil
}
