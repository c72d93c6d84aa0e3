package window

import (
	"errors"
	"fmt"
)

// The window errors' sentinels, matched with errors.Is.
var (
	// ErrState: the incoming state does not decode into the aggregate's
	// type, the state does not encode, or it could not be rebuilt.
	ErrState = errors.New("batchkit: window state could not be decoded or encoded")
	// ErrStateTooLarge: the state to return is over the limit.
	ErrStateTooLarge = errors.New("batchkit: window state over its size limit")
	// ErrPublish: the aggregate's Publish failed.
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

// StateTooLargeError is returned, before anything is published, when the
// state to return is over the processor's limit (Lambda's 1 MB): Lambda
// would refuse it. The invocation fails; keep the aggregate smaller
// (publish details elsewhere and keep counts in the state) or shorten the
// window.
type StateTooLargeError struct {
	// Size is the state's JSON size.
	Size int
	// Limit is the processor's limit.
	Limit int
}

// Error says how large the state is.
func (e *StateTooLargeError) Error() string {
	return fmt.Sprintf("batchkit: window state of %d bytes over the limit of %d", e.Size, e.Limit)
}

// Is matches [ErrStateTooLarge].
func (e *StateTooLargeError) Is(target error) bool { return target == ErrStateTooLarge }

// PublishError is returned when [Aggregate].Publish fails or panics on a
// window's final invocation: the invocation fails, so that Lambda retries
// it and the window is published again.
type PublishError struct {
	// Err is Publish's error, or a [*core.PanicError].
	Err error
}

// Error says that the window was not published.
func (e *PublishError) Error() string {
	return fmt.Sprintf("batchkit: window publish failed: %v", e.Err)
}

// Unwrap returns Publish's error.
func (e *PublishError) Unwrap() error { return e.Err }

// Is matches [ErrPublish].
func (e *PublishError) Is(target error) bool { return target == ErrPublish }
