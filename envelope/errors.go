package envelope

import (
	"errors"
	"fmt"
)

// ErrUnwrap matches every [*UnwrapError] with errors.Is.
var ErrUnwrap = errors.New("batchkit: record does not unwrap")

// UnwrapError is the error of a record that a layer could not open: the body
// is not an SNS notification, the data is not gzip, the EventBridge event has
// no detail... The record fails alone, reported by its own identifier, and
// its handler is not called.
type UnwrapError struct {
	// Layer names the layer that failed, for example "SNS notification".
	Layer string
	// Depth is the layer's position, 0 for the outermost; -1 when the
	// record's own payload could not be read.
	Depth int
	// Within names the source record's payload, for example "SQS body".
	Within string
	// Err says what is wrong.
	Err error
}

// Error says which layer failed and why.
func (e *UnwrapError) Error() string {
	if e.Depth < 0 {
		return fmt.Sprintf("batchkit: %s could not be read, so the record was not handled and is reported failed: %v", e.Within, e.Err)
	}
	return fmt.Sprintf("batchkit: envelope layer %d (%s) in the %s does not unwrap, so the record was not handled and is reported failed: %v; check the producer and the layers given to the handler, or let the redrive policy move the record to a dead-letter queue",
		e.Depth+1, e.Layer, e.Within, e.Err)
}

// Unwrap returns what is wrong.
func (e *UnwrapError) Unwrap() error { return e.Err }

// Is matches [ErrUnwrap].
func (e *UnwrapError) Is(target error) bool { return target == ErrUnwrap }

// PartError is the error of a record whose layer held several payloads (the
// Records of an S3 notification, the log events of a CloudWatch Logs
// record) when one of them failed: it names the payload. The payloads after
// it were not handled, and the whole source record is reported failed.
type PartError struct {
	// Layer names the layer that held the payloads.
	Layer string
	// Depth is the layer's position, 0 for the outermost.
	Depth int
	// Index is the failed payload's position among Count.
	Index, Count int
	// Err is the payload's error.
	Err error
}

// Error says which payload failed.
func (e *PartError) Error() string {
	return fmt.Sprintf("batchkit: payload %d of %d in the %s failed (the later ones were not handled and the whole record will be delivered again): %v",
		e.Index+1, e.Count, e.Layer, e.Err)
}

// Unwrap returns the payload's error.
func (e *PartError) Unwrap() error { return e.Err }

// ErrSkip matches every [*SkipError] with errors.Is.
var ErrSkip = errors.New("batchkit: nothing to handle in the record")

// SkipError is what a [Layer] returns, through [Skip], for a record that holds
// nothing to handle.
type SkipError struct {
	// Reason says why, for example "s3:TestEvent".
	Reason string
	// Meta is what the layer read, for example *events.S3TestEvent.
	Meta any
}

// Error says why the record holds nothing to handle.
func (e *SkipError) Error() string { return "batchkit: nothing to handle: " + e.Reason }

// Is matches [ErrSkip].
func (e *SkipError) Is(target error) bool { return target == ErrSkip }

// Skip is what [Layer.Unwrap] returns for a record that holds nothing to
// handle, such as the S3 test event: the record succeeds without the handler
// being called, and its outcome's Result is a [*Skipped] with reason and
// meta.
func Skip(reason string, meta any) error { return &SkipError{Reason: reason, Meta: meta} }

// Skipped is the result (core.Outcome.Result) of a record that a layer
// skipped: it succeeded without its handler being called. Read it with
// core.NewBatch and core.Run, or a hook's record end.
type Skipped struct {
	// Layer names the layer that skipped the record.
	Layer string
	// Reason says why, for example "s3:TestEvent" or "CONTROL_MESSAGE".
	Reason string
	// Meta is what the layer read, for example *events.S3TestEvent.
	Meta any
}

func asSkip(err error, target **SkipError) bool { return errors.As(err, target) }
