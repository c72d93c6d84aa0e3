package bench

import (
	"context"
	stdjson "encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/benchevents"
	"github.com/batchkit/batchkit/processors"
)

// BenchmarkDecodeByRecord: the JSON libraries decoding the SQS event record
// by record (the Records array split first, each record decoded on its own,
// so that a bad record fails alone, as the raw entry does), next to the raw
// entry decoding and processing the same bytes.
func BenchmarkDecodeByRecord(b *testing.B) {
	data := benchevents.Event("sqs", benchRecords)
	for _, d := range decoders {
		b.Run(d.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				var e struct{ Records []stdjson.RawMessage }
				if err := d.unmarshal(data, &e); err != nil {
					b.Fatal(err)
				}
				recs := make([]events.SQSMessage, len(e.Records))
				for i, r := range e.Records {
					if err := d.unmarshal(r, &recs[i]); err != nil {
						b.Fatal(err)
					}
				}
			}
			perRecord(b, benchRecords, cpu)
		})
	}
	p := core.Must(processors.NewSQS(processors.Config{}))
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		cpu := cpuTime()
		for b.Loop() {
			if _, err := processors.SQSHandler(p, nop[events.SQSMessage])(context.Background(), data); err != nil {
				b.Fatal(err)
			}
		}
		perRecord(b, benchRecords, cpu)
	})
}
