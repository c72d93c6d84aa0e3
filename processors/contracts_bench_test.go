package processors_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/firehose"
	"github.com/batchkit/batchkit/s3batch"
	"github.com/batchkit/batchkit/window"

	"github.com/aws/aws-lambda-go/events"
)

// The contract benchmarks run each per-record result contract over 1,000
// records, every record succeeding (the common case), through the typed
// entry (the event already decoded, as lambda.Start would hand it) and the
// raw-bytes entry (decoding included). The response is built but not
// encoded, except in BenchmarkFirehoseResponseJSON. Per-record overhead
// goal, as for the partial-response processors: no allocation per
// successful record beyond what the response itself needs (allocs/op stays
// flat as the batch grows).

const contractBenchN = 1000

func benchS3Event(n int) s3batch.Event {
	ev := s3batch.Event{InvocationSchemaVersion: "2.0", InvocationID: "inv", Job: events.S3BatchJobV2{ID: "job", UserArguments: map[string]string{"k": "v"}}}
	for i := range n {
		ev.Tasks = append(ev.Tasks, s3batch.Task{TaskID: fmt.Sprintf("task-%06d", i), S3Key: fmt.Sprintf("images/photo-%06d.jpg", i), S3Bucket: "bucket"})
	}
	return ev
}

func BenchmarkS3Batch(b *testing.B) {
	p := core.Must(s3batch.New(s3batch.Config{}))
	h := func(_ context.Context, t *s3batch.Task) (string, error) { return "copied", nil }
	ev := benchS3Event(contractBenchN)
	raw, err := json.Marshal(ev)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("typed/1000", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			resp, err := s3batch.Process(ctx, p, ev, h)
			if err != nil || resp.Results[contractBenchN-1].ResultCode != s3batch.Succeeded {
				b.Fatal(err, resp.Results[contractBenchN-1])
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*contractBenchN), "ns/record")
	})
	// loop: the floor, a hand-written loop calling the same handler and
	// building aws-lambda-go's response, without panic recovery, key
	// decoding, deadline or hooks.
	b.Run("loop/1000", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			resp := events.S3BatchJobResponse{InvocationSchemaVersion: ev.InvocationSchemaVersion, TreatMissingKeysAs: "TemporaryFailure", InvocationID: ev.InvocationID,
				Results: make([]events.S3BatchJobResult, len(ev.Tasks))}
			for i := range ev.Tasks {
				r := &resp.Results[i]
				r.TaskID = ev.Tasks[i].TaskID
				out, err := h(ctx, &ev.Tasks[i])
				if err != nil {
					r.ResultCode, r.ResultString = "TemporaryFailure", err.Error()
					continue
				}
				r.ResultCode, r.ResultString = "Succeeded", out
			}
			if resp.Results[contractBenchN-1].ResultCode != "Succeeded" {
				b.Fatal(resp.Results[contractBenchN-1])
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*contractBenchN), "ns/record")
	})
	b.Run("raw/1000", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			resp, err := s3batch.Handler(p, h)(ctx, raw)
			if err != nil || resp.Results[contractBenchN-1].ResultCode != s3batch.Succeeded {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*contractBenchN), "ns/record")
	})
}

func benchFirehoseEvent(n int) firehose.Event {
	ev := firehose.Event{InvocationID: "inv", DeliveryStreamArn: "arn:aws:firehose:us-east-1:123456789012:deliverystream/s", Region: "us-east-1"}
	for i := range n {
		ev.Records = append(ev.Records, firehose.Record{
			RecordID:                    fmt.Sprintf("49546986683135544286507457936321625675700192471156785154%06d", i),
			ApproximateArrivalTimestamp: 1510772160000,
			Data:                        fmt.Appendf(nil, `{"id":%d,"message":"hello world","level":"info"}`, i),
		})
	}
	return ev
}

