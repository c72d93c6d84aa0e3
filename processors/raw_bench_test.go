package processors_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/benchevents"
	"github.com/batchkit/batchkit/processors"
)

// The raw benchmarks compare, on the same event bytes, the raw-bytes entry
// (decode record by record + process) with the typed path: json.Unmarshal
// into aws-lambda-go's event type, then core.Process. Both use a no-op
// handler, so the difference is decoding.

func BenchmarkRawSQS(b *testing.B) {
	benchRaw(b, "sqs", core.Must(processors.NewSQS(processors.Config{})), entry(processors.SQSHandler), func(data []byte) ([]events.SQSMessage, error) {
		var e events.SQSEvent
		err := json.Unmarshal(data, &e)
		return e.Records, err
	})
}

func BenchmarkRawKinesis(b *testing.B) {
	benchRaw(b, "kinesis", core.Must(processors.NewKinesis(processors.Config{})), entry(processors.KinesisHandler), func(data []byte) ([]events.KinesisEventRecord, error) {
		var e events.KinesisEvent
		err := json.Unmarshal(data, &e)
		return e.Records, err
	})
}

func BenchmarkRawDynamoDB(b *testing.B) {
	benchRaw(b, "dynamodb", core.Must(processors.NewDynamoDB(processors.Config{})), entry(processors.DynamoDBHandler), func(data []byte) ([]events.DynamoDBEventRecord, error) {
		var e events.DynamoDBEvent
		err := json.Unmarshal(data, &e)
		return e.Records, err
	})
}

func benchRaw[R any](b *testing.B, kind string, p core.PartialProcessor[R],
	raw func(context.Context, core.PartialProcessor[R], []byte, core.Handler[R]) (core.Response, error),
	unmarshal func([]byte) ([]R, error)) {
	ctx := context.Background()
	for _, n := range []int{1000, 10000} {
		data := benchevents.Event(kind, n)
		b.Run(fmt.Sprintf("n=%d/typed", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				records, err := unmarshal(data)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := core.Process(ctx, p, records, nop[R]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/record")
		})
		b.Run(fmt.Sprintf("n=%d/raw", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := raw(ctx, p, data, nop[R]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/record")
		})
	}
}
