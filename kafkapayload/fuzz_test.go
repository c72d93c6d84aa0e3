package kafkapayload_test

import (
	"context"
	"encoding/base64"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/kafkapayload"
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
			Headers: []map[string]events.JSONNumberBytes{{"h": header}, {kafkapayload.ValueSchemaIDHeader: header}},
		}
		_, _ = d.Decode(context.Background(), &r)
	})
}
