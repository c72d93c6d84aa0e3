package window

import (
	"errors"
	"fmt"
)

// The window errors' sentinels, matched with errors.Is.
var (
	// ErrState: the incoming state does not decode into the aggregate's
	// type, the state does not encode, or it could not be rebuilt (a
	// [*StateError]).
	ErrState = errors.New("batchkit: window state could not be decoded or encoded")
	// ErrStateTooLarge: the state to return is over the processor's limit
	// (Lambda's 1 MB, or Config.MaxStateBytes), checked before anything is
	// published: Lambda would refuse it. The error's message gives the
	// state's size and the limit. Keep the aggregate smaller (publish
	// details elsewhere and keep counts in the state) or shorten the window.
	ErrStateTooLarge = errors.New("batchkit: window state over its size limit")
	// ErrPublish: the aggregate's Publish failed or panicked on a window's
	// final invocation. The error wraps Publish's error (or a
	// [*core.PanicError]) too, for errors.Is and errors.As; the invocation
	// fails, so that Lambda retries it and the window is published again.
	ErrPublish = errors.New("batchkit: window publish failed")
)

// StateError is returned when the incoming state does not decode into S,
// the state does not encode as JSON, or the state could not be rebuilt
// after a failure (a Fold that failed on a record it had folded before). A
// panic in S's UnmarshalJSON, MarshalJSON or a rebuilding Fold is its cause,
// a [*core.PanicError] naming the place. The invocation fails and Lambda
// retries it with the same state; hooks see it.
type StateError struct {
	// Op is "decode", "encode" or "rebuild".
	Op string
	// Type is S.
	Type string
	// Err is the cause.
	Err error
}

// Error says what failed.
func (e *StateError) Error() string {
	switch e.Op {
	case "rebuild":
		return fmt.Sprintf("batchkit: window state (%s) not rebuilt: Fold failed again on a record it had folded: %v", e.Type, e.Err)
	case "encode":
		return fmt.Sprintf("batchkit: window state (%s) does not encode: %v", e.Type, e.Err)
	}
	return fmt.Sprintf("batchkit: window state does not decode into %s: %v", e.Type, e.Err)
}

// Unwrap returns the cause.
func (e *StateError) Unwrap() error { return e.Err }

// Is matches [ErrState].
func (e *StateError) Is(target error) bool { return target == ErrState }

// stateTooLarge is the error of a state of size bytes over limit: it
// matches [ErrStateTooLarge].
func stateTooLarge(size, limit int) error {
	return fmt.Errorf("%w: %d bytes, limit %d", ErrStateTooLarge, size, limit)
}

// publishFailed is the error of a Publish that returned err (or panicked,
// err a *core.PanicError): it matches [ErrPublish] and err.
func publishFailed(err error) error {
	return fmt.Errorf("%w: %w", ErrPublish, err)
}
