package driver_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/driver"
	"github.com/batchkit/batchkit/processors"
)

// Lambda's rules for a partial batch response: the reported identifiers, or
// an error that fails the whole batch.
func ExampleParseResponse() {
	ids := []string{"m1", "m2"}
	failed, err := driver.ParseResponse([]byte(`{"batchItemFailures":[{"itemIdentifier":"m2"}]}`), ids)
	fmt.Println(failed, err)
	_, err = driver.ParseResponse([]byte(`{"batchItemFailures":[{"itemIdentifier":""}]}`), ids)
	fmt.Println(errors.Is(err, driver.ErrWholeBatchFailed))
	// Output:
	// [m2] <nil>
	// true
}

// A Lambda handler run in-process, the way the Go runtime calls it: the event
// and the response travel as JSON.
func ExampleHandler() {
	processor := core.Must(processors.NewSQS(processors.Config{}))
	handler := func(ctx context.Context, e events.SQSEvent) (core.Response, error) {
		return core.Process(ctx, processor, e.Records, func(_ context.Context, m *events.SQSMessage) error {
			if m.Body == "bad" {
				return errors.New("bad message")
			}
			return nil
		})
	}
	event := `{"Records":[{"messageId":"m1","body":"ok","eventSource":"aws:sqs"},{"messageId":"m2","body":"bad","eventSource":"aws:sqs"}]}`
	resp, err := driver.Handler(handler).Invoke(context.Background(), []byte(event))
	fmt.Println(string(resp), err)
	// Output:
	// {"batchItemFailures":[{"itemIdentifier":"m2"}]} <nil>
}

// Feed a function from an SQS queue on a local server until the queue is
// drained. (Not run: it needs fauxqs.)
func ExampleSQS() {
	ctx := context.Background()
	processor := core.Must(processors.NewSQS(processors.Config{}))
	handler := func(ctx context.Context, e events.SQSEvent) (core.Response, error) {
		return core.Process(ctx, processor, e.Records, func(context.Context, *events.SQSMessage) error { return nil })
	}
	mapping := &driver.SQS{
		Client:   driver.NewSQSClient("http://127.0.0.1:4566"),
		QueueURL: "http://127.0.0.1:4566/000000000000/orders",
		WaitTime: time.Second,
		// FunctionResponseTypes: [ReportBatchItemFailures], as the template
		// must say too: without it Lambda ignores the response.
		ReportBatchItemFailures: true,
	}
	batches, err := driver.Drain(ctx, mapping, driver.Handler(handler), 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, b := range batches {
		fmt.Println(len(b.IDs), "delivered,", len(b.Deleted), "deleted, failed:", b.Failed, b.Err)
	}
}

// Feed a Kinesis stream to a bootstrap running under the Runtime Interface
// Emulator. (Not run: it needs kinesalite and aws-lambda-rie.)
func ExampleKinesis() {
	ctx := context.Background()
	fn, err := driver.StartEmulator(ctx, driver.EmulatorConfig{RIE: "aws-lambda-rie", Bootstrap: "dist/bootstrap"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer fn.Close()
	mapping := &driver.Kinesis{Client: driver.NewKinesisClient("http://127.0.0.1:4567"), StreamName: "orders", BatchSize: 100, StreamSettings: driver.StreamSettings{ReportBatchItemFailures: true}}
	batches, err := mapping.Poll(ctx, fn)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, b := range batches {
		fmt.Println(b.Shard, len(b.IDs), "records; read again from:", b.Checkpoint)
	}
}
