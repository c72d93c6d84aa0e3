package bench

import (
	"context"
	stdjson "encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/bytedance/sonic"
	gojson "github.com/goccy/go-json"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/benchevents"
	"github.com/batchkit/batchkit/processors"
)

// benchRecords is the batch size of the comparisons (issue 11: 1,000
// records of about 750 bytes).
const benchRecords = 1000

// decoders are the JSON libraries compared with the raw entry, each decoding
// the whole event into aws-lambda-go's event type as a function given the
// event by aws-lambda-go would.
var decoders = []struct {
	name      string
	unmarshal func([]byte, any) error
}{
	{"encoding-json", stdjson.Unmarshal},
	{"goccy", gojson.Unmarshal},
	{"sonic", sonic.Unmarshal},
	{"sonic-fastest", sonic.ConfigFastest.Unmarshal},
	// sonic's default configuration and ConfigFastest return strings that
	// point into the input (CopyString false): given aws-lambda-go's
	// payload buffer, which is reused from one invocation to the next, a
	// record kept past its invocation would change. The raw entry copies
	// the event once for that reason, as goccy/go-json does; sonic-copy
	// is sonic owning its strings too.
	{"sonic-copy", sonicCopy.Unmarshal},
}

// sonicCopy is sonic's default configuration with CopyString.
var sonicCopy = sonic.Config{CopyString: true}.Froze()

// ownsStrings are the contenders whose strings do not point into the
// input: "x-best-owning" is the fastest of them.
var ownsStrings = []string{"goccy", "sonic-copy"}

func nop[R any](context.Context, *R) error { return nil }

// kind is one event source under comparison.
type kind[E, R any] struct {
	name    string
	p       core.PartialProcessor[R]
	records func(*E) []R
	raw     func(context.Context, core.PartialProcessor[R], []byte, core.Handler[R]) (core.Response, error)
}

// BenchmarkDecode: the raw entry against each library decoding the same
// event into aws-lambda-go's types followed by core.Process, no-op handler
// (issue 11, first row). ns/record and allocs/record are per record.
func BenchmarkDecode(b *testing.B) {
	b.Run("sqs", func(b *testing.B) {
		benchDecode(b, kind[events.SQSEvent, events.SQSMessage]{"sqs", core.Must(processors.NewSQS(processors.Config{})),
			func(e *events.SQSEvent) []events.SQSMessage { return e.Records }, entry(processors.SQSHandler)})
	})
	b.Run("kinesis", func(b *testing.B) {
		benchDecode(b, kind[events.KinesisEvent, events.KinesisEventRecord]{"kinesis", core.Must(processors.NewKinesis(processors.Config{})),
			func(e *events.KinesisEvent) []events.KinesisEventRecord { return e.Records }, entry(processors.KinesisHandler)})
	})
	b.Run("dynamodb", func(b *testing.B) {
		benchDecode(b, kind[events.DynamoDBEvent, events.DynamoDBEventRecord]{"dynamodb", core.Must(processors.NewDynamoDB(processors.Config{})),
			func(e *events.DynamoDBEvent) []events.DynamoDBEventRecord { return e.Records }, entry(processors.DynamoDBHandler)})
	})
}

func benchDecode[E, R any](b *testing.B, k kind[E, R]) {
	ctx := context.Background()
	data := benchevents.Event(k.name, benchRecords)
	for _, d := range decoders {
		b.Run(d.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			cpu := cpuTime()
			for b.Loop() {
				var e E
				if err := d.unmarshal(data, &e); err != nil {
					b.Fatal(err)
				}
				if _, err := core.Process(ctx, k.p, k.records(&e), nop[R]); err != nil {
					b.Fatal(err)
				}
			}
			perRecord(b, benchRecords, cpu)
		})
	}
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		cpu := cpuTime()
		for b.Loop() {
			if _, err := k.raw(ctx, k.p, data, nop[R]); err != nil {
				b.Fatal(err)
			}
		}
		perRecord(b, benchRecords, cpu)
	})
}

// BenchmarkInvoke: a whole invocation, event bytes in and response bytes
// out, through encoding/json + core.Process (what a function given the event
// by aws-lambda-go does) and through the raw entry (issue 11, second row).
// The handler fails every tenth record, so the response is not empty.
func BenchmarkInvoke(b *testing.B) {
	b.Run("sqs", func(b *testing.B) {
		benchInvoke(b, kind[events.SQSEvent, events.SQSMessage]{"sqs", core.Must(processors.NewSQS(processors.Config{})),
			func(e *events.SQSEvent) []events.SQSMessage { return e.Records }, entry(processors.SQSHandler)},
			func(m *events.SQSMessage) bool { return m.Body != "" && m.Body[0] == 'x' })
	})
	b.Run("kinesis", func(b *testing.B) {
		benchInvoke(b, kind[events.KinesisEvent, events.KinesisEventRecord]{"kinesis", core.Must(processors.NewKinesis(processors.Config{})),
			func(e *events.KinesisEvent) []events.KinesisEventRecord { return e.Records }, entry(processors.KinesisHandler)},
			func(r *events.KinesisEventRecord) bool { return r.Kinesis.PartitionKey == "fail" })
	})
	b.Run("dynamodb", func(b *testing.B) {
		benchInvoke(b, kind[events.DynamoDBEvent, events.DynamoDBEventRecord]{"dynamodb", core.Must(processors.NewDynamoDB(processors.Config{})),
			func(e *events.DynamoDBEvent) []events.DynamoDBEventRecord { return e.Records }, entry(processors.DynamoDBHandler)},
			func(r *events.DynamoDBEventRecord) bool { return r.EventName == "REMOVE" })
	})
}

var errMarked = fmt.Errorf("bench: the record carries the failure marker")

func benchInvoke[E, R any](b *testing.B, k kind[E, R], marked func(*R) bool) {
	ctx := context.Background()
	data := benchevents.Event(k.name, benchRecords)
	h := func(_ context.Context, r *R) error {
		if marked(r) {
			return errMarked
		}
		return nil
	}
	want := benchRecords / 10
	check := func(b *testing.B, resp core.Response, err error) []byte {
		if err != nil {
			b.Fatal(err)
		}
		if len(resp.BatchItemFailures) != want {
			b.Fatalf("%d failures reported, want %d", len(resp.BatchItemFailures), want)
		}
		out, err := stdjson.Marshal(resp)
		if err != nil {
			b.Fatal(err)
		}
		return out
	}
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		cpu := cpuTime()
		for b.Loop() {
			var e E
			if err := stdjson.Unmarshal(data, &e); err != nil {
				b.Fatal(err)
			}
			resp, err := core.Process(ctx, k.p, k.records(&e), h)
			check(b, resp, err)
		}
		perRecord(b, benchRecords, cpu)
	})
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		cpu := cpuTime()
		for b.Loop() {
			resp, err := k.raw(ctx, k.p, data, h)
			check(b, resp, err)
		}
		perRecord(b, benchRecords, cpu)
	})
}

// perRecord reports the time per record, wall and CPU (since cpu, the
// cpuTime when the loop started).
func perRecord(b *testing.B, n int, cpu time.Duration) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/record")
	b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N)/float64(n), "cpu-ns/record")
}
