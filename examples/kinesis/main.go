// Command kinesis is a Kinesis Data Streams-triggered Lambda function that
// decodes each record's data as JSON and reports the records that fail by
// sequence number, so that Lambda retries from the lowest one.
//
// Outside Lambda, `go run ./examples/kinesis` processes the bundled sample
// event (event.json) and prints the partial batch response.
package main

import (
	"context"
	_ "embed"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/lambdamain"
	"github.com/batchkit/batchkit/processors"
)

//go:embed event.json
var sampleEvent []byte

// Reading is a record's data.
type Reading struct {
	Message string `json:"Message"`
}

var processor = core.Must(processors.NewKinesis(processors.Config{}))

func handleReading(ctx context.Context, r Reading, rec *events.KinesisEventRecord) error {
	slog.DebugContext(ctx, "reading", "sequenceNumber", rec.Kinesis.SequenceNumber, "message", r.Message)
	return nil
}

var handler = processors.KinesisHandler(processor, processors.KinesisJSON(handleReading))

func main() { lambdamain.Start(handler, sampleEvent) }
