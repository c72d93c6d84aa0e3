// Command firehose is an Amazon Data Firehose transformation function: each
// record is a JSON log line; it is rewritten as one line of text, debug
// lines are dropped, and each line gets the partition keys that dynamic
// partitioning uses (service and level). A record that is not a JSON log
// line is ProcessingFailed (Firehose backs it up); every record comes back
// exactly once, and the response is kept under Lambda's 6 MB limit.
//
// Outside Lambda, `go run ./examples/firehose` processes the bundled sample
// event (event.json) and prints the response; pass another event file as
// the first argument to process it instead.
package main

import (
	"context"
	_ "embed"
	"errors"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/firehose"

	"github.com/batchkit/batchkit/examples/internal/runlocal"
)

//go:embed event.json
var sampleEvent []byte

// LogLine is one record's payload.
type LogLine struct {
	Level   string `json:"level"`
	Service string `json:"service"`
	Message string `json:"message"`
}

// Validate refuses a line without a service: it could not be partitioned.
func (l LogLine) Validate() error {
	if l.Service == "" {
		return errors.New("log line has no service")
	}
	return nil
}

// processor is created once and reused by every invocation.
var processor = core.Must(firehose.New(firehose.Config{}))

// transform handles one decoded log line.
func transform(_ context.Context, line LogLine, _ *firehose.Record) (firehose.Result, error) {
	if line.Level == "debug" {
		return firehose.Result{Drop: true}, nil
	}
	text := line.Level + " " + line.Service + ": " + line.Message + "\n"
	return firehose.Result{Data: []byte(text), PartitionKeys: map[string]string{
		"service": line.Service,
		"level":   line.Level,
	}}, nil
}

// handler is the Lambda handler, as lambda.Start takes it: it decodes the
// event bytes itself, so a record that does not decode fails alone.
var handler = firehose.Handler(processor, firehose.JSON(transform))

func main() { runlocal.Main(handler, sampleEvent) }
