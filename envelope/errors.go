package envelope

import (
	"errors"
	"fmt"

	"github.com/batchkit/batchkit/core"
)

// The sentinels of the package's errors, matched with errors.Is.
var (
	// ErrUnwrap matches an [*UnwrapError] of a layer that could not open
	// the record.
	ErrUnwrap = errors.New("batchkit: record does not unwrap")
	// ErrPart matches an [*UnwrapError] of a payload that failed among the
	// several a layer held.
	ErrPart = errors.New("batchkit: a payload of the record failed")
)

// UnwrapError is the error of a record whose envelope failed it, in one of
// two ways.
//
// A layer could not open the record (Count is 0): the body is not an SNS
// notification, the data is not gzip, the EventBridge event has no
// detail... The record fails alone, reported by its own identifier, and its
// handler is not called. The error matches [ErrUnwrap] and core.ErrDecode.
//
// Or the layer held several payloads (the Records of an S3 notification,
// the log events of a CloudWatch Logs record) and one of them failed (Count
// is their number, Index the failed one's position, Err its error: the
// handler's, or the payload's decoding or validation error). The payloads
// after it were not handled, and the whole source record is reported failed.
// The error matches [ErrPart], and what the payload's error matches
// (core.ErrDecode when the payload did not decode).
type UnwrapError struct {
	// Layer names the layer, for example "SNS notification".
	Layer string
	// Depth is the layer's position, 0 for the outermost; -1 when the
	// record's own payload could not be read.
	Depth int
	// Within names the source record's payload, for example "SQS body".
	Within string
	// Index is the failed payload's position among Count, when Count > 0.
	Index, Count int
	// Err says what is wrong, or is the failed payload's error.
	Err error
}

// Error says which layer or payload failed and why.
func (e *UnwrapError) Error() string {
	switch {
	case e.Count > 0:
		return fmt.Sprintf("batchkit: payload %d of %d in the %s failed: %v", e.Index+1, e.Count, e.Layer, e.Err)
	case e.Depth < 0:
		return fmt.Sprintf("batchkit: %s could not be read: %v", e.Within, e.Err)
	}
	return fmt.Sprintf("batchkit: %s in the %s does not unwrap: %v", e.Layer, e.Within, e.Err)
}

// Unwrap returns what is wrong, or the failed payload's error.
func (e *UnwrapError) Unwrap() error { return e.Err }

// Is matches [ErrPart] for a failed payload (Count > 0), else [ErrUnwrap]
// and core.ErrDecode.
func (e *UnwrapError) Is(target error) bool {
	if e.Count > 0 {
		return target == ErrPart
	}
	return target == ErrUnwrap || target == core.ErrDecode
}

// skipError is what [Skip] returns.
type skipError struct {
	reason string
	meta   any
}

func (e *skipError) Error() string { return "batchkit: nothing to handle: " + e.reason }

// Skip is what [Layer.Unwrap] returns for a record that holds nothing to
// handle, such as the S3 test event: the record succeeds without the handler
// being called, and [Config.OnSkip], if set, hears of it with reason, and
// with meta (what the layer read, for example *events.S3TestEvent) as the
// Meta of the last of its [Meta.Layers]. A layer may wrap the error Skip
// returns; any other error fails the record.
func Skip(reason string, meta any) error { return &skipError{reason: reason, meta: meta} }
