// Command dynamodb is a DynamoDB Streams-triggered Lambda function that
// decodes each record's new image into a Go type, validates it, and reports
// the records that fail by sequence number.
//
// Outside Lambda, `go run ./examples/dynamodb` processes the bundled sample
// event (event.json) and prints the partial batch response.
package main

import (
	"context"
	_ "embed"
	"errors"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/lambdamain"
	"github.com/batchkit/batchkit/processors"
)

//go:embed event.json
var sampleEvent []byte

// Item is the table's item as the stream's new image carries it.
type Item struct {
	Message string `json:"Message"`
}

// Validate requires a message: items without one fail.
func (i Item) Validate() error {
	if i.Message == "" {
		return errors.New("item has no Message attribute")
	}
	return nil
}

var processor = core.Must(processors.NewDynamoDB(processors.Config{}))

func handleItem(ctx context.Context, item *Item, rec *events.DynamoDBEventRecord) error {
	if item == nil { // REMOVE: no new image
		slog.DebugContext(ctx, "removed", "keys", processors.ItemKey(rec))
		return nil
	}
	slog.DebugContext(ctx, "item", "eventName", rec.EventName, "message", item.Message)
	return nil
}

var handler = processors.DynamoDBHandler(processor, processors.DynamoDBNewImage(handleItem))

func main() { lambdamain.Start(handler, sampleEvent) }
