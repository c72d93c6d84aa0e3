package s3batch

import (
	"context"
	"encoding/json"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/raw"
)

// ProcessS3BatchRaw is the raw-bytes entry for S3 Batch Operations: it takes
// the event as S3 sent it, decodes each task of its "tasks" array on its own
// and runs p over them with h, like [ProcessS3Batch]. A task that does not
// decode is not handed to h: it is reported PermanentFailure by its taskId
// with a [*core.RecordDecodeError] (retrying the same bytes cannot succeed). An
// event without a "tasks" array returns a [core.UnexpectedBatchTypeError]
// before any handler runs.
func ProcessS3BatchRaw(ctx context.Context, p *S3BatchProcessor, event []byte, h core.Handler[S3BatchTask]) (S3BatchResponse, error) {
	var ev S3BatchEvent
	tasks, failures, err := raw.DecodeEnvelope(string(event), &s3TaskRaw, "tasks", s3EventKeys, func(d *raw.Dec, key string) (bool, error) {
		switch key {
		case "invocationSchemaVersion":
			return true, d.StrField(&ev.InvocationSchemaVersion)
		case "invocationId":
			return true, d.StrField(&ev.InvocationID)
		case "job":
			return true, decodeS3Job(d, &ev.Job)
		}
		return false, nil
	})
	if err != nil {
		return S3BatchResponse{}, err
	}
	for i := range tasks {
		tasks[i].Job = &ev.Job
	}
	b := core.NewBatch(tasks, h)
	for _, f := range failures {
		b.Fail(f.Position, Permanent(f))
	}
	return runS3Batch(ctx, p, &ev, b)
}

// S3BatchHandler returns the Lambda handler of an S3 Batch Operations
// function, for lambda.Start: it runs the raw-bytes entry
// ([ProcessS3BatchRaw]) on each event.
//
//	lambda.Start(s3batch.S3BatchHandler(core.Must(s3batch.NewS3Batch(s3batch.S3BatchConfig{})), s3batch.S3BatchFunc(handle)))
func S3BatchHandler(p *S3BatchProcessor, h core.Handler[S3BatchTask]) func(context.Context, json.RawMessage) (S3BatchResponse, error) {
	return func(ctx context.Context, event json.RawMessage) (S3BatchResponse, error) {
		return ProcessS3BatchRaw(ctx, p, event, h)
	}
}

var s3EventKeys = []string{"invocationSchemaVersion", "invocationId", "job"}

var s3TaskRaw = raw.Kind[S3BatchTask]{
	Decode: decodeS3Task,
	IDPath: []string{"taskId"},
	SetID:  func(t *S3BatchTask, id string) { t.TaskID = id },
}

var s3TaskKeys = []string{"taskId", "s3Key", "s3VersionId", "s3BucketArn", "s3Bucket"}

func decodeS3Task(d *raw.Dec, t *S3BatchTask) error {
	if err := d.OpenRecord(); err != nil {
		return err
	}
	return d.Fields(s3TaskKeys, func(key string) (bool, error) {
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

var s3JobKeys = []string{"id", "userArguments"}

func decodeS3Job(d *raw.Dec, j *S3BatchJob) error {
	if isNull, err := d.OpenObject(); err != nil || isNull {
		return err
	}
	return d.Fields(s3JobKeys, func(key string) (bool, error) {
		switch key {
		case "id":
			return true, d.StrField(&j.ID)
		case "userArguments":
			return true, d.StringMap(&j.UserArguments)
		}
		return false, nil
	})
}
