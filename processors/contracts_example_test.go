package processors_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/window"

	"github.com/aws/aws-lambda-go/events"
)

// A Kinesis tumbling window: the state is a typed aggregate, folded record
// by record; the failed record and the ones after it are left out of the
// state and reported, and the final invocation publishes the aggregate.
func ExampleProcessKinesisWindow() {
	processor := core.Must(window.NewKinesisWindow(window.WindowConfig{})) // once, at package level

	type totals struct {
		Orders int     `json:"orders"`
		Amount float64 `json:"amount"`
	}
	type order struct {
		Amount float64 `json:"amount"`
	}
	aggregate := window.Aggregate[events.KinesisEventRecord, totals]{
		Fold: window.KinesisWindowJSON(func(_ context.Context, s *totals, o order, _ *events.KinesisEventRecord) error {
			if o.Amount < 0 {
				return errors.New("negative amount")
			}
			s.Orders++
			s.Amount += o.Amount
			return nil
		}),
		Publish: func(_ context.Context, s totals, w window.WindowProperties) error {
			fmt.Printf("window %s: %d orders, %.2f\n", w.Window.End.Format("15:04"), s.Orders, s.Amount)
			return nil
		},
	}

	var event window.KinesisWindowEvent
	_ = json.Unmarshal([]byte(`{
		"Records": [
			{"eventSource":"aws:kinesis","kinesis":{"partitionKey":"p","sequenceNumber":"1","data":"eyJhbW91bnQiOjEwfQ=="}},
			{"eventSource":"aws:kinesis","kinesis":{"partitionKey":"p","sequenceNumber":"2","data":"eyJhbW91bnQiOjUuNX0="}}
		],
		"window": {"start":"2020-12-09T07:04:00Z","end":"2020-12-09T07:06:00Z"},
		"state": {"orders":3,"amount":20},
		"shardId": "shardId-000000000006",
		"isFinalInvokeForWindow": true
	}`), &event)
	resp, err := window.ProcessKinesisWindow(context.Background(), processor, event, aggregate)
	if err != nil {
		panic(err)
	}
	out, _ := json.Marshal(resp)
	fmt.Println(string(out))
	// Output:
	// window 07:06: 5 orders, 35.50
	// {"state":{"orders":5,"amount":35.5},"batchItemFailures":[]}
}

// The Lambda handler of a DynamoDB Streams tumbling window, for
// lambda.Start: the state can be any JSON, here a count per event name.
func ExampleDynamoDBWindowHandler() {
	aggregate := window.Aggregate[events.DynamoDBEventRecord, map[string]int]{
		Fold: func(_ context.Context, s *map[string]int, r *events.DynamoDBEventRecord) error {
			if *s == nil {
				*s = map[string]int{}
			}
			(*s)[r.EventName]++
			return nil
		},
	}
	handler := window.DynamoDBWindowHandler(core.Must(window.NewDynamoDBWindow(window.WindowConfig{})), aggregate)
	// lambda.Start(handler)

	event := `{"Records":[
		{"eventName":"INSERT","eventSource":"aws:dynamodb","dynamodb":{"SequenceNumber":"111"}},
		{"eventName":"MODIFY","eventSource":"aws:dynamodb","dynamodb":{"SequenceNumber":"222"}}],
		"window":{"start":"2020-07-30T17:00:00Z","end":"2020-07-30T17:05:00Z"},
		"state":{"INSERT":2},"shardId":"shard123456789","eventSourceARN":"stream-ARN",
		"isFinalInvokeForWindow":false,"isWindowTerminatedEarly":false}`
	resp, err := handler(context.Background(), json.RawMessage(event))
	if err != nil {
		panic(err)
	}
	out, _ := json.Marshal(resp)
	fmt.Println(string(out))
	// Output:
	// {"state":{"INSERT":3,"MODIFY":1},"batchItemFailures":[]}
}

// A commutative aggregate (a sum) may be folded concurrently: the records
// are scheduled up to the processor's concurrency, folds run one at a time,
// and a failure still leaves the failed record and every later one out of
// the state.
func ExampleAggregate_commutative() {
	processor := core.Must(window.NewKinesisWindow(window.WindowConfig{Options: core.Options{Concurrency: 4}}))
	sum := window.Aggregate[events.KinesisEventRecord, int]{
		Commutative: true,
		Fold: func(_ context.Context, total *int, r *events.KinesisEventRecord) error {
			if len(r.Kinesis.Data) == 0 {
				return errors.New("empty record")
			}
			*total += len(r.Kinesis.Data)
			return nil
		},
	}
	data := []string{"aa", "bbb", "", "dddd", "e"}
	event := window.KinesisWindowEvent{WindowProperties: window.WindowProperties{State: json.RawMessage(`10`)}}
	for i, d := range data {
		event.Records = append(event.Records, events.KinesisEventRecord{EventSource: "aws:kinesis",
			Kinesis: events.KinesisRecord{SequenceNumber: fmt.Sprint(i + 1), Data: []byte(d)}})
	}
	resp, err := window.ProcessKinesisWindow(context.Background(), processor, event, sum)
	if err != nil {
		panic(err)
	}
	out, _ := json.Marshal(resp)
	fmt.Println(string(out))
	// Output:
	// {"state":15,"batchItemFailures":[{"itemIdentifier":"3"},{"itemIdentifier":"4"},{"itemIdentifier":"5"}]}
}

// A DynamoDB Streams window folding each record's NewImage, decoded into
// the user's type: here the highest price seen per item over the window.
func ExampleDynamoDBWindowNewImage() {
	type item struct {
		SKU   string  `json:"sku"`
		Price float64 `json:"price"`
	}
	aggregate := window.Aggregate[events.DynamoDBEventRecord, map[string]float64]{
		Fold: window.DynamoDBWindowNewImage(func(_ context.Context, top *map[string]float64, img *item, _ *events.DynamoDBEventRecord) error {
			if img == nil { // a REMOVE: nothing to fold
				return nil
			}
			if *top == nil {
				*top = map[string]float64{}
			}
			(*top)[img.SKU] = max((*top)[img.SKU], img.Price)
			return nil
		}),
	}
	event := `{"Records":[
		{"eventName":"INSERT","eventSource":"aws:dynamodb","dynamodb":{"SequenceNumber":"1","NewImage":{"sku":{"S":"A1"},"price":{"N":"9.5"}}}},
		{"eventName":"MODIFY","eventSource":"aws:dynamodb","dynamodb":{"SequenceNumber":"2","NewImage":{"sku":{"S":"A1"},"price":{"N":"12"}}}},
		{"eventName":"REMOVE","eventSource":"aws:dynamodb","dynamodb":{"SequenceNumber":"3"}}],
		"window":{"start":"2020-07-30T17:00:00Z","end":"2020-07-30T17:05:00Z"},"state":{"B2":3},
		"shardId":"shard123456789","eventSourceARN":"stream-ARN","isFinalInvokeForWindow":false,"isWindowTerminatedEarly":false}`
	resp, err := window.ProcessDynamoDBWindowRaw(context.Background(), core.Must(window.NewDynamoDBWindow(window.WindowConfig{})), []byte(event), aggregate)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(resp.State))
	// Output:
	// {"A1":12,"B2":3}
}
