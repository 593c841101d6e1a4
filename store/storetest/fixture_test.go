package storetest

import (
	"testing"
	"time"

	"github.com/langnghe/langnghe/store"
)

func TestFixturesValid(t *testing.T) {
	seen := map[string]bool{}
	months := map[string]int{}
	for _, p := range Fixtures() {
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", p.ID, err)
		}
		if seen[p.ID] {
			t.Errorf("duplicate id %s", p.ID)
		}
		seen[p.ID] = true
		months[store.MonthlyIndexSuffix(p.PublishedAt)]++
	}
	if len(months) != 2 {
		t.Errorf("fixtures span partitions %v, want two months", months)
	}
}

func TestRefBucketsSumToMatches(t *testing.T) {
	posts := Fixtures()
	b, d := refBuckets(posts, store.Query{Interval: 24 * time.Hour})
	sum := 0
	for _, x := range b {
		sum += x.Count
	}
	if sum != len(posts) || d != 24*time.Hour || len(b) != 57 {
		t.Fatalf("ref buckets: %d buckets of %v summing to %d", len(b), d, sum)
	}
}

func TestGenerateValidAndDeterministic(t *testing.T) {
	a, b := Generate(300, 7), Generate(300, 7)
	for i, p := range a {
		if err := p.Validate(); err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
		if p.Text != b[i].Text || !p.PublishedAt.Equal(b[i].PublishedAt) {
			t.Fatalf("post %d differs between runs with one seed", i)
		}
	}
	if Generate(1, 8)[0].ID == a[0].ID {
		t.Fatal("different seeds must give different ids")
	}
}
