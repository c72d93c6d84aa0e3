package chunk_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/chunk"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

// A bulk write of up to 2 records a call (DynamoDB BatchWriteItem would take
// 25): the handler returns one error per record, and only the refused record
// is reported failed.
func ExampleProcess() {
	processor := core.Must(chunk.New(core.Must(processors.NewSQS(processors.Config{})), 2))
	bulkWrite := func(_ context.Context, msgs []*events.SQSMessage) ([]error, error) {
		fmt.Println("bulk write of", len(msgs))
		errs := make([]error, len(msgs))
		for i, m := range msgs {
			if m.Body == "refused" {
				errs[i] = errors.New("item refused")
			}
		}
		return errs, nil
	}
	event := batchtest.SQSEvent("a", "refused", "c")
	resp, err := chunk.Process(context.Background(), processor, event.Records, bulkWrite)
	fmt.Println(len(resp.BatchItemFailures), resp.BatchItemFailures[0].ItemIdentifier == core.StringID(event.Records[1].MessageId), err)
	// Output:
	// bulk write of 2
	// bulk write of 1
	// 1 true <nil>
}
