package core

import (
	"context"
)

// Batch is the state of one invocation: the records, the handler, and one
// [Outcome] per record, indexed by position. It is created per invocation
// (by [Process], or by [NewBatch] for [Run]) and handed to every
// [PartialProcessor] method, so the processor itself keeps no state.
type Batch[R any] struct {
	// Records are the batch's records, in input order.
	Records []R
	// Outcomes holds one outcome per record, in input order. After Run
	// returns, every outcome is set: Powertools' "processed messages".
	Outcomes []Outcome
	// State is the processor's own per-invocation value: set it in Prepare,
	// read it in ProcessRecord, Clean and Response (a transaction opened in
	// Prepare and committed in Clean, the typed results of a source whose
	// response carries one per record). A type assertion reads it back; the
	// processor value itself stays immutable and shared.
	State any

	handler Handler[R]
	// detached: with [Options.ReturnAtMargin], Run returned while a
	// record's ProcessRecord was still running on its goroutine, which may
	// still read the batch: [Process] must not reuse it.
	detached bool
	// unknownKey is 1 + the position of the first record failed with an
	// unknown ordering key (see [Batch.FailUnknownKey]); 0: none.
	unknownKey int
}

// NewBatch returns the batch of one invocation. Run it with [Run]; read
// b.Outcomes afterwards.
func NewBatch[R any](records []R, handler Handler[R]) *Batch[R] {
	return &Batch[R]{Records: records, Outcomes: make([]Outcome, len(records)), handler: handler}
}

// Fail marks record i failed with err before the batch runs, so that its
// handler is not called: for example a record that could not be decoded. The
// record is then reported like any other failure (and, under an ordering
// policy, stops the records after it like any other failure).
func (b *Batch[R]) Fail(i int, err error) {
	b.Outcomes[i] = Failure(err)
}

// FailUnknownKey marks record i failed with err before the batch runs, like
// [Batch.Fail], and says that its ordering key (message group, partition
// key) could not be read: under [StopKey], any later record with a
// non-empty key might share it, so every such record is short-circuited
// (with an [*UnhandledError] with KeyUnknown) instead of
// running out of order. The raw-bytes entries call it for a record that did
// not decode and whose key cannot be read from its bytes.
func (b *Batch[R]) FailUnknownKey(i int, err error) {
	b.Outcomes[i] = Failure(err)
	if b.unknownKey == 0 || i+1 < b.unknownKey {
		b.unknownKey = i + 1
	}
}

// failed reports whether record i is to be reported failed: anything but a
// success.
func (b *Batch[R]) failed(i int) bool { return b.Outcomes[i].Status != StatusSuccess }

// outcomeErr is record i's error, an [*UnhandledError] (ErrAbandoned) for a record that
// has no outcome.
func (b *Batch[R]) outcomeErr(i int) error {
	if o := &b.Outcomes[i]; o.Status != StatusPending || o.Err != nil {
		return o.Err
	}
	return &UnhandledError{Reason: ErrAbandoned}
}

// Handle calls the handler for record i and returns its outcome. A panic in
// the handler is recovered as a failure with a [*PanicError] that keeps the
// stack. Custom processors call it from ProcessRecord.
//
// It is the one definition of a handler's outcome: the lifecycle's fast
// paths, which call the handler without it, write exactly what it returns
// ([handled], [panicked]).
func (b *Batch[R]) Handle(ctx context.Context, i int) (o Outcome) {
	defer func() {
		if v := recover(); v != nil {
			o = panicked(v)
		}
	}()
	return handled(b.handler(ctx, &b.Records[i]))
}

// handled is the outcome of a handler that returned err.
func handled(err error) Outcome {
	if err != nil {
		return Outcome{Status: StatusFailure, Err: err}
	}
	return Outcome{Status: StatusSuccess}
}

// panicked is the outcome of a handler that panicked with v.
func panicked(v any) Outcome { return Failure(NewPanicError(v)) }

// abandoned is the outcome of record i whose handler's goroutine ended
// without returning (runtime.Goexit).
func abandoned(i int) Outcome {
	return Outcome{Status: StatusFailure, Err: &UnhandledError{Reason: ErrAbandoned}}
}
