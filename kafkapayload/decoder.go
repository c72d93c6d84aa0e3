package kafkapayload

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"unsafe"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/validate"
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
	// over auto-detection. On a part that the event source mapping's schema
	// registry validated (it has schema metadata, see [Event]), the mapping
	// removed the framing: for Protobuf in its SOURCE record format,
	// [WireConfluent] or [WireGlue] then says which message-index prefix the
	// value still carries, and [WireAuto] detects one (see
	// docs/kafka-payloads.md).
	KeyWire, ValueWire WireFormat
	// EventRecordFormat is the event source mapping's schema registry
	// EventRecordFormat, for the parts that carry its schema metadata:
	// "JSON" (the mapping delivers them converted to JSON: a part that is
	// not JSON fails, whatever the codec), "SOURCE" (the mapping delivers
	// the producer's bytes without the framing: the codec decodes them, even
	// when they happen to be valid JSON), or "" to detect it (a part that is
	// valid JSON is taken as converted). Another value fails every record
	// with a *core.ConfigError.
	EventRecordFormat string
	// StrictHeaders fails a record whose header values (other than the
	// binary schema-id headers) are not valid UTF-8, with [ErrHeader].
	StrictHeaders bool
}

// The EventRecordFormat values.
const (
	recordFormatJSON   = "JSON"
	recordFormatSource = "SOURCE"
)

// Decode decodes r. ctx carries the event's schema metadata, if any (see
// [Event.Context] and [WithRawMetadata]). A part that does not decode
// returns a [*DecodeError]; a decoded value (or key) whose type has a
// Validate method that fails returns an error matching payload.ErrInvalid
// (see payload.Validate).
func (d *Decoder[K, V]) Decode(ctx context.Context, r *events.KafkaRecord) (*Record[K, V], error) {
	return d.decode(ctx, r, validate.Has[K](), validate.Has[V]())
}

func (d *Decoder[K, V]) decode(ctx context.Context, r *events.KafkaRecord, checkKey, checkValue bool) (*Record[K, V], error) {
	rec := &Record[K, V]{Raw: r, Headers: RecordHeaders(r), HasKey: r.Key != "", HasValue: r.Value != ""}
	if err := checkRecordFormat(d.EventRecordFormat); err != nil {
		return rec, err
	}
	if d.StrictHeaders {
		if k, bad := firstInvalidHeader(rec.Headers); bad {
			return rec, fail(r, partHeader, k, "", WireAuto, fmt.Errorf("%w: not valid UTF-8", ErrHeader))
		}
	}
	md := metadataFrom(ctx).lookup(r)
	if rec.HasKey && d.Key != nil {
		p := partSpec{name: partKey, wire: d.KeyWire, format: d.EventRecordFormat, md: md.key, mdErr: md.keyErr, idHeader: keySchemaIDHeader}
		if err := decodePart(r, p, d.Key, r.Key, &rec.Key, &rec.KeySchema, checkKey); err != nil {
			return rec, err
		}
	}
	if rec.HasValue && d.Value != nil {
		p := partSpec{name: partValue, wire: d.ValueWire, format: d.EventRecordFormat, md: md.value, mdErr: md.valueErr, idHeader: valueSchemaIDHeader}
		if err := decodePart(r, p, d.Value, r.Value, &rec.Value, &rec.ValueSchema, checkValue); err != nil {
			return rec, err
		}
	}
	return rec, nil
}

func checkRecordFormat(f string) error {
	switch f {
	case "", recordFormatJSON, recordFormatSource:
		return nil
	}
	return &core.ConfigError{Processor: "kafkapayload", Setting: "EventRecordFormat", Value: f, Problem: `want "JSON", "SOURCE" or ""`}
}

// partSpec is what decodePart needs to know about a part besides its codec.
type partSpec struct {
	name     string
	wire     WireFormat
	format   string // the mapping's EventRecordFormat
	md       *schemaMetadata
	mdErr    error
	idHeader string
}

