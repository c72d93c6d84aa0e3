// Command compare generates the events of the peer comparison and times
// batchkit on them; run.sh drives it next to the TypeScript peer.
//
//	go run ./bench/compare gen DIR N   # writes DIR/{sqs,fifo,kinesis,dynamodb}.json with N records
//	go run ./bench/compare run DIR     # prints "<kind> <ns per record>" for batchkit
//
// "run" decodes each event with aws-lambda-go's types once, then times
// core.Process with a no-op handler (sequential, the default options),
// printing the median of the runs, as bench.mjs does for the peer.
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
			fmt.Printf("%s %.1f\n", kind, timeKind(kind, data))
		}
	default:
		fmt.Fprintln(os.Stderr, "unknown command", os.Args[1])
		os.Exit(2)
	}
}

const runs = 201

func timeKind(kind string, data []byte) float64 {
	switch kind {
	case "sqs":
		var e events.SQSEvent
		check(json.Unmarshal(data, &e))
		return median(e.Records, processors.NewSQS())
	case "fifo":
		var e events.SQSEvent
		check(json.Unmarshal(data, &e))
		return median(e.Records, processors.NewSQSFIFO())
	case "kinesis":
		var e events.KinesisEvent
		check(json.Unmarshal(data, &e))
		return median(e.Records, processors.NewKinesis())
	case "dynamodb":
		var e events.DynamoDBEvent
		check(json.Unmarshal(data, &e))
		return median(e.Records, processors.NewDynamoDB())
	}
	panic("unknown kind " + kind)
}

func median[R any](records []R, p core.PartialProcessor[R]) float64 {
	ctx := context.Background()
	h := func(context.Context, *R) (any, error) { return nil, nil }
	times := make([]float64, runs)
	for i := range times {
		start := time.Now()
		resp, err := core.Process(ctx, p, records, h)
		times[i] = float64(time.Since(start).Nanoseconds()) / float64(len(records))
		check(err)
		if len(resp.BatchItemFailures) != 0 {
			panic("unexpected failures")
		}
	}
	slices.Sort(times)
	return times[len(times)/2]
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
