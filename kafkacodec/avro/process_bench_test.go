package avro_test

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	hamba "github.com/hamba/avro/v2"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/kafkacodec/avro"
	"github.com/batchkit/batchkit/kafkapayload"
	"github.com/batchkit/batchkit/processors"
)

// kafkaEvent returns an MSK event of n records over 4 partitions whose values
// are orders written by hamba/avro, in Confluent's framing (schema id 7).
func kafkaEvent(b *testing.B, n int) events.KafkaEvent { return kafkaEventOf(b, n, 0) }

// kafkaEventOf is kafkaEvent with extra order lines in each value.
func kafkaEventOf(b *testing.B, n, extraLines int) events.KafkaEvent {
	schema := hamba.MustParse(orderSchema)
	ev := events.KafkaEvent{EventSource: processors.EventSourceMSK, Records: map[string][]events.KafkaRecord{}}
	for i := range n {
		p := int64(i % 4)
		o := sampleOrder(fmt.Sprintf("o-%d", i))
		for j := range extraLines {
			o.Lines = append(o.Lines, Line{SKU: fmt.Sprintf("sku-%d", 100+j), Quantity: int32(j%3 + 1), PriceCents: int64(1000 + 7*j)})
		}
		body, err := hamba.Marshal(schema, o)
		if err != nil {
			b.Fatal(err)
		}
		framed := append(binary.BigEndian.AppendUint32([]byte{0}, 7), body...)
		k := fmt.Sprintf("orders-%d", p)
		ev.Records[k] = append(ev.Records[k], events.KafkaRecord{
			Topic: "orders", Partition: p, Offset: int64(i / 4), Value: base64.StdEncoding.EncodeToString(framed),
		})
	}
	return ev
}

// BenchmarkKafkaEvent1000 decodes the Avro values of a 1,000-record Kafka
// event. "library" is the hand-written loop a user would write with
// hamba/avro alone (base64, skip the 5 framing bytes, unmarshal); "batchkit"
// runs the same event through ProcessKafka with kafkapayload.Values (framing
// detection, per-record isolation and panic recovery, the lifecycle and the
// response). ns/record is per record.
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
func BenchmarkKafkaEvent1000Paired(b *testing.B) { paired(b, kafkaEvent(b, 1000)) }

// BenchmarkKafkaEvent1000PairedLarge is BenchmarkKafkaEvent1000Paired with
// orders of 23 lines (about 350 bytes): batchkit's cost per record is
// fixed, so its ratio to the decoding falls as values grow.
func BenchmarkKafkaEvent1000PairedLarge(b *testing.B) { paired(b, kafkaEventOf(b, 1000, 20)) }

func paired(b *testing.B, ev events.KafkaEvent) {
	n := 0
	for _, rs := range ev.Records {
		n += len(rs)
	}
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
	schema := hamba.MustParse(orderSchema)
	return func() {
		for i := range recs {
			data, err := base64.StdEncoding.DecodeString(recs[i].Value)
			if err != nil {
				b.Fatal(err)
			}
			var o Order
			if err := hamba.Unmarshal(schema, data[5:], &o); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// handlerLoop returns the kafkapayload handler called on each of recs in a
// plain loop, without the processor.
func handlerLoop(b *testing.B, recs []events.KafkaRecord) func() {
	h := kafkapayload.Values(core.Must(avro.New[Order](avro.Config{Schema: orderSchema})), func(ctx context.Context, v Order, r *events.KafkaRecord) error { return nil })
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
	h := kafkapayload.Values(core.Must(avro.New[Order](avro.Config{Schema: orderSchema})), func(ctx context.Context, v Order, r *events.KafkaRecord) error { return nil })
	ctx := context.Background()
	return func() {
		resp, err := processors.ProcessKafka(ctx, p, ev, h)
		if err != nil || len(resp.BatchItemFailures) != 0 {
			b.Fatal(err, resp)
		}
	}
}
