package driver

import (
	"errors"
	"fmt"
	"strings"
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

// ConfigError is a mapping setting that Lambda would reject when the event
// source mapping is created (CreateEventSourceMapping answers
// InvalidParameterValueException). The driver returns it when the template
// is read ([Template.Mappings]) or the mapping is opened or first polled,
// before any queue, stream or table is created and before anything is sent.
type ConfigError struct {
	// Mapping names the mapping ("<function>/<event>"), when known.
	Mapping string
	// Setting is the setting's name, as in an event source mapping
	// ("BatchSize", "ScalingConfig.MaximumConcurrency").
	Setting string
	// Value is the value given, as text; empty when the setting is missing.
	Value string
	// Allowed is what Lambda accepts ("1-10,000", "TRIM_HORIZON or LATEST",
	// "not set on an SQS mapping").
	Allowed string
	// Reason says what is wrong, beyond the range.
	Reason string
	// Err is the underlying error, such as a *filter.PatternError for a
	// FilterCriteria pattern; nil otherwise.
	Err error
}

// Unwrap returns the underlying error.
func (e *ConfigError) Unwrap() error { return e.Err }

// Error names the mapping, the setting, the value and what Lambda accepts.
func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString("batchkit/driver: ")
	if e.Mapping != "" {
		b.WriteString(e.Mapping + ": ")
	}
	b.WriteString("invalid " + e.Setting)
	if e.Value != "" {
		b.WriteString(" " + e.Value)
	}
	if e.Allowed != "" {
		b.WriteString(" (allowed: " + e.Allowed + ")")
	}
	if e.Reason != "" {
		b.WriteString(": " + e.Reason)
	}
	b.WriteString("; Lambda rejects this mapping, fix the setting")
	return b.String()
}

// Is matches [ErrInvalidConfig].
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

// invalid is the [*ConfigError] of a setting with a value out of range.
func invalid(setting string, value any, allowed string) *ConfigError {
	return &ConfigError{Setting: setting, Value: fmt.Sprint(value), Allowed: allowed}
}

// IsServiceError reports whether err is a failure of the Invoke API itself
// rather than of the function: a throttle (HTTP 429) or a service error (HTTP
// 5xx) answered by the emulator or an invoker as an [*InvokeError]. Lambda
// retries those without counting a retry attempt: a stream batch is invoked
// again until its records expire
// (https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html, "Before invocation").
func IsServiceError(err error) bool {
	var ie *InvokeError
	if !errors.As(err, &ie) {
		return false
	}
	return ie.StatusCode == 429 || ie.StatusCode >= 500
}
