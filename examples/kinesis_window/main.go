// Command kinesis_window is a Kinesis tumbling window function: it counts
// the valid sensor readings of each sensor (the partition key) over the
// window, in the state Lambda carries from one invocation of the window to
// the next, and publishes the counts on the window's final invocation.
//
// A reading that is not valid fails: it and every record after it in the
// shard are left out of the state and reported, since Lambda re-delivers
// them from the lowest failed sequence number (counting them now would count
// them twice).
//
// Outside Lambda, `go run ./examples/kinesis_window` processes the bundled
// sample event (event.json) and prints the response; pass another event file
// as the first argument to process it instead.
package main

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/window"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/lambdamain"
)

//go:embed event.json
var sampleEvent []byte

// Reading is one record's payload.
type Reading struct {
	Celsius float64 `json:"celsius"`
}

// Validate refuses readings no sensor can make.
func (r Reading) Validate() error {
	if r.Celsius < -90 || r.Celsius > 60 {
		return fmt.Errorf("%.1f °C is out of the sensor's range", r.Celsius)
	}
	return nil
}

// Counts is the window's state: valid readings per sensor, the shape of the
// AWS documentation's sample state.
type Counts map[string]int

// processor is created once and reused by every invocation.
var processor = core.Must(window.NewKinesis(window.Config{}))

// aggregate folds each valid reading into the counts and publishes them on
// the window's final invocation.
var aggregate = window.Aggregate[events.KinesisEventRecord, Counts]{
	Fold: window.KinesisJSON(func(_ context.Context, counts *Counts, _ Reading, rec *events.KinesisEventRecord) error {
		if *counts == nil {
			*counts = Counts{}
		}
		(*counts)[rec.Kinesis.PartitionKey]++
		return nil
	}),
	Publish: func(ctx context.Context, counts Counts, w window.Properties) error {
		// A real function would write the counts to a table or a metric.
		slog.InfoContext(ctx, "window complete", "start", w.Window.Start.Time, "end", w.Window.End.Time, "shard", w.ShardID, "counts", counts)
		return nil
	},
}

// handler is the Lambda handler, as lambda.Start takes it.
var handler = window.KinesisHandler(processor, aggregate)

func main() { lambdamain.Start(handler, sampleEvent) }
