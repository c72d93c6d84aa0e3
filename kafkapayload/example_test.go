package kafkapayload_test

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/kafkapayload"
	"github.com/batchkit/batchkit/processors"
)

// Decode JSON values (with or without a Confluent JSON Schema framing) and
// string keys; a value that does not decode fails its record alone and stops
// the later offsets of its partition.
func ExampleDecoder_Handler() {
	type Order struct {
		ID     string `json:"id"`
		Amount int    `json:"amount"`
	}
	framed := binary.BigEndian.AppendUint32([]byte{0}, 12) // Confluent: magic 0, schema id 12
	framed = append(framed, `{"id":"o-2","amount":7}`...)
	ev := events.KafkaEvent{EventSource: "aws:kafka", Records: map[string][]events.KafkaRecord{
		"orders-0": {
			{Topic: "orders", Partition: 0, Offset: 1, Key: b64([]byte("c-1")), Value: b64([]byte(`{"id":"o-1","amount":5}`))},
			{Topic: "orders", Partition: 0, Offset: 2, Key: b64([]byte("c-1")), Value: b64(framed)},
			{Topic: "orders", Partition: 0, Offset: 3, Key: b64([]byte("c-2")), Value: b64([]byte(`not json`))},
			{Topic: "orders", Partition: 0, Offset: 4, Key: b64([]byte("c-2")), Value: b64([]byte(`{"id":"o-4","amount":1}`))},
		},
	}}
	decoder := &kafkapayload.Decoder[string, Order]{Key: kafkapayload.String(), Value: kafkapayload.JSON[Order]()}
	h := decoder.Handler(func(ctx context.Context, rec *kafkapayload.Record[string, Order]) error {
		fmt.Printf("offset %d: key %s, order %s, framing %s, schema %q\n", rec.Raw.Offset, rec.Key, rec.Value.ID, rec.ValueSchema.Wire, rec.ValueSchema.SchemaID())
		return nil
	})
	resp, err := processors.ProcessKafka(context.Background(), core.Must(processors.NewKafka(processors.Config{})), ev, h)
	out, _ := json.Marshal(resp)
	fmt.Println(string(out), err)
	// Output:
	// offset 1: key c-1, order o-1, framing plain, schema ""
	// offset 2: key c-1, order o-2, framing Confluent, schema "12"
	// {"batchItemFailures":[{"itemIdentifier":{"partition":"orders-0","offset":3}}]} <nil>
}

// The error of a record that does not decode names the part, the format,
// the framing and the offset, and matches the package's sentinels.
func ExampleDecodeError() {
	r := events.KafkaRecord{Topic: "orders", Partition: 3, Offset: 42, Value: b64([]byte{0, 0, 1})}
	d := &kafkapayload.Decoder[string, map[string]any]{Value: kafkapayload.JSON[map[string]any](), ValueWire: kafkapayload.WireConfluent}
	_, err := d.Decode(context.Background(), &r)
	var de *kafkapayload.DecodeError
	fmt.Println(errors.As(err, &de), de.Part, de.Format, de.Offset, errors.Is(err, kafkapayload.ErrFraming))
	// Output:
	// true value JSON 42 true
}

// Values is the short form when only the value matters.
func ExampleValues() {
	ev := events.KafkaEvent{Records: map[string][]events.KafkaRecord{
		"clicks-0": {{Topic: "clicks", Offset: 9, Value: b64([]byte(`{"page":"/"}`))}},
	}}
	h := kafkapayload.Values(kafkapayload.JSON[map[string]string](), func(ctx context.Context, v map[string]string, r *events.KafkaRecord) error {
		fmt.Println(r.Offset, v["page"])
		return nil
	})
	_, err := processors.ProcessKafka(context.Background(), core.Must(processors.NewKafka(processors.Config{})), ev, h)
	fmt.Println(err)
	// Output:
	// 9 /
	// <nil>
}

// With the event source mapping's schema registry integration, records carry
// valueSchemaMetadata and, in the JSON record format, values already
// converted to JSON: receive an Event and pass its Context on.
func ExampleEvent() {
	raw := `{"eventSource": "aws:kafka", "records": {"orders-0": [{"topic": "orders", "partition": 0, "offset": 5,
		"timestamp": 1764100000000, "timestampType": "CREATE_TIME",
		"value": "` + base64.StdEncoding.EncodeToString([]byte(`{"id":"o-5"}`)) + `", "headers": [],
		"valueSchemaMetadata": {"dataFormat": "AVRO", "schemaId": "a1b2c3d4-0000-4000-8000-000000000001"}}]}}`
	var ev kafkapayload.Event
	if err := json.Unmarshal([]byte(raw), &ev); err != nil {
		panic(err)
	}
	d := &kafkapayload.Decoder[string, map[string]string]{Value: kafkapayload.JSON[map[string]string]()}
	h := d.Handler(func(ctx context.Context, rec *kafkapayload.Record[string, map[string]string]) error {
		fmt.Println(rec.Value["id"], rec.ValueSchema.Wire, rec.ValueSchema.MetadataFormat, rec.ValueSchema.SchemaID())
		return nil
	})
	_, err := processors.ProcessKafka(ev.Context(context.Background()), core.Must(processors.NewKafka(processors.Config{})), ev.KafkaEvent, h)
	fmt.Println(err)
	// Output:
	// o-5 event source mapping JSON AVRO a1b2c3d4-0000-4000-8000-000000000001
	// <nil>
}

