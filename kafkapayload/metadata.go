package kafkapayload

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-lambda-go/events"
)

// SchemaMetadata is a record's keySchemaMetadata or valueSchemaMetadata,
// which the event source mapping adds when a schema registry is configured
// on it:
//
//	"valueSchemaMetadata": {"dataFormat": "AVRO", "schemaId": "a1b2c3d4-..."}
//
// In the JSON record format the part is already JSON, whatever DataFormat
// says.
type SchemaMetadata struct {
	// DataFormat is the registry's format: AVRO, PROTOBUF or JSON.
	DataFormat string `json:"dataFormat"`
	// SchemaID is the registry's schema id (a number for Confluent, a UUID
	// for AWS Glue), as text.
	SchemaID string `json:"schemaId"`
}

// RecordRef names a Kafka record in an event.
type RecordRef struct {
	Topic     string
	Partition int64
	Offset    int64
}

// RecordMetadata is the schema metadata of one record's key and value; a nil
// field means the record has none for that part.
type RecordMetadata struct {
	Key   *SchemaMetadata
	Value *SchemaMetadata
}

// MetadataIndex holds the schema metadata of the records of one event that
// have any. The zero value and nil are empty.
type MetadataIndex map[RecordRef]RecordMetadata

// Lookup returns the metadata of r; the zero RecordMetadata when none.
func (m MetadataIndex) Lookup(r *events.KafkaRecord) RecordMetadata {
	if len(m) == 0 {
		return RecordMetadata{}
	}
	return m[RecordRef{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset}]
}

// metadataRecord is the part of a record ParseMetadata reads.
type metadataRecord struct {
	Topic               string          `json:"topic"`
	Partition           int64           `json:"partition"`
	Offset              int64           `json:"offset"`
	KeySchemaMetadata   *SchemaMetadata `json:"keySchemaMetadata"`
	ValueSchemaMetadata *SchemaMetadata `json:"valueSchemaMetadata"`
}

// ParseMetadata reads the keySchemaMetadata and valueSchemaMetadata of every
// record of a raw Kafka event (the JSON Lambda sends), which
// events.KafkaRecord does not keep. It returns nil, without parsing, when
// the event mentions no schema metadata. A raw-bytes Kafka entry calls it
// and attaches the result with [WithMetadata].
func ParseMetadata(raw []byte) (MetadataIndex, error) {
	if !bytes.Contains(raw, []byte("SchemaMetadata")) {
		return nil, nil
	}
	var ev struct {
		Records map[string][]metadataRecord `json:"records"`
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, err
	}
	var idx MetadataIndex
	for _, k := range slices.Sorted(maps.Keys(ev.Records)) {
		for _, r := range ev.Records[k] {
			if r.KeySchemaMetadata == nil && r.ValueSchemaMetadata == nil {
				continue
			}
			if idx == nil {
				idx = make(MetadataIndex)
			}
			idx[RecordRef{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset}] = RecordMetadata{Key: r.KeySchemaMetadata, Value: r.ValueSchemaMetadata}
		}
	}
	return idx, nil
}

type metadataKey struct{}

// WithMetadata returns a context that carries idx to the [Decoder]s of the
// handlers run with it (core passes the context on to every handler). With
// an empty idx it returns ctx.
func WithMetadata(ctx context.Context, idx MetadataIndex) context.Context {
	if len(idx) == 0 {
		return ctx
	}
	return context.WithValue(ctx, metadataKey{}, idx)
}

// MetadataFromContext returns the index attached by [WithMetadata], or nil.
func MetadataFromContext(ctx context.Context) MetadataIndex {
	idx, _ := ctx.Value(metadataKey{}).(MetadataIndex)
	return idx
}

// Event is a Kafka event that also keeps each record's schema metadata. Use
// it as the Lambda handler's event type instead of events.KafkaEvent when the
// event source mapping has a schema registry, and pass
// [Event.Context] to the processor:
//
//	func handler(ctx context.Context, event kafkapayload.Event) (core.Response, error) {
//		resp, err := processors.ProcessKafka(event.Context(ctx), processor, event.KafkaEvent, h)
//		return resp, err
//	}
type Event struct {
	events.KafkaEvent
	// Metadata is the schema metadata of the records that have some.
	Metadata MetadataIndex
}

// UnmarshalJSON decodes a Kafka event and its records' schema metadata.
func (e *Event) UnmarshalJSON(data []byte) error {
	if err := json.Unmarshal(data, &e.KafkaEvent); err != nil {
		return err
	}
	idx, err := ParseMetadata(data)
	e.Metadata = idx
	return err
}

// Context returns ctx carrying the event's schema metadata (see
// [WithMetadata]).
func (e *Event) Context(ctx context.Context) context.Context { return WithMetadata(ctx, e.Metadata) }

// WithRawMetadata wraps a raw-bytes Lambda entry, such as the Kafka adapter
// that runs a processor on the event's JSON, so that the handlers it runs see
// the records' schema metadata (see [WithMetadata]):
//
//	lambda.Start(kafkapayload.WithRawMetadata(rawKafkaEntry))
//
// An event whose schema metadata does not parse returns an error before the
// entry runs: nothing is handled and Lambda retries the batch.
func WithRawMetadata[R any](entry func(context.Context, json.RawMessage) (R, error)) func(context.Context, json.RawMessage) (R, error) {
	return func(ctx context.Context, raw json.RawMessage) (R, error) {
		idx, err := ParseMetadata(raw)
		if err != nil {
			var zero R
			return zero, fmt.Errorf("batchkit: Kafka event's keySchemaMetadata/valueSchemaMetadata do not parse (want {\"dataFormat\": ..., \"schemaId\": ...}): %w", err)
		}
		return entry(WithMetadata(ctx, idx), raw)
	}
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
