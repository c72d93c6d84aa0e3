package processors_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

// The one line a Lambda function's main needs:
//
//	lambda.Start(processors.SQSHandler(processor, processors.SQSJSON(handleOrder)))
//
// Here the adapter is called as lambda.Start would call it, through Invoke:
// the second body is not an order, the third is not JSON at all (not even a
// string), and each fails alone.
func ExampleSQSHandler() {
	type Order struct {
		ID string `json:"id"`
	}
	handleOrder := func(_ context.Context, o Order, _ *events.SQSMessage) error {
		fmt.Println("order", o.ID)
		return nil
	}
	handler := processors.SQSHandler(core.Must(processors.NewSQS(processors.Config{})), processors.SQSJSON(handleOrder))

	out, err := handler.Invoke(context.Background(), []byte(`{"Records":[
		{"messageId":"m1","body":"{\"id\":\"o-1\"}","eventSource":"aws:sqs"},
		{"messageId":"m2","body":"not an order","eventSource":"aws:sqs"},
		{"messageId":"m3","body":{"id":"o-3"},"eventSource":"aws:sqs"}]}`))
	fmt.Println(string(out), err)
	// Output:
	// order o-1
	// {"batchItemFailures":[{"itemIdentifier":"m2"},{"itemIdentifier":"m3"}]} <nil>
}

// A Kafka function: records are handled partition by partition in offset
// order, and the response names, per failed partition, the offset Lambda
// resumes it from.
func ExampleKafkaHandler() {
	handler := processors.KafkaHandler(core.Must(processors.NewKafka(processors.Config{})), func(_ context.Context, r *events.KafkaRecord) error {
		if r.Offset == 8 {
			return errors.New("cannot handle offset 8")
		}
		return nil
	})
	out, err := handler.Invoke(context.Background(), []byte(`{"eventSource":"aws:kafka","records":{
		"orders-0":[{"topic":"orders","partition":0,"offset":7},{"topic":"orders","partition":0,"offset":8},{"topic":"orders","partition":0,"offset":9}],
		"orders-1":[{"topic":"orders","partition":1,"offset":3}]}}`))
	fmt.Println(string(out), err)
	// Output:
	// {"batchItemFailures":[{"itemIdentifier":{"partition":"orders-0","offset":8}}]} <nil>
}

// The Kafka raw-bytes entry: the record at offset 11 has a header byte out
// of range, so it fails alone and its partition stops there (offset 12 is
// left for Lambda to deliver again), while partition 1 is handled.
func ExampleKafkaHandler_raw() {
	event := []byte(`{"eventSource":"SelfManagedKafka","records":{
		"clicks-1":[{"topic":"clicks","partition":1,"offset":3,"value":"eA=="}],
		"clicks-0":[
			{"topic":"clicks","partition":0,"offset":10},
			{"topic":"clicks","partition":0,"offset":11,"headers":[{"h":[200]}]},
			{"topic":"clicks","partition":0,"offset":12}]}}`)
	resp, err := processors.KafkaHandler(core.Must(processors.NewKafka(processors.Config{})), func(_ context.Context, r *events.KafkaRecord) error {
		fmt.Printf("handled %s-%d %d\n", r.Topic, r.Partition, r.Offset)
		return nil
	})(context.Background(), event)
	fmt.Println(resp.Identifiers(), err)
	// Output:
	// handled clicks-0 10
	// handled clicks-1 3
	// [clicks-0@11] <nil>
}
