package core

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Sentinel errors, one per error kind. Every error batchkit returns or
// records matches its sentinel with errors.Is, so callers can test the kind
// without a type:
//
//	if errors.Is(err, core.ErrFullBatchFailure) { ... }
//
// and read the details, where there are any, with errors.As on the typed
// error ([*UnhandledError] for ErrShortCircuit, ErrDeadline, ErrCanceled,
// ErrStillRunning and ErrAbandoned).
var (
	// ErrFullBatchFailure: every record of the batch failed.
	ErrFullBatchFailure = errors.New("batchkit: every record in the batch failed")
	// ErrShortCircuit: a record was not handled because an earlier record
	// of the batch (or of its message group) failed.
	ErrShortCircuit = errors.New("batchkit: record not handled after an earlier failure")
	// ErrEventSourceMismatch: a record comes from another event source than
	// the processor's.
	ErrEventSourceMismatch = errors.New("batchkit: record from another event source")
	// ErrUnidentifiableFailure: a failed record has no identifier to report.
	ErrUnidentifiableFailure = errors.New("batchkit: failed record has no identifier")
	// ErrUnexpectedBatchType: a raw event has no records array.
	ErrUnexpectedBatchType = errors.New("batchkit: event has no records array")
	// ErrDeadline: a record was not started because the invocation was about
	// to reach its deadline.
	ErrDeadline = errors.New("batchkit: record not started before the deadline")
	// ErrPanic: the handler panicked, or code batchkit runs for a record or
	// a batch (a Source function, ProcessRecord, Prepare, Response) did.
	ErrPanic = errors.New("batchkit: record handler panicked")
	// ErrAbandoned: a record has no outcome when the batch ends: its
	// handler's goroutine ended without returning (runtime.Goexit, which
	// t.FailNow and testify's require call), or an earlier record of its
	// ordering chain did. It is reported failed.
	ErrAbandoned = errors.New("batchkit: record abandoned without an outcome")
	// ErrInvalidResponse: a processor's Response returned an identifier that
	// Lambda would refuse (empty, or not one of the batch's records).
	ErrInvalidResponse = errors.New("batchkit: invalid partial batch response")
	// ErrCanceled: a record was not started because the invocation's
	// context was done.
	ErrCanceled = errors.New("batchkit: record not started: invocation context done")
	// ErrDecode: a record, or its payload, could not be decoded. Every
	// decode error of batchkit matches it ([*RecordDecodeError],
	// payload.DecodeError, kafkapayload.DecodeError, envelope.UnwrapError).
	ErrDecode = errors.New("batchkit: record could not be decoded")
	// ErrInvalidConfig: a processor's constructor refused a setting
	// ([*ConfigError]).
	ErrInvalidConfig = errors.New("batchkit: invalid configuration")
	// ErrStillRunning: with [Options.ReturnAtMargin], a record's handler
	// had not returned when the deadline margin was reached; Run returned
	// without waiting for it and the record is reported failed.
	ErrStillRunning = errors.New("batchkit: record handler still running at the deadline margin")
)

// FullBatchFailureError is returned when every record of a non-empty batch
// failed (handled and failed, or not handled because of an earlier failure)
// and the processor raises on entire batch failure (the default). Lambda then
// retries the whole batch and the invocation shows as an error in metrics.
// It wraps every record's error: errors.Is and errors.As see each of them.
type FullBatchFailureError struct {
	// Errors holds each record's error, in input order.
	Errors []error
}

func (e *FullBatchFailureError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "batchkit: all %d records in the batch failed, so the whole batch will be retried", len(e.Errors))
	if len(e.Errors) > 0 && e.Errors[0] != nil {
		fmt.Fprintf(&b, " (first error: %v)", e.Errors[0])
	}
	return b.String()
}

// Unwrap returns every record's error.
func (e *FullBatchFailureError) Unwrap() []error { return e.Errors }

// Is matches [ErrFullBatchFailure].
func (e *FullBatchFailureError) Is(target error) bool { return target == ErrFullBatchFailure }

