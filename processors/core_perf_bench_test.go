package processors_test

import (
	"context"
	"crypto/sha256"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

// The benchmarks of issue 11's core rows, each side by side with what it is
// compared to (docs/performance-core.md has the commands and the numbers).

// sha256Handler hashes the body rounds times: a CPU-bound handler (about
// 1.2 µs for 10 rounds of a 40-byte body).
func sha256Handler(rounds int) core.Handler[events.SQSMessage] {
	return func(_ context.Context, m *events.SQSMessage) error {
		sum := sha256.Sum256([]byte(m.Body))
		for range rounds - 1 {
			sum = sha256.Sum256(sum[:])
		}
		if sum[0] == 0 && sum[1] == 0 && sum[2] == 0 && sum[3] == 0 {
			sink++
		}
		return nil
	}
}

var sink int

// BenchmarkCPUBoundConcurrency: 1,000 records, a CPU-bound handler, run
// sequentially and at several bounds: concurrency must never lose to
// sequential, and at 2 on 2 cores must gain at least 1.4x (10 rounds) or
// 1.8x (200 rounds).
//
//	go test -run '^$' -bench CPUBoundConcurrency -count 5 ./processors
func BenchmarkCPUBoundConcurrency(b *testing.B) {
	bodies := make([]string, 1000)
	for i := range bodies {
		bodies[i] = `{"order":` + strconv.Itoa(i) + `,"amount":12.5,"x":"abcdef"}`
	}
	event := batchtest.SQSEvent(bodies...)
	for _, rounds := range []int{10, 200} {
		h := sha256Handler(rounds)
		// bare: the same work on 2 goroutines pulling positions from an
		// atomic counter, written by hand: what 2 cores give at best here.
		b.Run("sha256x"+strconv.Itoa(rounds)+"/bare-2", func(b *testing.B) {
			ctx := context.Background()
			recs := event.Records
			for b.Loop() {
				var pos atomic.Int64
				var wg sync.WaitGroup
				for range 2 {
					wg.Go(func() {
						for {
							i := int(pos.Add(1)) - 1
							if i >= len(recs) {
								return
							}
							_ = h(ctx, &recs[i])
						}
					})
				}
				wg.Wait()
			}
		})
		run := func(bound int) func() {
			p := core.Must(processors.NewSQS(processors.Config{Options: core.Options{Concurrency: bound}}))
			return func() {
				if _, err := core.Process(context.Background(), p, event.Records, h); err != nil {
					b.Fatal(err)
				}
			}
		}
		for _, bound := range []int{1, 2, 4, 8, 1000} {
			b.Run("sha256x"+strconv.Itoa(rounds)+"/bound="+strconv.Itoa(bound), func(b *testing.B) {
				f := run(bound)
				for b.Loop() {
					f()
				}
			})
		}
		// speedup: sequential and bound b in turns; x-speedup is the
		// sequential time over the bound's, taken in the same turns.
		for _, bound := range []int{2, 4, 8, 1000} {
			b.Run("sha256x"+strconv.Itoa(rounds)+"/speedup-bound="+strconv.Itoa(bound), func(b *testing.B) {
				seq, par := turns(b, 1, run(1), run(bound))
				b.ReportMetric(seq/par, "x-speedup")
			})
		}
	}
}

// BenchmarkSleepAtFullBound: 1,000 records sleeping 1 ms at concurrency
// 1,000: ideal 1 ms; x-ideal is the wall time over it (goal 1.3x). The
// bare loop beside it (a goroutine per sleep and a WaitGroup, no records,
// no outcomes) is the floor of this machine; batchkit reports x-bare, its
// wall time over the bare loop's median, measured in the same run.
//
//	go test -run '^$' -bench SleepAtFullBound -benchtime 50x -count 5 ./processors
func BenchmarkSleepAtFullBound(b *testing.B) {
	bodies := make([]string, 1000)
	for i := range bodies {
		bodies[i] = strconv.Itoa(i)
	}
	event := batchtest.SQSEvent(bodies...)
	bare := func() {
		var wg sync.WaitGroup
		for range 1000 {
			wg.Add(1)
			go func() { time.Sleep(time.Millisecond); wg.Done() }()
		}
		wg.Wait()
	}
	var bareOp time.Duration
	b.Run("bare", func(b *testing.B) {
		for b.Loop() {
			bare()
		}
		bareOp = b.Elapsed() / time.Duration(b.N)
		reportIdeal(b, 1)
	})
	p := core.Must(processors.NewSQS(processors.Config{Options: core.Options{Concurrency: 1000}}))
	h := sleepHandler[events.SQSMessage](time.Millisecond)
	// interleaved: batchkit and the bare loop in turns; x-compared is
	// x-bare taken turn by turn.
	b.Run("interleaved", func(b *testing.B) {
		interleaved(b, 1, func() { _, _ = core.Process(context.Background(), p, event.Records, h) }, bare)
	})
	b.Run("batchkit", func(b *testing.B) {
		for b.Loop() {
			if _, err := core.Process(context.Background(), p, event.Records, h); err != nil {
				b.Fatal(err)
			}
		}
		if bareOp > 0 {
			b.ReportMetric(float64(b.Elapsed()/time.Duration(b.N))/float64(bareOp), "x-bare")
		}
		reportIdeal(b, 1)
	})
}

// BenchmarkKinesisOrdered16Keys: 320 Kinesis records over 16 partition
// keys, ordered by key, concurrency 10, each sleeping 1 ms: ideal 32 ms
// (320 records on 10 workers; each key's 20 records fit in it); goal 1.1x.
//
//	go test -run '^$' -bench KinesisOrdered16Keys -benchtime 20x -count 5 ./processors
func BenchmarkKinesisOrdered16Keys(b *testing.B) {
	const keys, records, bound = 16, 320, 10
	recs := make([]batchtest.KinesisRecord, records)
	for i := range recs {
		recs[i] = batchtest.KinesisRecord{PartitionKey: "pk" + strconv.Itoa(i%keys), Data: "{}"}
	}
	event := batchtest.KinesisEvent(recs...)
	p := core.Must(processors.NewKinesis(processors.Config{Options: core.Options{Concurrency: bound}, OrderByKey: true}))
	h := sleepHandler[events.KinesisEventRecord](time.Millisecond)
	for b.Loop() {
		if _, err := core.Process(context.Background(), p, event.Records, h); err != nil {
			b.Fatal(err)
		}
	}
	reportIdeal(b, records/bound)
}

// interleaved runs batchkit and its comparison in turns, reps calls of each
// per turn, and reports both times per call and their ratio (x-compared)
// and difference (ns-over): taken turn by turn, they hold when the load of
// the machine drifts during the run, which separate sub-benchmarks do not.
func interleaved(b *testing.B, reps int, batchkit, compared func()) {
	b.Helper()
	nb, nc := turns(b, reps, batchkit, compared)
	b.ReportMetric(nb, "ns/batchkit")
	b.ReportMetric(nc, "ns/compared")
	b.ReportMetric(nb/nc, "x-compared")
	b.ReportMetric(nb-nc, "ns-over")
}

// turns runs first and second in turns, reps calls of each per turn, and
// returns the mean time of a call of each, in ns.
func turns(b *testing.B, reps int, first, second func()) (float64, float64) {
	b.Helper()
	var tb, tc time.Duration
	calls := 0
	for b.Loop() {
		t0 := time.Now()
		for range reps {
			first()
		}
		t1 := time.Now()
		for range reps {
			second()
		}
		tc += time.Since(t1)
		tb += t1.Sub(t0)
		calls += reps
	}
	return float64(tb.Nanoseconds()) / float64(calls), float64(tc.Nanoseconds()) / float64(calls)
}

// handLoop is what batchkit must do at the least, written by hand: for each
// record read its identifier and eventSource (issue 11's baseline), call the
// handler, and collect the failures' identifiers.
func handLoop[R any](ctx context.Context, recs []R, id func(*R) string, es func(*R) string, h core.Handler[R]) []string {
	var failed []string
	for i := range recs {
		if es(&recs[i]) == "x" || id(&recs[i]) == "" {
			panic("unexpected record")
		}
		if err := h(ctx, &recs[i]); err != nil {
			failed = append(failed, id(&recs[i]))
		}
	}
	return failed
}

func noop[R any]() core.Handler[R] {
	return func(context.Context, *R) error { return nil }
}

// BenchmarkSequentialOverhead: a no-op handler, 10,000 records, sequential:
// batchkit beside the hand loop, per source (goal: at most 1.3x).
//
//	go test -run '^$' -bench SequentialOverhead -count 5 ./processors
func BenchmarkSequentialOverhead(b *testing.B) {
	const n = 10000
	bodies := make([]string, n)
	fifo := make([]batchtest.FIFOMessage, n)
	kin := make([]batchtest.KinesisRecord, n)
	var changes []batchtest.Change
	for i := range bodies {
		bodies[i] = "{}"
		fifo[i] = batchtest.FIFOMessage{Group: "g" + strconv.Itoa(i%10), Body: "{}"}
		kin[i] = batchtest.KinesisRecord{Data: "{}"}
		changes = append(changes, batchtest.Insert(strconv.Itoa(i), nil))
	}
	sqs := batchtest.SQSEvent(bodies...).Records
	fifoRecs := batchtest.FIFOEvent(fifo...).Records
	kinRecs := batchtest.KinesisEvent(kin...).Records
	ddbRecs := batchtest.DynamoDBEvent(changes...).Records
	ctx := context.Background()
	sqsID := func(m *events.SQSMessage) string { return m.MessageId }
	sqsES := func(m *events.SQSMessage) string { return m.EventSource }
	bench := func(name string, batchkit, hand func()) {
		b.Run(name+"/batchkit", func(b *testing.B) {
			for b.Loop() {
				batchkit()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/record")
		})
		b.Run(name+"/hand-loop", func(b *testing.B) {
			for b.Loop() {
				hand()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/record")
		})
		b.Run(name+"/interleaved", func(b *testing.B) { interleaved(b, 1, batchkit, hand) })
	}
	sqsP, fifoP := core.Must(processors.NewSQS(processors.Config{})), core.Must(processors.NewSQSFIFO(processors.Config{}))
	kinP, ddbP := core.Must(processors.NewKinesis(processors.Config{})), core.Must(processors.NewDynamoDB(processors.Config{}))
	sqsH, kinH, ddbH := noop[events.SQSMessage](), noop[events.KinesisEventRecord](), noop[events.DynamoDBEventRecord]()
	bench("sqs", func() { _, _ = core.Process(ctx, sqsP, sqs, sqsH) }, func() { handLoop(ctx, sqs, sqsID, sqsES, sqsH) })
	bench("fifo", func() { _, _ = core.Process(ctx, fifoP, fifoRecs, sqsH) }, func() { handLoop(ctx, fifoRecs, sqsID, sqsES, sqsH) })
	bench("kinesis", func() { _, _ = core.Process(ctx, kinP, kinRecs, kinH) }, func() {
		handLoop(ctx, kinRecs, func(r *events.KinesisEventRecord) string { return r.Kinesis.SequenceNumber },
			func(r *events.KinesisEventRecord) string { return r.EventSource }, kinH)
	})
	bench("dynamodb", func() { _, _ = core.Process(ctx, ddbP, ddbRecs, ddbH) }, func() {
		handLoop(ctx, ddbRecs, func(r *events.DynamoDBEventRecord) string { return r.Change.SequenceNumber },
			func(r *events.DynamoDBEventRecord) string { return r.EventSource }, ddbH)
	})
}

// BenchmarkSmallBatch: a 10-record SQS batch (the default batch size),
// batchkit beside the hand loop: the difference is batchkit's fixed cost
// per batch (goal: at most 100 ns).
//
//	go test -run '^$' -bench SmallBatch -count 5 ./processors
func BenchmarkSmallBatch(b *testing.B) {
	recs := batchtest.SQSEvent("{}", "{}", "{}", "{}", "{}", "{}", "{}", "{}", "{}", "{}").Records
	ctx := context.Background()
	p := core.Must(processors.NewSQS(processors.Config{}))
	h := noop[events.SQSMessage]()
	b.Run("batchkit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = core.Process(ctx, p, recs, h)
		}
	})
	hand := func() {
		handLoop(ctx, recs, func(m *events.SQSMessage) string { return m.MessageId }, func(m *events.SQSMessage) string { return m.EventSource }, h)
	}
	b.Run("hand-loop", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			hand()
		}
	})
	// ns-over is the fixed cost per batch.
	b.Run("interleaved", func(b *testing.B) {
		interleaved(b, 1000, func() { _, _ = core.Process(ctx, p, recs, h) }, hand)
	})
}

