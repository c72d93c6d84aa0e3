package s3batch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/userfn"
	"github.com/batchkit/batchkit/payload"
)

// The result codes of a task
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-invoke-lambda.html).
const (
	// Succeeded: the task succeeded (its handler returned nil).
	Succeeded = "Succeeded"
	// TemporaryFailure: the task failed and S3 may retry it.
	TemporaryFailure = "TemporaryFailure"
	// PermanentFailure: the task failed and S3 must not retry it.
	PermanentFailure = "PermanentFailure"
)

// eventSource names S3 Batch Operations to hooks
// (core.BatchInfo.EventSource).
const eventSource = "aws:s3:batch"

// Event is the event S3 Batch Operations sends to a Lambda function, in
// invocation schema 1.0 (tasks name their bucket by ARN) or 2.0 (tasks name
// their bucket, and the job carries the user arguments).
type Event struct {
	// InvocationSchemaVersion is "1.0" or "2.0".
	InvocationSchemaVersion string `json:"invocationSchemaVersion"`
	// InvocationID identifies the invocation; the response echoes it.
	InvocationID string `json:"invocationId"`
	// Job is the job that sent the tasks: its id and, in schema 2.0, its
	// user arguments (see [Args]). aws-lambda-go's type: the same JSON.
	Job events.S3BatchJobV2 `json:"job"`
	// Tasks are the objects to act on.
	Tasks []Task `json:"tasks"`
}

// Task is one task of an [Event].
type Task struct {
	// TaskID identifies the task; its result echoes it.
	TaskID string `json:"taskId"`
	// S3Key is the object key as S3 sent it: URL-encoded. Use Key for the
	// key itself.
	S3Key string `json:"s3Key"`
	// S3VersionID is the object's version id, "" when none (null in 1.0).
	S3VersionID string `json:"s3VersionId"`
	// S3BucketARN is the bucket's ARN (schema 1.0).
	S3BucketARN string `json:"s3BucketArn,omitempty"`
	// S3Bucket is the bucket's name (schema 2.0).
	S3Bucket string `json:"s3Bucket,omitempty"`

	// Key is S3Key decoded exactly once (form encoding: %XX escapes, and +
	// for a space), set before the handler runs. A key that does not
	// decode fails its task permanently (PermanentFailure, an error
	// matching [core.ErrDecode]) and its handler is not called.
	Key string `json:"-"`
	// Job is the invocation's job (id and user arguments), set before the
	// handler runs; shared by every task.
	Job *events.S3BatchJobV2 `json:"-"`
}

// Bucket returns the task's bucket name: S3Bucket (schema 2.0), or the name
// at the end of S3BucketARN (schema 1.0, "arn:aws:s3:::name").
func (t *Task) Bucket() string {
	if t.S3Bucket != "" {
		return t.S3Bucket
	}
	arn := t.S3BucketARN
	if i := strings.LastIndexByte(arn, ':'); i >= 0 {
		arn = arn[i+1:]
	}
	return arn
}

// Response is the response S3 Batch Operations expects: one result per task
// of the invocation.
type Response struct {
	// InvocationSchemaVersion echoes the event's.
	InvocationSchemaVersion string `json:"invocationSchemaVersion"`
	// TreatMissingKeysAs is the result code S3 gives a task missing from
	// Results ([Config].TreatMissingKeysAs). batchkit reports every task,
	// so it only matters to a response changed after batchkit built it.
	TreatMissingKeysAs string `json:"treatMissingKeysAs"`
	// InvocationID echoes the event's.
	InvocationID string `json:"invocationId"`
	// Results holds one result per task, in input order (never null):
	// TaskID, ResultCode ([Succeeded], [TemporaryFailure] or
	// [PermanentFailure]) and ResultString (what the handler returned on
	// success, the error's message on failure; S3 writes it in the job's
	// completion report). aws-lambda-go's type: the same JSON.
	Results []events.S3BatchJobResult `json:"results"`
}

// MarshalJSON writes an empty results list rather than null.
func (r Response) MarshalJSON() ([]byte, error) {
	type plain Response
	if r.Results == nil {
		r.Results = []events.S3BatchJobResult{}
	}
	return json.Marshal(plain(r))
}

// errPermanent is matched, with errors.Is, by the errors that fail their
// task permanently: [Permanent]'s and a key's that does not decode.
var errPermanent = errors.New("batchkit: permanent failure")

// permanentError is [Permanent]'s error.
type permanentError struct{ err error }

// Permanent wraps err so that its task is reported PermanentFailure (S3
// does not retry it); the result string is err's message, unchanged. It is
// the one way to fail a task permanently, also when the error is wrapped
// again (fmt.Errorf("...: %w", s3batch.Permanent(err))). A nil err stays
// nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

func (e *permanentError) Error() string        { return e.err.Error() }
func (e *permanentError) Unwrap() error        { return e.err }
func (e *permanentError) Is(target error) bool { return target == errPermanent }

// keyDecodeError is the error of a task whose s3Key is not valid URL
// encoding (a % not followed by two hex digits): retrying cannot repair it.
type keyDecodeError struct {
	taskID, s3Key string
	err           error
}

