package kpl_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/envelope"
	"github.com/batchkit/batchkit/kpl"
	"github.com/batchkit/batchkit/processors"
)

// The KPL layer goes first among the layers of Kinesis records: the handler
// is called once per user record of an aggregate, and once for a record that
// is not one.
// The parent's sequence number and the sub-sequence number name a user
// record across redeliveries: the key of an idempotent handler.
func ExampleLayer() {
	processor := core.Must(processors.NewKinesis(processors.Config{}))
	handler := envelope.Wrap(envelope.Config[events.KinesisEventRecord]{
		Layers: []envelope.Layer{kpl.Layer()},
	}, func(_ context.Context, o order, m *envelope.Meta[events.KinesisEventRecord]) error {
		rec := m.Layers[0].Meta.(*kpl.Record) // the KPL layer is the first
		key := fmt.Sprintf("%s/%d", m.Record.Kinesis.SequenceNumber, rec.SubSequenceNumber)
		fmt.Println("order", o.Order, "key", key, "aggregated", rec.Aggregated)
		return nil
	})

	records := []events.KinesisEventRecord{kinesisRecord("4960", "customer-1", []byte(`{"order":7}`))}
	resp, err := core.Process(context.Background(), processor, records, handler)
	fmt.Println(len(resp.BatchItemFailures), err)
	// Output:
	// order 7 key 4960/0 aggregated false
	// 0 <nil>
}
