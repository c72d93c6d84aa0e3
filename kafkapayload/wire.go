package kafkapayload

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"github.com/batchkit/batchkit/internal/inflate"
)

// WireFormat is the framing a schema registry puts around a payload.
type WireFormat uint8

// The framings. [WireAuto] detects the others from the first byte.
const (
	// WireAuto detects the framing from the bytes: magic byte 0 followed by
	// at least 4 bytes is Confluent with a schema id, magic byte 1 followed
	// by at least 16 bytes is Confluent with a schema GUID, byte 3 followed
	// by a compression byte 0 or 5 and 16 bytes is AWS Glue; anything else
	// is plain. A plain binary payload (Avro, Protobuf) that can start with
	// 0, 1 or 3 must be configured as [WirePlain].
	WireAuto WireFormat = iota
	// WirePlain is a payload without framing.
	WirePlain
	// WireConfluent is Confluent Schema Registry's framing: magic byte 0 and
	// a 4-byte big-endian schema id, or magic byte 1 and a 16-byte GUID; for
	// Protobuf the message-index list follows.
	WireConfluent
	// WireGlue is AWS Glue Schema Registry's framing: header version byte 3,
	// compression byte (0 none, 5 zlib) and the 16-byte schema version UUID.
	WireGlue
	// WireHeaderID is a plain payload whose Confluent schema id travels in
	// the __key_schema_id or __value_schema_id header. It is detected, never
	// configured.
	WireHeaderID
	// WireESMJSON is a value the event source mapping's schema registry
	// integration already converted to JSON (the record has schema
	// metadata). It is detected, never configured.
	WireESMJSON
)

// String names the framing.
func (w WireFormat) String() string {
	switch w {
	case WireAuto:
		return "auto"
	case WirePlain:
		return "plain"
	case WireConfluent:
		return "Confluent"
	case WireGlue:
		return "AWS Glue"
	case WireHeaderID:
		return "Confluent header schema id"
	case WireESMJSON:
		return "event source mapping JSON"
	}
	return "WireFormat(" + strconv.Itoa(int(w)) + ")"
}

// Framing bytes.
const (
	confluentMagicID   = 0
	confluentMagicGUID = 1
	glueHeaderVersion  = 3
	glueNoCompression  = 0
	glueZlib           = 5
)

// maxInflatedSize bounds what a zlib-compressed AWS Glue payload may inflate
// to: 6 MiB, the most a Lambda invocation's payload can hold
// (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html),
// so the most the event source mapping could deliver of the value decoded;
// a crafted record cannot exhaust the function's memory. The buffer grows
// to the bound and no further, and concurrent inflations share a
// process-wide budget (internal/inflate). Tests lower it.
var maxInflatedSize = 6 << 20

// uuidString formats a schema GUID (Confluent) or schema version id (AWS
// Glue), in the byte order it has on the wire, as 8-4-4-4-12 lowercase hex.
func uuidString(u [16]byte) string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// Schema is what the framing or the event said about a part's schema.
type Schema struct {
	// Wire is the framing found.
	Wire WireFormat
	// ID is the Confluent schema id (magic byte 0), 0 when none.
	ID uint32
	// GUID is the Confluent schema GUID (magic byte 1) or the AWS Glue schema
	// version UUID, in the byte order it has on the wire; zero when none
	// (SchemaID formats it).
	GUID [16]byte
	// Indexes locates the Protobuf message type: for Confluent the path of
	// indexes through the file's messages ([0] is the first top-level
	// message, [1, 0] the first nested message of the second), for AWS Glue
	// one index into the file's message types sorted by full name. Nil when
	// the framing has none or the format is not Protobuf. Read-only: the
	// common one-element lists are shared.
	Indexes []int
	// Compressed reports an AWS Glue payload that was zlib-compressed.
	Compressed bool
	// MetadataFormat and MetadataID are the part's schema metadata, which
	// the event source mapping adds to each record when a schema registry
	// is configured on it (keySchemaMetadata, valueSchemaMetadata:
	//
	//	"valueSchemaMetadata": {"dataFormat": "AVRO", "schemaId": "a1b2c3d4-..."}
	//
	// https://docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html):
	// its dataFormat (AVRO, PROTOBUF or JSON; in the JSON record format the
	// part is JSON whatever it says) and its schemaId as text (a number for
	// Confluent, a UUID for AWS Glue). Both are empty when the record has
	// none.
	MetadataFormat, MetadataID string
}

