package kafkapayload

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
)

// schemaMetadata is a record's keySchemaMetadata or valueSchemaMetadata,
// which the event source mapping adds when a schema registry is configured
// on it; [Schema] holds it as MetadataFormat and MetadataID.
type schemaMetadata struct {
	DataFormat string `json:"dataFormat"`
	SchemaID   string `json:"schemaId"`
}

// into writes md (nil: none) into s.
func (md *schemaMetadata) into(s *Schema) {
	if md != nil {
		s.MetadataFormat, s.MetadataID = md.DataFormat, md.SchemaID
	}
}

// recordRef names a Kafka record in an event.
type recordRef struct {
	topic     string
	partition int64
	offset    int64
}

// recordMetadata is the schema metadata of one record's key and value; a
// nil field means the record has none for that part, a non-nil error that
// the part's metadata did not parse (the record then fails alone when that
// part is decoded).
type recordMetadata struct {
	key, value       *schemaMetadata
	keyErr, valueErr error
}

// metadataIndex holds the schema metadata of the records of one event that
// have any. The zero value and nil are empty.
type metadataIndex map[recordRef]recordMetadata

// lookup returns the metadata of r; the zero recordMetadata when none.
func (m metadataIndex) lookup(r *events.KafkaRecord) recordMetadata {
	if len(m) == 0 {
		return recordMetadata{}
	}
	return m[recordRef{topic: r.Topic, partition: r.Partition, offset: r.Offset}]
}

// parseMetadata reads the keySchemaMetadata and valueSchemaMetadata of every
// record of a raw Kafka event (the JSON Lambda sends), which
// events.KafkaRecord does not keep. It returns nil, without parsing, when
// the event mentions no schema metadata. A record's metadata that does not
// parse is kept as an error for that record and part alone; a record whose
// topic, partition or offset does not parse is left out (the processor fails
// it as a record that does not decode), and an event that does not parse
// gives nil (the processor refuses it).
func parseMetadata(raw []byte) metadataIndex {
	if !bytes.Contains(raw, []byte("SchemaMetadata")) {
		return nil
	}
	// One pass: every field is kept raw, so that no value of the wrong
	// type fails the whole event; each record's fields are read after.
	var ev struct {
		Records map[string][]struct {
			Topic     json.RawMessage `json:"topic"`
			Partition json.RawMessage `json:"partition"`
			Offset    json.RawMessage `json:"offset"`
			Key       json.RawMessage `json:"keySchemaMetadata"`
			Value     json.RawMessage `json:"valueSchemaMetadata"`
		} `json:"records"`
	}
	if json.Unmarshal(raw, &ev) != nil {
		return nil
	}
	var idx metadataIndex
	for _, k := range slices.Sorted(maps.Keys(ev.Records)) {
		for _, r := range ev.Records[k] {
			if r.Key == nil && r.Value == nil {
				continue
			}
			var ref recordRef
			var err1, err2, err3 error
			if r.Topic == nil {
				// As the processor does, a record without a topic
				// belongs to the "<topic>-<partition>" key holding it.
				i := strings.LastIndexByte(k, '-')
				if i < 0 {
					continue
				}
				ref.topic = k[:i]
				ref.partition, err1 = strconv.ParseInt(k[i+1:], 10, 64)
			} else {
				err1 = json.Unmarshal(r.Topic, &ref.topic)
				ref.partition, err2 = strconv.ParseInt(string(r.Partition), 10, 64)
			}
			ref.offset, err3 = strconv.ParseInt(string(r.Offset), 10, 64)
			if err1 != nil || err2 != nil || err3 != nil {
				// The processor fails a record it cannot identify; its
				// metadata must not land on another record.
				continue
			}
			var md recordMetadata
			md.key, md.keyErr = parseSchemaMetadata(r.Key)
			md.value, md.valueErr = parseSchemaMetadata(r.Value)
			if md == (recordMetadata{}) {
				continue
			}
			if idx == nil {
				idx = make(metadataIndex)
			}
			idx[ref] = md
		}
	}
	return idx
}

// parseSchemaMetadata decodes one keySchemaMetadata or valueSchemaMetadata
// field: an object with string dataFormat and schemaId.
func parseSchemaMetadata(raw json.RawMessage) (*schemaMetadata, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	md := new(schemaMetadata)
	if err := json.Unmarshal(raw, md); err != nil {
		return nil, err
	}
	return md, nil
}

type metadataKey struct{}

// withMetadata returns a context that carries idx to the [Decoder]s of the
// handlers run with it (core passes the context on to every handler). With
// an empty idx it returns ctx.
func withMetadata(ctx context.Context, idx metadataIndex) context.Context {
	if len(idx) == 0 {
		return ctx
	}
	return context.WithValue(ctx, metadataKey{}, idx)
}

// metadataFrom returns the index attached by withMetadata, or nil.
func metadataFrom(ctx context.Context) metadataIndex {
	idx, _ := ctx.Value(metadataKey{}).(metadataIndex)
	return idx
}

// Event is a Kafka event that also keeps each record's schema metadata. Use
// it as the Lambda handler's event type instead of events.KafkaEvent when the
// event source mapping has a schema registry, and pass
// [Event.Context] to the processor:
//
//	func handler(ctx context.Context, event kafkapayload.Event) (core.Response, error) {
//		return processors.ProcessKafka(event.Context(ctx), processor, event.KafkaEvent, h)
//	}
//
// With the Kafka Lambda adapter, use [WithRawMetadata] instead.
type Event struct {
	events.KafkaEvent
	metadata metadataIndex
}

// UnmarshalJSON decodes a Kafka event and its records' schema metadata. A
// record whose metadata does not parse fails alone when decoded (see
// [ErrMetadata]).
func (e *Event) UnmarshalJSON(data []byte) error {
	if err := json.Unmarshal(data, &e.KafkaEvent); err != nil {
		return err
	}
	e.metadata = parseMetadata(data)
	return nil
}

// Context returns ctx carrying the event's schema metadata to the
// [Decoder]s of the handlers run with it.
func (e *Event) Context(ctx context.Context) context.Context { return withMetadata(ctx, e.metadata) }

// WithRawMetadata wraps the Kafka Lambda adapter so that the handlers it runs
// see the records' schema metadata, keeping its type (and so its Invoke,
// which lambda.Start prefers):
//
//	lambda.Start(kafkapayload.WithRawMetadata(processors.KafkaHandler(processor, decoder.Handler(handle))))
//
// An event that mentions no schema metadata goes to h as it is, without a
// second reading. Otherwise the metadata is read once per invocation and
// reaches the decoders through the context; a record whose metadata does
// not parse fails alone, with a [*DecodeError] matching [ErrMetadata], when
// its part is decoded.
func WithRawMetadata[Resp any](h core.LambdaHandler[Resp]) core.LambdaHandler[Resp] {
	return func(ctx context.Context, raw json.RawMessage) (Resp, error) {
		return h(withMetadata(ctx, parseMetadata(raw)), raw)
	}
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
