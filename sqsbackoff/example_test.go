package sqsbackoff_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
	"github.com/batchkit/batchkit/sqsbackoff"
)

// The hook goes in the SQS processor's hooks. In a function, Client is
// sqs.NewFromConfig(cfg) (the role needs sqs:ChangeMessageVisibility); here
// a stand-in records the call. The message failed at its third receive:
// it is hidden for 10 s · 2² = 40 s.
func ExampleNew() {
	client := &fakeSQS{} // sqs.NewFromConfig(cfg)
	backoff := core.Must(sqsbackoff.New(sqsbackoff.Config{Client: client, Base: 10 * time.Second, Exact: true}))
	processor := core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{backoff}}}))

	msg := events.SQSMessage{MessageId: "m1", ReceiptHandle: "rh1", EventSource: "aws:sqs",
		EventSourceARN: "arn:aws:sqs:eu-west-1:123456789012:orders", Attributes: map[string]string{"ApproximateReceiveCount": "3"}}
	resp, err := core.Process(context.Background(), processor, []events.SQSMessage{msg}, func(context.Context, *events.SQSMessage) error {
		return errors.New("downstream is down")
	})
	fmt.Println(len(resp.BatchItemFailures), errors.Is(err, core.ErrFullBatchFailure))
	e := client.calls[0].Entries[0]
	fmt.Println(aws.ToString(client.calls[0].QueueUrl), aws.ToString(e.ReceiptHandle), e.VisibilityTimeout)
	// Output:
	// 1 true
	// https://sqs.eu-west-1.amazonaws.com/123456789012/orders rh1 40
}
