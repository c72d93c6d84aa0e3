package kafkapayload

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Format names a payload format.
type Format string

// The formats of the codecs of this package and of the kafkacodec module.
const (
	FormatJSON     Format = "JSON"
	FormatAvro     Format = "AVRO"
	FormatProtobuf Format = "PROTOBUF"
	FormatString   Format = "STRING"
	FormatBytes    Format = "BYTES"
)

// Codec decodes a part's payload, its framing already removed, into a T.
// Implementations must be safe for concurrent use: partitions are decoded in
// parallel. Decode may keep payload in out (the bytes are the record's own).
type Codec[T any] interface {
	// Format names the format in errors; [FormatProtobuf] also makes
	// [Unframe] read the Protobuf message index.
	Format() Format
	// Decode decodes payload into out. schema is what the framing said; a
	// codec that checks it returns an error matching [ErrSchemaMismatch]
	// when it names another type.
	Decode(payload []byte, schema *Schema, out *T) error
}

// JSONDecoder is implemented by codecs that decode the value the event source
// mapping converted to JSON themselves (Protobuf with protojson); others get
// it decoded with encoding/json into T, so give T json tags matching the
// schema's field names.
type JSONDecoder[T any] interface {
	DecodeJSON(data []byte, out *T) error
}

// JSON returns the codec that decodes a JSON payload into a T with
// encoding/json. Confluent JSON Schema and Glue JSON framings are removed
// first.
func JSON[T any]() Codec[T] { return jsonCodec[T]{} }

type jsonCodec[T any] struct{}

func (jsonCodec[T]) Format() Format { return FormatJSON }

func (jsonCodec[T]) Decode(payload []byte, _ *Schema, out *T) error {
	return json.Unmarshal(payload, out)
}

// String returns the codec that takes the payload as a UTF-8 string (the
// usual Kafka key). Invalid UTF-8 fails the record.
func String() Codec[string] { return stringCodec{} }

type stringCodec struct{}

func (stringCodec) Format() Format { return FormatString }

func (stringCodec) Decode(payload []byte, _ *Schema, out *string) error {
	if !utf8.Valid(payload) {
		return fmt.Errorf("%d bytes are not valid UTF-8", len(payload))
	}
	*out = string(payload)
	return nil
}

// Bytes returns the codec that hands the payload over as it is.
func Bytes() Codec[[]byte] { return bytesCodec{} }

type bytesCodec struct{}

func (bytesCodec) Format() Format { return FormatBytes }

func (bytesCodec) Decode(payload []byte, _ *Schema, out *[]byte) error {
	*out = payload
	return nil
}
