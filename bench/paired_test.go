package bench

import (
	"context"
	stdjson "encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/benchevents"
	"github.com/batchkit/batchkit/internal/raw"
	"github.com/batchkit/batchkit/processors"
)

// BenchmarkPaired runs the contenders of a comparison in alternating blocks
// of about 30 ms (each contender in turn, the order rotating), so that all of
// them see the same machine: on a shared machine, benchmarks that run one
// after the other for a second each see different loads, and their ratio
// says more about the load than about the code. Each b.Loop iteration is
// one round; a ratio is taken within each round, and the benchmark reports
// the medians over its rounds: "<contender>-ns/record" and
// "x-<contender>" (the contender's time over the first contender's, so
// above 1 when the first, batchkit, is faster), plus "x-best" against the
// fastest other contender of each round.
//
//	go test -run '^$' -bench Paired -benchtime 15x
func BenchmarkPaired(b *testing.B) {
	ctx := context.Background()
	b.Run("decode/sqs", func(b *testing.B) {
		pairedDecode(b, ctx, kind[events.SQSEvent, events.SQSMessage]{"sqs", core.Must(processors.NewSQS(processors.Config{})),
			func(e *events.SQSEvent) []events.SQSMessage { return e.Records }, entry(processors.SQSHandler)}, sqsFloor, &raw.SQS)
	})
	b.Run("decode/kinesis", func(b *testing.B) {
		pairedDecode(b, ctx, kind[events.KinesisEvent, events.KinesisEventRecord]{"kinesis", core.Must(processors.NewKinesis(processors.Config{})),
			func(e *events.KinesisEvent) []events.KinesisEventRecord { return e.Records }, entry(processors.KinesisHandler)}, nil, &raw.Kinesis)
	})
	b.Run("decode/dynamodb", func(b *testing.B) {
		pairedDecode(b, ctx, kind[events.DynamoDBEvent, events.DynamoDBEventRecord]{"dynamodb", core.Must(processors.NewDynamoDB(processors.Config{})),
			func(e *events.DynamoDBEvent) []events.DynamoDBEventRecord { return e.Records }, entry(processors.DynamoDBHandler)}, nil, &raw.DynamoDB)
	})
	for _, rounds := range []int{10, 200} {
		b.Run(fmt.Sprintf("cpubound/sha%d", rounds), func(b *testing.B) {
			var e events.SQSEvent
			if err := stdjson.Unmarshal(benchevents.SQS(benchRecords, false), &e); err != nil {
				b.Fatal(err)
			}
			h := shaHandler(rounds)
			seq, two := core.Must(processors.NewSQS(processors.Config{})), core.Must(processors.NewSQS(processors.Config{Options: core.Options{Concurrency: 2}}))
			paired(b, []contender{
				{"concurrency2", func() error { _, err := core.Process(ctx, two, e.Records, h); return err }},
				{"sequential", func() error { _, err := core.Process(ctx, seq, e.Records, h); return err }},
			})
		})
	}
	b.Run("invoke/sqs", func(b *testing.B) {
		pairedInvoke(b, ctx, kind[events.SQSEvent, events.SQSMessage]{"sqs", core.Must(processors.NewSQS(processors.Config{})),
			func(e *events.SQSEvent) []events.SQSMessage { return e.Records }, entry(processors.SQSHandler)},
			func(m *events.SQSMessage) bool { return m.Body != "" && m.Body[0] == 'x' })
	})
	b.Run("invoke/kinesis", func(b *testing.B) {
		pairedInvoke(b, ctx, kind[events.KinesisEvent, events.KinesisEventRecord]{"kinesis", core.Must(processors.NewKinesis(processors.Config{})),
			func(e *events.KinesisEvent) []events.KinesisEventRecord { return e.Records }, entry(processors.KinesisHandler)},
			func(r *events.KinesisEventRecord) bool { return r.Kinesis.PartitionKey == "fail" })
	})
	b.Run("invoke/dynamodb", func(b *testing.B) {
		pairedInvoke(b, ctx, kind[events.DynamoDBEvent, events.DynamoDBEventRecord]{"dynamodb", core.Must(processors.NewDynamoDB(processors.Config{})),
			func(e *events.DynamoDBEvent) []events.DynamoDBEventRecord { return e.Records }, entry(processors.DynamoDBHandler)},
			func(r *events.DynamoDBEventRecord) bool { return r.EventName == "REMOVE" })
	})
}

