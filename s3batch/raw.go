package s3batch

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/raw"
	"github.com/batchkit/batchkit/internal/userfn"
)

// Handler returns the Lambda handler of an S3 Batch Operations function,
// for lambda.Start:
//
//	lambda.Start(s3batch.Handler(core.Must(s3batch.New(s3batch.Config{})), handle))
//
// It decodes the event as S3 sent it, each task of its "tasks" array on its
// own, and runs p over them with h, like [Process]. A task that does not
// decode is not handed to h: it is reported PermanentFailure by its taskId
// (retrying the same bytes cannot succeed). An event without a "tasks"
// array, or whose other fields do not decode (a userArguments value that is
// not a string), is refused before any handler runs (hooks see it, see
// [core.Refuse]).
func Handler(p *Processor, h Func) core.LambdaHandler[Response] {
	return func(ctx context.Context, event json.RawMessage) (Response, error) {
		return processRaw(ctx, p, event, h)
	}
}

// processRaw is [Handler]'s work on one event.
func processRaw(ctx context.Context, p *Processor, event []byte, h Func) (Response, error) {
	if p == nil || h == nil {
		return Response{}, errors.New("batchkit: s3batch.Handler needs a processor and a handler")
	}
	var ev Event
	var fieldErr error
	tasks, failures, err := raw.DecodeEnvelope(string(event), &taskRaw, "tasks", eventKeys, func(d *raw.Dec, key string) (bool, error) {
		var err error
		switch key {
		case "invocationSchemaVersion":
			err = d.StrField(&ev.InvocationSchemaVersion)
		case "invocationId":
			err = d.StrField(&ev.InvocationID)
		case "job":
			var field string
			field, err = decodeJob(d, &ev.Job)
			key = "job" + field
		default:
			return false, nil
		}
		if err != nil {
			fieldErr = &userfn.EventFieldError{Event: "S3 Batch Operations", Field: key, Err: err}
		}
		return true, err
	})
	if fieldErr != nil {
		err = fieldErr // the field, not "no tasks array"
	}
	if err != nil {
		_, err = core.Refuse(ctx, p, tasks, err)
		return Response{}, err
	}
	for i := range tasks {
		tasks[i].Job = &ev.Job
	}
	b := core.NewBatch(tasks, notCalled)
	for _, f := range failures {
		b.Fail(f.Position, Permanent(f))
	}
	return run(ctx, p, &ev, b, h)
}

var eventKeys = []string{"invocationSchemaVersion", "invocationId", "job"}

var taskRaw = raw.Kind[Task]{
	Decode: decodeTask,
	IDPath: []string{"taskId"},
	SetID:  func(t *Task, id string) { t.TaskID = id },
}

var taskKeys = []string{"taskId", "s3Key", "s3VersionId", "s3BucketArn", "s3Bucket"}

func decodeTask(d *raw.Dec, t *Task) error {
	if err := d.OpenRecord(); err != nil {
		return err
	}
	return d.Fields(taskKeys, func(key string) (bool, error) {
		switch key {
		case "taskId":
			return true, d.StrField(&t.TaskID)
		case "s3Key":
			return true, d.StrField(&t.S3Key)
		case "s3VersionId":
			return true, d.StrField(&t.S3VersionID)
		case "s3BucketArn":
			return true, d.StrField(&t.S3BucketARN)
		case "s3Bucket":
			return true, d.StrField(&t.S3Bucket)
		}
		return false, nil
	})
}

var jobKeys = []string{"id", "userArguments"}

// decodeJob decodes the job object; on an error, field is the path of the
// field that did not decode under "job" (".id", ".userArguments").
func decodeJob(d *raw.Dec, j *events.S3BatchJobV2) (field string, err error) {
	if isNull, err := d.OpenObject(); err != nil || isNull {
		return "", err
	}
	err = d.Fields(jobKeys, func(key string) (bool, error) {
		switch key {
		case "id":
			field = ".id"
			return true, d.StrField(&j.ID)
		case "userArguments":
			field = ".userArguments"
			return true, d.StringMap(&j.UserArguments)
		}
		return false, nil
	})
	if err == nil {
		field = ""
	}
	return field, err
}
