package avro_test

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	hamba "github.com/hamba/avro/v2"

	"github.com/batchkit/batchkit/kafkacodec/avro"
	"github.com/batchkit/batchkit/processors"
	"github.com/batchkit/batchkit/processors/kafkapayload"
)

// kafkaEvent returns an MSK event of n records over 4 partitions whose values
// are orders written by hamba/avro, in Confluent's framing (schema id 7).
func kafkaEvent(b *testing.B, n int) events.KafkaEvent {
	schema := hamba.MustParse(orderSchema)
	ev := events.KafkaEvent{EventSource: processors.EventSourceMSK, Records: map[string][]events.KafkaRecord{}}
	for i := range n {
		p := int64(i % 4)
		body, err := hamba.Marshal(schema, sampleOrder(fmt.Sprintf("o-%d", i)))
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
// that both see the same load on a shared machine; it reports both per
// record and their ratio, batchkit/library.
func BenchmarkKafkaEvent1000Paired(b *testing.B) {
	const n = 1000
	ev := kafkaEvent(b, n)
	library := libraryLoop(b, processors.KafkaRecords(ev))
	viaBatchkit := batchkitRun(b, ev)
	var lib, bk time.Duration
	first := true
	for b.Loop() {
		if first {
			lib += timed(library)
			bk += timed(viaBatchkit)
		} else {
			bk += timed(viaBatchkit)
			lib += timed(library)
		}
		first = !first
	}
	b.ReportMetric(float64(lib.Nanoseconds())/float64(b.N*n), "library-ns/record")
	b.ReportMetric(float64(bk.Nanoseconds())/float64(b.N*n), "batchkit-ns/record")
	b.ReportMetric(float64(bk)/float64(lib), "batchkit/library")
}

func timed(f func()) time.Duration {
	t := time.Now()
	f()
	return time.Since(t)
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

// batchkitRun returns the decoding of ev through ProcessKafka and
// kafkapayload.Values.
func batchkitRun(b *testing.B, ev events.KafkaEvent) func() {
	p := processors.NewKafka()
	h := kafkapayload.Values(avro.Must[Order](orderSchema), func(ctx context.Context, v Order, r *events.KafkaRecord) error { return nil })
	ctx := context.Background()
	return func() {
		resp, err := processors.ProcessKafka(ctx, p, ev, h)
		if err != nil || len(resp.BatchItemFailures) != 0 {
			b.Fatal(err, resp)
		}
	}
}