// With the Kafka Lambda adapter, WithRawMetadata gives the handlers the
// records' schema metadata and keeps the adapter's type (lambda.Start uses
// its Invoke). Here the mapping's record format is JSON: a value that is not
// JSON fails alone (offset 2), as would a record whose metadata does not
// parse (offset 3, not reached: Kafka retries the partition from offset 2).
func ExampleWithRawMetadata() {
	d := &kafkapayload.Decoder[string, map[string]string]{Value: kafkapayload.JSON[map[string]string](), EventRecordFormat: "JSON"}
	adapter := kafkapayload.WithRawMetadata(processors.KafkaHandler(core.Must(processors.NewKafka(processors.Config{})),
		d.Handler(func(ctx context.Context, rec *kafkapayload.Record[string, map[string]string]) error {
			fmt.Println(rec.Raw.Offset, rec.Value["id"], rec.ValueSchema.SchemaID())
			return nil
		})))
	rec := func(offset int, value []byte, md string) string {
		return fmt.Sprintf(`{"topic": "orders", "partition": 0, "offset": %d, "value": %q, "headers": [], "valueSchemaMetadata": %s}`,
			offset, base64.StdEncoding.EncodeToString(value), md)
	}
	md := `{"dataFormat": "AVRO", "schemaId": "17"}`
	event := `{"eventSource": "aws:kafka", "records": {"orders-0": [` +
		rec(1, []byte(`{"id":"o-1"}`), md) + `,` +
		rec(2, []byte{0x02, 0x06, 'o', '-', '2'}, md) + `,` + // raw Avro: not what the mapping delivers
		rec(3, []byte(`{"id":"o-3"}`), `{"dataFormat": 7}`) + `]}}` // metadata that does not parse
	out, err := adapter.Invoke(context.Background(), []byte(event))
	fmt.Println(string(out), err)
	// Output:
	// 1 o-1 17
	// {"batchItemFailures":[{"itemIdentifier":{"partition":"orders-0","offset":2}}]} <nil>
}

// Unframe reads a schema registry's framing by itself.
func ExampleUnframe() {
	data := append(binary.BigEndian.AppendUint32([]byte{0}, 7), 0, 0x08, 0x01) // Confluent Protobuf, index [0]
	payload, schema, err := kafkapayload.Unframe(data, kafkapayload.WireAuto, true)
	fmt.Println(payload, schema.Wire, schema.ID, schema.Indexes, err)
	// Output:
	// [8 1] Confluent 7 [0] <nil>
}

// counterCodec is a codec of the user's own: a value that is a big-endian
// uint64. Every codec decodes two forms: the producer's bytes (Decode, its
// framing removed) and the JSON the event source mapping converts a value to
// when its schema registry integration uses the JSON record format
// (DecodeJSON).
type counterCodec struct{}

func (counterCodec) Format() string { return "UINT64" }

func (counterCodec) Decode(payload []byte, _ kafkapayload.Schema) (uint64, error) {
	if len(payload) != 8 {
		return 0, fmt.Errorf("%d bytes, want 8", len(payload))
	}
	return binary.BigEndian.Uint64(payload), nil
}

func (counterCodec) DecodeJSON(data []byte) (v uint64, err error) {
	err = json.Unmarshal(data, &v)
	return v, err
}

// A codec of your own implements Codec: Format names the format in errors,
// Decode reads the producer's bytes, DecodeJSON the mapping's JSON form.
// Values without a schema registry's framing that may start with byte 0, 1
// or 3 (here a big-endian number) are configured as WirePlain, so that no
// framing is detected in them.
func ExampleCodec() {
	d := &kafkapayload.Decoder[string, uint64]{Value: counterCodec{}, ValueWire: kafkapayload.WirePlain}
	h := d.Handler(func(ctx context.Context, rec *kafkapayload.Record[string, uint64]) error {
		fmt.Println(rec.Raw.Offset, rec.Value)
		return nil
	})
	ev := events.KafkaEvent{Records: map[string][]events.KafkaRecord{
		"counters-0": {
			{Topic: "counters", Offset: 1, Value: b64(binary.BigEndian.AppendUint64(nil, 41))},
			{Topic: "counters", Offset: 2, Value: b64([]byte{1, 2})},
		},
	}}
	resp, err := processors.ProcessKafka(context.Background(), core.Must(processors.NewKafka(processors.Config{})), ev, h)
	out, _ := json.Marshal(resp)
	fmt.Println(string(out), err)
	// Output:
	// 1 41
	// {"batchItemFailures":[{"itemIdentifier":{"partition":"counters-0","offset":2}}]} <nil>
}
