package processors_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

// A Lambda handler that takes the event as raw bytes: the second record has
// a body of the wrong type, so it fails alone, reported by its message id,
// while the others are handled.
func ExampleSQSHandler_raw() {
	processor := core.Must(processors.NewSQS(processors.Config{}))
	handler := func(ctx context.Context, event json.RawMessage) (events.SQSEventResponse, error) {
		resp, err := processors.SQSHandler(processor, func(_ context.Context, m *events.SQSMessage) error {
			fmt.Println("handled", m.MessageId, m.Body)
			return nil
		})(ctx, event)
		return resp.SQS(), err
	}

	event := `{"Records":[
		{"messageId":"m1","body":"hello","eventSource":"aws:sqs"},
		{"messageId":"m2","body":{"not":"a string"},"eventSource":"aws:sqs"},
		{"messageId":"m3","body":"world","eventSource":"aws:sqs"}]}`
	resp, err := handler(context.Background(), json.RawMessage(event))
	fmt.Println(resp.BatchItemFailures, err)
	// Output:
	// handled m1 hello
	// handled m3 world
	// [{m2}] <nil>
}

// An event that is not a batch of records fails the invocation before any
// handler runs.
func ExampleSQSHandler_unexpectedBatchType() {
	_, err := processors.SQSHandler(core.Must(processors.NewSQS(processors.Config{})), func(context.Context, *events.SQSMessage) error { return nil })(context.Background(), []byte(`{"Records":null}`))
	fmt.Println(errors.Is(err, core.ErrUnexpectedBatchType))
	// Output: true
}

// A Kinesis record whose data is not base64 fails alone; the error says
// which record and why.
func ExampleKinesisHandler_raw() {
	event := `{"Records":[
		{"kinesis":{"sequenceNumber":"1","data":"aGVsbG8="}},
		{"kinesis":{"sequenceNumber":"2","data":"%%%"}}]}`
	processor := core.Must(processors.NewKinesis(processors.Config{Options: core.Options{Hooks: []core.Hook{errorPrinter{}}}}))
	resp, err := processors.KinesisHandler(processor, func(_ context.Context, r *events.KinesisEventRecord) error {
		fmt.Printf("handled %s %s\n", r.Kinesis.SequenceNumber, r.Kinesis.Data)
		return nil
	})(context.Background(), []byte(event))
	fmt.Println(resp.Kinesis().BatchItemFailures, err)
	// Output:
	// handled 1 hello
	// record 1 failed: decode error: true
	// [{2}] <nil>
}

// errorPrinter is a hook that prints why records failed.
type errorPrinter struct{ core.NopHook }

func (errorPrinter) RecordEnd(_ context.Context, info core.RecordInfo) {
	if info.Outcome.Failed() {
		fmt.Printf("record %d failed: decode error: %v\n", info.Position, errors.Is(info.Outcome.Err, core.ErrDecode))
	}
}
