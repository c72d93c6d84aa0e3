package s3batch_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/s3batch"
)

// An S3 Batch Operations function: one result per task. A handler error is
// a TemporaryFailure (S3 retries the task) unless it is wrapped with
// s3batch.Permanent; keys arrive URL-encoded and Key is decoded once.
func ExampleProcess() {
	processor := core.Must(s3batch.New(s3batch.Config{})) // once, at package level

	handle := func(_ context.Context, task *s3batch.Task) (string, error) {
		switch {
		case strings.HasSuffix(task.Key, ".tmp"):
			return "", s3batch.Permanent(errors.New("temporary files are not archived"))
		case strings.HasPrefix(task.Key, "locked/"):
			return "", errors.New("object is locked, try later")
		}
		return "archived " + task.Bucket() + "/" + task.Key, nil
	}

	event := s3batch.Event{
		InvocationSchemaVersion: "2.0", InvocationID: "inv-1", Job: events.S3BatchJobV2{ID: "job-1"},
		Tasks: []s3batch.Task{
			{TaskID: "t1", S3Key: "reports/q1+2026.pdf", S3Bucket: "docs"},
			{TaskID: "t2", S3Key: "scratch.tmp", S3Bucket: "docs"},
			{TaskID: "t3", S3Key: "locked/q2.pdf", S3Bucket: "docs"},
		},
	}
	resp, err := s3batch.Process(context.Background(), processor, event, handle)
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
func ExampleHandler() {
	handler := s3batch.Handler(core.Must(s3batch.New(s3batch.Config{})),
		func(_ context.Context, task *s3batch.Task) (string, error) { return "ok", nil })
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

// Job user arguments (invocation schema 2.0) decoded into a typed value and
// validated; arguments that do not decode fail every task permanently.
func ExampleArgs() {
	type args struct {
		StorageClass string `json:"storageClass"`
	}
	h := s3batch.Args(func(_ context.Context, a args, task *s3batch.Task) (string, error) {
		return "moved " + task.Key + " to " + a.StorageClass, nil
	})
	event := s3batch.Event{
		InvocationSchemaVersion: "2.0", InvocationID: "inv",
		Job:   events.S3BatchJobV2{ID: "job", UserArguments: map[string]string{"storageClass": "GLACIER"}},
		Tasks: []s3batch.Task{{TaskID: "t1", S3Key: "logs/2026-01-01.gz", S3Bucket: "logs"}},
	}
	resp, _ := s3batch.Process(context.Background(), core.Must(s3batch.New(s3batch.Config{})), event, h)
	fmt.Println(resp.Results[0].ResultCode, resp.Results[0].ResultString)
	// Output:
	// Succeeded moved logs/2026-01-01.gz to GLACIER
}

// TreatMissingKeysAs is set in the Config, like every other setting.
func ExampleConfig() {
	processor, err := s3batch.New(s3batch.Config{TreatMissingKeysAs: s3batch.PermanentFailure})
	if err != nil {
		panic(err)
	}
	resp, _ := s3batch.Process(context.Background(), processor, s3batch.Event{InvocationSchemaVersion: "2.0", InvocationID: "inv"},
		func(context.Context, *s3batch.Task) (string, error) { return "", nil })
	fmt.Println(resp.TreatMissingKeysAs)

	_, err = s3batch.New(s3batch.Config{TreatMissingKeysAs: "Maybe"})
	fmt.Println(errors.Is(err, core.ErrInvalidConfig))
	// Output:
	// PermanentFailure
	// true
}
