// Command compare generates the events of the peer comparison and times
// batchkit on them; run.sh drives it next to the TypeScript peer.
//
//	go run ./compare gen DIR N   (from bench/)   # writes DIR/{sqs,fifo,kinesis,dynamodb}.json with N records
//	go run ./compare run DIR     # prints "<kind> <process> <typed> <raw>" in ns per record
//
// For each event, "run" prints the median over repeated runs of: process,
// core.Process with a no-op handler over records decoded beforehand with
// aws-lambda-go's types (what bench.mjs times for the peer, whose event is
// parsed beforehand too); typed, json.Unmarshal into the aws-lambda-go event
// plus process; raw, the raw-bytes entry on the same bytes.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/benchevents"
	"github.com/batchkit/batchkit/processors"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: compare gen DIR N | compare run DIR")
		os.Exit(2)
	}
	dir := os.Args[2]
	switch os.Args[1] {
	case "gen":
		n, err := strconv.Atoi(os.Args[3])
		check(err)
		for _, kind := range benchevents.Kinds {
			check(os.WriteFile(filepath.Join(dir, kind+".json"), benchevents.Event(kind, n), 0o644))
		}
	case "run":
		for _, kind := range benchevents.Kinds {
			data, err := os.ReadFile(filepath.Join(dir, kind+".json"))
			check(err)
			process, typed, raw := timeKind(kind, data)
			fmt.Printf("%s %.1f %.1f %.1f\n", kind, process, typed, raw)
		}
	default:
		fmt.Fprintln(os.Stderr, "unknown command", os.Args[1])
		os.Exit(2)
	}
}

const runs = 101

// timeKind returns the process, typed and raw times of an event, in ns per
// record.
func timeKind(kind string, data []byte) (process, typed, raw float64) {
	switch kind {
	case "sqs":
		return timeAll[events.SQSEvent](data, core.Must(processors.NewSQS(processors.Config{})), entry(processors.SQSHandler),
			func(e *events.SQSEvent) []events.SQSMessage { return e.Records })
	case "fifo":
		return timeAll[events.SQSEvent](data, core.Must(processors.NewSQSFIFO(processors.Config{})), entry(processors.SQSHandler),
			func(e *events.SQSEvent) []events.SQSMessage { return e.Records })
	case "kinesis":
		return timeAll[events.KinesisEvent](data, core.Must(processors.NewKinesis(processors.Config{})), entry(processors.KinesisHandler),
			func(e *events.KinesisEvent) []events.KinesisEventRecord { return e.Records })
	case "dynamodb":
		return timeAll[events.DynamoDBEvent](data, core.Must(processors.NewDynamoDB(processors.Config{})), entry(processors.DynamoDBHandler),
			func(e *events.DynamoDBEvent) []events.DynamoDBEventRecord { return e.Records })
	}
	panic("unknown kind " + kind)
}

func timeAll[E, R any](data []byte, p core.PartialProcessor[R],
	rawEntry func(context.Context, core.PartialProcessor[R], []byte, core.Handler[R]) (core.Response, error),
	records func(*E) []R) (process, typed, raw float64) {
	ctx := context.Background()
	h := func(context.Context, *R) error { return nil }
	var e E
	check(json.Unmarshal(data, &e))
	recs := records(&e)
	n := len(recs)
	process = median(n, runs, func() (core.Response, error) { return core.Process(ctx, p, recs, h) })
	typed = median(n, runs/10+1, func() (core.Response, error) {
		var e E
		if err := json.Unmarshal(data, &e); err != nil {
			return core.Response{}, err
		}
		return core.Process(ctx, p, records(&e), h)
	})
	raw = median(n, runs/10+1, func() (core.Response, error) { return rawEntry(ctx, p, data, h) })
	return process, typed, raw
}

// median runs f the given number of times and returns the median time per
// record, in ns.
func median(n, times int, f func() (core.Response, error)) float64 {
	ts := make([]float64, times)
	for i := range ts {
		start := time.Now()
		resp, err := f()
		ts[i] = float64(time.Since(start).Nanoseconds()) / float64(n)
		check(err)
		if len(resp.BatchItemFailures) != 0 {
			panic("unexpected failures")
		}
	}
	slices.Sort(ts)
	return ts[len(ts)/2]
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
func entry[R any](adapter func(core.PartialProcessor[R], core.Handler[R]) core.LambdaHandler[core.Response]) func(context.Context, core.PartialProcessor[R], []byte, core.Handler[R]) (core.Response, error) {
	return func(ctx context.Context, p core.PartialProcessor[R], event []byte, h core.Handler[R]) (core.Response, error) {
		return adapter(p, h)(ctx, event)
	}
}
