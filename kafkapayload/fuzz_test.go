package kafkapayload_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/kafkapayload"
	"github.com/batchkit/batchkit/payload"
	"github.com/batchkit/batchkit/processors"
)

// FuzzUnframe checks that no bytes make the framing parsers panic, and that
// a payload they return lies within what they were given (or was inflated).
func FuzzUnframe(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 1, 0, 8}, uint8(0), true)
	f.Add(append([]byte{1}, make([]byte, 20)...), uint8(2), true)
	f.Add(glue(5, []byte("payload")), uint8(3), true)
	f.Add([]byte{3, 0}, uint8(3), false)
	f.Fuzz(func(t *testing.T, data []byte, wire uint8, protobuf bool) {
		payload, s, err := kafkapayload.Unframe(data, kafkapayload.WireFormat(wire%4), protobuf)
		if err != nil {
			return
		}
		if !s.Compressed && len(payload) > len(data) {
			t.Fatalf("payload of %d bytes from %d", len(payload), len(data))
		}
		_, _ = kafkapayload.SchemaFromHeader(data, protobuf)
	})
}

// FuzzDecoder checks that no key, value or header makes a Decoder panic.
func FuzzDecoder(f *testing.F) {
	f.Add([]byte("k"), []byte(`{"id":"o"}`), []byte{1, 2})
	f.Add([]byte{0xff}, []byte{0, 0, 0, 0, 9, '{', '}'}, []byte{0})
	d := &kafkapayload.Decoder[string, map[string]any]{Key: kafkapayload.String(), Value: kafkapayload.JSON[map[string]any](), StrictHeaders: true}
	f.Fuzz(func(t *testing.T, key, value, header []byte) {
		r := events.KafkaRecord{
			Topic: "t", Key: base64.StdEncoding.EncodeToString(key), Value: base64.StdEncoding.EncodeToString(value),
			Headers: []map[string]events.JSONNumberBytes{{"h": header}, {"__value_schema_id": header}},
		}
		_, _ = d.Decode(context.Background(), &r)
	})
}

// FuzzCodecsInvariant runs the codecs of this package (JSON with a
// validating pointer type, String, Bytes) through a Kafka processor on
// arbitrary values, with or without schema metadata, with the invariant as
// oracle: a record succeeds only when its handler ran and returned nil; a
// record the decoder refused is reported failed with a decode or validation
// error; nothing panics.
func FuzzCodecsInvariant(f *testing.F) {
	f.Add([]byte(`{"id":"o","amount":2}`), uint8(0), false)
	f.Add([]byte(`null`), uint8(0), true)
	f.Add([]byte{0, 0, 0, 0, 9, '{', '}'}, uint8(1), false)
	f.Add(glue(5, []byte(`{"id":"g","amount":1}`)), uint8(0), false)
	f.Add([]byte{0xc3, 0x28}, uint8(1), false)
	p := core.Must(processors.NewKafka(processors.Config{Options: core.Options{SuppressFullBatchError: true}}))
	f.Fuzz(func(t *testing.T, value []byte, codec uint8, withMetadata bool) {
		handled, failed := 0, 0
		result := func(n int) error {
			handled++
			if n%2 == 1 {
				failed++
				return errors.New("odd")
			}
			return nil
		}
		var h core.Handler[events.KafkaRecord]
		switch codec % 3 {
		case 0:
			h = kafkapayload.Values(kafkapayload.JSON[*order](), func(_ context.Context, o *order, _ *events.KafkaRecord) error {
				if o == nil {
					if len(value) != 0 {
						t.Fatal("a nil *order reached the handler: it was not validated")
					}
					return result(0) // a tombstone: the zero value, documented
				}
				if o.Amount <= 0 {
					t.Fatal("an invalid order reached the handler")
				}
				return result(len(o.ID))
			})
		case 1:
			h = kafkapayload.Values(kafkapayload.String(), func(_ context.Context, s string, _ *events.KafkaRecord) error { return result(len(s)) })
		case 2:
			h = kafkapayload.Values(kafkapayload.Bytes(), func(_ context.Context, b []byte, _ *events.KafkaRecord) error { return result(len(b)) })
		}
		rec := record("t", 0, 1, nil, value, "")
		if withMetadata {
			rec = rec[:1] + `"valueSchemaMetadata": {"dataFormat": "JSON", "schemaId": "1"},` + rec[1:]
		}
		var ev kafkapayload.Event
		if err := json.Unmarshal(eventJSON(map[string][]string{"t-0": {rec}}), &ev); err != nil {
			t.Fatal(err)
		}
		b := core.NewBatch(processors.KafkaRecords(ev.KafkaEvent), h)
		resp, err := core.Run(ev.Context(context.Background()), p, b)
		if err != nil {
			t.Fatal(err)
		}
		o := b.Outcomes[0]
		switch {
		case o.Status == core.StatusSuccess && (handled != 1 || failed != 0):
			t.Fatalf("record succeeded with %d handler calls, %d failed", handled, failed)
		case o.Status == core.StatusSuccess && len(resp.BatchItemFailures) != 0:
			t.Fatal("a succeeded record is reported failed")
		case o.Status != core.StatusSuccess && len(resp.BatchItemFailures) != 1:
			t.Fatal("a failed record is not reported")
		case o.Status != core.StatusSuccess && handled == 0 && !errors.Is(o.Err, core.ErrDecode) && !errors.Is(o.Err, payload.ErrInvalid):
			t.Fatalf("refused with %v, not a decode or validation error", o.Err)
		}
	})
}