// SchemaID returns the schema's identifier as text: the Confluent schema id
// in decimal, the GUID or UUID, or the event source mapping's schemaId; ""
// when there is none.
func (s *Schema) SchemaID() string {
	noGUID := s.GUID == [16]byte{}
	switch {
	case s.ID == 0 && noGUID && (s.MetadataFormat != "" || s.MetadataID != ""):
		return s.MetadataID
	case s.ID != 0 || (s.Wire == WireConfluent || s.Wire == WireHeaderID) && noGUID:
		return strconv.FormatUint(uint64(s.ID), 10)
	case !noGUID:
		return uuidString(s.GUID)
	}
	return ""
}

// Unframe removes the framing of data and returns the payload and what the
// framing said. wire is the framing expected ([WireAuto] detects it);
// protobuf tells whether a Protobuf message index follows the Confluent
// schema id or starts the Glue payload. The payload aliases data unless it
// was inflated. Errors match [ErrFraming], [ErrCompression] or [ErrTooLarge].
func Unframe(data []byte, wire WireFormat, protobuf bool) ([]byte, Schema, error) {
	if wire == WireAuto {
		wire = Detect(data)
	}
	s := Schema{Wire: wire}
	switch wire {
	case WirePlain, WireHeaderID, WireESMJSON:
		return data, s, nil
	case WireConfluent:
		return unframeConfluent(data, s, protobuf)
	case WireGlue:
		return unframeGlue(data, s, protobuf)
	}
	return nil, s, fmt.Errorf("%w: unknown framing %v", ErrFraming, wire)
}

// Detect returns the framing data's first bytes announce: [WireConfluent],
// [WireGlue] or [WirePlain] (see [WireAuto]).
func Detect(data []byte) WireFormat {
	switch {
	case len(data) >= 5 && data[0] == confluentMagicID:
		return WireConfluent
	case len(data) >= 17 && data[0] == confluentMagicGUID:
		return WireConfluent
	case len(data) >= 18 && data[0] == glueHeaderVersion && (data[1] == glueNoCompression || data[1] == glueZlib):
		return WireGlue
	}
	return WirePlain
}

func unframeConfluent(data []byte, s Schema, protobuf bool) ([]byte, Schema, error) {
	rest, err := parseConfluentID(data, &s)
	if err != nil {
		return nil, s, err
	}
	if protobuf {
		s.Indexes, rest, err = parseMessageIndexes(rest)
		if err != nil {
			return nil, s, err
		}
	}
	return rest, s, nil
}

// parseConfluentID reads the magic byte and the schema id or GUID into s and
// returns the bytes after them.
func parseConfluentID(data []byte, s *Schema) ([]byte, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: Confluent payload is empty, want magic byte 0 or 1", ErrFraming)
	}
	switch data[0] {
	case confluentMagicID:
		if len(data) < 5 {
			return nil, fmt.Errorf("%w: Confluent payload has %d bytes, want at least 5 (magic byte 0 and a 4-byte schema id)", ErrFraming, len(data))
		}
		s.ID = binary.BigEndian.Uint32(data[1:5])
		return data[5:], nil
	case confluentMagicGUID:
		if len(data) < 17 {
			return nil, fmt.Errorf("%w: Confluent payload has %d bytes, want at least 17 (magic byte 1 and a 16-byte schema GUID)", ErrFraming, len(data))
		}
		copy(s.GUID[:], data[1:17])
		return data[17:], nil
	}
	return nil, fmt.Errorf("%w: Confluent magic byte is 0x%02x, want 0 (schema id) or 1 (schema GUID); is the producer using a schema registry serializer?", ErrFraming, data[0])
}

