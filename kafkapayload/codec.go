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
// parallel. The result may keep payload (the bytes are the record's own).
type Codec[T any] interface {
	// Format names the format in errors; [FormatProtobuf] also makes
	// [Unframe] read the Protobuf message index.
	Format() Format
	// Decode decodes payload. schema is what the framing said (read-only:
	// its Indexes may be shared); a codec that checks it returns an error
	// matching [ErrSchemaMismatch] when it names another type.
	Decode(payload []byte, schema Schema) (T, error)
}

// JSONDecoder is implemented by codecs that decode the value the event source
// mapping converted to JSON themselves (Protobuf with protojson); others get
// it decoded with encoding/json into T, so give T json tags matching the
// schema's field names.
type JSONDecoder[T any] interface {
	// DecodeJSON decodes the JSON form of a part into a T.
	DecodeJSON(data []byte) (T, error)
}

// JSON returns the codec that decodes a JSON payload into a T with
// encoding/json. Confluent JSON Schema and Glue JSON framings are removed
// first.
func JSON[T any]() Codec[T] { return jsonCodec[T]{} }

type jsonCodec[T any] struct{}

func (jsonCodec[T]) Format() Format { return FormatJSON }

func (jsonCodec[T]) Decode(payload []byte, _ Schema) (T, error) {
	var v T
	err := json.Unmarshal(payload, &v)
	return v, err
}

// String returns the codec that takes the payload as a UTF-8 string (the
// usual Kafka key). Invalid UTF-8 fails the record.
func String() Codec[string] { return stringCodec{} }

type stringCodec struct{}

func (stringCodec) Format() Format { return FormatString }

func (stringCodec) Decode(payload []byte, _ Schema) (string, error) {
	if !utf8.Valid(payload) {
		return "", fmt.Errorf("%d bytes are not valid UTF-8", len(payload))
	}
	return string(payload), nil
}

// Bytes returns the codec that hands the payload over as it is.
func Bytes() Codec[[]byte] { return bytesCodec{} }

type bytesCodec struct{}

func (bytesCodec) Format() Format { return FormatBytes }

func (bytesCodec) Decode(payload []byte, _ Schema) ([]byte, error) { return payload, nil }
