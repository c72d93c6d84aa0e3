package batchtest

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/kafkapayload"
)

// KafkaMessage is one record of a Kafka event: where it sits and its value.
type KafkaMessage struct {
	Topic     string
	Partition int64
	Offset    int64
	// Value is the record's value; the event carries it base64-encoded, as
	// Lambda sends it. For a schema registry's framing, build it with
	// [ConfluentFrame] or [GlueFrame].
	Value string
	// Key is the record's key, base64-encoded in the event; "" is none.
	Key string
	// Headers are the record's headers, in the event in name order, each
	// value as its bytes.
	Headers map[string]string
	// KeySchema and ValueSchema hold, in their MetadataFormat and
	// MetadataID, the schema metadata the event source mapping adds when a
	// schema registry is configured on it (keySchemaMetadata,
	// valueSchemaMetadata: dataFormat and schemaId; their other fields are
	// not used); nil is none. Only [KafkaEventJSON] carries them:
	// aws-lambda-go's events.KafkaRecord has no field for them.
	KeySchema, ValueSchema *kafkapayload.Schema
}

// KafkaEvent returns a Kafka event from eventSource ("aws:kafka" for Amazon
// MSK, with a cluster ARN; "SelfManagedKafka", with bootstrap servers), its
// records grouped under "<topic>-<partition>" keys in the order given.
func KafkaEvent(eventSource string, msgs ...KafkaMessage) events.KafkaEvent {
	ev := events.KafkaEvent{EventSource: eventSource, Records: map[string][]events.KafkaRecord{}}
	switch eventSource {
	case "aws:kafka":
		ev.EventSourceARN = fmt.Sprintf("arn:aws:kafka:%s:%s:cluster/test-cluster/0f3c2b1a-aaaa-bbbb-cccc-0123456789ab-1", Region, Account)
		ev.BootstrapServers = "b-1.test-cluster.abc123.c1.kafka." + Region + ".amazonaws.com:9098"
	default:
		ev.BootstrapServers = "kafka-1.test.internal:9092,kafka-2.test.internal:9092"
	}
	for _, m := range msgs {
		key := m.Topic + "-" + strconv.FormatInt(m.Partition, 10)
		ev.Records[key] = append(ev.Records[key], events.KafkaRecord{
			Topic:         m.Topic,
			Partition:     m.Partition,
			Offset:        m.Offset,
			Timestamp:     events.MilliSecondsEpochTime{Time: time.UnixMilli(1700000000000 + m.Offset)},
			TimestampType: "CREATE_TIME",
			Key:           base64.StdEncoding.EncodeToString([]byte(m.Key)),
			Value:         base64.StdEncoding.EncodeToString([]byte(m.Value)),
			Headers:       kafkaHeaders(m.Headers),
		})
	}
	return ev
}

// kafkaHeaders returns headers as the event lists them: one single-entry
// map per header, in name order.
func kafkaHeaders(h map[string]string) []map[string]events.JSONNumberBytes {
	out := make([]map[string]events.JSONNumberBytes, 0, len(h))
	names := make([]string, 0, len(h))
	for n := range h {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		out = append(out, map[string]events.JSONNumberBytes{n: events.JSONNumberBytes(h[n])})
	}
	return out
}

// KafkaEventJSON is [KafkaEvent] as the JSON Lambda sends, with each
// message's KeySchema and ValueSchema as the record's keySchemaMetadata and
// valueSchemaMetadata, in the shape of the Lambda developer guide's
// schema-registry payloads
// (https://docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html).
// It is the event to give the Kafka adapter (or kafkapayload.Event) when a
// test needs the metadata.
func KafkaEventJSON(eventSource string, msgs ...KafkaMessage) []byte {
	type metadata struct {
		DataFormat string `json:"dataFormat"`
		SchemaID   string `json:"schemaId"`
	}
	type record struct {
		events.KafkaRecord
		KeySchemaMetadata   *metadata `json:"keySchemaMetadata,omitempty"`
		ValueSchemaMetadata *metadata `json:"valueSchemaMetadata,omitempty"`
	}
	md := func(s *kafkapayload.Schema) *metadata {
		if s == nil {
			return nil
		}
		return &metadata{DataFormat: s.MetadataFormat, SchemaID: s.MetadataID}
	}
	ev := KafkaEvent(eventSource, msgs...)
	recs := make(map[string][]record, len(ev.Records))
	at := map[string]int{}
	for _, m := range msgs {
		key := m.Topic + "-" + strconv.FormatInt(m.Partition, 10)
		i := at[key]
		at[key]++
		recs[key] = append(recs[key], record{KafkaRecord: ev.Records[key][i], KeySchemaMetadata: md(m.KeySchema), ValueSchemaMetadata: md(m.ValueSchema)})
	}
	return []byte(mustJSON(struct {
		EventSource      string              `json:"eventSource"`
		EventSourceARN   string              `json:"eventSourceArn,omitempty"`
		BootstrapServers string              `json:"bootstrapServers"`
		Records          map[string][]record `json:"records"`
	}{ev.EventSource, ev.EventSourceARN, ev.BootstrapServers, recs}))
}

// ConfluentFrame returns payload (the bytes a codec encoded, Avro, Protobuf
// or JSON) in Confluent Schema Registry's wire format: magic byte 0, the
// 4-byte big-endian schema id and, for Protobuf, the message-index list
// (zig-zag varints; pass none for a payload that is not Protobuf, 0 alone for
// the first message type, written as the single byte 0 Confluent's
// serializers write)
// (https://docs.confluent.io/platform/current/schema-registry/fundamentals/serdes-develop/index.html#wire-format).
// kafkapayload reads it back with Unframe.
//
//	value := batchtest.ConfluentFrame(42, avroBytes)
func ConfluentFrame(schemaID uint32, payload []byte, protobufIndexes ...int) []byte {
	out := []byte{0}
	out = binary.BigEndian.AppendUint32(out, schemaID)
	switch {
	case len(protobufIndexes) == 1 && protobufIndexes[0] == 0:
		out = append(out, 0)
	case len(protobufIndexes) > 0:
		out = binary.AppendVarint(out, int64(len(protobufIndexes)))
		for _, i := range protobufIndexes {
			out = binary.AppendVarint(out, int64(i))
		}
	}
	return append(out, payload...)
}

// GlueFrame returns payload in AWS Glue Schema Registry's wire format:
// header version byte 3, the compression byte (5, zlib, when compress is
// set, else 0), the 16-byte schema version id, then the payload, compressed
// when asked. The AWS Glue developer guide does not document the bytes;
// this is what AWS's serializer writes
// (github.com/awslabs/aws-glue-schema-registry,
// serializer-deserializer/.../serializers/SerializationDataEncoder.java).
// For Protobuf, payload starts with Glue's message index, as the codec
// wrote it. kafkapayload reads it back with Unframe.
func GlueFrame(schemaVersionID [16]byte, compress bool, payload []byte) []byte {
	out := []byte{3, 0}
	if compress {
		out[1] = 5
	}
	out = append(out, schemaVersionID[:]...)
	if !compress {
		return append(out, payload...)
	}
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	_, _ = zw.Write(payload)
	_ = zw.Close()
	return append(out, buf.Bytes()...)
}
