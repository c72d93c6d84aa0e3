package filter_test

import (
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/driver/filter"
)

// The FilterCriteria of an SQS mapping that only wants orders over 100: a
// JSON body is matched under "body"; a body that is not JSON never matches a
// JSON pattern, and Lambda deletes it.
func ExampleCriteria_MatchSQS() {
	c, err := filter.New(`{"body": {"type": ["order"], "total": [{"numeric": [">", 100]}]}}`)
	if err != nil {
		panic(err)
	}
	for _, body := range []string{
		`{"type": "order", "total": 250}`,
		`{"type": "order", "total": 50}`,
		`{"type": "refund", "total": 250}`,
		`order 250`,
	} {
		fmt.Println(c.MatchSQS(events.SQSMessage{Body: body}), body)
	}
	// Output:
	// true {"type": "order", "total": 250}
	// false {"type": "order", "total": 50}
	// false {"type": "refund", "total": 250}
	// false order 250
}

// Kinesis filters see the partition key and the decoded data side by side.
func ExampleCriteria_MatchKinesis() {
	c := filter.MustNew(`{"partitionKey": ["1"], "data": {"Location": ["Los Angeles"]}}`)
	r := events.KinesisEventRecord{Kinesis: events.KinesisRecord{PartitionKey: "1", Data: []byte(`{"Location": "Los Angeles"}`)}}
	fmt.Println(c.MatchKinesis(r))
	r.Kinesis.PartitionKey = "2"
	fmt.Println(c.MatchKinesis(r))
	// Output:
	// true
	// false
}

// DynamoDB attribute values are typed strings: {"N": "101"} is matched by
// ["101"], and never by a numeric rule.
func ExampleCriteria_MatchDynamoDB() {
	r := events.DynamoDBEventRecord{
		EventName: "INSERT",
		Change:    events.DynamoDBStreamRecord{Keys: map[string]events.DynamoDBAttributeValue{"Id": events.NewNumberAttribute("101")}},
	}
	fmt.Println(filter.MustNew(`{"dynamodb": {"Keys": {"Id": {"N": ["101"]}}}}`).MatchDynamoDB(r))
	fmt.Println(filter.MustNew(`{"dynamodb": {"Keys": {"Id": {"N": [{"numeric": ["=", 101]}]}}}}`).MatchDynamoDB(r))
	// Output:
	// true
	// false
}

// A Kafka value is matched as JSON when it is a JSON object; when it is not,
// the JSON part of the pattern is ignored and the record is kept.
func ExampleCriteria_MatchKafka() {
	c := filter.MustNew(`{"value": {"device_ID": [{"prefix": "AB"}]}}`)
	for _, v := range []string{`{"device_ID": "AB1234"}`, `{"device_ID": "CD5678"}`, `plain text`} {
		r := events.KafkaRecord{Topic: "mytopic", Value: base64.StdEncoding.EncodeToString([]byte(v))}
		fmt.Println(c.MatchKafka(r), v)
	}
	// Output:
	// true {"device_ID": "AB1234"}
	// false {"device_ID": "CD5678"}
	// true plain text
}

// Match applies the patterns to any decoded JSON object; several patterns
// are ORed, like the filters of one FilterCriteria.
func ExampleCriteria_Match() {
	c := filter.MustNew(
		`{"Region": [{"prefix": "us-"}], "Weather": [{"anything-but": ["Raining"]}]}`,
		`{"$or": [{"Price": [{"numeric": [">", 10, "<=", 20]}]}, {"Name": [{"equals-ignore-case": "alice"}]}]}`,
	)
	fmt.Println(c.Match(map[string]any{"Region": "us-east-1", "Weather": "Sunny"}))
	fmt.Println(c.Match(map[string]any{"Region": "us-east-1", "Weather": "Raining"}))
	fmt.Println(c.Match(map[string]any{"Price": 15}))
	fmt.Println(c.Match(map[string]any{"Name": "ALICE"}))
	// Output:
	// true
	// false
	// true
	// true
}

// A pattern Lambda would refuse is an error that says where and why.
func ExampleNew_invalid() {
	_, err := filter.New(`{"body": {"total": [{"numeric": [">", 100, "<", 10]}]}}`)
	var pe *filter.PatternError
	fmt.Println(errors.Is(err, filter.ErrInvalidPattern), errors.As(err, &pe))
	fmt.Println(pe.Path)
	fmt.Println(pe.Reason)
	// Output:
	// true true
	// body.total[0].numeric
	// the range [">",100,"<",10] matches no number: its lower bound is not below its upper bound
}