// decodePart decodes one part into out and its schema into s, and validates
// it when check is set (validate.Has[T], which the caller may compute
// once for many records).
func decodePart[T any](r *events.KafkaRecord, p partSpec, c Codec[T], encoded string, out *T, s *Schema, check bool) error {
	format, err := safeFormat(c)
	if err != nil {
		return fail(r, p.name, "", "", p.wire, err)
	}
	if p.mdErr != nil {
		return fail(r, p.name, "", format, p.wire, fmt.Errorf("%w: %w", ErrMetadata, p.mdErr))
	}
	data := make([]byte, base64.StdEncoding.DecodedLen(len(encoded)))
	n, err := base64.StdEncoding.Decode(data, stringBytes(encoded))
	if err != nil {
		return fail(r, p.name, "", format, p.wire, fmt.Errorf("%w: %w", ErrBase64, err))
	}
	data = data[:n]
	protobuf := format == formatProtobuf
	if p.md == nil && p.wire == WireAuto && len(r.Headers) == 0 && len(data) >= 5 && data[0] == confluentMagicID {
		// The common case, Confluent's framing with a schema id and no
		// header or metadata to consult: what Unframe would find.
		*s = Schema{Wire: WireConfluent, ID: binary.BigEndian.Uint32(data[1:5])}
		body := data[5:]
		if protobuf {
			if s.Indexes, body, err = parseMessageIndexes(body); err != nil {
				return fail(r, p.name, "", format, WireConfluent, err)
			}
		}
		if *out, err = safeDecode(c, body, *s); err != nil {
			return fail(r, p.name, "", format, WireConfluent, err)
		}
		return validateIf(check, out)
	}
	var body []byte
	switch hdr, hasHdr := headerBytes(r, p.idHeader); {
	case p.md != nil && (p.format == recordFormatJSON || p.format == "" && json.Valid(data)):
		// The event source mapping converted the part to JSON (no framed
		// payload is valid JSON: framings start with byte 0, 1 or 3).
		*s = Schema{Wire: WireESMJSON}
		p.md.into(s)
		if p.format == recordFormatJSON && !json.Valid(data) {
			return fail(r, p.name, "", formatJSON, WireESMJSON, fmt.Errorf("%w: not JSON, though the event source mapping's record format is JSON", ErrFraming))
		}
		if *out, err = safeDecodeJSON(c, data); err != nil {
			return fail(r, p.name, "", formatJSON, WireESMJSON, err)
		}
		return validateIf(check, out)
	case p.md != nil:
		// SOURCE record format: the mapping removed the framing; a
		// Protobuf value may keep its message-index prefix.
		body, *s = data, Schema{Wire: WirePlain}
		if protobuf {
			if body, *s, err = sourceIndexes(data, p.wire, p.md); err != nil {
				return fail(r, p.name, "", format, s.Wire, err)
			}
		}
	case hasHdr && (p.wire == WireAuto || p.wire == WirePlain):
		hs, err := SchemaFromHeader(hdr, protobuf)
		if err != nil {
			return fail(r, partHeader, p.idHeader, format, WireHeaderID, err)
		}
		body, *s = data, hs
	default:
		body, *s, err = Unframe(data, p.wire, protobuf)
		if err != nil {
			return fail(r, p.name, "", format, s.Wire, err)
		}
		if p.wire == WireAuto && s.Wire == WirePlain && (format == formatAvro || protobuf) && looksLikeJSON(body) {
			return fail(r, p.name, "", format, WirePlain, fmt.Errorf("%w: the value is JSON, not %s", ErrFraming, format))
		}
	}
	p.md.into(s)
	if *out, err = safeDecode(c, body, *s); err != nil {
		return fail(r, p.name, "", format, s.Wire, err)
	}
	return validateIf(check, out)
}

// looksLikeJSON reports whether a payload read as plain for a binary codec
// is in fact a JSON object: a producer that wrote JSON on a topic configured
// for Avro or Protobuf.
func looksLikeJSON(b []byte) bool { return len(b) > 0 && b[0] == '{' && json.Valid(b) }

// sourceIndexes reads the message-index prefix that a Protobuf value in the
// event source mapping's SOURCE record format may still carry: the mapping
// removes the schema id, but Powertools for AWS Lambda (Python) also strips
// a Confluent message-index list it finds before the message, which is how
// such values reach functions. wire WireConfluent or WireGlue says which
// prefix is there; WireAuto detects one: a first byte below 8 would be a
// Protobuf tag of field number 0, which no message has, so it starts an index
// (the Glue form when the metadata's schemaId is a UUID, Confluent's
// otherwise).
func sourceIndexes(data []byte, wire WireFormat, md *schemaMetadata) ([]byte, Schema, error) {
	s := Schema{Wire: WirePlain}
	if wire == WireAuto && len(data) > 0 && data[0] < 8 {
		wire = WireConfluent
		if _, err := parseUUID(md.SchemaID); err == nil {
			wire = WireGlue
		}
	}
	switch wire {
	case WireConfluent:
		s.Wire = WireConfluent
		idx, rest, err := parseMessageIndexes(data)
		if err != nil {
			return nil, s, err
		}
		s.Indexes = idx
		return rest, s, nil
	case WireGlue:
		s.Wire = WireGlue
		v, k := binary.Uvarint(data)
		if k <= 0 || v > 1<<20 {
			return nil, s, fmt.Errorf("%w: AWS Glue Protobuf message index is not a varint", ErrFraming)
		}
		s.Indexes = singleIndex(int(v))
		return data[k:], s, nil
	}
	return data, s, nil
}

