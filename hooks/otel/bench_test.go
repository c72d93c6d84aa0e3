package otel_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	batchotel "github.com/batchkit/batchkit/hooks/otel"
)

// BenchmarkRecord measures the hook's own cost per record: BatchStart, then
// RecordStart and RecordEnd for each of 1,000 SQS records (a success), then
// BatchEnd, with the SDK's tracer provider (sampled, recording spans, no
// exporter) and meter provider (manual reader), as BenchmarkProcess. The
// records carry no trace context, an X-Ray AWSTraceHeader, or a W3C
// traceparent message attribute. ns/record and allocs/record are per record,
// the batch's own work included.
func BenchmarkRecord(b *testing.B) {
	const n = 1000
	tp := sdktrace.NewTracerProvider()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	hook := batchotel.New(batchotel.WithTracerProvider(tp), batchotel.WithMeterProvider(mp))
	for _, tc := range []struct {
		name string
		set  func(*events.SQSMessage)
	}{
		{"plain", func(*events.SQSMessage) {}},
		{"xray", func(m *events.SQSMessage) { m.Attributes["AWSTraceHeader"] = xrayHeader }},
		{"traceparent", func(m *events.SQSMessage) {
			m.MessageAttributes = map[string]events.SQSMessageAttribute{"traceparent": {StringValue: str(traceparent), DataType: "String"}}
		}},
	} {
		event := batchtest.SQSEvent(make([]string, n)...)
		for i := range event.Records {
			tc.set(&event.Records[i])
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				start := time.Now()
				ctx := hook.BatchStart(context.Background(), core.BatchInfo{EventSource: "aws:sqs", Size: n, Start: start, Records: event.Records})
				for i := range event.Records {
					info := core.RecordInfo{Position: i, Identifier: core.Identifier{ID: event.Records[i].MessageId},
						EventSource: "aws:sqs", Record: &event.Records[i]}
					rctx := hook.RecordStart(ctx, info)
					info.Outcome = core.Success(nil)
					info.Duration = time.Microsecond
					hook.RecordEnd(rctx, info)
				}
				if err := hook.BatchEnd(ctx, core.BatchResult{BatchInfo: core.BatchInfo{Start: start}, Succeeded: n}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N)/n, "cpu-ns/record")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/record")
		})
	}
}
