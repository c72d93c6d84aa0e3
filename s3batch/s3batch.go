package s3batch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/finish"
	"github.com/batchkit/batchkit/payload"
)

// S3 Batch Operations ("Invoke AWS Lambda function" jobs) send a Lambda
// function one or more tasks, each naming an object, and expect one result
// per task: Succeeded, TemporaryFailure (S3 retries the task) or
// PermanentFailure. batchkit runs the tasks on the same lifecycle as the
// partial batch response processors ([core.NewBatch] and [core.Run]:
// concurrency, deadline margin, hooks, panic recovery) and then builds the
// S3 response from the tasks' outcomes. The core response type (a list of
// failed identifiers) cannot say "temporary" or "permanent", so rather than
// bending it, the contract has its own response type, [S3BatchResponse],
// built from [core.Batch.Outcomes] after Run: the outcomes are the one
// source of truth for every contract.

// The result codes of an S3 Batch Operations task.
const (
	// S3BatchSucceeded: the task succeeded (its handler returned nil).
	S3BatchSucceeded = "Succeeded"
	// S3BatchTemporaryFailure: the task failed and S3 may retry it.
	S3BatchTemporaryFailure = "TemporaryFailure"
	// S3BatchPermanentFailure: the task failed and S3 must not retry it.
	S3BatchPermanentFailure = "PermanentFailure"
)

// S3BatchEvent is the event S3 Batch Operations sends to a Lambda function,
// in invocation schema 1.0 (tasks name their bucket by ARN) or 2.0 (tasks name
// their bucket, and the job carries the user arguments).
type S3BatchEvent struct {
	// InvocationSchemaVersion is "1.0" or "2.0".
	InvocationSchemaVersion string `json:"invocationSchemaVersion"`
	// InvocationID identifies the invocation; the response echoes it.
	InvocationID string `json:"invocationId"`
	// Job is the job that sent the tasks.
	Job S3BatchJob `json:"job"`
	// Tasks are the objects to act on.
	Tasks []S3BatchTask `json:"tasks"`
}

// S3BatchJob is the job of an [S3BatchEvent].
type S3BatchJob struct {
	// ID is the job's id.
	ID string `json:"id"`
	// UserArguments are the job's key-value arguments (schema 2.0 only).
	UserArguments map[string]string `json:"userArguments,omitempty"`
}

// S3BatchTask is one task of an [S3BatchEvent]: the record type of the S3
// Batch Operations processor.
type S3BatchTask struct {
	// TaskID identifies the task; its result echoes it.
	TaskID string `json:"taskId"`
	// S3Key is the object key as S3 sent it: URL-encoded. Use [S3BatchTask.Key]
	// for the key itself.
	S3Key string `json:"s3Key"`
	// S3VersionID is the object's version id, "" when none (null in 1.0).
	S3VersionID string `json:"s3VersionId"`
	// S3BucketARN is the bucket's ARN (schema 1.0).
	S3BucketARN string `json:"s3BucketArn,omitempty"`
	// S3Bucket is the bucket's name (schema 2.0).
	S3Bucket string `json:"s3Bucket,omitempty"`

	// Key is S3Key decoded exactly once (form encoding: %XX escapes, and +
	// for a space), set by the processor's Prepare before any handler runs.
	// A key that does not decode fails its task permanently with a
	// [*S3KeyDecodeError] and its handler is not called.
	Key string `json:"-"`
	// Job is the invocation's job (id and user arguments), set by
	// [ProcessS3Batch] and the raw entry; shared by every task.
	Job *S3BatchJob `json:"-"`

	// resultString is what an [S3BatchFunc] handler returned.
	resultString string
}

// Bucket returns the task's bucket name: S3Bucket (schema 2.0), or the name
// at the end of S3BucketARN (schema 1.0, "arn:aws:s3:::name").
func (t *S3BatchTask) Bucket() string {
	if t.S3Bucket != "" {
		return t.S3Bucket
	}
	arn := t.S3BucketARN
	if i := strings.LastIndexByte(arn, ':'); i >= 0 {
		arn = arn[i+1:]
	}
	return arn
}

