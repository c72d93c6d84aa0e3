package window_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/window"
)

// A Kinesis tumbling window run on an event already decoded: the state is
// a typed aggregate, folded record by record from each record's JSON, and
// the final invocation publishes it.
func ExampleProcess() {
	processor := core.Must(window.NewKinesis(window.Config{})) // once, at package level

	type totals struct {
		Orders int     `json:"orders"`
		Amount float64 `json:"amount"`
	}
	type order struct {
		Amount float64 `json:"amount"`
	}
	aggregate := window.Aggregate[events.KinesisEventRecord, totals]{
		Fold: window.KinesisJSON(func(_ context.Context, s *totals, o order, _ *events.KinesisEventRecord) error {
			if o.Amount < 0 {
				return errors.New("negative amount")
			}
			s.Orders++
			s.Amount += o.Amount
			return nil
		}),
		Publish: func(_ context.Context, s totals, w window.Properties) error {
			fmt.Printf("window %s: %d orders, %.2f\n", w.Window.End.Time.Format("15:04"), s.Orders, s.Amount)
			return nil
		},
	}

	var event window.Event[events.KinesisEventRecord]
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
	resp, err := window.Process(context.Background(), processor, event, aggregate)
	if err != nil {
		panic(err)
	}
	out, _ := json.Marshal(resp)
	fmt.Println(string(out))
	// Output:
	// window 07:06: 5 orders, 35.50
	// {"state":{"orders":5,"amount":35.5},"batchItemFailures":[]}
}

// A record whose Fold fails is left out of the state with every record
// after it, and they are reported: Lambda re-delivers the shard from the
// lowest failed sequence number, so counting them now would count them
// twice.
func ExampleAggregate() {
	processor := core.Must(window.NewKinesis(window.Config{}))
	sum := window.Aggregate[events.KinesisEventRecord, int]{
		Fold: func(_ context.Context, total *int, r *events.KinesisEventRecord) error {
			*total += len(r.Kinesis.Data) // undone when the fold fails
			if len(r.Kinesis.Data) > 3 {
				return errors.New("record too long")
			}
			return nil
		},
	}
	var records []events.KinesisEventRecord
	for i, d := range []string{"aa", "bbb", "cccc", "d", "e"} {
		records = append(records, events.KinesisEventRecord{EventSource: "aws:kinesis",
			Kinesis: events.KinesisRecord{SequenceNumber: fmt.Sprint(i + 1), Data: []byte(d)}})
	}
	resp, err := window.Process(context.Background(), processor, window.Event[events.KinesisEventRecord]{Records: records, Properties: window.Properties{State: json.RawMessage(`10`)}}, sum)
	if err != nil {
		panic(err)
	}
	out, _ := json.Marshal(resp)
	fmt.Println(string(out))
	// Output:
	// {"state":15,"batchItemFailures":[{"itemIdentifier":"3"},{"itemIdentifier":"4"},{"itemIdentifier":"5"}]}
}

// The Lambda handler of a Kinesis tumbling window, for lambda.Start: it
// reads the event as Lambda sent it. A window's first invocation carries
// the state {}, which a number state takes as 0.
func ExampleKinesisHandler() {
	count := window.Aggregate[events.KinesisEventRecord, int]{
		Fold: func(_ context.Context, n *int, _ *events.KinesisEventRecord) error {
			*n++
			return nil
		},
	}
	handler := window.KinesisHandler(core.Must(window.NewKinesis(window.Config{})), count)
	// lambda.Start(handler)

	event := `{"Records":[
		{"eventSource":"aws:kinesis","kinesis":{"partitionKey":"p","sequenceNumber":"1","data":"YQ=="}},
		{"eventSource":"aws:kinesis","kinesis":{"partitionKey":"p","sequenceNumber":"2","data":"Yg=="}}],
		"window":{"start":"2020-12-09T07:04:00Z","end":"2020-12-09T07:06:00Z"},
		"state":{},"shardId":"shardId-000000000006","eventSourceARN":"stream-ARN",
		"isFinalInvokeForWindow":false,"isWindowTerminatedEarly":false}`
	resp, err := handler(context.Background(), json.RawMessage(event))
	if err != nil {
		panic(err)
	}
	out, _ := json.Marshal(resp)
	fmt.Println(string(out))
	// Output:
	// {"state":2,"batchItemFailures":[]}
}

