package filter_test

import (
	"testing"

	"github.com/batchkit/batchkit/driver/filter"
)

// BenchmarkMatchSQS measures the cost of filtering one SQS message with a
// JSON body against two patterns, as the driver does for every message.
func BenchmarkMatchSQS(b *testing.B) {
	c := filter.MustNew(
		`{"body": {"type": ["order"], "total": [{"numeric": [">", 100]}]}}`,
		`{"body": {"customer": {"tier": [{"equals-ignore-case": "gold"}]}}}`,
	)
	m := sqsMessage(`{"type": "order", "total": 50, "customer": {"id": "c1", "tier": "GOLD"}, "items": [{"sku": "a"}, {"sku": "b"}]}`)
	b.ReportAllocs()
	for b.Loop() {
		if !c.MatchSQS(m) {
			b.Fatal("no match")
		}
	}
}

// BenchmarkMatch measures a pattern on an already decoded record.
func BenchmarkMatch(b *testing.B) {
	c := filter.MustNew(`{"detail": {"state": [{"anything-but": {"prefix": "init"}}], "count": [{"numeric": [">", 0, "<=", 5]}]}}`)
	rec := decode(b, `{"detail": {"state": "running", "count": 3, "other": "x"}}`)
	b.ReportAllocs()
	for b.Loop() {
		if !c.Match(rec) {
			b.Fatal("no match")
		}
	}
}