// S3BatchResponse is the response S3 Batch Operations expects: one result
// per task of the invocation.
type S3BatchResponse struct {
	// InvocationSchemaVersion echoes the event's.
	InvocationSchemaVersion string `json:"invocationSchemaVersion"`
	// TreatMissingKeysAs is the result code S3 gives a task missing from
	// Results. batchkit reports every task, so it only matters to a
	// response changed after batchkit built it.
	TreatMissingKeysAs string `json:"treatMissingKeysAs"`
	// InvocationID echoes the event's.
	InvocationID string `json:"invocationId"`
	// Results holds one result per task, in input order (never null).
	Results []S3BatchResult `json:"results"`
}

// MarshalJSON writes an empty results list rather than null.
func (r S3BatchResponse) MarshalJSON() ([]byte, error) {
	type plain S3BatchResponse
	if r.Results == nil {
		r.Results = []S3BatchResult{}
	}
	return json.Marshal(plain(r))
}

// S3BatchResult is the result of one task.
type S3BatchResult struct {
	// TaskID echoes the task's.
	TaskID string `json:"taskId"`
	// ResultCode is [S3BatchSucceeded], [S3BatchTemporaryFailure] or
	// [S3BatchPermanentFailure].
	ResultCode string `json:"resultCode"`
	// ResultString is what the handler returned on success, the error's
	// message on failure; S3 writes it in the job's completion report.
	ResultString string `json:"resultString"`
}

// ErrPermanent matches, with errors.Is, an error that says its task must not
// be retried: see [Permanent].
var ErrPermanent = errors.New("batchkit: permanent failure, do not retry")

// PermanentError marks a handler error as permanent: its S3 Batch
// Operations task is reported PermanentFailure instead of TemporaryFailure.
// Build it with [Permanent].
type PermanentError struct {
	// Err is the handler's error.
	Err error
}

// Permanent wraps err so that its task is reported PermanentFailure (S3
// does not retry it). A nil err stays nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// Error returns the wrapped error's message.
func (e *PermanentError) Error() string {
	if e.Err == nil {
		return "batchkit: permanent failure"
	}
	return e.Err.Error()
}

// Unwrap returns the wrapped error.
func (e *PermanentError) Unwrap() error { return e.Err }

// Is matches [ErrPermanent].
func (e *PermanentError) Is(target error) bool { return target == ErrPermanent }

// S3KeyDecodeError is the error of a task whose s3Key is not valid URL
// encoding (a % not followed by two hex digits). Its handler is not called
// and the task fails permanently, since retrying cannot repair the key.
type S3KeyDecodeError struct {
	// TaskID is the task's id.
	TaskID string
	// S3Key is the key as sent.
	S3Key string
	// Err is net/url's error.
	Err error
}

// Error says which key could not be decoded.
func (e *S3KeyDecodeError) Error() string {
	return fmt.Sprintf("batchkit: task %q: s3Key %q is not valid URL encoding (%v); the task is reported PermanentFailure and its handler was not called", e.TaskID, e.S3Key, e.Err)
}

// Unwrap returns net/url's error.
func (e *S3KeyDecodeError) Unwrap() error { return e.Err }

// Is matches [ErrPermanent]: a key that does not decode never will.
func (e *S3KeyDecodeError) Is(target error) bool { return target == ErrPermanent }

// EventSourceS3Batch names S3 Batch Operations to hooks.
const EventSourceS3Batch = "aws:s3:batch"

// S3BatchConfig configures an S3 Batch Operations processor.
type S3BatchConfig struct {
	// Options are the shared settings: concurrency, deadline margin and
	// hooks. SuppressFullBatchError has no effect: every task has its own
	// result, so a batch whose tasks all failed is still a response.
	core.Options
	// TreatMissingKeysAs is the response's treatMissingKeysAs:
	// [S3BatchTemporaryFailure] (the default: a task missing from the
	// results is retried, never lost), [S3BatchPermanentFailure] or
	// [S3BatchSucceeded].
	TreatMissingKeysAs string
}

// processorName names the S3 Batch Operations processor in [core.ConfigError]s.
const processorName = "s3-batch"

// S3BatchProcessor is the processor of S3 Batch Operations tasks. It embeds
// the shared [core.Base] (scheduling, hooks) and overrides Prepare (decode
// each key once) and Response (no partial batch response: the S3 response
// is built from the outcomes by [ProcessS3Batch]). Safe for concurrent use.
type S3BatchProcessor struct {
	*core.Base[S3BatchTask]
	treatMissingKeysAs string
}

