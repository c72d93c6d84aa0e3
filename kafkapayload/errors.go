package kafkapayload

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/batchkit/batchkit/core"
)

// The parts of a Kafka record, as [DecodeError.Part] names them.
const (
	partKey    = "key"
	partValue  = "value"
	partHeader = "header"
)

// Sentinel errors, matched with errors.Is on a [*DecodeError].
var (
	// ErrBase64 is returned when the event's key or value is not valid
	// standard base64, as Lambda sends it.
	ErrBase64 = errors.New("not valid base64")
	// ErrFraming is returned when the bytes do not hold the schema-registry
	// framing configured or announced by their first byte (too short, an
	// unknown magic byte, a bad message-index list), or hold JSON where a
	// binary format (Avro, Protobuf) or JSON was expected instead.
	ErrFraming = errors.New("schema registry framing is invalid")
	// ErrCompression is returned for an AWS Glue payload with an unknown
	// compression byte or a zlib stream that does not inflate.
	ErrCompression = errors.New("compressed payload does not inflate")
	// ErrTooLarge is returned when a compressed payload inflates past its
	// bound (6 MiB, see docs/kafka-payloads.md).
	ErrTooLarge = errors.New("inflated payload is too large")
	// ErrSchemaMismatch is returned by codecs when the record names a schema
	// or message type other than the one configured (a Protobuf message index
	// that is not the handler's message type, for example).
	ErrSchemaMismatch = errors.New("record's schema does not match the configured type")
	// ErrHeader is returned for a header value that is not valid UTF-8 when
	// [Decoder.StrictHeaders] is set, or a schema-id header that does not
	// parse.
	ErrHeader = errors.New("header value is invalid")
	// ErrMetadata is returned for a part whose keySchemaMetadata or
	// valueSchemaMetadata in the event does not parse: that record fails
	// alone.
	ErrMetadata = errors.New("schema metadata does not parse")
)

// DecodeError is the error of a Kafka record whose key, value or header did
// not decode. The record fails alone; it is still reported by its
// topic-partition and offset. It matches core.ErrDecode, like every decode
// error of batchkit.
type DecodeError struct {
	// Part is the part that failed: "key", "value" or "header".
	Part string
	// Header is the header's key when Part is "header".
	Header string
	// Format is the codec's format ("JSON", "AVRO", "PROTOBUF", ...; see
	// [Codec]), empty for a header.
	Format string
	// Wire is the framing used or detected when the error happened.
	Wire WireFormat
	// Topic, Partition and Offset identify the record.
	Topic     string
	Partition int64
	Offset    int64
	// Err is the cause: one of the sentinel errors of this package, the
	// codec's error, or a *core.PanicError when the codec panicked.
	Err error
}

// Error says which record and part failed, and why.
func (e *DecodeError) Error() string {
	where := e.Topic + "-" + strconv.FormatInt(e.Partition, 10) + " offset " + strconv.FormatInt(e.Offset, 10)
	part := e.Part
	if e.Part == partHeader {
		part = fmt.Sprintf("header %q", e.Header)
	}
	how := ""
	if e.Format != "" {
		how = fmt.Sprintf(" as %s (%s framing)", e.Format, e.Wire)
	}
	return fmt.Sprintf("batchkit: Kafka record %s: %s does not decode%s: %v", where, part, how, e.Err)
}

// Unwrap returns the cause.
func (e *DecodeError) Unwrap() error { return e.Err }

// Is matches core.ErrDecode.
func (e *DecodeError) Is(target error) bool { return target == core.ErrDecode }
