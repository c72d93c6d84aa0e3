package avro_test

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"testing"

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
	recs := processors.KafkaRecords(ev)
	schema := hamba.MustParse(orderSchema)
	b.Run("library", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
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
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
	})
	b.Run("batchkit", func(b *testing.B) {
		p := processors.NewKafka()
		h := kafkapayload.Values(avro.Must[Order](orderSchema), func(ctx context.Context, o Order, r *events.KafkaRecord) error { return nil })
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
