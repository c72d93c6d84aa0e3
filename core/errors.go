package core

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Sentinel errors, one per error kind. Every typed error below matches its
// sentinel with errors.Is, so callers can test the kind without a type:
//
//	if errors.Is(err, core.ErrFullBatchFailure) { ... }
//
// and read the details with errors.As on the typed error.
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

// ShortCircuitKind tells why a record was short-circuited.
type ShortCircuitKind uint8

const (
	// ShortCircuitBatch: an earlier record of the batch failed and the
	// processor stops the whole batch at the first failure (SQS FIFO by
	// default, streams with stop-on-first-failure and no ordering key).
	ShortCircuitBatch ShortCircuitKind = iota + 1
	// ShortCircuitGroup: an earlier record with the same ordering key (FIFO
	// message group, Kafka topic-partition, stream partition key) failed.
	ShortCircuitGroup
	// ShortCircuitUnknownKey: an earlier record failed whose ordering key
	// could not be read (a record that did not decode, a Source.Key that
	// panicked), so any later keyed record may share its key: under
	// [StopKey] every later record with a non-empty key is stopped.
	ShortCircuitUnknownKey
)

// ShortCircuitError is the error of a record that was not handled because an
// earlier record failed and the processor's ordering rules forbid handling
// it out of order. The record is reported failed, so Lambda delivers it again.
type ShortCircuitError struct {
	Kind ShortCircuitKind
	// Key is the ordering key (message group) for ShortCircuitGroup.
	Key string
	// FailedPosition is the position of the failed record that caused it.
	FailedPosition int
}

func (e *ShortCircuitError) Error() string {
	if e.Kind == ShortCircuitUnknownKey {
		return fmt.Sprintf("batchkit: record not handled: record %d failed earlier and its ordering key (message group, partition key) could not be read, so this record may belong to the same group; it is reported failed to keep the group's order and will be delivered again", e.FailedPosition)
	}
	if e.Kind == ShortCircuitGroup {
		return fmt.Sprintf("batchkit: record not handled: record %d of the same message group %q failed earlier; it is reported failed to keep the group's order and will be delivered again", e.FailedPosition, e.Key)
	}
	return fmt.Sprintf("batchkit: record not handled: record %d failed earlier and this processor stops at the first failure to keep order; it is reported failed and will be delivered again", e.FailedPosition)
}

// Is matches [ErrShortCircuit].
func (e *ShortCircuitError) Is(target error) bool { return target == ErrShortCircuit }

// EventSourceMismatchError is returned, before any handler runs, when a record
// names another event source than the processor accepts: its identifiers
// would be wrong, so nothing could be reported safely. Use the processor for
// the function's actual trigger.
type EventSourceMismatchError struct {
	// Position of the first offending record.
	Position int
	// Got is the record's eventSource.
	Got string
	// Want lists the event sources the processor accepts.
	Want []string
}

func (e *EventSourceMismatchError) Error() string {
	return fmt.Sprintf("batchkit: record %d has eventSource %q but this processor accepts %s; use the processor that matches the function's trigger (no record was handled)",
		e.Position, e.Got, quoteList(e.Want))
}

// Is matches [ErrEventSourceMismatch].
func (e *EventSourceMismatchError) Is(target error) bool { return target == ErrEventSourceMismatch }

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
	return fmt.Sprintf("batchkit: failed record(s) at position %v have no identifier and cannot be reported in a partial batch response; the invocation fails so that Lambda retries the whole batch (check the event: every record needs its messageId or sequence number)", e.Positions)
}

// Unwrap returns the records' errors.
func (e *UnidentifiableFailureError) Unwrap() []error { return e.Errors }

// Is matches [ErrUnidentifiableFailure].
func (e *UnidentifiableFailureError) Is(target error) bool { return target == ErrUnidentifiableFailure }

// UnexpectedBatchTypeError is returned by raw-bytes entries when the event has
// no records array (missing, null, not an array, or under another key): the
// function is probably wired to the wrong trigger or processor.
type UnexpectedBatchTypeError struct {
	// Key is the JSON key that was expected to hold the records.
	Key string
	// Found describes what was there instead ("missing", "null", "object", ...).
	Found string
}

func (e *UnexpectedBatchTypeError) Error() string {
	return fmt.Sprintf("batchkit: event has no %q array (found %s); is the function wired to the trigger this processor handles?", e.Key, e.Found)
}

// Is matches [ErrUnexpectedBatchType].
func (e *UnexpectedBatchTypeError) Is(target error) bool { return target == ErrUnexpectedBatchType }

