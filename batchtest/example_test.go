package batchtest_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

// Testing a handler: build an event, process it, read the failed ids.
func Example() {
	event := batchtest.SQSEvent(`{"ok":true}`, `{"ok":false}`)
	resp, err := core.Process(context.Background(), core.Must(processors.NewSQS(processors.Config{})), event.Records,
		func(_ context.Context, m *events.SQSMessage) error {
			if m.Body == `{"ok":false}` {
				return errors.New("not ok")
			}
			return nil
		})
	fmt.Println(batchtest.FailedIDs(resp)[0] == event.Records[1].MessageId, err)
	// Output: true <nil>
}

// Running a Lambda function's handler outside Lambda on an event, as
// `go run .` of a function whose main is batchtest.Main does: the response
// is printed as Lambda would receive it.
