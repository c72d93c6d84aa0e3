package processors_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/firehose"
	"github.com/batchkit/batchkit/s3batch"
	"github.com/batchkit/batchkit/window"

	"github.com/aws/aws-lambda-go/events"
)

// An S3 Batch Operations function: one result per task. A handler error is
// a TemporaryFailure (S3 retries the task) unless it is wrapped with
// s3batch.Permanent; keys arrive URL-encoded and Key is decoded once.
func ExampleProcessS3Batch() {
	processor := core.Must(s3batch.NewS3Batch(s3batch.S3BatchConfig{})) // once, at package level

	handle := func(_ context.Context, task *s3batch.S3BatchTask) (string, error) {
		switch {
		case strings.HasSuffix(task.Key, ".tmp"):
			return "", s3batch.Permanent(errors.New("temporary files are not archived"))
		case strings.HasPrefix(task.Key, "locked/"):
			return "", errors.New("object is locked, try later")
		}
		return "archived " + task.Bucket() + "/" + task.Key, nil
	}

	event := s3batch.S3BatchEvent{
		InvocationSchemaVersion: "2.0", InvocationID: "inv-1", Job: s3batch.S3BatchJob{ID: "job-1"},
		Tasks: []s3batch.S3BatchTask{
			{TaskID: "t1", S3Key: "reports/q1+2026.pdf", S3Bucket: "docs"},
			{TaskID: "t2", S3Key: "scratch.tmp", S3Bucket: "docs"},
			{TaskID: "t3", S3Key: "locked/q2.pdf", S3Bucket: "docs"},
		},
	}
	resp, err := s3batch.ProcessS3Batch(context.Background(), processor, event, s3batch.S3BatchFunc(handle))
	if err != nil {
		panic(err)
	}
	for _, r := range resp.Results {
		fmt.Println(r.TaskID, r.ResultCode, r.ResultString)
	}
	// Output:
	// t1 Succeeded archived docs/reports/q1 2026.pdf
	// t2 PermanentFailure temporary files are not archived
	// t3 TemporaryFailure object is locked, try later
}

// The Lambda handler of an S3 Batch Operations function, for lambda.Start:
// it decodes the event bytes itself, so a task that does not decode fails
// alone.
func ExampleS3BatchHandler() {
	handler := s3batch.S3BatchHandler(core.Must(s3batch.NewS3Batch(s3batch.S3BatchConfig{})), s3batch.S3BatchFunc(
		func(_ context.Context, task *s3batch.S3BatchTask) (string, error) { return "ok", nil }))
	// lambda.Start(handler)

	event := `{"invocationSchemaVersion":"1.0","invocationId":"inv","job":{"id":"job"},
		"tasks":[{"taskId":"t1","s3Key":"a.jpg","s3VersionId":null,"s3BucketArn":"arn:aws:s3:::bucket"}]}`
	resp, err := handler(context.Background(), json.RawMessage(event))
	if err != nil {
		panic(err)
	}
	out, _ := json.Marshal(resp)
	fmt.Println(string(out))
	// Output:
	// {"invocationSchemaVersion":"1.0","treatMissingKeysAs":"TemporaryFailure","invocationId":"inv","results":[{"taskId":"t1","resultCode":"Succeeded","resultString":"ok"}]}
}

// A Firehose transformation: every record comes back once, Ok with its new
// data, Dropped, or ProcessingFailed (Firehose retries it). Partition keys
// feed dynamic partitioning.
func ExampleProcessFirehose() {
	processor := core.Must(firehose.NewFirehose(firehose.FirehoseConfig{})) // once, at package level

	type logLine struct {
		Level   string `json:"level"`
		Message string `json:"message"`
	}
	transform := firehose.FirehoseJSON(func(_ context.Context, in logLine, _ *firehose.FirehoseRecord) (firehose.FirehoseResult, error) {
		if in.Level == "debug" {
			return firehose.FirehoseDrop(), nil
		}
		line := in.Level + ": " + in.Message + "\n"
		return firehose.FirehoseData([]byte(line)).WithPartitionKeys(map[string]string{"level": in.Level}), nil
	})

	event := firehose.FirehoseEvent{InvocationID: "inv", Region: "us-east-1", Records: []firehose.FirehoseRecord{
		{RecordID: "r1", Data: []byte(`{"level":"error","message":"disk full"}`)},
		{RecordID: "r2", Data: []byte(`{"level":"debug","message":"tick"}`)},
		{RecordID: "r3", Data: []byte(`not json`)},
	}}
	resp, err := firehose.ProcessFirehose(context.Background(), processor, event, transform)
	if err != nil {
		panic(err)
	}
	for _, r := range resp.Records {
		fmt.Printf("%s %s %q %v\n", r.RecordID, r.Result, r.Data, r.PartitionKeys)
	}
	// Output:
	// r1 Ok "error: disk full\n" map[level:error]
	// r2 Dropped "" map[]
	// r3 ProcessingFailed "" map[]
}

