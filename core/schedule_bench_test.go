package core_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/batchkit/batchkit/core"
)

// BenchmarkScheduleOverhead measures what scheduling itself costs: 1,000
// records with a handler that does nothing, sequential, under bounded
// concurrency, and by ordering key (100 keys).
//
//	go test -run '^$' -bench ScheduleOverhead -benchmem ./core
func BenchmarkScheduleOverhead(b *testing.B) {
	recs := make([]item, 1000)
	for i := range recs {
		recs[i] = item{ID: strconv.Itoa(i), Key: "k" + strconv.Itoa(i%100)}
	}
	noop := func(context.Context, *item) error { return nil }
	tests := []struct {
		name        string
		stop        core.StopPolicy
		orderByKey  bool
		concurrency int
	}{
		{"sequential", core.StopNever, false, 1},
		{"bound=8", core.StopNever, false, 8},
		{"bound=100", core.StopNever, false, 100},
		{"by-key/bound=8", core.StopNever, true, 8},
		{"stop-key/bound=8", core.StopKey, true, 8},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			p := core.NewBase(itemSource(tt.stop, tt.orderByKey), core.Options{Concurrency: tt.concurrency})
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := core.Process(ctx, p, recs, noop); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
