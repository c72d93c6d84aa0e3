package protobuf_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"testing"

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
	recs := processors.KafkaRecords(ev)
	b.Run("library", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
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
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
	})
	b.Run("batchkit", func(b *testing.B) {
		p := processors.NewKafka()
		h := kafkapayload.Values(protobuf.New[*testpb.Order](), func(ctx context.Context, o *testpb.Order, r *events.KafkaRecord) error { return nil })
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			resp, err := processors.ProcessKafka(ctx, p, ev, h)
			if err != nil || len(resp.BatchItemFailures) != 0 {
				b.Fatal(err, resp)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
	})
}