// The Lambda handler of a DynamoDB Streams tumbling window, for
// lambda.Start: the state can be any JSON, here a count per event name.
func ExampleDynamoDBHandler() {
	aggregate := window.Aggregate[events.DynamoDBEventRecord, map[string]int]{
		Fold: func(_ context.Context, s *map[string]int, r *events.DynamoDBEventRecord) error {
			if *s == nil {
				*s = map[string]int{}
			}
			(*s)[r.EventName]++
			return nil
		},
	}
	handler := window.DynamoDBHandler(core.Must(window.NewDynamoDB(window.Config{})), aggregate)
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

// Each record's data decoded as JSON into the user's type and validated
// before it is folded; a record that does not decode fails like a failed
// fold.
func ExampleKinesisJSON() {
	type reading struct {
		Celsius float64 `json:"celsius"`
	}
	type stats struct {
		N   int     `json:"n"`
		Max float64 `json:"max"`
	}
	aggregate := window.Aggregate[events.KinesisEventRecord, stats]{
		Fold: window.KinesisJSON(func(_ context.Context, s *stats, r reading, _ *events.KinesisEventRecord) error {
			s.N++
			s.Max = max(s.Max, r.Celsius)
			return nil
		}),
	}
	records := []events.KinesisEventRecord{
		{EventSource: "aws:kinesis", Kinesis: events.KinesisRecord{SequenceNumber: "1", Data: []byte(`{"celsius":21.5}`)}},
		{EventSource: "aws:kinesis", Kinesis: events.KinesisRecord{SequenceNumber: "2", Data: []byte(`not json`)}},
	}
	resp, err := window.Process(context.Background(), core.Must(window.NewKinesis(window.Config{})), window.Event[events.KinesisEventRecord]{Records: records}, aggregate)
	if err != nil {
		panic(err)
	}
	out, _ := json.Marshal(resp)
	fmt.Println(string(out))
	// Output:
	// {"state":{"n":1,"max":21.5},"batchItemFailures":[{"itemIdentifier":"2"}]}
}

// A DynamoDB Streams window folding each record's NewImage, decoded into
// the user's type: here the highest price seen per item over the window.
func ExampleDynamoDBNewImage() {
	type item struct {
		SKU   string  `json:"sku"`
		Price float64 `json:"price"`
	}
	aggregate := window.Aggregate[events.DynamoDBEventRecord, map[string]float64]{
		Fold: window.DynamoDBNewImage(func(_ context.Context, top *map[string]float64, img *item, _ *events.DynamoDBEventRecord) error {
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
	handler := window.DynamoDBHandler(core.Must(window.NewDynamoDB(window.Config{})), aggregate)
	resp, err := handler(context.Background(), json.RawMessage(event))
	if err != nil {
		panic(err)
	}
	fmt.Println(string(resp.State))
	// Output:
	// {"A1":12,"B2":3}
}

// MaxStateBytes bounds the state returned (Lambda's 1 MB by default): a
// state over it fails the invocation before anything is published, with an
// error matching window.ErrStateTooLarge.
func ExampleNewKinesis() {
	processor, err := window.NewKinesis(window.Config{MaxStateBytes: 16})
	if err != nil {
		panic(err)
	}
	keys := window.Aggregate[events.KinesisEventRecord, []string]{
		Fold: func(_ context.Context, s *[]string, r *events.KinesisEventRecord) error {
			*s = append(*s, r.Kinesis.PartitionKey)
			return nil
		},
	}
	var records []events.KinesisEventRecord
	for i, key := range []string{"sensor-1", "sensor-2"} {
		records = append(records, events.KinesisEventRecord{EventSource: "aws:kinesis",
			Kinesis: events.KinesisRecord{SequenceNumber: fmt.Sprint(i + 1), PartitionKey: key}})
	}
	_, err = window.Process(context.Background(), processor, window.Event[events.KinesisEventRecord]{Records: records}, keys)
	fmt.Println(errors.Is(err, window.ErrStateTooLarge))
	fmt.Println(err)
	// Output:
	// true
	// batchkit: window state over its size limit: 23 bytes, limit 16
}
