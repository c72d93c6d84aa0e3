package pipes_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/pipes"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/processors"
)

// An EventBridge pipe from a Kinesis stream to a Lambda function: the event
// is a bare JSON array of flattened records, and failures are reported by
// eventID, as Pipes expects. lambda.Start(handler) runs it in Lambda.
func ExampleKinesisHandler() {
	handler := pipes.KinesisHandler(core.Must(pipes.NewKinesis(processors.Config{})),
		func(_ context.Context, r *events.KinesisEventRecord) error {
			fmt.Printf("%s %s\n", r.Kinesis.SequenceNumber, r.Kinesis.Data)
			if string(r.Kinesis.Data) == "bad" {
				return errors.New("cannot handle it")
			}
			return nil
		})

	event := `[
		{"eventID":"shardId-000000000006:101","sequenceNumber":"101","partitionKey":"1","data":"Z29vZA==","eventSource":"aws:kinesis"},
		{"eventID":"shardId-000000000006:102","sequenceNumber":"102","partitionKey":"1","data":"YmFk","eventSource":"aws:kinesis"}]`
	resp, err := handler(context.Background(), json.RawMessage(event))
	out, _ := json.Marshal(resp)
	fmt.Println(string(out), err)
	// Output:
	// 101 good
	// 102 bad
	// {"batchItemFailures":[{"itemIdentifier":"shardId-000000000006:102"}]} <nil>
}

// An EventBridge pipe from an SQS queue: the usual SQS processors and typed
// handlers apply; a record that does not decode fails alone.
func ExampleSQSHandler() {
	type Order struct {
		ID string `json:"id"`
	}
	handler := pipes.SQSHandler(core.Must(processors.NewSQS(processors.Config{})),
		processors.SQSJSON(func(_ context.Context, o Order, m *events.SQSMessage) error {
			fmt.Println("order", o.ID)
			return nil
		}))
	event := `[
		{"messageId":"m1","body":"{\"id\":\"o-1\"}","eventSource":"aws:sqs"},
		{"messageId":"m2","body":"not json","eventSource":"aws:sqs"}]`
	resp, err := handler(context.Background(), json.RawMessage(event))
	out, _ := json.Marshal(resp)
	fmt.Println(string(out), err)
	// Output:
	// order o-1
	// {"batchItemFailures":[{"itemIdentifier":"m2"}]} <nil>
}