// UnhandledError is the error of a record whose handler did not return an
// outcome. Reason says why, and errors.Is matches it:
//
//   - [ErrShortCircuit]: not started, because record FailedPosition failed
//     earlier and the processor's ordering rules forbid handling this one out
//     of order. Key is the ordering key the two share (message group,
//     partition key, topic-partition), "" when the processor stops the whole
//     batch at the first failure; KeyUnknown is set when the failed record's
//     key could not be read (a record that did not decode, a Source.Key that
//     panicked), so that under [StopKey] every later keyed record stops.
//   - [ErrDeadline]: not started, because the invocation's remaining time
//     (Remaining) had fallen below the deadline margin (Margin).
//   - [ErrCanceled]: not started, because the invocation's context was done;
//     Cause is context.Cause, and Unwrap returns it.
//   - [ErrStillRunning]: still running when Run returned at the deadline
//     margin (Margin) under [Options.ReturnAtMargin]; the handler's goroutine
//     may still be running.
//   - [ErrAbandoned]: its goroutine ended without returning
//     (runtime.Goexit, which t.FailNow and testify's require call), or an
//     earlier record of its ordering chain did and the chain stopped there.
//     Run sees it only when records run concurrently: sequentially, the
//     handler runs on the caller's goroutine, which runtime.Goexit ends with
//     the invocation (Lambda times it out and retries the whole batch; hooks
//     get BatchEnd with an error matching ErrAbandoned).
//
// A record counts as succeeded only when its handler returned nil, so the
// record is reported failed and Lambda delivers it again. docs/deadline.md
// and docs/outcomes-and-errors.md say what to do about each reason.
type UnhandledError struct {
	// Reason is ErrShortCircuit, ErrDeadline, ErrCanceled, ErrStillRunning
	// or ErrAbandoned.
	Reason error
	// FailedPosition is the position of the failed record that stopped this
	// one (ErrShortCircuit).
	FailedPosition int
	// Key is the ordering key shared with the failed record
	// (ErrShortCircuit); "" when the whole batch stops.
	Key string
	// KeyUnknown is set when the failed record's ordering key could not be
	// read (ErrShortCircuit).
	KeyUnknown bool
	// Remaining is the time left when the record was due to start
	// (ErrDeadline); negative once the deadline has passed.
	Remaining time.Duration
	// Margin is the processor's deadline margin (ErrDeadline,
	// ErrStillRunning).
	Margin time.Duration
	// Cause is the context's cause (ErrCanceled).
	Cause error
}

func (e *UnhandledError) Error() string {
	switch e.Reason {
	case ErrShortCircuit:
		switch {
		case e.KeyUnknown:
			return fmt.Sprintf("batchkit: record not handled: record %d failed earlier and its ordering key is unknown", e.FailedPosition)
		case e.Key != "":
			return fmt.Sprintf("batchkit: record not handled: record %d of ordering key %q failed earlier", e.FailedPosition, e.Key)
		}
		return fmt.Sprintf("batchkit: record not handled: record %d failed earlier", e.FailedPosition)
	case ErrDeadline:
		if e.Remaining <= 0 {
			return fmt.Sprintf("batchkit: record not started: the invocation deadline had passed (by %v; margin %v)", (-e.Remaining).Round(time.Millisecond), e.Margin)
		}
		return fmt.Sprintf("batchkit: record not started: %v left before the deadline, below the margin of %v", e.Remaining.Round(time.Millisecond), e.Margin)
	case ErrCanceled:
		return fmt.Sprintf("batchkit: record not started: invocation context done: %v", e.Cause)
	case ErrStillRunning:
		return fmt.Sprintf("batchkit: record handler still running at the deadline margin (%v)", e.Margin)
	case ErrAbandoned:
		return "batchkit: record has no outcome: its handler's goroutine ended without returning"
	case nil:
		return "batchkit: record not handled"
	}
	return "batchkit: record not handled: " + e.Reason.Error()
}

// Is matches the Reason.
func (e *UnhandledError) Is(target error) bool { return target != nil && target == e.Reason }