func BenchmarkFirehose(b *testing.B) {
	p := core.Must(firehose.New(firehose.Config{}))
	// The transformation returns the record's own data (a pass-through),
	// so the benchmark measures batchkit, not a copy.
	h := func(_ context.Context, r *firehose.Record) (firehose.Result, error) {
		return firehose.Result{Data: r.Data}, nil
	}
	ev := benchFirehoseEvent(contractBenchN)
	raw, err := json.Marshal(ev)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("typed/1000", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			resp, err := firehose.Process(ctx, p, ev, h)
			if err != nil || resp.Records[contractBenchN-1].Result != events.KinesisFirehoseTransformedStateOk {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*contractBenchN), "ns/record")
	})
	transform := func(_ context.Context, r *firehose.Record) (firehose.Result, error) {
		return firehose.Result{Data: r.Data}, nil
	}
	b.Run("loop/1000", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			resp := events.KinesisFirehoseResponse{Records: make([]events.KinesisFirehoseResponseRecord, len(ev.Records))}
			for i := range ev.Records {
				r := &resp.Records[i]
				r.RecordID = ev.Records[i].RecordID
				out, err := transform(ctx, &ev.Records[i])
				if err != nil {
					r.Result = events.KinesisFirehoseTransformedStateProcessingFailed
					continue
				}
				r.Result, r.Data = events.KinesisFirehoseTransformedStateOk, out.Data
			}
			if resp.Records[contractBenchN-1].Result != "Ok" {
				b.Fatal(resp.Records[contractBenchN-1])
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*contractBenchN), "ns/record")
	})
	b.Run("raw/1000", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			resp, err := firehose.Handler(p, h)(ctx, raw)
			if err != nil || resp.Records[contractBenchN-1].Result != events.KinesisFirehoseTransformedStateOk {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*contractBenchN), "ns/record")
	})
	resp, err := firehose.Process(ctx, p, ev, h)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("response-json/1000", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := resp.MarshalJSON(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*contractBenchN), "ns/record")
	})
}

// benchTotals is a pointer-free aggregate: restored from a copy on failure.
type benchTotals struct {
	Count int   `json:"count"`
	Bytes int64 `json:"bytes"`
}

func benchWindowEvent(n int) window.Event[events.KinesisEventRecord] {
	ev := window.Event[events.KinesisEventRecord]{}
	for i := range n {
		seq := fmt.Sprintf("49590338271490256608559692538361571095921575989136%06d", i)
		ev.Records = append(ev.Records, events.KinesisEventRecord{
			EventSource: "aws:kinesis", EventID: "shardId-000000000006:" + seq, EventName: "aws:kinesis:record",
			EventSourceArn: "arn:aws:kinesis:us-east-1:123456789012:stream/s", AwsRegion: "us-east-1", EventVersion: "1.0",
			Kinesis: events.KinesisRecord{PartitionKey: "pk", SequenceNumber: seq, Data: []byte(`{"temperature":21.5}`), KinesisSchemaVersion: "1.0",
				ApproximateArrivalTimestamp: events.SecondsEpochTime{Time: time.Unix(1607497475, 0)}},
		})
	}
	ev.Window = events.Window{Start: events.RFC3339EpochTime{Time: time.Unix(1607497440, 0).UTC()}, End: events.RFC3339EpochTime{Time: time.Unix(1607497560, 0).UTC()}}
	ev.State = json.RawMessage(`{"count":10,"bytes":200}`)
	ev.ShardID = "shardId-000000000006"
	return ev
}

func BenchmarkKinesisWindow(b *testing.B) {
	p := core.Must(window.NewKinesis(window.Config{}))
	agg := window.Aggregate[events.KinesisEventRecord, benchTotals]{
		Fold: func(_ context.Context, s *benchTotals, r *events.KinesisEventRecord) error {
			s.Count++
			s.Bytes += int64(len(r.Kinesis.Data))
			return nil
		},
	}
	ev := benchWindowEvent(contractBenchN)
	raw, err := json.Marshal(ev)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("typed/1000", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			resp, err := window.Process(ctx, p, ev, agg)
			if err != nil || len(resp.BatchItemFailures) != 0 {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*contractBenchN), "ns/record")
	})
	b.Run("loop/1000", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var s benchTotals
			if err := json.Unmarshal(ev.State, &s); err != nil {
				b.Fatal(err)
			}
			var failures []events.KinesisBatchItemFailure
			for i := range ev.Records {
				if err := agg.Fold(ctx, &s, &ev.Records[i]); err != nil {
					failures = append(failures, events.KinesisBatchItemFailure{ItemIdentifier: ev.Records[i].Kinesis.SequenceNumber})
					break
				}
			}
			state, err := json.Marshal(s)
			if err != nil || len(failures) != 0 || len(state) == 0 {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*contractBenchN), "ns/record")
	})
	b.Run("raw/1000", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			resp, err := window.KinesisHandler(p, agg)(ctx, raw)
			if err != nil || len(resp.BatchItemFailures) != 0 {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*contractBenchN), "ns/record")
	})
}
