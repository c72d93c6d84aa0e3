// Command sqs is the getting-started function: an SQS-triggered Lambda
// function that decodes each message body as JSON and reports the messages
// that fail, so that only they return to the queue.
//
// Outside Lambda, `go run ./examples/sqs` processes the bundled sample event
// (event.json) and prints the partial batch response; pass another event
// file as the first argument to process it instead.
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

// Order is the message body.
type Order struct {
	Message string `json:"Message"`
}

// processor is created once and reused by every invocation.
var processor = core.Must(processors.NewSQS(processors.Config{}))

// handleOrder handles one decoded message.
func handleOrder(ctx context.Context, order Order, msg *events.SQSMessage) error {
	slog.DebugContext(ctx, "order", "messageId", msg.MessageId, "message", order.Message)
	return nil
}

// handler is the Lambda handler: it takes the event as Lambda sends it,
// decodes each record on its own (a record that does not decode fails
// alone) and returns the partial batch response.
var handler = processors.SQSHandler(processor, processors.SQSJSON(handleOrder))

func main() { lambdamain.Start(handler, sampleEvent) }
