// Package userfn holds what the per-record result contracts (firehose,
// s3batch) share to call user code safely and to word their errors: every
// call into user code (handlers, methods of user types) goes through [Call]
// or [Guard], under recover, so that a panic fails the record or the
// invocation with a [*core.PanicError] naming the place instead of crashing
// the process.
package userfn

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/batchkit/batchkit/core"
)

// Guard runs f, turning a panic into a [*core.PanicError] whose Where is
// where. f is user code or calls it (an error's Error or Is method, a
// result's MarshalJSON).
func Guard(where string, f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			pe := core.NewPanicError(v)
			pe.Where = where
			err = pe
		}
	}()
	return f()
}

// Call runs the record handler h on rec, turning a panic into a
// [*core.PanicError] (Where "": the handler), as [core.Batch.Handle] does.
func Call[R, O any](ctx context.Context, h func(context.Context, *R) (O, error), rec *R) (out O, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = core.NewPanicError(v)
		}
	}()
	return h(ctx, rec)
}

// Late returns, for a handler that returned nil, the error that fails its
// record anyway because the record's context reached its deadline (the
// deadline margin, or the invocation's deadline) before the handler
// returned: the response would reach the service too late to count, or not
// at all. nil: the success stands.
func Late(ctx context.Context) error {
	if ctx.Err() == nil || !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return nil
	}
	d, _ := ctx.Deadline()
	return &LateError{After: time.Since(d)}
}

// LateError is the error of a record whose handler returned nil only after
// the record's deadline (see [Late]). It matches [core.ErrDeadline].
type LateError struct {
	// After is how long after the record's deadline the handler returned.
	After time.Duration
}

// Error says the handler returned late.
func (e *LateError) Error() string {
	return fmt.Sprintf("batchkit: the handler returned %v after the deadline margin; the record is reported failed", e.After.Round(time.Millisecond))
}

// Is matches [core.ErrDeadline].
func (e *LateError) Is(target error) bool { return target == core.ErrDeadline }

// MissingIDError is a [*core.UnidentifiableFailureError] whose message names
// the contract's identifier field (taskId, recordId).
type MissingIDError struct {
	*core.UnidentifiableFailureError
	// Field is the identifier's JSON field.
	Field string
}

// Error names the missing field.
func (e *MissingIDError) Error() string {
	return fmt.Sprintf("batchkit: record(s) at position %v have no %s and cannot be reported; the invocation fails", e.Positions, e.Field)
}

// Unwrap returns the core error (errors.As finds it; errors.Is matches
// [core.ErrUnidentifiableFailure] through it).
func (e *MissingIDError) Unwrap() error { return e.UnidentifiableFailureError }

// EventFieldError is the error of an event whose top-level field Field does
// not decode (for example a job.userArguments value that is not a string):
// the invocation is refused. It matches [core.ErrDecode].
type EventFieldError struct {
	// Event names the event ("S3 Batch Operations").
	Event string
	// Field is the field's JSON key.
	Field string
	// Err is the decoder's error.
	Err error
}

// Error names the event and the field.
func (e *EventFieldError) Error() string {
	return fmt.Sprintf("batchkit: %s event: field %q does not decode: %v", e.Event, e.Field, e.Err)
}

// Unwrap returns the decoder's error.
func (e *EventFieldError) Unwrap() error { return e.Err }

// Is matches [core.ErrDecode].
func (e *EventFieldError) Is(target error) bool { return target == core.ErrDecode }
