package driver

import (
	"errors"
	"fmt"
)

// ErrWholeBatchFailed matches, with errors.Is, every error that makes Lambda
// retry the whole batch: a [*FunctionError], an [*InvokeError] and an
// [*InvalidResponseError]. A [Batch] whose Err matches it deleted nothing
// (SQS) or is read again from its first record (streams).
var ErrWholeBatchFailed = errors.New("batchkit/driver: the whole batch failed and will be delivered again")

// FunctionError is an error returned by the function itself (the handler
// returned an error or panicked, or the emulator reported one), as Lambda's
// Invoke API reports it: an error type and message.
type FunctionError struct {
	// Type is the error type, such as "errorString" or "Runtime.ExitError".
	Type string
	// Message is the error message.
	Message string
	// Err is the Go error, for an in-process handler; nil otherwise.
	Err error
}

// Error says that the function failed and that Lambda retries the batch.
func (e *FunctionError) Error() string {
	return fmt.Sprintf("batchkit/driver: the function returned an error (%s: %s); Lambda retries the whole batch", e.Type, e.Message)
}

// Unwrap returns the in-process handler's error.
func (e *FunctionError) Unwrap() error { return e.Err }

// Is matches [ErrWholeBatchFailed].
func (e *FunctionError) Is(target error) bool { return target == ErrWholeBatchFailed }

// InvokeError is a failure to invoke the function at all: the emulator is not
// reachable, its process died mid-invocation, or it answered with an HTTP
// error. Lambda retries the whole batch, as after a crash.
type InvokeError struct {
	// StatusCode is the HTTP status of the emulator's answer, or 0 when there
	// was none.
	StatusCode int
	// Body is the emulator's answer, if any.
	Body []byte
	// Err is the transport error, if any.
	Err error
}

// Error says what failed and what to check.
func (e *InvokeError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("batchkit/driver: invoking the function failed (is the emulator running?): %v", e.Err)
	}
	return fmt.Sprintf("batchkit/driver: the emulator answered HTTP %d: %s", e.StatusCode, truncate(e.Body))
}

// Unwrap returns the transport error.
func (e *InvokeError) Unwrap() error { return e.Err }

// Is matches [ErrWholeBatchFailed].
func (e *InvokeError) Is(target error) bool { return target == ErrWholeBatchFailed }

// InvalidResponseError is a partial batch response that Lambda rejects: not
// JSON, not an object, a batchItemFailures that is not a list, or an
// itemIdentifier that is missing, empty, not a string or not an identifier of
// the batch. Lambda then treats the whole batch as failed.
type InvalidResponseError struct {
	// Response is the function's response.
	Response []byte
	// Reason says what is wrong with it.
	Reason string
}

// Error says why Lambda rejects the response.
func (e *InvalidResponseError) Error() string {
	return fmt.Sprintf("batchkit/driver: invalid partial batch response (%s), so Lambda fails the whole batch; the function must return {\"batchItemFailures\":[{\"itemIdentifier\":\"<id of a record of the batch>\"}]}: %s", e.Reason, truncate(e.Response))
}

// Is matches [ErrWholeBatchFailed].
func (e *InvalidResponseError) Is(target error) bool { return target == ErrWholeBatchFailed }

func truncate(b []byte) string {
	const max = 300
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}

// ErrInvalidConfig matches, with errors.Is, every [*ConfigError].
var ErrInvalidConfig = errors.New("batchkit/driver: invalid event source mapping setting")

// ConfigError is a mapping setting that Lambda would reject.
type ConfigError struct {
	// Setting is the setting's name, as in an event source mapping.
	Setting string
	// Reason says what is wrong with it.
	Reason string
}

// Error names the setting and says what Lambda accepts.
func (e *ConfigError) Error() string {
	return fmt.Sprintf("batchkit/driver: invalid %s: %s (Lambda rejects this mapping; fix the setting)", e.Setting, e.Reason)
}

// Is matches [ErrInvalidConfig].
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }
