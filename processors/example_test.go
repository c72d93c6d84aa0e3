package processors_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/payload"
	"github.com/batchkit/batchkit/processors"
)

// An SQS function: the failed message is reported so only it is retried.
func ExampleNewSQS() {
	processor := core.Must(processors.NewSQS(processors.Config{})) // once, at package level in a real function

	handler := func(ctx context.Context, event events.SQSEvent) (core.Response, error) {
		return core.Process(ctx, processor, event.Records, func(ctx context.Context, msg *events.SQSMessage) error {
			if msg.Body == "bad" {
				return errors.New("cannot handle " + msg.Body)
			}
			return nil
		})
	}

	event := events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "m1", Body: "good", EventSource: "aws:sqs"},
		{MessageId: "m2", Body: "bad", EventSource: "aws:sqs"},
	}}
	resp, err := handler(context.Background(), event)
	out, _ := json.Marshal(resp)
	fmt.Println(string(out), err)
	// Output: {"batchItemFailures":[{"itemIdentifier":"m2"}]} <nil>
}

// FIFO with skip-group-on-error: group a stops after its failure, group b
// goes on.
func ExampleNewSQSFIFO() {
	processor := core.Must(processors.NewSQSFIFO(processors.Config{SkipGroupOnError: true}))
	event := batchtest.FIFOEvent(
		batchtest.FIFOMessage{Group: "a", Body: "bad"},
		batchtest.FIFOMessage{Group: "b", Body: "good"},
		batchtest.FIFOMessage{Group: "a", Body: "good"},
	)
	resp, _ := core.Process(context.Background(), processor, event.Records, func(_ context.Context, msg *events.SQSMessage) error {
		if msg.Body == "bad" {
			return errors.New("bad")
		}
		return nil
	})
	for _, f := range resp.BatchItemFailures {
		fmt.Println(f.ItemIdentifier.ID == event.Records[0].MessageId, f.ItemIdentifier.ID == event.Records[2].MessageId)
	}
	// Output:
	// true false
	// false true
}

// Typed payloads: the body is decoded and validated before the handler runs.
func ExampleSQSJSON() {
	type Order struct {
		ID string `json:"id"`
	}
	handler := processors.SQSJSON(func(_ context.Context, o Order, _ *events.SQSMessage) error {
		fmt.Println("order", o.ID)
		return nil
	})
	event := batchtest.SQSEvent(`{"id":"o-1"}`, `not json`)
	b := core.NewBatch(event.Records, handler)
	_, _ = core.Run(context.Background(), core.Must(processors.NewSQS(processors.Config{})), b)
	var decodeErr *payload.DecodeError
	fmt.Println(errors.As(b.Outcomes[1].Err, &decodeErr))
	// Output:
	// order o-1
	// true
}

// Every record's outcome after processing: Powertools' processed messages.
func ExampleNewKinesis() {
	event := batchtest.KinesisEvent(batchtest.KinesisRecord{Data: "21.5"}, batchtest.KinesisRecord{Data: "oops"})
	b := core.NewBatch(event.Records, func(_ context.Context, r *events.KinesisEventRecord) error {
		var v float64
		_, err := fmt.Sscan(string(r.Kinesis.Data), &v)
		return err
	})
	resp, err := core.Run(context.Background(), core.Must(processors.NewKinesis(processors.Config{})), b)
	for i, o := range b.Outcomes {
		fmt.Println(i, o.Status, o.Err != nil)
	}
	fmt.Println(len(resp.BatchItemFailures), err)
	// Output:
	// 0 success false
	// 1 failure true
	// 1 <nil>
}

// DynamoDB Streams with the new image decoded; REMOVE records have none.
func ExampleDynamoDBNewImage() {
	type User struct {
		Name string `json:"name"`
	}
	image := map[string]events.DynamoDBAttributeValue{"name": events.NewStringAttribute("Ada")}
	event := batchtest.DynamoDBEvent(batchtest.Insert("u1", image), batchtest.Remove("u1", image))
	handler := processors.DynamoDBNewImage(func(_ context.Context, u *User, rec *events.DynamoDBEventRecord) error {
		if u == nil {
			fmt.Println(rec.EventName, "without new image")
			return nil
		}
		fmt.Println(rec.EventName, u.Name)
		return nil
	})
	_, err := core.Process(context.Background(), core.Must(processors.NewDynamoDB(processors.Config{})), event.Records, handler)
	fmt.Println(err)
	// Output:
	// INSERT Ada
	// REMOVE without new image
	// <nil>
}

// auditing is a custom processor: it embeds the built-in one and overrides
// ProcessRecord only.
type auditing struct {
	*processors.SQSProcessor
}

func (p auditing) ProcessRecord(ctx context.Context, b *core.Batch[events.SQSMessage], i int) core.Outcome {
	o := p.SQSProcessor.ProcessRecord(ctx, b, i)
	if o.Failed() {
		fmt.Printf("message %d failed: %v\n", i, o.Err)
	}
	return o
}

// Extending a processor by embedding it.
func ExampleSQSProcessor() {
	processor := auditing{core.Must(processors.NewSQS(processors.Config{}))}
	event := batchtest.SQSEvent("ok", "fail")
	_, err := core.Process(context.Background(), processor, event.Records, failBodies)
	fmt.Println(err)
	// Output:
	// message 1 failed: bad record
	// <nil>
}