// NewS3Batch returns the S3 Batch Operations processor with the shared
// options (concurrency, deadline margin, hooks). It panics on an invalid
// option; see [S3BatchFrom].
func NewS3Batch(c S3BatchConfig) (*S3BatchProcessor, error) {
	if err := c.Options.Validate(processorName); err != nil {
		return nil, err
	}
	switch c.TreatMissingKeysAs {
	case "":
		c.TreatMissingKeysAs = S3BatchTemporaryFailure
	case S3BatchSucceeded, S3BatchTemporaryFailure, S3BatchPermanentFailure:
	default:
		return nil, &core.ConfigError{Processor: processorName, Setting: "TreatMissingKeysAs", Value: c.TreatMissingKeysAs,
			Problem: "it is not a result code"}
	}
	// Every task has its own result: a batch whose tasks all failed is a
	// response, never a full-batch error.
	opts := c.Options
	opts.SuppressFullBatchError = true
	base := core.NewBase(core.Source[S3BatchTask]{
		Name:     EventSourceS3Batch,
		Identify: func(t *S3BatchTask) core.Identifier { return core.StringID(t.TaskID) },
	}, opts)
	return &S3BatchProcessor{Base: base, treatMissingKeysAs: c.TreatMissingKeysAs}, nil
}

// Prepare decodes every task's s3Key into Key, exactly once (Key is always
// computed from S3Key, never from an earlier Key); a key that does not
// decode fails its task with a [*S3KeyDecodeError] before any handler runs.
func (p *S3BatchProcessor) Prepare(ctx context.Context, b *core.Batch[S3BatchTask]) error {
	p.decodeKeys(b)
	return p.Base.Prepare(ctx, b)
}

// decodeKeys is Prepare's own work.
func (p *S3BatchProcessor) decodeKeys(b *core.Batch[S3BatchTask]) {
	for i := range b.Records {
		t := &b.Records[i]
		t.resultString = "" // an earlier run's, when the tasks are run again
		key, err := url.QueryUnescape(t.S3Key)
		if err != nil {
			if b.Outcomes[i].Status == core.StatusPending {
				b.Fail(i, &S3KeyDecodeError{TaskID: t.TaskID, S3Key: t.S3Key, Err: err})
			}
			continue
		}
		t.Key = key
	}
}

// Response returns no partial batch response and no error: the tasks'
// results are built from the outcomes by [S3BatchProcessor.BuildResponse].
// A batch whose tasks all failed is not an invocation error here, since
// every task's failure is in its own result.
func (p *S3BatchProcessor) Response(context.Context, *core.Batch[S3BatchTask]) (core.Response, error) {
	return core.Response{}, nil
}

// BuildResponse builds the S3 response of a processed batch from its
// outcomes: Succeeded only for a task whose handler returned nil;
// PermanentFailure for an error matching [ErrPermanent]; TemporaryFailure for
// every other failure, a panic, and a task not started (deadline margin,
// cancelled context). A task without a taskId cannot be reported: the
// result is then a [*core.UnidentifiableFailureError], so that S3 retries
// the invocation.
func (p *S3BatchProcessor) BuildResponse(event *S3BatchEvent, b *core.Batch[S3BatchTask]) (S3BatchResponse, error) {
	resp := S3BatchResponse{
		InvocationSchemaVersion: event.InvocationSchemaVersion,
		TreatMissingKeysAs:      p.treatMissingKeysAs,
		InvocationID:            event.InvocationID,
		Results:                 make([]S3BatchResult, len(b.Records)),
	}
	var unidentified *core.UnidentifiableFailureError
	for i := range b.Records {
		t, o := &b.Records[i], &b.Outcomes[i]
		if t.TaskID == "" {
			if unidentified == nil {
				unidentified = &core.UnidentifiableFailureError{}
			}
			unidentified.Positions = append(unidentified.Positions, i)
			unidentified.Errors = append(unidentified.Errors, o.Err)
		}
		r := &resp.Results[i]
		r.TaskID = t.TaskID
		switch {
		case o.Status == core.StatusSuccess:
			r.ResultCode = S3BatchSucceeded
			r.ResultString = s3ResultString(t, o.Result)
		case !o.Failed():
			// Pending: the lifecycle gives every record an outcome, so
			// this is a processor that did not; never call it a success.
			r.ResultCode = S3BatchTemporaryFailure
			r.ResultString = "batchkit: the task has no outcome; it is reported for a retry"
		case errors.Is(o.Err, ErrPermanent):
			r.ResultCode = S3BatchPermanentFailure
			r.ResultString = errString(o.Err)
		default:
			r.ResultCode = S3BatchTemporaryFailure
			r.ResultString = errString(o.Err)
		}
	}
	if unidentified != nil {
		return resp, unidentified
	}
	return resp, nil
}

