package kafkapayload

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"unsafe"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/payload"
)

// Record is a Kafka record with its key, value and headers decoded.
type Record[K, V any] struct {
	// Key is the decoded key; the zero K when the record has no key or the
	// [Decoder] has no key codec.
	Key K
	// Value is the decoded value; the zero V for a tombstone (no value) or
	// when the [Decoder] has no value codec.
	Value V
	// HasKey and HasValue report whether the record carries a key and a
	// value (a tombstone has none; an empty value reads as none, as Lambda
	// sends both the same way).
	HasKey, HasValue bool
	// KeySchema and ValueSchema are what the framing and the event said about
	// the schemas (schema id, GUID or UUID, Protobuf message indexes,
	// metadata).
	KeySchema, ValueSchema Schema
	// Headers are the record's headers as strings.
	Headers Headers
	// Raw is the record as the event holds it; it must not be retained after
	// the handler returns.
	Raw *events.KafkaRecord
}

// Decoder decodes the parts of Kafka records. The zero value decodes nothing
// but the headers; set a codec for each part to decode. A Decoder is safe
// for concurrent use once configured.
type Decoder[K, V any] struct {
	// Key decodes the key; nil leaves it undecoded (only in Raw).
	Key Codec[K]
	// Value decodes the value; nil leaves it undecoded.
	Value Codec[V]
	// KeyWire and ValueWire are the framings expected; [WireAuto] (the zero
	// value) detects them. A Confluent schema-id header takes precedence
	// over auto-detection. A part with the event source mapping's schema
	// metadata that is valid JSON is decoded as JSON whatever the framing,
	// unless it is [WirePlain] (then the mapping's SOURCE format is
	// expected); with [WireAuto], such a part that is not JSON is taken as
	// plain, since the mapping removed the framing.
	KeyWire, ValueWire WireFormat
	// StrictHeaders fails a record whose header values (other than the
	// binary schema-id headers) are not valid UTF-8, with [ErrHeader].
	StrictHeaders bool
}

// Decode decodes r. ctx carries the event's schema metadata, if any (see
// [WithMetadata]). A part that does not decode returns a [*DecodeError]; a
// decoded value (or key) whose type has a Validate method (see
// payload.Validator) that fails returns a *payload.ValidationError.
func (d *Decoder[K, V]) Decode(ctx context.Context, r *events.KafkaRecord) (*Record[K, V], error) {
	rec := &Record[K, V]{Raw: r, Headers: RecordHeaders(r), HasKey: r.Key != "", HasValue: r.Value != ""}
	if d.StrictHeaders {
		if k, bad := firstInvalidHeader(rec.Headers); bad {
			return rec, d.fail(r, PartHeader, k, "", WireAuto, fmt.Errorf("%w: not valid UTF-8", ErrHeader))
		}
	}
	md := MetadataFromContext(ctx).Lookup(r)
	if rec.HasKey && d.Key != nil {
		if err := decodePart(d, r, PartKey, d.Key, d.KeyWire, r.Key, md.Key, KeySchemaIDHeader, &rec.Key, &rec.KeySchema, hasValidator[K]()); err != nil {
			return rec, err
		}
	}
	if rec.HasValue && d.Value != nil {
		if err := decodePart(d, r, PartValue, d.Value, d.ValueWire, r.Value, md.Value, ValueSchemaIDHeader, &rec.Value, &rec.ValueSchema, hasValidator[V]()); err != nil {
			return rec, err
		}
	}
	return rec, nil
}

// decodePart decodes one part into out and its schema into s, and validates
// it when check is set.
// check tells whether T has a Validate method (hasValidator[T], which the
// caller may compute once for many records).
func decodePart[K, V, T any](d *Decoder[K, V], r *events.KafkaRecord, part Part, c Codec[T], wire WireFormat, encoded string, md *SchemaMetadata, idHeader string, out *T, s *Schema, check bool) error {
	format := c.Format()
	data := make([]byte, base64.StdEncoding.DecodedLen(len(encoded)))
	n, err := base64.StdEncoding.Decode(data, stringBytes(encoded))
	if err != nil {
		return d.fail(r, part, "", format, wire, fmt.Errorf("%w: %w", ErrBase64, err))
	}
	data = data[:n]
	protobuf := format == FormatProtobuf
	if md == nil && wire == WireAuto && len(r.Headers) == 0 && len(data) >= 5 && data[0] == confluentMagicID {
		// The common case, Confluent's framing with a schema id and no
		// header or metadata to consult: what Unframe would find.
		*s = Schema{Wire: WireConfluent, ID: binary.BigEndian.Uint32(data[1:5])}
		payload := data[5:]
		if protobuf {
			if s.Indexes, payload, err = parseMessageIndexes(payload); err != nil {
				return d.fail(r, part, "", format, WireConfluent, err)
			}
		}
		if *out, err = safeDecode(c, payload, *s); err != nil {
			return d.fail(r, part, "", format, WireConfluent, err)
		}
		return validateIf(check, out)
	}
	var payload []byte
	switch hdr, hasHdr := headerBytes(r, idHeader); {
	case md != nil && wire != WirePlain && json.Valid(data):
		// The event source mapping converted the part to JSON (no framed
		// payload is valid JSON: framings start with byte 0, 1 or 3).
		*s = Schema{Wire: WireESMJSON, Metadata: md}
		if *out, err = safeDecodeJSON(c, data); err != nil {
			return d.fail(r, part, "", FormatJSON, WireESMJSON, err)
		}
		return validateIf(check, out)
	case md != nil && wire == WireAuto:
		// SOURCE record format: the mapping removed the framing.
		payload, *s = data, Schema{Wire: WirePlain}
	case hasHdr && (wire == WireAuto || wire == WirePlain):
		hs, err := SchemaFromHeader(hdr, protobuf)
		if err != nil {
			return d.fail(r, PartHeader, idHeader, format, WireHeaderID, err)
		}
		payload, *s = data, hs
	default:
		payload, *s, err = Unframe(data, wire, protobuf)
		if err != nil {
			return d.fail(r, part, "", format, s.Wire, err)
		}
	}
	s.Metadata = md
	if *out, err = safeDecode(c, payload, *s); err != nil {
		return d.fail(r, part, "", format, s.Wire, err)
	}
	return validateIf(check, out)
}