func (e *keyDecodeError) Error() string {
	return fmt.Sprintf("batchkit: task %q: s3Key %q is not valid URL encoding: %v", e.taskID, e.s3Key, e.err)
}
func (e *keyDecodeError) Unwrap() error { return e.err }
func (e *keyDecodeError) Is(target error) bool {
	return target == errPermanent || target == core.ErrDecode
}

// Func is an S3 Batch Operations handler: it acts on one task and returns
// the task's result string (kept in the job's completion report) and an
// error: nil for Succeeded, an error wrapped with [Permanent] for
// PermanentFailure, any other error (or a panic) for TemporaryFailure.
type Func func(ctx context.Context, task *Task) (resultString string, err error)

// Args returns a [Func] that decodes the job's user arguments (schema 2.0)
// into an A through their JSON form (an object of strings: use string
// fields with json tags), validates them (see [payload.Validate]) and calls
// f. Arguments that do not decode or validate fail the task permanently:
// retrying would not change them.
func Args[A any](f func(ctx context.Context, args A, task *Task) (resultString string, err error)) Func {
	return func(ctx context.Context, task *Task) (string, error) {
		var m map[string]string
		if task.Job != nil {
			m = task.Job.UserArguments
		}
		data, err := json.Marshal(m)
		if err != nil {
			return "", Permanent(err)
		}
		var args A
		if err := userfn.Guard("s3batch.Args (decoding the user arguments)", func() (err error) {
			args, err = payload.Decode[A]("S3 Batch Operations userArguments", data)
			return err
		}); err != nil {
			return "", Permanent(err)
		}
		return f(ctx, args, task)
	}
}

// Config configures a [Processor].
type Config struct {
	// Options are the shared settings: concurrency, deadline margin and
	// hooks. SuppressFullBatchError has no effect: every task has its own
	// result, so a batch whose tasks all failed is still a response.
	core.Options
	// TreatMissingKeysAs is the response's treatMissingKeysAs:
	// [TemporaryFailure] (the default: a task missing from the results is
	// retried, never lost), [PermanentFailure] or [Succeeded].
	TreatMissingKeysAs string
}

// processorName names the processor in [core.ConfigError]s.
const processorName = "s3batch"

// Processor runs S3 Batch Operations tasks. It embeds [core.Base]
// (scheduling, hooks) and overrides Prepare (decode each key once),
// ProcessRecord (the handler's result string is kept in the invocation's
// state, never in the tasks) and Response (the S3 response is built there,
// with hooks or without). Safe for concurrent use; create it once, with
// [New].
type Processor struct {
	*core.Base[Task]
	treatMissingKeysAs string
}

// New returns the processor of S3 Batch Operations tasks, or a
// [*core.ConfigError] for a wrong setting.
func New(c Config) (*Processor, error) {
	if err := c.Options.Validate(processorName); err != nil {
		return nil, err
	}
	switch c.TreatMissingKeysAs {
	case "":
		c.TreatMissingKeysAs = TemporaryFailure
	case Succeeded, TemporaryFailure, PermanentFailure:
	default:
		return nil, &core.ConfigError{Processor: processorName, Setting: "TreatMissingKeysAs", Value: c.TreatMissingKeysAs,
			Problem: "it is not a result code"}
	}
	opts := c.Options
	opts.SuppressFullBatchError = true
	base := core.NewBase(core.Source[Task]{
		Name:     eventSource,
		Identify: func(t *Task) core.Identifier { return core.StringID(t.TaskID) },
	}, opts)
	return &Processor{Base: base, treatMissingKeysAs: c.TreatMissingKeysAs}, nil
}

// state is an invocation's: the handler, the event's echoed fields and the
// response (result strings set by ProcessRecord, one task each; the rest by
// Response).
type state struct {
	h     Func
	resp  Response
	built bool
	err   error
}

// Prepare decodes every task's s3Key into Key, exactly once (Key is always
// computed from S3Key); a key that does not decode fails its task
// permanently before any handler runs.
func (p *Processor) Prepare(ctx context.Context, b *core.Batch[Task]) error {
	for i := range b.Records {
		t := &b.Records[i]
		key, err := url.QueryUnescape(t.S3Key)
		if err != nil {
			if b.Outcomes[i].Status == core.StatusPending {
				b.Fail(i, &keyDecodeError{taskID: t.TaskID, s3Key: t.S3Key, err: err})
			}
			continue
		}
		t.Key = key
	}
	return p.Base.Prepare(ctx, b)
}

