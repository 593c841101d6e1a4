package store

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store/query"
)

// stopWords are Vietnamese function words left out of top terms, in folded form. They
// carry no topic: "và", "là", "của", "không"... A short, content-neutral list; it never
// removes a topic word.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range query.FoldedWords(`và là của có không được cho với các những một này đó thì mà
		đã đang sẽ rất quá cũng như để khi ở trong ra vào lên xuống đi đến từ tại về theo bị
		nhưng hay hoặc nếu vì nên do thế gì ai nào đâu sao lại còn vẫn chỉ mới ạ à ơi nhé nhỉ
		nha thôi rồi luôn đều cả hết nữa vậy thật lắm người ta tôi mình bạn anh chị em họ nó
		chúng nhiều ít hơn nhất lúc sau trước bao giờ đây kia này nọ ấy`) {
		m[w] = true
	}
	for _, w := range strings.Fields("the a an and or of to in on for is are was be it this that with i you") {
		m[w] = true
	}
	return m
}()

// TopTerms counts the folded words of sample (each word once per post) and returns the n
// most frequent, count descending then word ascending. Stop words, words of fewer than
// two letters, numbers and the words in exclude (the query's own words) are left out.
// Both backends compute Aggs.Terms with it over the same sample, so they agree.
func TopTerms(sample []*post.Post, n int, exclude []string) []TermCount {
	skip := map[string]bool{}
	for _, w := range exclude {
		skip[w] = true
	}
	counts := map[string]int{}
	for _, p := range sample {
		seen := map[string]bool{}
		for _, field := range []string{p.Title, p.Text} {
			for _, w := range query.FoldedWords(field) {
				if seen[w] || skip[w] || stopWords[w] || utf8.RuneCountInString(w) < 2 || !strings.ContainsFunc(w, unicode.IsLetter) {
					continue
				}
				seen[w] = true
				counts[w]++
			}
		}
	}
	out := make([]TermCount, 0, len(counts))
	for w, c := range counts {
		out = append(out, TermCount{Term: w, Count: c})
	}
	SortTermCounts(out)
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// SortTermCounts orders a top list: count descending, then term ascending.
func SortTermCounts(tc []TermCount) {
	slices.SortFunc(tc, func(a, b TermCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Term, b.Term)
	})
}

// AggTerms returns the words to exclude from top terms for an analyst query: its
// positive text words (they would top every list).
func AggTerms(text string) []string { return highlightTerms(text) }
