// Command kafka_avro is a Lambda function fed by Amazon MSK whose record
// values are Avro orders in the Confluent Schema Registry framing (magic
// byte 0, 4-byte schema id, Avro binary) and whose keys are strings. Each
// record is decoded on its own: a value that is not such an order (here, one
// a misconfigured producer wrote as plain JSON) fails that record alone, with
// an error naming the part, the format and the offset, and the later offsets
// of its partition are left for Lambda to deliver again. The other
// partitions go on.
//
// Outside Lambda, `go run .` (in this directory) processes the bundled
// sample event (event.json, produced by `go test -run TestEventJSON -update`
// with hamba/avro) and prints the partial batch response; pass another event
// file as the first argument to process it instead.
package main

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"time"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/kafkacodec/avro"
	"github.com/batchkit/batchkit/kafkapayload"
	"github.com/batchkit/batchkit/lambdamain"
	"github.com/batchkit/batchkit/processors"
)

//go:embed event.json
var sampleEvent []byte

// orderSchema is the Avro schema the producers register.
//
//go:embed order.avsc
var orderSchema string

// Order is a record's value. The avro tags name the schema's fields; the
// json tags let the same type read values the event source mapping's schema
// registry integration already converted to JSON.
type Order struct {
	ID          string  `avro:"id" json:"id"`
	AmountCents int64   `avro:"amount_cents" json:"amount_cents"`
	Currency    string  `avro:"currency" json:"currency"`
	Note        *string `avro:"note" json:"note"`
}

// Validate refuses orders that cannot be charged; such a record fails like
// one that does not decode.
func (o *Order) Validate() error {
	if o.AmountCents <= 0 {
		return fmt.Errorf("order %s: amount must be positive, got %d cents", o.ID, o.AmountCents)
	}
	return nil
}

// decoder decodes the key as a string and the value as an Avro Order; the
// framing (Confluent here) is detected from the bytes.
var decoder = &kafkapayload.Decoder[string, Order]{
	Key:   kafkapayload.String(),
	Value: core.Must(avro.New[Order](avro.Config{Schema: orderSchema})),
}

// processor is created once and reused by every invocation: up to 8
// partitions at once, and 2 s kept before the deadline to return the
// response.
var processor = core.Must(processors.NewKafka(processors.Config{Options: core.Options{Concurrency: 8, DeadlineMargin: 2 * time.Second}}))

// handleOrder handles one decoded order.
func handleOrder(ctx context.Context, rec *kafkapayload.Record[string, Order]) error {
	slog.DebugContext(ctx, "order",
		"topic", rec.Raw.Topic, "partition", rec.Raw.Partition, "offset", rec.Raw.Offset,
		"key", rec.Key, "id", rec.Value.ID, "cents", rec.Value.AmountCents,
		"schema", rec.ValueSchema.SchemaID())
	return nil
}

// handler is the Lambda handler. kafkapayload.Event is events.KafkaEvent
// plus the records' schema metadata, for when the event source mapping has
// a schema registry; it returns the partial batch response.
func handler(ctx context.Context, event kafkapayload.Event) (core.Response, error) {
	resp, err := processors.ProcessKafka(event.Context(ctx), processor, event.KafkaEvent, decoder.Handler(handleOrder))
	return resp, err
}

func main() { lambdamain.Start(handler, sampleEvent) }