// DeadlineError is the error of a record that was not started because the
// invocation's remaining time had fallen below the processor's deadline
// margin. The record is reported failed, so Lambda delivers it again, instead
// of the whole batch timing out.
type DeadlineError struct {
	// Remaining is the time that was left when the record was due to start.
	Remaining time.Duration
	// Margin is the processor's deadline margin.
	Margin time.Duration
}

func (e *DeadlineError) Error() string {
	if e.Remaining <= 0 {
		return fmt.Sprintf("batchkit: record not started: the invocation deadline had already passed (by %v; deadline margin %v); it is reported failed and will be delivered again", (-e.Remaining).Round(time.Millisecond), e.Margin)
	}
	return fmt.Sprintf("batchkit: record not started: %v left before the invocation deadline, below the margin of %v; it is reported failed and will be delivered again", e.Remaining.Round(time.Millisecond), e.Margin)
}

// Is matches [ErrDeadline].
func (e *DeadlineError) Is(target error) bool { return target == ErrDeadline }

// CanceledError is the error of a record that was not started because the
// invocation's context was done (cancelled, or past its deadline).
type CanceledError struct {
	// Cause is context.Cause of the invocation's context.
	Cause error
}

func (e *CanceledError) Error() string {
	return fmt.Sprintf("batchkit: record not started: invocation context done: %v", e.Cause)
}

// Unwrap returns the context's cause.
func (e *CanceledError) Unwrap() error { return e.Cause }

// Is matches [ErrCanceled].
func (e *CanceledError) Is(target error) bool { return target == ErrCanceled }

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

// AbandonedError is the error of a record that had no outcome when its batch
// ended: its handler never returned, because the goroutine running it ended
// (runtime.Goexit, which t.FailNow and testify's require call inside a
// handler), or an earlier record of its ordering chain did so and the chain
// stopped there. A record counts as succeeded only when its handler returned
// nil, so such a record is reported failed and delivered again.
//
// Run sees it only when records run concurrently: sequentially, the handler
// runs on the caller's goroutine, which runtime.Goexit ends along with the
// invocation (Lambda then times the invocation out and retries the whole
// batch; hooks still get BatchEnd with an AbandonedError).
type AbandonedError struct {
	// Position is the record's position in the batch; -1 for the whole
	// invocation (its goroutine ended, as hooks see in BatchEnd).
	Position int
}

func (e *AbandonedError) Error() string {
	if e.Position < 0 {
		return "batchkit: the invocation's goroutine ended inside a record handler (runtime.Goexit, t.FailNow or testify's require) before the batch was done; no response is returned, so Lambda retries the whole batch (return an error from the handler instead)"
	}
	return fmt.Sprintf("batchkit: record %d has no outcome: its handler (or an earlier record of its ordering chain) ended its goroutine without returning, for example with runtime.Goexit, t.FailNow or testify's require; it is reported failed and will be delivered again (return an error from the handler instead)", e.Position)
}

// Is matches [ErrAbandoned].
func (e *AbandonedError) Is(target error) bool { return target == ErrAbandoned }

// StillRunningError is the error of a record whose handler had not returned
// when the deadline margin was reached, under [Options.ReturnAtMargin]: Run
// returned without waiting for it, and the record is reported failed (it will
// be delivered again). The handler's goroutine may still be running.
type StillRunningError struct {
	// Position is the record's position in the batch.
	Position int
	// Margin is the processor's deadline margin.
	Margin time.Duration
}

func (e *StillRunningError) Error() string {
	return fmt.Sprintf("batchkit: record %d: handler still running at the deadline margin (%v); reported failed", e.Position, e.Margin)
}

// Is matches [ErrStillRunning].
func (e *StillRunningError) Is(target error) bool { return target == ErrStillRunning }

// InvalidResponseError is returned by [Run] and [Process] when the response
// a processor built names a record Lambda would not accept: an empty
// identifier, or one that is not the identifier of any record of the batch
// (Lambda then fails the whole batch, silently from the function's point of
// view). The invocation fails with it instead, so the whole batch is retried
// and the fault is visible. It comes from a custom processor's Response
// (or an Identify function) that does not report the batch's own records.
type InvalidResponseError struct {
	// Index is the entry's index in BatchItemFailures.
	Index int
	// Identifier is the entry's identifier.
	Identifier Identifier
	// Problem says what is wrong with it.
	Problem string
}

func (e *InvalidResponseError) Error() string {
	return fmt.Sprintf("batchkit: the processor's response is invalid: batchItemFailures[%d] = %q %s; Lambda would fail the whole batch, so the invocation fails instead (check the processor's Response and its Source.Identify)", e.Index, e.Identifier.String(), e.Problem)
}

// Is matches [ErrInvalidResponse].
func (e *InvalidResponseError) Is(target error) bool { return target == ErrInvalidResponse }

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
