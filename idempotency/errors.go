package idempotency

import (
	"errors"
	"fmt"
	"time"

	"github.com/batchkit/batchkit/core"
)

// Sentinel errors, matched with errors.Is by the typed errors below.
var (
	// ErrInProgress matches [*InProgressError].
	ErrInProgress = errors.New("batchkit: idempotency key in progress")
	// ErrStore matches [*StoreError].
	ErrStore = errors.New("batchkit: idempotency store failed")
	// ErrKey matches [*KeyError].
	ErrKey = errors.New("batchkit: no idempotency key")
	// ErrPayloadMismatch matches [*PayloadMismatchError].
	ErrPayloadMismatch = errors.New("batchkit: idempotency payload mismatch")
	// ErrClaimLost is what [Store.Complete] and [Store.Release] return when
	// the caller no longer holds the claim (it expired and was taken).
	ErrClaimLost = errors.New("batchkit: idempotency claim lost")
)

// InProgressError fails a record whose key is claimed by another invocation
// (or by another record of the same batch) and the claim has not expired.
// The record is retried: by then the key is completed (the record is a
// duplicate) or free (it runs).
type InProgressError struct {
	// Key is the record's idempotency key.
	Key string
	// Until is when the other claim expires (zero if unknown).
	Until time.Time
}

// Error says which key and what happened.
func (e *InProgressError) Error() string {
	if e.Until.IsZero() {
		return fmt.Sprintf("batchkit: idempotency key %q in progress", e.Key)
	}
	return fmt.Sprintf("batchkit: idempotency key %q in progress until %s", e.Key, e.Until.UTC().Format(time.RFC3339))
}

// Is matches [ErrInProgress].
func (e *InProgressError) Is(target error) bool { return target == ErrInProgress }

// StoreError is a failed call to the [Store]. A failed claim fails its
// record before the handler runs; a failed release is joined to the
// handler's error.
type StoreError struct {
	// Op is "claim" or "release".
	Op string
	// Key is the record's idempotency key.
	Key string
	// Err is the store's error.
	Err error
}

// Error says which key and what happened.
func (e *StoreError) Error() string {
	return fmt.Sprintf("batchkit: idempotency %s of key %q: %v", e.Op, e.Key, e.Err)
}

// Unwrap returns the store's error.
func (e *StoreError) Unwrap() error { return e.Err }

// Is matches [ErrStore].
func (e *StoreError) Is(target error) bool { return target == ErrStore }

// KeyError fails a record whose key function (or payload function) failed,
// panicked, or returned an empty key. The handler does not run.
type KeyError struct {
	// Err is the function's error (a [*core.PanicError] for a panic).
	Err error
}

// Error says why the record has no key.
func (e *KeyError) Error() string { return fmt.Sprintf("batchkit: no idempotency key: %v", e.Err) }

// Unwrap returns the key function's error.
func (e *KeyError) Unwrap() error { return e.Err }

// Is matches [ErrKey].
func (e *KeyError) Is(target error) bool { return target == ErrKey }

// PayloadMismatchError fails a record whose key was seen (completed or in
// progress) with a different payload hash: the same key for a different
// request, which is never treated as a duplicate silently.
type PayloadMismatchError struct {
	// Key is the record's idempotency key.
	Key string
}

// Error says which key and what happened.
func (e *PayloadMismatchError) Error() string {
	return fmt.Sprintf("batchkit: idempotency key %q seen with another payload", e.Key)
}

// Is matches [ErrPayloadMismatch].
func (e *PayloadMismatchError) Is(target error) bool { return target == ErrPayloadMismatch }

// ResultDecodeError fails a duplicate whose stored result does not decode
// into the handler's result type. It matches [core.ErrDecode].
type ResultDecodeError struct {
	// Key is the record's idempotency key.
	Key string
	// Err is the JSON decoder's error.
	Err error
}

// Error says which key and what happened.
func (e *ResultDecodeError) Error() string {
	return fmt.Sprintf("batchkit: stored result of idempotency key %q: %v", e.Key, e.Err)
}

// Unwrap returns the decoder's error.
func (e *ResultDecodeError) Unwrap() error { return e.Err }

// Is matches [core.ErrDecode].
func (e *ResultDecodeError) Is(target error) bool { return target == core.ErrDecode }
