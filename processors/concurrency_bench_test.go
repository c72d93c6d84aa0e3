package processors_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

// reportIdeal reports, as "x-ideal", how many times slower than ideal one
// operation was: ideal is rounds sleeps of 1 ms, the time the batch takes
// when every slot of the bound is always busy, a 1 ms sleep lasts 1 ms and
// scheduling costs nothing. It also reports "x-sleep", the same ratio against
// rounds sleeps as long as a 1 ms time.Sleep actually lasts on this machine
// (measured after the run): what is left is the scheduler's own cost.
func reportIdeal(b *testing.B, rounds int) {
	b.Helper()
	perOp := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(perOp)/float64(time.Duration(rounds)*time.Millisecond), "x-ideal")
	const samples = 50
	start := time.Now()
	for range samples {
		time.Sleep(time.Millisecond)
	}
	sleep := time.Since(start) / samples
	b.ReportMetric(float64(perOp)/float64(time.Duration(rounds)*sleep), "x-sleep")
}

// sleepHandler is a handler waiting on I/O for d.
func sleepHandler[R any](d time.Duration) core.Handler[R] {
	return func(context.Context, *R) error {
		time.Sleep(d)
		return nil
	}
}

// BenchmarkSQSConcurrentSleep: 1,000 SQS records whose handler sleeps 1 ms,
// at several bounds. The goal is the bound of 100: ideal 10 ms
// (10 rounds of 1 ms), to be within 1.3x.
//
//	go test -run '^$' -bench SQSConcurrentSleep -benchtime 20x ./processors
func BenchmarkSQSConcurrentSleep(b *testing.B) {
	const records = 1000
	bodies := make([]string, records)
	for i := range bodies {
		bodies[i] = `{"n":` + strconv.Itoa(i) + `}`
	}
	event := batchtest.SQSEvent(bodies...)
	for _, bound := range []int{100, 250, 1000} {
		b.Run("bound="+strconv.Itoa(bound), func(b *testing.B) {
			p := core.Must(processors.NewSQS(processors.Config{Options: core.Options{Concurrency: bound}}))
			handler := sleepHandler[events.SQSMessage](time.Millisecond)
			ctx := context.Background()
			for b.Loop() {
				resp, err := core.Process(ctx, p, event.Records, handler)
				if err != nil || len(resp.BatchItemFailures) != 0 {
					b.Fatalf("unexpected failures: %v %v", resp, err)
				}
			}
			reportIdeal(b, (records+bound-1)/bound)
		})
	}
}

// BenchmarkOrderedConcurrentSleep: ordered sources under concurrency, with a
// handler sleeping 1 ms: 10 keys of 20 records each, bound 10, so the ideal
// is 20 ms (each key's 20 records one after another, the keys in parallel).
//
//	go test -run '^$' -bench OrderedConcurrentSleep -benchtime 20x ./processors
func BenchmarkOrderedConcurrentSleep(b *testing.B) {
	const keys, perKey = 10, 20
	b.Run("fifo-skip-group", func(b *testing.B) {
		var msgs []batchtest.FIFOMessage
		for i := range keys * perKey {
			msgs = append(msgs, batchtest.FIFOMessage{Group: "g" + strconv.Itoa(i%keys), Body: "{}"})
		}
		event := batchtest.FIFOEvent(msgs...)
		p := core.Must(processors.NewSQSFIFO(processors.Config{Options: core.Options{Concurrency: keys}, SkipGroupOnError: true}))
		handler := sleepHandler[events.SQSMessage](time.Millisecond)
		for b.Loop() {
			if _, err := core.Process(context.Background(), p, event.Records, handler); err != nil {
				b.Fatal(err)
			}
		}
		reportIdeal(b, perKey)
	})
	b.Run("kafka-partitions", func(b *testing.B) {
		var msgs []batchtest.KafkaMessage
		for i := range keys * perKey {
			msgs = append(msgs, batchtest.KafkaMessage{Topic: "t", Partition: int64(i % keys), Offset: int64(i / keys)})
		}
		event := kafkaEvent(b, processors.EventSourceMSK, msgs...)
		p := core.Must(processors.NewKafka(processors.Config{Options: core.Options{Concurrency: keys}}))
		handler := sleepHandler[events.KafkaRecord](time.Millisecond)
		for b.Loop() {
			if _, err := processors.ProcessKafka(context.Background(), p, event, handler); err != nil {
				b.Fatal(err)
			}
		}
		reportIdeal(b, perKey)
	})
	b.Run("kinesis-order-by-key", func(b *testing.B) {
		var recs []batchtest.KinesisRecord
		for i := range keys * perKey {
			recs = append(recs, batchtest.KinesisRecord{PartitionKey: "pk" + strconv.Itoa(i%keys), Data: "{}"})
		}
		event := batchtest.KinesisEvent(recs...)
		p := core.Must(processors.NewKinesis(processors.Config{Options: core.Options{Concurrency: keys}, OrderByKey: true}))
		handler := sleepHandler[events.KinesisEventRecord](time.Millisecond)
		for b.Loop() {
			if _, err := core.Process(context.Background(), p, event.Records, handler); err != nil {
				b.Fatal(err)
			}
		}
		reportIdeal(b, perKey)
	})
}