// parseUUID parses the 8-4-4-4-12 hex form of a UUID.
func parseUUID(text string) ([16]byte, error) {
	var u [16]byte
	if len(text) != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-' {
		return u, errors.New("not a UUID")
	}
	h := text[0:8] + text[9:13] + text[14:18] + text[19:23] + text[24:]
	if _, err := hex.Decode(u[:], []byte(h)); err != nil {
		return u, err
	}
	return u, nil
}

// stringBytes views s as bytes without copying; the bytes are only read
// (base64 decoding), never written or kept.
func stringBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

func fail(r *events.KafkaRecord, part, header, format string, wire WireFormat, err error) error {
	return &DecodeError{Part: part, Header: header, Format: format, Wire: wire, Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Err: err}
}

// safeFormat calls the codec's Format under recover.
func safeFormat[T any](c Codec[T]) (f string, err error) {
	if c == nil {
		return "", &core.ConfigError{Processor: "kafkapayload", Setting: "Codec", Value: "nil", Problem: "no codec"}
	}
	defer func() {
		if p := recover(); p != nil {
			pe := core.NewPanicError(p)
			pe.Where = "Codec.Format"
			err = pe
		}
	}()
	return c.Format(), nil
}

// safeDecode runs the codec under recover: a panic is a *core.PanicError
// whose Where is "Codec.Decode".
func safeDecode[T any](c Codec[T], payload []byte, s Schema) (v T, err error) {
	defer func() {
		if p := recover(); p != nil {
			pe := core.NewPanicError(p)
			pe.Where = "Codec.Decode"
			err = pe
		}
	}()
	return c.Decode(payload, s)
}

// safeDecodeJSON decodes a value the event source mapping converted to JSON
// with the codec's DecodeJSON, under recover.
func safeDecodeJSON[T any](c Codec[T], data []byte) (v T, err error) {
	defer func() {
		if p := recover(); p != nil {
			pe := core.NewPanicError(p)
			pe.Where = "Codec.DecodeJSON"
			err = pe
		}
	}()
	return c.DecodeJSON(data)
}

// validateIf runs [payload.Validate] when check (validate.Has[T]) is
// set. The value is validated through a copy so that v itself does not
// escape to the heap for the types that have no Validate method.
func validateIf[T any](check bool, v *T) error {
	if !check {
		return nil
	}
	c := *v
	err := payload.Validate(&c)
	*v = c
	return err
}

// Handler returns a handler for a Kafka processor that decodes each record
// with d and calls f with it. A record that does not decode or validate
// fails alone, with the [*DecodeError] or the payload.ErrInvalid error, and f
// is not called; the Kafka processor then stops the later offsets of its
// partition, as for any failure.
func (d *Decoder[K, V]) Handler(f func(ctx context.Context, rec *Record[K, V]) error) core.Handler[events.KafkaRecord] {
	checkKey, checkValue := validate.Has[K](), validate.Has[V]()
	return func(ctx context.Context, r *events.KafkaRecord) error {
		rec, err := d.decode(ctx, r, checkKey, checkValue)
		if err != nil {
			return err
		}
		return f(ctx, rec)
	}
}

// Values returns a handler that decodes each record's value with c (framing
// detected, see [WireAuto]), validates it (see payload.Validate; for a
// pointer type V too) and calls f with it; the key and headers stay in the
// record. A tombstone (no value) calls f with the zero V. Use
// [Decoder.Handler] to decode the key too, configure the framing or read the
// schema.
func Values[V any](c Codec[V], f func(ctx context.Context, value V, rec *events.KafkaRecord) error) core.Handler[events.KafkaRecord] {
	check := validate.Has[V]()
	return func(ctx context.Context, r *events.KafkaRecord) error {
		var v V
		if r.Value != "" {
			var s Schema
			md := metadataFrom(ctx).lookup(r)
			p := partSpec{name: partValue, md: md.value, mdErr: md.valueErr, idHeader: valueSchemaIDHeader}
			if err := decodePart(r, p, c, r.Value, &v, &s, check); err != nil {
				return err
			}
		}
		return f(ctx, v, r)
	}
}
