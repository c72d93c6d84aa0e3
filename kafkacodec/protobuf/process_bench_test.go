package protobuf_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"google.golang.org/protobuf/proto"

	"github.com/batchkit/batchkit/kafkacodec/protobuf"
	"github.com/batchkit/batchkit/kafkacodec/protobuf/internal/testpb"
	"github.com/batchkit/batchkit/processors"
	"github.com/batchkit/batchkit/processors/kafkapayload"
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

// batchkitRun returns the decoding of ev through ProcessKafka and
// kafkapayload.Values.
func batchkitRun(b *testing.B, ev events.KafkaEvent) func() {
	p := processors.NewKafka()
	h := kafkapayload.Values(protobuf.New[*testpb.Order](), func(ctx context.Context, v *testpb.Order, r *events.KafkaRecord) error { return nil })
	ctx := context.Background()
	return func() {
		resp, err := processors.ProcessKafka(ctx, p, ev, h)
		if err != nil || len(resp.BatchItemFailures) != 0 {
			b.Fatal(err, resp)
		}
	}
}