// The Lambda handler of a Firehose transformation, for lambda.Start.
func ExampleFirehoseHandler() {
	handler := firehose.FirehoseHandler(core.Must(firehose.NewFirehose(firehose.FirehoseConfig{})), firehose.FirehoseFunc(
		func(_ context.Context, rec *firehose.FirehoseRecord) (firehose.FirehoseResult, error) {
			return firehose.FirehoseData(bytes.ToUpper(rec.Payload())), nil
		}))
	// lambda.Start(handler)

	event := `{"invocationId":"inv","deliveryStreamArn":"arn:aws:firehose:us-east-1:123456789012:deliverystream/s","region":"us-east-1",
		"records":[{"recordId":"r1","approximateArrivalTimestamp":1510772160000,"data":"aGVsbG8="}]}`
	resp, err := handler(context.Background(), json.RawMessage(event))
	if err != nil {
		panic(err)
	}
	out, _ := json.Marshal(resp)
	fmt.Println(string(out))
	// Output:
	// {"records":[{"recordId":"r1","result":"Ok","data":"SEVMTE8="}]}
}

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

// Job user arguments (invocation schema 2.0) decoded into a typed value and
// validated; arguments that do not decode fail every task permanently.
func ExampleS3BatchArgs() {
	type args struct {
		StorageClass string `json:"storageClass"`
	}
	h := s3batch.S3BatchArgs(func(_ context.Context, a args, task *s3batch.S3BatchTask) (string, error) {
		return "moved " + task.Key + " to " + a.StorageClass, nil
	})
	event := s3batch.S3BatchEvent{
		InvocationSchemaVersion: "2.0", InvocationID: "inv",
		Job:   s3batch.S3BatchJob{ID: "job", UserArguments: map[string]string{"storageClass": "GLACIER"}},
		Tasks: []s3batch.S3BatchTask{{TaskID: "t1", S3Key: "logs/2026-01-01.gz", S3Bucket: "logs"}},
	}
	resp, _ := s3batch.ProcessS3Batch(context.Background(), core.Must(s3batch.NewS3Batch(s3batch.S3BatchConfig{})), event, h)
	fmt.Println(resp.Results[0].ResultCode, resp.Results[0].ResultString)
	// Output:
	// Succeeded moved logs/2026-01-01.gz to GLACIER
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

// The Firehose response stays under Lambda's 6 MB (here a smaller limit, to
// show it): records whose data no longer fits are ProcessingFailed, and
// Firehose retries them, instead of the whole response being refused.
func ExampleNewFirehose_config() {
	processor, err := firehose.NewFirehose(firehose.FirehoseConfig{MaxResponseBytes: 300})
	if err != nil {
		panic(err)
	}
	pad := firehose.FirehoseFunc(func(_ context.Context, rec *firehose.FirehoseRecord) (firehose.FirehoseResult, error) {
		return firehose.FirehoseData(bytes.Repeat(rec.Data, 40)), nil // 40 bytes: 56 in base64
	})
	event := firehose.FirehoseEvent{Records: []firehose.FirehoseRecord{
		{RecordID: "r1", Data: []byte("a")}, {RecordID: "r2", Data: []byte("b")}, {RecordID: "r3", Data: []byte("c")},
	}}
	resp, err := firehose.ProcessFirehose(context.Background(), processor, event, pad)
	if err != nil {
		panic(err)
	}
	out, _ := json.Marshal(resp)
	for _, r := range resp.Records {
		fmt.Println(r.RecordID, r.Result)
	}
	fmt.Println(len(out) <= 300)
	// Output:
	// r1 Ok
	// r2 Ok
	// r3 ProcessingFailed
	// true
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