// ProcessRecord calls the batch's [Func] on task i and keeps its result
// string in the invocation's state. A handler that returns nil only after
// the task's deadline (the deadline margin, see [core.Options]) fails the
// task (TemporaryFailure): its result would come too late. A batch not
// started by [Process] or [Handler] (core.Run with a plain core.Handler)
// runs the handler with [core.Batch.Handle]: the batch's outcomes are set,
// but no S3 response is built.
func (p *Processor) ProcessRecord(ctx context.Context, b *core.Batch[Task], i int) core.Outcome {
	st, ok := b.State.(*state)
	if !ok {
		return p.Base.ProcessRecord(ctx, b, i)
	}
	s, err := userfn.Call(ctx, st.h, &b.Records[i])
	if err != nil {
		return core.Failure(err)
	}
	if err := userfn.Late(ctx); err != nil {
		return core.Failure(err)
	}
	st.resp.Results[i].ResultString = s
	return core.Outcome{Status: core.StatusSuccess}
}

// Response builds the S3 response from the outcomes (kept in the
// invocation's state for [Process]) and returns no partial batch response:
// its error is the invocation's (a task without taskId), seen by hooks like
// any other.
func (p *Processor) Response(_ context.Context, b *core.Batch[Task]) (core.Response, error) {
	st, ok := b.State.(*state)
	if !ok {
		return core.Response{}, nil // a batch not started by Process or Handler
	}
	st.resp.TreatMissingKeysAs = p.treatMissingKeysAs
	st.built, st.err = true, build(b, &st.resp)
	return core.Response{}, st.err
}

// build completes resp from b's outcomes: Succeeded only for a task whose
// handler returned nil; PermanentFailure for an error matching
// errPermanent ([Permanent]); TemporaryFailure for every other failure, a panic, a task
// not started (deadline margin, cancelled context) or late, and an error
// whose Error or Is method panics. A task without a taskId cannot be
// reported: the error then fails the invocation, so that S3 retries it.
func build(b *core.Batch[Task], resp *Response) error {
	var unidentified *core.UnidentifiableFailureError
	for i := range b.Records {
		t, o, r := &b.Records[i], &b.Outcomes[i], &resp.Results[i]
		if t.TaskID == "" {
			if unidentified == nil {
				unidentified = &core.UnidentifiableFailureError{}
			}
			unidentified.Positions = append(unidentified.Positions, i)
			unidentified.Errors = append(unidentified.Errors, o.Err)
		}
		r.TaskID = t.TaskID
		switch o.Status {
		case core.StatusSuccess:
			r.ResultCode = Succeeded // ResultString: set by ProcessRecord
		case core.StatusPending:
			// The lifecycle gives every record an outcome: never call a
			// pending one a success.
			r.ResultCode, r.ResultString = TemporaryFailure, "batchkit: the task has no outcome"
		default:
			r.ResultCode, r.ResultString = failure(o.Err)
		}
	}
	if unidentified != nil {
		return &userfn.MissingIDError{UnidentifiableFailureError: unidentified, Field: "taskId"}
	}
	return nil
}

// failure is the result code and string of a task that failed with err. It
// calls err's methods (Is, Unwrap, Error: user code) under recover: a panic
// (a typed-nil error is the common case) gives TemporaryFailure with the
// [*core.PanicError]'s message, naming the method.
func failure(err error) (code, msg string) {
	if err == nil {
		return TemporaryFailure, "batchkit: failed without an error"
	}
	code = TemporaryFailure
	if perr := userfn.Guard("s3batch: the task error's Is or Unwrap method", func() error {
		if errors.Is(err, errPermanent) {
			code = PermanentFailure
		}
		return nil
	}); perr != nil {
		return TemporaryFailure, perr.Error()
	}
	if perr := userfn.Guard("s3batch: the task error's Error method", func() error {
		msg = err.Error()
		return nil
	}); perr != nil {
		return TemporaryFailure, perr.Error()
	}
	return code, msg
}

// notCalled is the core.Handler of the batches of [Process]: their
// ProcessRecord calls the [Func] in the state instead.
func notCalled(context.Context, *Task) error {
	return errors.New("batchkit: s3batch batch run without its handler")
}

// Process runs p over the tasks of event with h and returns the S3 Batch
// Operations response: one result per task, in input order, Succeeded only
// when its handler returned nil. The handler sees copies of the tasks with
// Key and Job set: event is not changed. The error is an invocation's (no
// processor, a task without taskId): only then must the function fail.
func Process(ctx context.Context, p *Processor, event Event, h Func) (Response, error) {
	if p == nil || h == nil {
		return Response{}, errors.New("batchkit: s3batch.Process needs a processor and a handler")
	}
	tasks := slices.Clone(event.Tasks)
	for i := range tasks {
		tasks[i].Job = &event.Job // event is Process's own copy
	}
	return run(ctx, p, &event, core.NewBatch(tasks, notCalled), h)
}

// run runs b with h on the lifecycle, the response built in Response with
// hooks or without.
func run(ctx context.Context, p *Processor, event *Event, b *core.Batch[Task], h Func) (Response, error) {
	st := &state{h: h, resp: Response{
		InvocationSchemaVersion: event.InvocationSchemaVersion,
		InvocationID:            event.InvocationID,
		Results:                 make([]events.S3BatchJobResult, len(b.Records)),
	}}
	b.State = st
	_, err := core.Run(ctx, p, b)
	if !st.built {
		return Response{}, err
	}
	return st.resp, err
}