// stringBytes views s as bytes without copying; the bytes are only read
// (base64 decoding), never written or kept.
func stringBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

func (d *Decoder[K, V]) fail(r *events.KafkaRecord, part Part, header string, format Format, wire WireFormat, err error) error {
	return &DecodeError{Part: part, Header: header, Format: format, Wire: wire, Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Err: err}
}

// safeDecode runs the codec, turning a panic into [ErrPanic] and a failure
// into [ErrDecode] (unless it already is [ErrSchemaMismatch]).
func safeDecode[T any](c Codec[T], payload []byte, s Schema) (v T, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %w", ErrPanic, core.NewPanicError(p))
		}
	}()
	v, err = c.Decode(payload, s)
	if err != nil && !errors.Is(err, ErrSchemaMismatch) && !errors.Is(err, ErrDecode) && !errors.Is(err, ErrPanic) {
		err = fmt.Errorf("%w: %w", ErrDecode, err)
	}
	return v, err
}

// safeDecodeJSON decodes a value the event source mapping converted to JSON,
// with the codec's own JSON decoding if it has one.
func safeDecodeJSON[T any](c Codec[T], data []byte) (v T, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %w", ErrPanic, core.NewPanicError(p))
		}
	}()
	if jd, ok := c.(JSONDecoder[T]); ok {
		v, err = jd.DecodeJSON(data)
	} else {
		err = json.Unmarshal(data, &v)
	}
	if err != nil {
		err = fmt.Errorf("%w: %w", ErrDecode, err)
	}
	return v, err
}

// hasValidator reports whether *T or T has a Validate method (see
// payload.Validator).
func hasValidator[T any]() bool {
	_, ok := any((*T)(nil)).(payload.Validator)
	return ok
}

// validateIf runs the Validate method of *T or T when check (hasValidator[T])
// is set. The value is validated through a copy so that v itself does not
// escape to the heap for the types that have no Validate method.
func validateIf[T any](check bool, v *T) error {
	if !check {
		return nil
	}
	c := *v
	err := any(&c).(payload.Validator).Validate()
	*v = c
	if err != nil {
		return &payload.ValidationError{Type: fmt.Sprintf("%T", c), Err: err}
	}
	return nil
}

// Handler returns a handler for a Kafka processor that decodes each record
// with d and calls f with it. A record that does not decode or validate
// fails alone, with the [*DecodeError] or *payload.ValidationError, and f
// is not called; the Kafka processor then stops the later offsets of its
// partition, as for any failure.
func Handler[K, V any](d *Decoder[K, V], f func(ctx context.Context, rec *Record[K, V]) error) core.Handler[events.KafkaRecord] {
	return func(ctx context.Context, r *events.KafkaRecord) error {
		rec, err := d.Decode(ctx, r)
		if err != nil {
			return err
		}
		return f(ctx, rec)
	}
}

// Values returns a handler that decodes each record's value with c (framing
// detected, see [WireAuto]) and calls f with it; the key and headers stay in
// the record. A tombstone (no value) calls f with the zero V. Use [Handler]
// to decode the key too, configure the framing or read the schema.
func Values[V any](c Codec[V], f func(ctx context.Context, value V, rec *events.KafkaRecord) error) core.Handler[events.KafkaRecord] {
	d := &Decoder[struct{}, V]{Value: c}
	check := hasValidator[V]()
	return func(ctx context.Context, r *events.KafkaRecord) error {
		var v V
		if r.Value != "" {
			var s Schema
			if err := decodePart(d, r, PartValue, c, WireAuto, r.Value, MetadataFromContext(ctx).Lookup(r).Value, ValueSchemaIDHeader, &v, &s, check); err != nil {
				return err
			}
		}
		return f(ctx, v, r)
	}
}
