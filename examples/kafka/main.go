// Command kafka is a Lambda function fed by Amazon MSK or self-managed
// Kafka: it decodes each record's value as a JSON order, handles the
// topic-partitions in parallel (each one in offset order), and reports, for
// each partition that failed, the offset Lambda must resume it from.
//
// Outside Lambda, `go run ./examples/kafka` processes the bundled sample
// event (event.json) and prints the partial batch response; pass another
// event file as the first argument to process it instead.
package main

import (
	"context"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/lambdamain"
	"github.com/batchkit/batchkit/processors"
)

//go:embed event.json
var sampleEvent []byte

// Order is a record's value.
type Order struct {
	ID     string `json:"id"`
	Amount int    `json:"amount"`
}

// processor is created once and reused by every invocation: up to 8
// partitions at once, and 2 s kept before the deadline to return the
// response.
var processor = core.Must(processors.NewKafka(processors.Config{Options: core.Options{Concurrency: 8, DeadlineMargin: 2 * time.Second}}))

// handleRecord handles one record; an error fails it, and the records after
// it in the same partition are left for Lambda to deliver again.
func handleRecord(ctx context.Context, r *events.KafkaRecord) error {
	value, err := base64.StdEncoding.DecodeString(r.Value)
	if err != nil {
		return fmt.Errorf("value is not base64: %w", err)
	}
	var order Order
	if err := json.Unmarshal(value, &order); err != nil {
		return fmt.Errorf("value is not an order: %w", err)
	}
	if order.Amount <= 0 {
		return fmt.Errorf("order %s: amount must be positive, got %d", order.ID, order.Amount)
	}
	slog.DebugContext(ctx, "order", "topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "id", order.ID)
	return nil
}

// handler is the Lambda handler: it takes the event as Lambda sends it,
// decodes each record on its own (a record that does not decode fails
// alone) and returns the partial batch response.
var handler = processors.KafkaHandler(processor, handleRecord)

func main() { lambdamain.Start(handler, sampleEvent) }
