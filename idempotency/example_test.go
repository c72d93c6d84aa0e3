package idempotency_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/idempotency"
	"github.com/batchkit/batchkit/processors"
)

// Order is a message body.
type Order struct {
	OrderID string `json:"orderId"`
	Amount  int    `json:"amount"`
}

// A typed handler made idempotent on a field of its payload: the order is
// charged once although it arrives twice. MemoryStore stands in for the
// DynamoDB store in a unit test.
func ExampleHandler() {
	charge := func(_ context.Context, o Order, _ *events.SQSMessage) error {
		fmt.Println("charging", o.OrderID, o.Amount)
		return nil
	}
	h, err := idempotency.Handler(idempotency.Config[events.SQSMessage]{
		Store: idempotency.NewMemoryStore(),
		Key: func(m *events.SQSMessage) (string, error) {
			var o Order
			err := json.Unmarshal([]byte(m.Body), &o)
			return "order#" + o.OrderID, err
		},
		// The same order id with another body is an error, not a duplicate.
		Payload: func(m *events.SQSMessage) ([]byte, error) { return []byte(m.Body), nil },
	}, processors.SQSJSON(charge))
	if err != nil {
		panic(err)
	}
	p := core.Must(processors.NewSQS(processors.Config{}))
	ev := batchtest.SQSEvent(`{"orderId":"o-1","amount":12}`, `{"orderId":"o-1","amount":12}`, `{"orderId":"o-1","amount":99}`)
	resp, err := core.Process(context.Background(), p, ev.Records, h)
	fmt.Println(len(resp.BatchItemFailures), "failed", err)
	// Output:
	// charging o-1 12
	// 1 failed <nil>
}

// A whole processor made idempotent: its batch's keys are claimed together
// and a skipped duplicate's outcome says so.
func ExampleNew() {
	base := core.Must(processors.NewSQS(processors.Config{}))
	p, err := idempotency.New(base, idempotency.Config[events.SQSMessage]{
		Store: idempotency.NewMemoryStore(),
		Key:   func(m *events.SQSMessage) (string, error) { return m.MessageId, nil },
	})
	if err != nil {
		panic(err)
	}
	m := batchtest.SQSEvent("hello").Records[0]
	b := core.NewBatch([]events.SQSMessage{m, m}, func(_ context.Context, m *events.SQSMessage) error {
		fmt.Println("handled", m.Body)
		return nil
	})
	if _, err := core.Run(context.Background(), p, b); err != nil {
		panic(err)
	}
	fmt.Printf("%+v\n", b.Outcomes[1].Result)
	// Output:
	// handled hello
	// {Key:5eed0000-0000-4000-8000-000000000000}
}

// A handler with a result: a duplicate returns the stored result.
func ExampleResultHandler() {
	calls := 0
	h, err := idempotency.ResultHandler(idempotency.Config[Order]{
		Store: idempotency.NewMemoryStore(),
		Key:   func(o *Order) (string, error) { return o.OrderID, nil },
	}, func(_ context.Context, o *Order) (string, error) {
		calls++
		return fmt.Sprintf("receipt-%s-%d", o.OrderID, calls), nil
	})
	if err != nil {
		panic(err)
	}
	for range 2 {
		r, err := h(context.Background(), &Order{OrderID: "o-7"})
		fmt.Println(r, err)
	}
	// Output:
	// receipt-o-7-1 <nil>
	// receipt-o-7-1 <nil>
}

// The production store: a DynamoDB table with a string partition key "id"
// and Time to Live on "expiration" (see examples/idempotency/template.yaml).
func ExampleNewDynamoDBStore() {
	cfg := aws.Config{Region: "us-east-1"} // config.LoadDefaultConfig under Lambda
	store, err := idempotency.NewDynamoDBStore(idempotency.DynamoDBConfig{
		Client: dynamodb.NewFromConfig(cfg),
		Table:  "orders-idempotency",
	})
	if err != nil {
		panic(err)
	}
	_ = idempotency.Config[events.SQSMessage]{Store: store, Key: func(m *events.SQSMessage) (string, error) { return m.MessageId, nil }}
}
