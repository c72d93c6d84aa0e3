package processors_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/benchevents"
	"github.com/batchkit/batchkit/processors"
)

// The processor benchmarks run every built-in processor over the events of
// internal/benchevents with a no-op, an all-fail and a 10%-fail handler, next
// to a hand-written loop that calls the same handler and collects the failed
// identifiers: the floor any processor is measured against. ns/record is the
// cost per record of processing alone (records are decoded before the timer
// starts). loop+check is the loop preceded by the event-source check that
// batchkit makes on every record before any handler runs (SPEC 7).

var benchSizes = []int{10, 1000, 10000}

var errBench = errors.New("bench: record failed")

// benchCase is one processor under benchmark.
type benchCase[R any] struct {
	kind    string
	records func([]byte) []R
	proc    core.PartialProcessor[R]
	id      func(*R) string
	fails   func(*R) bool // the 10% marker
	source  func(*R) string
	want    string
}

func decodeSQS(data []byte) []events.SQSMessage {
	var e events.SQSEvent
	if err := json.Unmarshal(data, &e); err != nil {
		panic(err)
	}
	return e.Records
}

func decodeKinesis(data []byte) []events.KinesisEventRecord {
	var e events.KinesisEvent
	if err := json.Unmarshal(data, &e); err != nil {
		panic(err)
	}
	return e.Records
}

func decodeDynamoDB(data []byte) []events.DynamoDBEventRecord {
	var e events.DynamoDBEvent
	if err := json.Unmarshal(data, &e); err != nil {
		panic(err)
	}
	return e.Records
}

func BenchmarkSQS(b *testing.B) {
	runProcessorBench(b, benchCase[events.SQSMessage]{
		kind: "sqs", records: decodeSQS, proc: core.Must(processors.NewSQS(processors.Config{Options: core.Options{SuppressFullBatchError: true}})),
		id:     func(m *events.SQSMessage) string { return m.MessageId },
		fails:  func(m *events.SQSMessage) bool { return m.Body[0] == 'x' },
		source: func(m *events.SQSMessage) string { return m.EventSource }, want: processors.EventSourceSQS,
	})
}

func BenchmarkSQSFIFO(b *testing.B) {
	runProcessorBench(b, benchCase[events.SQSMessage]{
		kind: "fifo", records: decodeSQS, proc: core.Must(processors.NewSQSFIFO(processors.Config{Options: core.Options{SuppressFullBatchError: true}})),
		id:     func(m *events.SQSMessage) string { return m.MessageId },
		fails:  func(m *events.SQSMessage) bool { return m.Body[0] == 'x' },
		source: func(m *events.SQSMessage) string { return m.EventSource }, want: processors.EventSourceSQS,
	})
}

func BenchmarkKinesis(b *testing.B) {
	runProcessorBench(b, benchCase[events.KinesisEventRecord]{
		kind: "kinesis", records: decodeKinesis, proc: core.Must(processors.NewKinesis(processors.Config{Options: core.Options{SuppressFullBatchError: true}})),
		id:     func(r *events.KinesisEventRecord) string { return r.Kinesis.SequenceNumber },
		fails:  func(r *events.KinesisEventRecord) bool { return r.Kinesis.PartitionKey == "fail" },
		source: func(r *events.KinesisEventRecord) string { return r.EventSource }, want: processors.EventSourceKinesis,
	})
}

func BenchmarkDynamoDB(b *testing.B) {
	runProcessorBench(b, benchCase[events.DynamoDBEventRecord]{
		kind: "dynamodb", records: decodeDynamoDB, proc: core.Must(processors.NewDynamoDB(processors.Config{Options: core.Options{SuppressFullBatchError: true}})),
		id:     func(r *events.DynamoDBEventRecord) string { return r.Change.SequenceNumber },
		fails:  func(r *events.DynamoDBEventRecord) bool { return r.EventName == "REMOVE" },
		source: func(r *events.DynamoDBEventRecord) string { return r.EventSource }, want: processors.EventSourceDynamoDB,
	})
}

func runProcessorBench[R any](b *testing.B, c benchCase[R]) {
	handlers := []struct {
		name string
		h    core.Handler[R]
	}{
		{"noop", func(context.Context, *R) error { return nil }},
		{"allfail", func(context.Context, *R) error { return errBench }},
		// readid reads the record (its identifier), as a real handler
		// does: the record's memory is then touched by the loop too.
		{"readid", func(_ context.Context, r *R) error {
			if len(c.id(r)) == 0 {
				return errBench
			}
			return nil
		}},
		{"fail10", func(_ context.Context, r *R) error {
			if c.fails(r) {
				return errBench
			}
			return nil
		}},
	}
	ctx := context.Background()
	for _, n := range benchSizes {
		records := c.records(benchevents.Event(c.kind, n))
		for _, h := range handlers {
			b.Run(fmt.Sprintf("n=%d/%s/loop", n, h.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					var failed []string
					for i := range records {
						if err := h.h(ctx, &records[i]); err != nil {
							failed = append(failed, c.id(&records[i]))
						}
					}
					sinkStrings = failed
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/record")
			})
			// loop+check also checks every record's eventSource first, as
			// batchkit must (SPEC 7): the floor for the same behaviour.
			b.Run(fmt.Sprintf("n=%d/%s/loop+check", n, h.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					for i := range records {
						if es := c.source(&records[i]); es != c.want && es != "" {
							b.Fatal("event source mismatch")
						}
					}
					var failed []string
					for i := range records {
						if err := h.h(ctx, &records[i]); err != nil {
							failed = append(failed, c.id(&records[i]))
						}
					}
					sinkStrings = failed
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/record")
			})
			b.Run(fmt.Sprintf("n=%d/%s/batchkit", n, h.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					resp, _ := core.Process(ctx, c.proc, records, h.h)
					sinkResp = resp
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/record")
			})
			if h.name != "noop" {
				continue
			}
			// A Lambda context has a deadline: its Done channel is then
			// checked before each record starts.
			b.Run(fmt.Sprintf("n=%d/%s/batchkit-deadline", n, h.name), func(b *testing.B) {
				dctx, cancel := context.WithTimeout(ctx, time.Hour)
				defer cancel()
				b.ReportAllocs()
				for b.Loop() {
					resp, _ := core.Process(dctx, c.proc, records, h.h)
					sinkResp = resp
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/record")
			})
		}
	}
}

var (
	sinkStrings []string
	sinkResp    core.Response
)
