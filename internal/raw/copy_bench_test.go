package raw

import (
	"slices"
	"testing"
	"unsafe"

	"github.com/batchkit/batchkit/internal/benchevents"
)

// BenchmarkBorrowed measures what borrowing the event saves: the raw
// entry's decoding over the caller's bytes, copying into the arena only the
// strings the records keep (what the entry does), against the decoding of
// one copy of the whole event, whose strings share it (what it did before
// issue 23's second round), in alternating blocks of 10 decodings, per
// source. The ratio ("borrowed/copy") is taken on CPU time (the garbage
// collector's included) within each pair of blocks; its median is reported.
//
//	go test -run '^$' -bench Borrowed -benchtime 40x ./internal/raw
func BenchmarkBorrowed(b *testing.B) {
	const n = 1000
	b.Run("sqs", func(b *testing.B) { benchBorrowed(b, benchevents.Event("sqs", n), &SQS) })
	b.Run("kinesis", func(b *testing.B) { benchBorrowed(b, benchevents.Event("kinesis", n), &Kinesis) })
	b.Run("dynamodb", func(b *testing.B) { benchBorrowed(b, benchevents.Event("dynamodb", n), &DynamoDB) })
}

func benchBorrowed[R any](b *testing.B, data []byte, k *Kind[R]) {
	const n, block = 1000, 10
	run := []func(){
		func() { _, _, _ = DecodeEnvelope(string(data), k, RecordsKey, nil, skipEveryField) },
		func() { _, _, _ = decodeEvent(unsafe.String(unsafe.SliceData(data), len(data)), k) },
	}
	var cpu [2][]float64
	for b.Loop() {
		for i, f := range run {
			c := cpuTime()
			for range block {
				f()
			}
			cpu[i] = append(cpu[i], float64((cpuTime()-c).Nanoseconds())/block/n)
		}
	}
	ratios := make([]float64, len(cpu[0]))
	for i := range ratios {
		ratios[i] = cpu[1][i] / cpu[0][i]
	}
	b.ReportMetric(median(cpu[0]), "copy-cpu-ns/record")
	b.ReportMetric(median(cpu[1]), "borrowed-cpu-ns/record")
	b.ReportMetric(median(ratios), "borrowed/copy")
	b.ReportMetric(0, "ns/op")
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}