// sqsFloor returns the "floor" of SQS decoding: the memory aws-lambda-go's
// SQSMessage forces on any decoder, built from records decoded beforehand,
// with no parsing, no string copied and no string scanned: the records
// slice, and for each record its two maps (Attributes, MessageAttributes)
// made and filled entry by entry, as a decoder must. A decoder into these
// types cannot cost less than this; sonic's default configuration and the
// raw entry both pay it.
func sqsFloor(data []byte) func() []events.SQSMessage {
	var e events.SQSEvent
	if err := stdjson.Unmarshal(data, &e); err != nil {
		panic(err)
	}
	return func() []events.SQSMessage {
		records := make([]events.SQSMessage, len(e.Records))
		for i := range records {
			m := &records[i]
			*m = e.Records[i]
			m.Attributes = make(map[string]string, len(e.Records[i].Attributes))
			for k, v := range e.Records[i].Attributes {
				m.Attributes[k] = v
			}
			m.MessageAttributes = make(map[string]events.SQSMessageAttribute, len(e.Records[i].MessageAttributes))
			for k, v := range e.Records[i].MessageAttributes {
				m.MessageAttributes[k] = v
			}
		}
		return records
	}
}

// contender is one side of a paired comparison: run does one operation.
type contender struct {
	name string
	run  func() error
}

// pairedDecode compares the raw entry with the JSON libraries on the event of
// kind k. Two bounds are shown beside them and left out of "x-best": floor,
// when not nil, is what any decoder into aws-lambda-go's types pays without
// parsing anything (see sqsFloor); "raw-view" is the raw entry's decoding
// with its strings pointing into the event (no string copied into the
// arena), the trade sonic's default configuration makes, which the entry
// cannot (aws-lambda-go reuses the event's buffer for the next invocation).
func pairedDecode[E, R any](b *testing.B, ctx context.Context, k kind[E, R], floor func([]byte) func() []R, view *raw.Kind[R]) {
	data := benchevents.Event(k.name, benchRecords)
	cs := []contender{{"raw", func() error {
		_, err := k.raw(ctx, k.p, data, nop[R])
		return err
	}}}
	for _, d := range decoders {
		cs = append(cs, contender{d.name, func() error {
			var e E
			if err := d.unmarshal(data, &e); err != nil {
				return err
			}
			_, err := core.Process(ctx, k.p, k.records(&e), nop[R])
			return err
		}})
	}
	notBest := []string{"encoding-json", "raw-view"}
	cs = append(cs, contender{"raw-view", func() error {
		records, _, err := raw.DecodeEnvelope(unsafe.String(unsafe.SliceData(data), len(data)), view, raw.RecordsKey, nil,
			func(*raw.Dec, string) (bool, error) { return false, nil })
		if err != nil {
			return err
		}
		_, err = core.Process(ctx, k.p, records, nop[R])
		return err
	}})
	if floor != nil {
		build := floor(data)
		cs = append(cs, contender{"floor", func() error {
			_, err := core.Process(ctx, k.p, build(), nop[R])
			return err
		}})
		notBest = append(notBest, "floor")
	}
	paired(b, cs, notBest...)
	b.ReportMetric(float64(len(data))/benchRecords, "event-B/record")
}

