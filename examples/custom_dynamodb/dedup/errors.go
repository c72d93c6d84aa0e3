package dedup

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors, matched with errors.Is by the typed errors below.
var (
	// ErrInProgress: another invocation holds the record's key.
	ErrInProgress = errors.New("dedup: key in progress elsewhere")
	// ErrStore: a DynamoDB call failed.
	ErrStore = errors.New("dedup: DynamoDB call failed")
	// ErrKey: the record's key could not be derived.
	ErrKey = errors.New("dedup: no key for record")
)

// InProgressError is the error of a record whose key is claimed by another
// invocation (or by an earlier record of the same batch running
// concurrently) and the claim has not expired. The record is reported
// failed, so Lambda delivers it again: by then the key is completed (the
// record is a duplicate) or released (it runs).
type InProgressError struct {
	// Key is the record's deduplication key.
	Key string
	// Until is when the other claim expires (zero if unknown).
	Until time.Time
}

func (e *InProgressError) Error() string {
	until := "an unknown time"
	if !e.Until.IsZero() {
		until = e.Until.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("dedup: key %q is being processed by another invocation (claim expires at %s); the record is reported failed and will be retried", e.Key, until)
}

// Is matches [ErrInProgress].
func (e *InProgressError) Is(target error) bool { return target == ErrInProgress }

// StoreError is a failed DynamoDB call. A failed claim fails only its
// record (before the handler runs); a failed release is joined to the
// handler's error (the claim then blocks retries until it expires).
type StoreError struct {
	// Op is "claim" or "release".
	Op string
	// Key is the record's deduplication key.
	Key string
	// Table is the table's name.
	Table string
	// Err is the DynamoDB client's error.
	Err error
}

func (e *StoreError) Error() string {
	what := "the record is reported failed and will be retried; check the table name, the function's permissions and DynamoDB's availability"
	if e.Op == "release" {
		what = "the claim blocks retries of this key until it expires"
	}
	return fmt.Sprintf("dedup: DynamoDB %s of key %q in table %q failed: %v; %s", e.Op, e.Key, e.Table, e.Err, what)
}

// Unwrap returns the DynamoDB client's error.
func (e *StoreError) Unwrap() error { return e.Err }

// Is matches [ErrStore].
func (e *StoreError) Is(target error) bool { return target == ErrStore }

// KeyError is the error of a record whose key function failed or returned
// an empty key. The handler does not run.
type KeyError struct {
	// Position is the record's index in the batch.
	Position int
	// Err is the key function's error.
	Err error
}

func (e *KeyError) Error() string {
	return fmt.Sprintf("dedup: record %d has no deduplication key: %v; fix the record or Config.Key", e.Position, e.Err)
}

// Unwrap returns the key function's error.
func (e *KeyError) Unwrap() error { return e.Err }

// Is matches [ErrKey].
func (e *KeyError) Is(target error) bool { return target == ErrKey }