// parseMessageIndexes reads Confluent's Protobuf message-index list: a
// zig-zag varint count followed by that many zig-zag varint indexes, a count
// of 0 standing for [0].
func parseMessageIndexes(data []byte) ([]int, []byte, error) {
	n, k := binary.Varint(data)
	if k <= 0 {
		return nil, nil, fmt.Errorf("%w: Protobuf message-index count is not a varint", ErrFraming)
	}
	data = data[k:]
	if n == 0 {
		return singleIndex(0), data, nil
	}
	if n < 0 || n > int64(len(data)) {
		return nil, nil, fmt.Errorf("%w: Protobuf message-index count %d does not fit the %d bytes left", ErrFraming, n, len(data))
	}
	idx := make([]int, n)
	for i := range idx {
		v, k := binary.Varint(data)
		if k <= 0 || v < 0 || v > 1<<20 {
			return nil, nil, fmt.Errorf("%w: Protobuf message index %d is not a valid zig-zag varint", ErrFraming, i)
		}
		idx[i] = int(v)
		data = data[k:]
	}
	if n == 1 {
		idx = singleIndex(idx[0])
	}
	return idx, data, nil
}

// singleIndexes are the shared one-element index lists of the first message
// types, so that the common case decodes without allocating. They are
// read-only, like every [Schema.Indexes].
var singleIndexes = func() [][]int {
	out := make([][]int, 64)
	for i := range out {
		out[i] = []int{i}[:1:1]
	}
	return out
}()

func singleIndex(i int) []int {
	if i >= 0 && i < len(singleIndexes) {
		return singleIndexes[i]
	}
	return []int{i}
}

func unframeGlue(data []byte, s Schema, protobuf bool) ([]byte, Schema, error) {
	if len(data) < 18 {
		return nil, s, fmt.Errorf("%w: AWS Glue payload has %d bytes, want at least 18 (version, compression, 16-byte schema version id)", ErrFraming, len(data))
	}
	if data[0] != glueHeaderVersion {
		return nil, s, fmt.Errorf("%w: AWS Glue header version byte is 0x%02x, want 3; is the producer using the Glue Schema Registry serializer?", ErrFraming, data[0])
	}
	copy(s.GUID[:], data[2:18])
	payload := data[18:]
	switch data[1] {
	case glueNoCompression:
	case glueZlib:
		s.Compressed = true
		var err error
		if payload, err = inflateZlib(payload); err != nil {
			return nil, s, err
		}
	default:
		return nil, s, fmt.Errorf("%w: AWS Glue compression byte is %d, want 0 (none) or 5 (zlib)", ErrCompression, data[1])
	}
	if protobuf {
		v, k := binary.Uvarint(payload)
		if k <= 0 || v > 1<<20 {
			return nil, s, fmt.Errorf("%w: AWS Glue Protobuf message index is not a varint", ErrFraming)
		}
		s.Indexes = singleIndex(int(v))
		payload = payload[k:]
	}
	return payload, s, nil
}

func inflateZlib(data []byte) ([]byte, error) {
	r, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCompression, err)
	}
	out, err := inflate.Read(r, maxInflatedSize, 4*len(data))
	if errors.Is(err, inflate.ErrTooLarge) {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, maxInflatedSize)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCompression, err)
	}
	if err := r.Close(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCompression, err)
	}
	return out, nil
}

// The headers in which Confluent serializers configured with the header
// schema-id strategy put the schema id.
const (
	keySchemaIDHeader   = "__key_schema_id"
	valueSchemaIDHeader = "__value_schema_id"
)

// SchemaFromHeader parses a Confluent schema-id header value: magic byte 0
// and a 4-byte id, or magic byte 1 and a 16-byte GUID, followed for Protobuf
// by the message-index list when the producer wrote one. The payload it
// describes is plain ([WireHeaderID]).
func SchemaFromHeader(value []byte, protobuf bool) (Schema, error) {
	s := Schema{Wire: WireHeaderID}
	rest, err := parseConfluentID(value, &s)
	if err != nil {
		return s, err
	}
	if protobuf && len(rest) > 0 {
		if s.Indexes, rest, err = parseMessageIndexes(rest); err != nil {
			return s, err
		}
	}
	if len(rest) > 0 {
		return s, fmt.Errorf("%w: %d unexpected bytes after the schema id", ErrFraming, len(rest))
	}
	return s, nil
}