// Unwrap returns the context's cause (ErrCanceled), nil otherwise.
func (e *UnhandledError) Unwrap() error { return e.Cause }

// errInvocationAbandoned is what hooks see in BatchEnd when the invocation's
// goroutine ended inside a record handler (see [UnhandledError]).
var errInvocationAbandoned = fmt.Errorf("%w: the invocation's goroutine ended inside a record handler, so no response is returned", ErrAbandoned)

// UnidentifiableFailureError is returned when a failed record has no
// identifier (an SQS message without messageId, a stream record without
// sequence number). Such a failure cannot be reported in a partial response,
// so the invocation fails and Lambda retries the whole batch: nothing is lost.
type UnidentifiableFailureError struct {
	// Positions of the failed records without an identifier.
	Positions []int
	// Errors holds those records' errors, in the same order.
	Errors []error
}

func (e *UnidentifiableFailureError) Error() string {
	return fmt.Sprintf("batchkit: failed records at positions %v have no identifier to report", e.Positions)
}

// Unwrap returns the records' errors.
func (e *UnidentifiableFailureError) Unwrap() []error { return e.Errors }

// Is matches [ErrUnidentifiableFailure].
func (e *UnidentifiableFailureError) Is(target error) bool { return target == ErrUnidentifiableFailure }

// PanicError is the error of a record whose handler panicked. The panic is
// recovered, the record fails alone and processing goes on. A panic in code
// batchkit runs for a record (a [Source] function, a hook's record methods
// aside, ProcessRecord) fails that record the same way, with Where naming
// the function; a panic where no record can be blamed (Prepare, Response,
// Identify while checking the response) fails the invocation with it.
type PanicError struct {
	// Value is what the handler panicked with.
	Value any
	// Where names what panicked when it was not the record handler, for
	// example "Source.Key" or "ProcessRecord"; "" for the handler.
	Where string
	// Stack is the goroutine's stack at the panic (runtime/debug.Stack).
	Stack []byte
	// PCs are the program counters of the panicking goroutine's stack,
	// innermost first, from the function that panicked (runtime.Callers
	// taken in the recovering function). Hooks build structured frames from
	// them with [PanicError.Frames] instead of parsing Stack.
	PCs []uintptr
}

// NewPanicError returns the error of a recovered panic with value v. Call it
// in the deferred function that recovered, so that the stack it records is
// the panicking goroutine's.
func NewPanicError(v any) *PanicError {
	pcs := make([]uintptr, 64)
	// Skip runtime.Callers, NewPanicError and the deferred function.
	n := runtime.Callers(3, pcs)
	return &PanicError{Value: v, Stack: debug.Stack(), PCs: pcs[:n:n]}
}

// Frames returns the frames of the panicking goroutine's stack, innermost
// first, starting where the panic was raised (runtime.gopanic and the frames
// of the runtime above it are skipped).
func (e *PanicError) Frames() *runtime.Frames {
	pcs := e.PCs
	for i, pc := range pcs {
		if f := runtime.FuncForPC(pc); f != nil && f.Name() == "runtime.gopanic" {
			pcs = pcs[i+1:]
			break
		}
	}
	return runtime.CallersFrames(pcs)
}

func (e *PanicError) Error() string {
	if e.Where != "" {
		return fmt.Sprintf("batchkit: %s panicked: %v", e.Where, e.Value)
	}
	return fmt.Sprintf("batchkit: record handler panicked: %v", e.Value)
}

// newPanicErrorAt is [NewPanicError] for a panic of code other than the
// handler; call it in the deferred function that recovered.
func newPanicErrorAt(where string, v any) *PanicError {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(3, pcs)
	return &PanicError{Value: v, Where: where, Stack: debug.Stack(), PCs: pcs[:n:n]}
}

// Unwrap returns the panic value when it is an error.
func (e *PanicError) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}

// Is matches [ErrPanic].
func (e *PanicError) Is(target error) bool { return target == ErrPanic }

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, " or ")
}
