package protobuf_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"google.golang.org/protobuf/proto"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/kafkacodec/protobuf"
	"github.com/batchkit/batchkit/kafkacodec/protobuf/internal/testpb"
	"github.com/batchkit/batchkit/kafkapayload"
	"github.com/batchkit/batchkit/processors"
)

// kafkaEvent returns an MSK event of n records over 4 partitions whose values
// are orders marshalled by google.golang.org/protobuf, in Confluent's framing
// (schema id 7, message index [0] as the single 0 byte).
func kafkaEvent(b *testing.B, n int) events.KafkaEvent {
	ev := events.KafkaEvent{EventSource: processors.EventSourceMSK, Records: map[string][]events.KafkaRecord{}}
	for i := range n {
		p := int64(i % 4)
		k := fmt.Sprintf("orders-%d", p)
		ev.Records[k] = append(ev.Records[k], events.KafkaRecord{
			Topic: "orders", Partition: p, Offset: int64(i / 4),
			Value: base64.StdEncoding.EncodeToString(confluent(7, []int64{0}, marshal(b, sampleOrder(fmt.Sprintf("o-%d", i))))),
		})
	}
	return ev
}

// BenchmarkKafkaEvent1000 decodes the Protobuf values of a 1,000-record Kafka
// event. "library" is the hand-written loop a user would write with
// google.golang.org/protobuf alone (base64, skip the 6 framing bytes,
// unmarshal into a new message); "batchkit" runs the same event through
// ProcessKafka with kafkapayload.Values (framing and message-index check,
// per-record isolation and panic recovery, the lifecycle and the response).
// ns/record is per record.
func BenchmarkKafkaEvent1000(b *testing.B) {
	const n = 1000
	ev := kafkaEvent(b, n)
	library := libraryLoop(b, processors.KafkaRecords(ev))
	viaBatchkit := batchkitRun(b, ev)
	b.Run("library", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			library()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
	})
	b.Run("batchkit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			viaBatchkit()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
	})
}

// BenchmarkKafkaEvent1000Paired runs the library loop and batchkit on the same
// event in turn within each iteration (alternating which goes first), so
// that both see the same load on a shared machine. It reports, per record,
// the wall time and the process CPU time (getrusage: time spent running,
// not waiting for a CPU, so it holds on an overloaded machine) of each, and
// the ratios batchkit/library. Each side starts with a collected heap, so
// neither pays for the other's garbage; cpu-handler/library is the kafkapayload
// handler alone (framing, decoding, recover) called in a plain loop, without
// the processor, to tell its share from the lifecycle's.
func BenchmarkKafkaEvent1000Paired(b *testing.B) {
	const n = 1000
	ev := kafkaEvent(b, n)
	library := libraryLoop(b, processors.KafkaRecords(ev))
	viaBatchkit := batchkitRun(b, ev)
	handlerOnly := handlerLoop(b, processors.KafkaRecords(ev))
	var lib, bk, ho measure
	first := true
	for b.Loop() {
		if first {
			lib.add(library)
			bk.add(viaBatchkit)
			ho.add(handlerOnly)
		} else {
			bk.add(viaBatchkit)
			lib.add(library)
			ho.add(handlerOnly)
		}
		first = !first
	}
	per := float64(b.N * n)
	b.ReportMetric(float64(ho.cpu)/float64(lib.cpu), "cpu-handler/library")
	b.ReportMetric(float64(lib.wall)/per, "library-ns/record")
	b.ReportMetric(float64(bk.wall)/per, "batchkit-ns/record")
	b.ReportMetric(float64(bk.wall)/float64(lib.wall), "wall-batchkit/library")
	b.ReportMetric(float64(lib.cpu)/per, "library-cpu-ns/record")
	b.ReportMetric(float64(bk.cpu)/per, "batchkit-cpu-ns/record")
	b.ReportMetric(float64(bk.cpu)/float64(lib.cpu), "cpu-batchkit/library")
}

// measure sums the wall and process CPU time of runs.
type measure struct{ wall, cpu time.Duration }

func (m *measure) add(f func()) {
	runtime.GC() // each side starts with a collected heap: no GC debt carried over
	c, t := cpuTime(), time.Now()
	f()
	m.wall += time.Since(t)
	m.cpu += cpuTime() - c
}

// cpuTime returns the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// libraryLoop returns the hand-written decoding of recs with the library
// alone.
func libraryLoop(b *testing.B, recs []events.KafkaRecord) func() {
	return func() {
		for i := range recs {
			data, err := base64.StdEncoding.DecodeString(recs[i].Value)
			if err != nil {
				b.Fatal(err)
			}
			m := new(testpb.Order)
			if err := proto.Unmarshal(data[6:], m); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// handlerLoop returns the kafkapayload handler called on each of recs in a
// plain loop, without the processor.
func handlerLoop(b *testing.B, recs []events.KafkaRecord) func() {
	h := kafkapayload.Values(protobuf.New[*testpb.Order](protobuf.Config{}), func(ctx context.Context, v *testpb.Order, r *events.KafkaRecord) error { return nil })
	ctx := context.Background()
	return func() {
		for i := range recs {
			if err := h(ctx, &recs[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// batchkitRun returns the decoding of ev through ProcessKafka and
// kafkapayload.Values.
func batchkitRun(b *testing.B, ev events.KafkaEvent) func() {
	p := core.Must(processors.NewKafka(processors.Config{}))
	h := kafkapayload.Values(protobuf.New[*testpb.Order](protobuf.Config{}), func(ctx context.Context, v *testpb.Order, r *events.KafkaRecord) error { return nil })
	ctx := context.Background()
	return func() {
		resp, err := processors.ProcessKafka(ctx, p, ev, h)
		if err != nil || len(resp.BatchItemFailures) != 0 {
			b.Fatal(err, resp)
		}
	}
}
