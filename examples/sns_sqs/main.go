// Command sns_sqs is an SQS-triggered Lambda function whose queue is
// subscribed to an SNS topic (without raw message delivery): each message
// body is an SNS notification, and the order the publisher sent is its
// Message. envelope.SNS() unwraps it, the order is decoded and validated, and
// the messages that fail (a body that is not a notification, an order that
// is invalid, a handler error) are reported so that only they return to the
// queue.
//
// Outside Lambda, `go run ./examples/sns_sqs` processes the bundled sample
// event (event.json) and prints the partial batch response; pass another
// event file as the first argument to process it instead.
package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/envelope"
	"github.com/batchkit/batchkit/lambdamain"
	"github.com/batchkit/batchkit/processors"
)

//go:embed event.json
var sampleEvent []byte

// Order is what the publisher sends to the topic.
type Order struct {
	// OrderID identifies the order.
	OrderID string `json:"orderId"`
	// SKU is the product ordered.
	SKU string `json:"sku"`
	// Quantity is how many, at least 1.
	Quantity int `json:"quantity"`
}

// Validate rejects an order that cannot be fulfilled: the message fails
// alone, with an error matching payload.ErrInvalid.
func (o Order) Validate() error {
	if o.OrderID == "" || o.SKU == "" {
		return errors.New("orderId and sku are required")
	}
	if o.Quantity <= 0 {
		return errors.New("quantity must be positive")
	}
	return nil
}

// processor is created once and reused by every invocation.
var processor = core.Must(processors.NewSQS(processors.Config{}))

// handleOrder handles one order, with the SNS notification and the SQS
// message it came in.
func handleOrder(ctx context.Context, o Order, m *envelope.Meta[events.SQSMessage]) error {
	n := m.SNS()
	slog.DebugContext(ctx, "order", "orderId", o.OrderID, "quantity", o.Quantity,
		"topic", n.TopicArn, "subject", n.Subject, "messageId", m.Record.MessageId)
	return nil
}

// handleMessage unwraps the SNS notification in each message body.
var handleMessage = envelope.Wrap(envelope.Config[events.SQSMessage]{
	Layers: []envelope.Layer{envelope.SNS()},
}, handleOrder)

// handler is the Lambda handler. It takes the event as raw bytes, so that a
// message that does not even decode fails alone, and returns the partial
// batch response.
func handler(ctx context.Context, event json.RawMessage) (core.Response, error) {
	return processors.SQSHandler(processor, handleMessage)(ctx, event)
}

func main() { lambdamain.Start(handler, sampleEvent) }