// BenchmarkDeadlineContext: 10,000 records, no-op handler, sequential,
// under a context without deadline and under a Lambda-like one (deadline and
// Lambda context value), without and with a deadline margin: the difference
// per record is the deadline's cost (goal: at most 1 ns).
//
//	go test -run '^$' -bench DeadlineContext -count 5 ./processors
func BenchmarkDeadlineContext(b *testing.B) {
	bodies := make([]string, 10000)
	for i := range bodies {
		bodies[i] = "{}"
	}
	recs := batchtest.SQSEvent(bodies...).Records
	h := noop[events.SQSMessage]()
	// floor: one ctx.Err() on the Lambda-like context, the check a record
	// needs so that none starts once the context is cancelled (background
	// contexts are never cancelled: they skip it).
	b.Run("floor/ctx.Err", func(b *testing.B) {
		ctx, cancel := batchtest.LambdaContext(context.Background(), time.Hour)
		defer cancel()
		n := 0
		for b.Loop() {
			if ctx.Err() != nil {
				n++
			}
		}
		if n != 0 {
			b.Fatal("context cancelled")
		}
	})
	for _, margin := range []time.Duration{0, time.Second} {
		p := core.Must(processors.NewSQS(processors.Config{Options: core.Options{DeadlineMargin: margin}}))
		for _, withDeadline := range []bool{false, true} {
			name := "margin=" + margin.String() + "/background"
			if withDeadline {
				name = "margin=" + margin.String() + "/lambda-deadline"
			}
			b.Run(name, func(b *testing.B) {
				ctx := context.Background()
				if withDeadline {
					var cancel context.CancelFunc
					ctx, cancel = batchtest.LambdaContext(ctx, time.Hour)
					defer cancel()
				}
				for b.Loop() {
					_, _ = core.Process(ctx, p, recs, h)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(recs)), "ns/record")
			})
		}
	}
}
