package envelope

import (
	"errors"
	"fmt"

	"github.com/batchkit/batchkit/core"
)

// The sentinels of the package's errors, matched with errors.Is.
var (
	// ErrUnwrap matches every [*UnwrapError].
	ErrUnwrap = errors.New("batchkit: record does not unwrap")
	// ErrPart matches every [*PartError].
	ErrPart = errors.New("batchkit: a payload of the record failed")
)

// UnwrapError is the error of a record that a layer could not open: the body
// is not an SNS notification, the data is not gzip, the EventBridge event has
// no detail... The record fails alone, reported by its own identifier, and
// its handler is not called. It matches [ErrUnwrap] and core.ErrDecode.
type UnwrapError struct {
	// Layer names the layer that failed, for example "SNS notification".
	Layer string
	// Depth is the layer's position, 0 for the outermost; -1 when the
	// record's own payload could not be read.
	Depth int
	// Within names the source record's payload, for example "SQS body".
	Within string
	// Err says what is wrong.
	Err error
}

// Error says which layer failed and why.
func (e *UnwrapError) Error() string {
	if e.Depth < 0 {
		return fmt.Sprintf("batchkit: %s could not be read: %v", e.Within, e.Err)
	}
	return fmt.Sprintf("batchkit: %s in the %s does not unwrap: %v", e.Layer, e.Within, e.Err)
}

// Unwrap returns what is wrong.
func (e *UnwrapError) Unwrap() error { return e.Err }

// Is matches [ErrUnwrap] and core.ErrDecode.
func (e *UnwrapError) Is(target error) bool { return target == ErrUnwrap || target == core.ErrDecode }

// PartError is the error of a record whose layer held several payloads (the
// Records of an S3 notification, the log events of a CloudWatch Logs
// record) when one of them failed: it names the payload. The payloads after
// it were not handled, and the whole source record is reported failed. It
// matches [ErrPart], and what the payload's error matches (core.ErrDecode
// when the payload did not decode).
type PartError struct {
	// Layer names the layer that held the payloads.
	Layer string
	// Depth is the layer's position, 0 for the outermost.
	Depth int
	// Index is the failed payload's position among Count.
	Index, Count int
	// Err is the payload's error.
	Err error
}

// Error says which payload failed.
func (e *PartError) Error() string {
	return fmt.Sprintf("batchkit: payload %d of %d in the %s failed: %v", e.Index+1, e.Count, e.Layer, e.Err)
}

// Unwrap returns the payload's error.
func (e *PartError) Unwrap() error { return e.Err }

// Is matches [ErrPart].
func (e *PartError) Is(target error) bool { return target == ErrPart }

// skipError is what [Skip] returns.
type skipError struct {
	reason string
	meta   any
}

func (e *skipError) Error() string { return "batchkit: nothing to handle: " + e.reason }

// Skip is what [Layer.Unwrap] returns for a record that holds nothing to
// handle, such as the S3 test event: the record succeeds without the handler
// being called, and [Config.OnSkip], if set, hears of it with reason and
// meta (what the layer read, for example *events.S3TestEvent). A layer may
// wrap the error Skip returns; any other error fails the record.
func Skip(reason string, meta any) error { return &skipError{reason: reason, meta: meta} }

// Skipped is what [Config.OnSkip] receives for a record that a layer
// skipped: it succeeded without its handler being called.
type Skipped struct {
	// Layer names the layer that skipped the record.
	Layer string
	// Reason says why, for example "s3:TestEvent" or "CONTROL_MESSAGE".
	Reason string
	// Meta is what the layer read, for example *events.S3TestEvent.
	Meta any
}
