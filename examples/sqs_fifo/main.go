// Command sqs_fifo is an SQS FIFO-triggered Lambda function. It skips only
// the failed message's group: when a message fails, the later messages of
// its group are reported failed without being handled (to keep the group's
// order), while the other groups go on.
//
// Outside Lambda, `go run ./examples/sqs_fifo` processes the bundled sample
// event (event.json: three groups, the second message is not JSON) and prints
// the partial batch response (response.json).
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
	OrderID string  `json:"orderId"`
	Amount  float64 `json:"amount"`
}

var processor = core.Must(processors.NewSQSFIFO(processors.Config{SkipGroupOnError: true}))

func handleOrder(ctx context.Context, order Order, msg *events.SQSMessage) error {
	slog.DebugContext(ctx, "order", "group", msg.Attributes["MessageGroupId"], "orderId", order.OrderID)
	return nil
}

var handler = processors.SQSHandler(processor, processors.SQSJSON(handleOrder))

func main() { lambdamain.Start(handler, sampleEvent) }
