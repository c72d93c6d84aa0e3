package raw

import (
	"testing"
	"time"
	"unsafe"

	"github.com/batchkit/batchkit/internal/benchevents"
)

// BenchmarkEventCopy measures what the one copy of the event costs the SQS
// raw decoding (the copy, its allocation and its share of the garbage
// collector), against decoding straight over the caller's bytes (which the
// entry cannot do: aws-lambda-go reuses the buffer), in alternating blocks.
// Per-string copies cannot cost less than nothing, so the difference bounds
// what they could save.
func BenchmarkEventCopy(b *testing.B) {
	const n = 1000
	data := benchevents.SQS(n, false)
	run := []func(){
		func() { _, _, _ = decodeEvent(string(data), &SQS) },
		func() { _, _, _ = decodeEvent(unsafe.String(unsafe.SliceData(data), len(data)), &SQS) },
	}
	var cpu [2]time.Duration
	var wall [2]time.Duration
	for b.Loop() {
		for i, f := range run {
			start, c := time.Now(), cpuTime()
			for range 10 {
				f()
			}
			wall[i] += time.Since(start)
			cpu[i] += cpuTime() - c
		}
	}
	per := float64(b.N * 10 * n)
	b.ReportMetric(float64(cpu[0].Nanoseconds())/per, "copy-cpu-ns/record")
	b.ReportMetric(float64(cpu[1].Nanoseconds())/per, "nocopy-cpu-ns/record")
	b.ReportMetric(float64(wall[0].Nanoseconds())/per, "copy-ns/record")
	b.ReportMetric(float64(wall[1].Nanoseconds())/per, "nocopy-ns/record")
	b.ReportMetric(0, "ns/op")
}
