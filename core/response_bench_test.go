package core_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"

	"github.com/batchkit/batchkit/core"
)

// reversed is a processor whose Response lists the failures in reverse
// order, so that the response check cannot match them by a merge walk.
type reversed struct{ *core.Base[rec] }

func (p reversed) Response(ctx context.Context, b *core.Batch[rec]) (core.Response, error) {
	resp, err := p.Base.Response(ctx, b)
	slices.Reverse(resp.BatchItemFailures)
	return resp, err
}

// BenchmarkResponse measures building and checking the response of a batch
// whose records all fail (distinct identifiers): the index of reported
// identifiers (BuildResponse) and of the response's (the response check, on
// its merge walk or, in reverse order, on its index).
func BenchmarkResponse(b *testing.B) {
	errFail := errors.New("fail")
	fail := func(context.Context, *rec) error { return errFail }
	for _, n := range []int{100, 1000, 10000} {
		recs := make([]rec, n)
		for i := range recs {
			recs[i].id = "id-" + strconv.Itoa(i)
		}
		src := core.Source[rec]{Name: "test", Identify: func(r *rec) core.Identifier { return core.StringID(r.id) }}
		base := core.NewBase(src, core.Options{SuppressFullBatchError: true})
		b.Run("n="+strconv.Itoa(n)+"/in-order", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				resp, _ := core.Process(context.Background(), base, recs, fail)
				if len(resp.BatchItemFailures) != n {
					b.Fatal(len(resp.BatchItemFailures))
				}
			}
		})
		rev := reversed{base}
		b.Run("n="+strconv.Itoa(n)+"/reversed", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				resp, _ := core.Process(context.Background(), rev, recs, fail)
				if len(resp.BatchItemFailures) != n {
					b.Fatal(len(resp.BatchItemFailures))
				}
			}
		})
	}
}