func pairedInvoke[E, R any](b *testing.B, ctx context.Context, k kind[E, R], marked func(*R) bool) {
	data := benchevents.Event(k.name, benchRecords)
	h := func(_ context.Context, r *R) error {
		if marked(r) {
			return errMarked
		}
		return nil
	}
	respond := func(resp core.Response, err error) error {
		if err != nil {
			return err
		}
		if len(resp.BatchItemFailures) != benchRecords/10 {
			return fmt.Errorf("%d failures reported, want %d", len(resp.BatchItemFailures), benchRecords/10)
		}
		_, err = stdjson.Marshal(resp)
		return err
	}
	paired(b, []contender{
		{"raw", func() error { return respond(k.raw(ctx, k.p, data, h)) }},
		{"encoding-json", func() error {
			var e E
			if err := stdjson.Unmarshal(data, &e); err != nil {
				return err
			}
			return respond(core.Process(ctx, k.p, k.records(&e), h))
		}},
	})
}

// blockTarget is how long one contender runs before the next one's turn.
const blockTarget = 30 * time.Millisecond

// paired runs the contenders in rotating blocks, one round per b.Loop
// iteration, and reports the medians (see BenchmarkPaired). The contenders
// named in notBest are left out of "x-best".
func paired(b *testing.B, cs []contender, notBest ...string) {
	// Calibrate: operations per block, per contender.
	block := make([]int, len(cs))
	for i, c := range cs {
		start := time.Now()
		if err := c.run(); err != nil {
			b.Fatal(c.name, err)
		}
		block[i] = max(1, int(blockTarget/max(time.Since(start), time.Microsecond)))
	}
	perRound := make([][]float64, len(cs)) // ns per record, per round
	cpuRound := make([][]float64, len(cs)) // CPU ns per record, per round
	round := 0
	b.ResetTimer()
	for b.Loop() {
		for j := range cs {
			i := (j + round) % len(cs)
			start, cpu := time.Now(), cpuTime()
			for range block[i] {
				if err := cs[i].run(); err != nil {
					b.Fatal(cs[i].name, err)
				}
			}
			n := float64(block[i] * benchRecords)
			perRound[i] = append(perRound[i], float64(time.Since(start).Nanoseconds())/n)
			cpuRound[i] = append(cpuRound[i], float64((cpuTime()-cpu).Nanoseconds())/n)
		}
		round++
	}
	// Wall time first, then the process's CPU time (all threads, the
	// garbage collector's included): on a loaded machine a contender
	// waiting for a core adds wall time, not CPU time.
	for _, m := range []struct {
		prefix string
		per    [][]float64
	}{{"", perRound}, {"cpu-", cpuRound}} {
		var best, bestNs []float64
		for r := range round {
			ns := 0.0
			for i := 1; i < len(cs); i++ {
				if slices.Contains(notBest, cs[i].name) {
					continue
				}
				if v := m.per[i][r]; ns == 0 || v < ns {
					ns = v
				}
			}
			bestNs = append(bestNs, ns)
			best = append(best, ns/m.per[0][r])
		}
		for i, c := range cs {
			b.ReportMetric(median(m.per[i]), c.name+"-"+m.prefix+"ns/record")
			if i > 0 {
				ratios := make([]float64, round)
				for r := range round {
					ratios[r] = m.per[i][r] / m.per[0][r]
				}
				b.ReportMetric(median(ratios), m.prefix+"x-"+c.name)
			}
		}
		if len(cs) > 2 {
			b.ReportMetric(median(bestNs), "best-"+m.prefix+"ns/record")
			b.ReportMetric(median(best), m.prefix+"x-best")
			// The fastest of the contenders owning their strings.
			var owning []float64
			for r := range round {
				ns := 0.0
				for i := 1; i < len(cs); i++ {
					if v := m.per[i][r]; slices.Contains(ownsStrings, cs[i].name) && (ns == 0 || v < ns) {
						ns = v
					}
				}
				if ns > 0 {
					owning = append(owning, ns/m.per[0][r])
				}
			}
			if len(owning) > 0 {
				b.ReportMetric(median(owning), m.prefix+"x-best-owning")
			}
		}
	}
	b.ReportMetric(0, "ns/op") // the per-contender metrics replace it
}

func median(vs []float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
