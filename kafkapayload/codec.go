package kafkapayload

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// The formats that the decoder itself reads: a Protobuf codec's values may
// carry a message index in their framing, and an Avro or Protobuf codec's
// values are never JSON.
const (
	formatJSON     = "JSON"
	formatAvro     = "AVRO"
	formatProtobuf = "PROTOBUF"
)

// Codec decodes a part's payload, its framing already removed, into a T.
// Implementations must be safe for concurrent use: partitions are decoded in
// parallel. The result may keep payload (the bytes are the record's own).
type Codec[T any] interface {
	// Format names the format in errors, in capitals as the schema
	// registries and the event source mapping's schema metadata spell it:
	// "JSON", "AVRO", "PROTOBUF", or a name of the codec's own ("STRING"
	// and "BYTES" for [String] and [Bytes]). "PROTOBUF" also makes the
	// decoder read the Protobuf message index of the framing (see
	// [Unframe]), and "AVRO" and "PROTOBUF" refuse a value that is JSON
	// under [WireAuto].
	Format() string
	// Decode decodes payload. schema is what the framing said (read-only:
	// its Indexes may be shared); a codec that checks it returns an error
	// matching [ErrSchemaMismatch] when it names another type.
	Decode(payload []byte, schema Schema) (T, error)
	// DecodeJSON decodes a part that the event source mapping's schema
	// registry integration converted to JSON (see [Decoder.EventRecordFormat]).
	// A codec without a JSON form of its own decodes it with encoding/json
	// into T (so give T json tags matching the schema's field names); a
	// Protobuf codec uses protojson.
	DecodeJSON(data []byte) (T, error)
}

// JSON returns the codec that decodes a JSON payload into a T with
// encoding/json. Confluent JSON Schema and Glue JSON framings are removed
// first.
func JSON[T any]() Codec[T] { return jsonCodec[T]{} }

type jsonCodec[T any] struct{}

func (jsonCodec[T]) Format() string { return formatJSON }

func (jsonCodec[T]) Decode(payload []byte, _ Schema) (T, error) { return decodeJSON[T](payload) }

func (jsonCodec[T]) DecodeJSON(data []byte) (T, error) { return decodeJSON[T](data) }

// decodeJSON decodes data into a T with encoding/json.
func decodeJSON[T any](data []byte) (T, error) {
	var v T
	err := json.Unmarshal(data, &v)
	return v, err
}

// String returns the codec that takes the payload as a UTF-8 string (the
// usual Kafka key). Invalid UTF-8 fails the record. A key converted to JSON
// by the event source mapping is a JSON string.
func String() Codec[string] { return stringCodec{} }

type stringCodec struct{}

func (stringCodec) Format() string { return "STRING" }

func (stringCodec) Decode(payload []byte, _ Schema) (string, error) {
	if !utf8.Valid(payload) {
		return "", fmt.Errorf("%d bytes are not valid UTF-8", len(payload))
	}
	return string(payload), nil
}

func (stringCodec) DecodeJSON(data []byte) (string, error) { return decodeJSON[string](data) }

// Bytes returns the codec that hands the payload over as it is. A part
// converted to JSON by the event source mapping is decoded with
// encoding/json (a JSON string holding base64).
func Bytes() Codec[[]byte] { return bytesCodec{} }

type bytesCodec struct{}

func (bytesCodec) Format() string { return "BYTES" }

func (bytesCodec) Decode(payload []byte, _ Schema) ([]byte, error) { return payload, nil }

func (bytesCodec) DecodeJSON(data []byte) ([]byte, error) { return decodeJSON[[]byte](data) }
