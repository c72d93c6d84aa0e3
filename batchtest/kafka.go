package batchtest

import (
	"encoding/base64"
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
	// Lambda sends it. For a schema registry's framing, give it the bytes
	// your producer's serializer writes (string(b)).
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
	// not used); nil is none.
	KeySchema, ValueSchema *kafkapayload.Schema
}

// KafkaEvent returns a Kafka event from eventSource ("aws:kafka" for Amazon
// MSK, with a cluster ARN; "SelfManagedKafka", with bootstrap servers), its
// records grouped under "<topic>-<partition>" keys in the order given, as
// the JSON Lambda sends, in the shape of the Lambda developer guide's
// payloads
// (https://docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html):
// each message's KeySchema and ValueSchema are the record's
// keySchemaMetadata and valueSchemaMetadata. It is JSON, not an
// events.KafkaEvent, because aws-lambda-go's KafkaRecord has no field for
// that metadata: give it to the Kafka adapter (or batchtest's Invoke) as it
// is, or json.Unmarshal it into an events.KafkaEvent (or a
// kafkapayload.Event, which keeps the metadata) for a typed entry.
//
//	resp, err := processors.KafkaHandler(p, h)(ctx, batchtest.KafkaEvent("aws:kafka",
//		batchtest.KafkaMessage{Topic: "orders", Offset: 7, Value: `{"id":"o-1"}`}))
func KafkaEvent(eventSource string, msgs ...KafkaMessage) []byte {
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
	ev := kafkaEvent(eventSource, msgs...)
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

// kafkaEvent returns the event as aws-lambda-go types it (no schema
// metadata).
func kafkaEvent(eventSource string, msgs ...KafkaMessage) events.KafkaEvent {
	ev := events.KafkaEvent{EventSource: eventSource, Records: map[string][]events.KafkaRecord{}}
	switch eventSource {
	case "aws:kafka":
		ev.EventSourceARN = fmt.Sprintf("arn:aws:kafka:%s:%s:cluster/test-cluster/0f3c2b1a-aaaa-bbbb-cccc-0123456789ab-1", region, account)
		ev.BootstrapServers = "b-1.test-cluster.abc123.c1.kafka." + region + ".amazonaws.com:9098"
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
