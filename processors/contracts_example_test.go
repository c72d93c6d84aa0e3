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