// errString is err's message, or a placeholder for a nil error.
func errString(err error) string {
	if err == nil {
		return "batchkit: failed without an error"
	}
	return err.Error()
}

// s3ResultString is the result string of a successful task: what an
// [S3BatchFunc] handler returned, or the handler's result (a string as it
// is, an error or fmt.Stringer by its text, anything else as JSON).
func s3ResultString(t *S3BatchTask, result any) string {
	switch v := result.(type) {
	case nil:
		return t.resultString
	case string:
		return v
	case fmt.Stringer:
		return v.String()
	}
	out, err := json.Marshal(result)
	if err != nil {
		return fmt.Sprintf("%v", result)
	}
	return string(out)
}

// S3BatchFunc adapts a handler that returns the task's result string (kept
// in the job's completion report) and an error: nil for Succeeded, an error
// wrapped with [Permanent] for PermanentFailure, any other error for
// TemporaryFailure. The string is stored in the task itself, so a
// successful task costs no allocation beyond the handler's own.
func S3BatchFunc(f func(ctx context.Context, task *S3BatchTask) (resultString string, err error)) core.Handler[S3BatchTask] {
	return func(ctx context.Context, task *S3BatchTask) error {
		s, err := f(ctx, task)
		if err != nil {
			return err
		}
		task.resultString = s
		return nil
	}
}

// S3BatchArgs returns a handler that decodes the job's user arguments
// (schema 2.0) into an A through their JSON form (an object of strings: use
// string fields with json tags), validates them (see [Validator]) and calls
// f. Arguments that do not decode or validate fail the task permanently:
// retrying would not change them.
func S3BatchArgs[A any](f func(ctx context.Context, args A, task *S3BatchTask) (resultString string, err error)) core.Handler[S3BatchTask] {
	return S3BatchFunc(func(ctx context.Context, task *S3BatchTask) (string, error) {
		var m map[string]string
		if task.Job != nil {
			m = task.Job.UserArguments
		}
		data, err := json.Marshal(m)
		if err != nil {
			return "", Permanent(err)
		}
		args, err := payload.Decode[A]("S3 Batch Operations userArguments", data)
		if err != nil {
			return "", Permanent(err)
		}
		return f(ctx, args, task)
	})
}

// ProcessS3Batch runs p over the tasks of event with h and returns the S3
// Batch Operations response; it sets each task's Key and Job (the tasks
// share the caller's slice): one result per task, in input order (see
// [S3BatchProcessor.BuildResponse]). The error is a Prepare error (no task
// was run), or a [*core.UnidentifiableFailureError] for a task without
// taskId; only then must the invocation fail.
func ProcessS3Batch(ctx context.Context, p *S3BatchProcessor, event S3BatchEvent, h core.Handler[S3BatchTask]) (S3BatchResponse, error) {
	for i := range event.Tasks {
		event.Tasks[i].Job = &event.Job
	}
	return runS3Batch(ctx, p, &event, core.NewBatch(event.Tasks, h))
}

// runS3Batch runs b and builds the response.
func runS3Batch(ctx context.Context, p *S3BatchProcessor, event *S3BatchEvent, b *core.Batch[S3BatchTask]) (S3BatchResponse, error) {
	if p == nil {
		return S3BatchResponse{}, errors.New("batchkit: ProcessS3Batch needs a processor (s3batch.NewS3Batch), got nil")
	}
	// The lifecycle runs the processor's plain Base, after Prepare's own
	// work: core.Run then calls the handler directly on its sequential fast
	// path (a custom Prepare or Response takes the general path, with two
	// deferred recovers per record). Driving p itself with core.Run gives
	// the same outcomes. With hooks, the response is built inside the
	// lifecycle, so that BatchEnd sees an invocation that fails building it.
	p.decodeKeys(b)
	var resp S3BatchResponse
	var buildErr error
	err := finish.Run(ctx, p.Base, b, func() error {
		resp, buildErr = p.BuildResponse(event, b)
		return buildErr
	})
	if buildErr != nil {
		return resp, buildErr // the results, with the tasks that cannot be reported
	}
	if err != nil {
		return S3BatchResponse{}, err
	}
	return resp, nil
}
