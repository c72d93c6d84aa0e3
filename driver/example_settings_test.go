package driver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/batchkit/batchkit/driver"
)

// A SAM template is the configuration: each SQS, Kinesis, DynamoDB or Kafka event
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
	// Fn/Nightly: events of type Schedule are not an SQS, Kinesis, DynamoDB or Kafka event source mapping; batchkit-driver ignores it
}

// A Kinesis mapping with bisection, two retries and an on-failure
// destination: a poison record is isolated, invoked three times, and its
// invocation record is sent on; the other records are processed. (The
// stream here is an in-memory fake of one shard; the tests use kinesalite.)
func ExampleStreamSettings() {
	stream := &fakeKinesis{seqs: []string{"1", "2", "3", "4"}}
	var processed []string
	fn := driver.FunctionFunc(func(_ context.Context, event []byte) ([]byte, error) {
		recs := kinesisData(event)
		if slices.Contains(recs, "3") {
			return nil, &driver.FunctionError{Type: "errorString", Message: "record 3 is poison"}
		}
		processed = append(processed, recs...)
		return nil, nil
	})
	onFailure := driver.DestinationFunc(func(_ context.Context, f *driver.Failure) error {
		var r driver.InvocationRecord
		_ = json.Unmarshal(f.Record, &r)
		fmt.Println(r.RequestContext.Condition, r.RequestContext.ApproximateInvokeCount,
			r.KinesisBatchInfo.StartSequenceNumber, r.KinesisBatchInfo.EndSequenceNumber, r.KinesisBatchInfo.BatchSize)
		return nil
	})
	d := &driver.Kinesis{Client: stream, StreamName: "s", StreamSettings: driver.StreamSettings{ReportBatchItemFailures: true,
		BisectBatchOnFunctionError: true,
		MaximumRetryAttempts:       aws.Int(2),
		OnFailure:                  onFailure,
	}}
	if _, err := driver.Drain(context.Background(), d, fn, 2); err != nil {
		panic(err)
	}
	s := d.Stats()
	fmt.Println("processed:", processed, "bisections:", s.Bisections, "invocations:", s.Invocations)
	// Output:
	// RetryAttemptsExhausted 3 3 3 1
	// processed: [1 2 4] bisections: 2 invocations: 7
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

// Run polls mappings until idle and reports what each did; WriteReport
// prints the line batchkit-driver prints. (The stream is an in-memory fake;
// Mapping.Open builds mappings on the local servers from a template.)
func ExampleRun() {
	m := &driver.OpenMapping{
		Mapping:    driver.Mapping{Function: "Fn", Event: "Orders", Type: driver.TypeKinesis, Enabled: true},
		Poller:     &driver.Kinesis{Client: &fakeKinesis{seqs: []string{"1", "2", "3"}}, StreamName: "orders", BatchSize: 2, StartingPosition: driver.TrimHorizon, StreamSettings: driver.StreamSettings{ReportBatchItemFailures: true}},
		SourceName: "orders",
	}
	// The function reports record 2 once: Lambda checkpoints there and
	// delivers 2 and 3 again, in one batch.
	reported := false
	fn := driver.FunctionFunc(func(_ context.Context, event []byte) ([]byte, error) {
		if slices.Contains(kinesisData(event), "2") && !reported {
			reported = true
			return []byte(`{"batchItemFailures":[{"itemIdentifier":"2"}]}`), nil
		}
		return nil, nil
	})
	reports, err := driver.Run(context.Background(), []*driver.OpenMapping{m}, fn, driver.RunOptions{Idle: 1, Pause: time.Millisecond})
	if err != nil {
		panic(err)
	}
	for _, r := range reports {
		_ = driver.WriteReport(os.Stdout, r.Mapping, r.Stats)
	}
	// Output:
	// Fn/Orders: batches=1 records=3 invocations=2 retries=1 bisections=0 filtered=0 succeeded=3 on-failure=0 (record-age=0) dead-letter=0
}
