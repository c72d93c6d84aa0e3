package processors_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

// A fair queue is a standard queue whose messages carry a MessageGroupId (a
// tenant): NewSQS handles them as standard records, so tenant-a's failure
// stops nothing, not even tenant-a's next message.
func ExampleNewSQS_fairQueue() {
	processor := core.Must(processors.NewSQS(processors.Config{}))
	msg := func(id, tenant string) events.SQSMessage {
		return events.SQSMessage{MessageId: id, EventSource: "aws:sqs", Attributes: map[string]string{"MessageGroupId": tenant}}
	}
	records := []events.SQSMessage{msg("1", "tenant-a"), msg("2", "tenant-a"), msg("3", "tenant-b")}
	resp, err := core.Process(context.Background(), processor, records, func(_ context.Context, m *events.SQSMessage) error {
		fmt.Println("handled", m.MessageId, "of", m.Attributes["MessageGroupId"])
		if m.MessageId == "1" {
			return errors.New("tenant-a's backend is down")
		}
		return nil
	})
	fmt.Println(resp.BatchItemFailures, err)
	// Output:
	// handled 1 of tenant-a
	// handled 2 of tenant-a
	// handled 3 of tenant-b
	// [{1}] <nil>
}
