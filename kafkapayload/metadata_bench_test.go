package kafkapayload_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/kafkapayload"
	"github.com/batchkit/batchkit/processors"
)

// BenchmarkWithRawMetadata: the Kafka adapter on a 1,000-record event
// (4 partitions, JSON values), alone, wrapped by WithRawMetadata on an event
// without schema metadata (the wrapper only looks for the word), and on one
// whose every record has valueSchemaMetadata (read once per invocation).
//
//	go test ./kafkapayload -run '^$' -bench WithRawMetadata -benchmem
func BenchmarkWithRawMetadata(b *testing.B) {
	event := func(withMD bool) []byte {
		parts := map[string][]string{}
		for i := range 1000 {
			p := i % 4
			rec := record("orders", int64(p), int64(i), nil, []byte(fmt.Sprintf(`{"id":"o-%d","amount":%d}`, i, i+1)), "")
			if withMD {
				rec = rec[:1] + `"valueSchemaMetadata": {"dataFormat": "AVRO", "schemaId": "12"},` + rec[1:]
			}
			key := fmt.Sprintf("orders-%d", p)
			parts[key] = append(parts[key], rec)
		}
		return eventJSON(parts)
	}
	plain, withMD := event(false), event(true)
	h := kafkapayload.Values(kafkapayload.JSON[order](), func(context.Context, order, *events.KafkaRecord) error { return nil })
	adapter := processors.KafkaHandler(core.Must(processors.NewKafka(processors.Config{})), h)
	wrapped := kafkapayload.WithRawMetadata(adapter)
	for _, bc := range []struct {
		name  string
		h     core.LambdaHandler[core.Response]
		event []byte
	}{{"adapter", adapter, plain}, {"wrapped-no-metadata", wrapped, plain}, {"wrapped-metadata", wrapped, withMD}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.h.Invoke(context.Background(), bc.event); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
