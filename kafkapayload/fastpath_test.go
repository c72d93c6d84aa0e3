package kafkapayload_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/kafkapayload"
)

// TestConfluentFastPathMatchesUnframe: a value decoded without headers or
// metadata (the common case, which skips the general framing code) gets the
// payload and schema Unframe gives, or its framing error, whichever framing
// its bytes have; with a header the general path gives the header's schema.
func TestConfluentFastPathMatchesUnframe(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"confluent id", []byte{0, 0, 0, 0, 7, 'a', 'b', 'c'}},
		{"confluent id, empty payload", []byte{0, 1, 2, 3, 4}},
		{"confluent id, large id", []byte{0, 0xff, 0xfe, 0xfd, 0xfc, 9}},
		{"magic 0, too short for an id", []byte{0, 0, 0, 7}},
		{"confluent guid", append([]byte{1}, make([]byte, 17)...)},
		{"glue", append([]byte{3, 0}, make([]byte, 17)...)},
		{"plain", []byte("hello")},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantPayload, wantSchema, wantErr := kafkapayload.Unframe(tt.data, kafkapayload.WireAuto, false)
			r := &events.KafkaRecord{Topic: "t", Value: base64.StdEncoding.EncodeToString(tt.data)}

			var got []byte
			err := kafkapayload.Values(kafkapayload.Bytes(), func(_ context.Context, v []byte, _ *events.KafkaRecord) error {
				got = v
				return nil
			})(ctx, r)
			d := &kafkapayload.Decoder[struct{}, []byte]{Value: kafkapayload.Bytes()}
			rec, derr := d.Decode(ctx, r)
			if wantErr != nil {
				require.ErrorIs(t, err, kafkapayload.ErrFraming)
				require.ErrorIs(t, derr, kafkapayload.ErrFraming)
				return
			}
			require.NoError(t, err)
			require.NoError(t, derr)
			require.Equal(t, wantPayload, got)
			require.Equal(t, wantPayload, rec.Value)
			require.Equal(t, wantSchema, rec.ValueSchema)
		})
	}
	protobufTests := []struct {
		name string
		data []byte
	}{
		{"indexes [0]", []byte{0, 0, 0, 0, 7, 0, 'p'}},
		{"indexes [2]", []byte{0, 0, 0, 0, 7, 2, 4, 'p'}},
		{"indexes [1, 0]", []byte{0, 0, 0, 0, 7, 4, 2, 0, 'p'}},
		{"index count too large", []byte{0, 0, 0, 0, 7, 40, 2}},
		{"no index count", []byte{0, 0, 0, 0, 7}},
	}
	for _, tt := range protobufTests {
		t.Run("protobuf "+tt.name, func(t *testing.T) {
			wantPayload, wantSchema, wantErr := kafkapayload.Unframe(tt.data, kafkapayload.WireAuto, true)
			r := &events.KafkaRecord{Topic: "t", Value: base64.StdEncoding.EncodeToString(tt.data)}
			d := &kafkapayload.Decoder[struct{}, []byte]{Value: protobufEcho{}}
			rec, err := d.Decode(ctx, r)
			if wantErr != nil {
				require.ErrorIs(t, err, kafkapayload.ErrFraming)
				require.Equal(t, wantErr.Error(), errors.Unwrap(err).Error())
				return
			}
			require.NoError(t, err)
			require.Equal(t, wantPayload, rec.Value)
			require.Equal(t, wantSchema, rec.ValueSchema)
		})
	}
	t.Run("header schema id wins", func(t *testing.T) {
		data := []byte{0, 0, 0, 0, 7, 'x'}
		r := &events.KafkaRecord{Topic: "t", Value: base64.StdEncoding.EncodeToString(data),
			Headers: []map[string]events.JSONNumberBytes{{"__value_schema_id": events.JSONNumberBytes{0, 0, 0, 0, 9}}}}
		d := &kafkapayload.Decoder[struct{}, []byte]{Value: kafkapayload.Bytes()}
		rec, err := d.Decode(ctx, r)
		require.NoError(t, err)
		require.Equal(t, kafkapayload.WireHeaderID, rec.ValueSchema.Wire)
		require.Equal(t, data, rec.Value)
	})
}

// protobufEcho is a codec of format Protobuf that returns the payload.
type protobufEcho struct{}

func (protobufEcho) Format() string { return "PROTOBUF" }

func (protobufEcho) DecodeJSON(data []byte) (v []byte, err error) {
	err = json.Unmarshal(data, &v)
	return v, err
}

func (protobufEcho) Decode(payload []byte, _ kafkapayload.Schema) ([]byte, error) {
	return payload, nil
}
