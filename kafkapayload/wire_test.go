package kafkapayload_test

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/kafkapayload"
)

var guid = [16]byte{0x3f, 0x2a, 0x1b, 0x0c, 0x4d, 0x5e, 0x4f, 0x60, 0x81, 0x92, 0xa3, 0xb4, 0xc5, 0xd6, 0xe7, 0xf8}

func confluentID(id uint32, body ...byte) []byte {
	return append(binary.BigEndian.AppendUint32([]byte{0}, id), body...)
}

func confluentGUID(body ...byte) []byte { return append(append([]byte{1}, guid[:]...), body...) }

// indexes encodes Confluent's message-index list with the zig-zag varint
// encoder of encoding/binary.
func indexes(idx ...int64) []byte {
	b := binary.AppendVarint(nil, int64(len(idx)))
	for _, i := range idx {
		b = binary.AppendVarint(b, i)
	}
	return b
}

func glue(compression byte, body []byte) []byte {
	if compression == 5 {
		var buf bytes.Buffer
		w := zlib.NewWriter(&buf)
		_, _ = w.Write(body)
		_ = w.Close()
		body = buf.Bytes()
	}
	return append(append([]byte{3, compression}, guid[:]...), body...)
}

func TestUnframe(t *testing.T) {
	payload := []byte(`{"id":"o-1"}`)
	tests := []struct {
		name     string
		data     []byte
		wire     kafkapayload.WireFormat
		protobuf bool
		want     []byte
		schema   kafkapayload.Schema
		err      error
	}{
		{"plain detected", payload, kafkapayload.WireAuto, false, payload, kafkapayload.Schema{Wire: kafkapayload.WirePlain}, nil},
		{"Confluent id detected", confluentID(42, payload...), kafkapayload.WireAuto, false, payload, kafkapayload.Schema{Wire: kafkapayload.WireConfluent, ID: 42}, nil},
		{"Confluent GUID detected", confluentGUID(payload...), kafkapayload.WireAuto, false, payload, kafkapayload.Schema{Wire: kafkapayload.WireConfluent, GUID: guid}, nil},
		{"Confluent Protobuf single-zero shortcut", confluentID(7, append([]byte{0}, 0x08, 0x01)...), kafkapayload.WireAuto, true, []byte{0x08, 0x01}, kafkapayload.Schema{Wire: kafkapayload.WireConfluent, ID: 7, Indexes: []int{0}}, nil},
		{"Confluent Protobuf nested path", confluentID(7, append(indexes(1, 0, 2), 0x08, 0x01)...), kafkapayload.WireConfluent, true, []byte{0x08, 0x01}, kafkapayload.Schema{Wire: kafkapayload.WireConfluent, ID: 7, Indexes: []int{1, 0, 2}}, nil},
		{"Confluent Protobuf with GUID", confluentGUID(append(indexes(3), 0x08)...), kafkapayload.WireAuto, true, []byte{0x08}, kafkapayload.Schema{Wire: kafkapayload.WireConfluent, GUID: guid, Indexes: []int{3}}, nil},
		{"Glue uncompressed", glue(0, payload), kafkapayload.WireAuto, false, payload, kafkapayload.Schema{Wire: kafkapayload.WireGlue, GUID: guid}, nil},
		{"Glue zlib", glue(5, payload), kafkapayload.WireAuto, false, payload, kafkapayload.Schema{Wire: kafkapayload.WireGlue, GUID: guid, Compressed: true}, nil},
		{"Glue Protobuf index", glue(5, append(binary.AppendUvarint(nil, 130), 0x08, 0x02)), kafkapayload.WireGlue, true, []byte{0x08, 0x02}, kafkapayload.Schema{Wire: kafkapayload.WireGlue, GUID: guid, Compressed: true, Indexes: []int{130}}, nil},
		{"configured plain keeps a leading 0", []byte{0, 2, 3, 4, 5, 6}, kafkapayload.WirePlain, false, []byte{0, 2, 3, 4, 5, 6}, kafkapayload.Schema{Wire: kafkapayload.WirePlain}, nil},
		{"Confluent too short", []byte{0, 0, 1}, kafkapayload.WireConfluent, false, nil, kafkapayload.Schema{Wire: kafkapayload.WireConfluent}, kafkapayload.ErrFraming},
		{"Confluent wrong magic", payload, kafkapayload.WireConfluent, false, nil, kafkapayload.Schema{Wire: kafkapayload.WireConfluent}, kafkapayload.ErrFraming},
		{"Confluent GUID too short", append([]byte{1}, guid[:10]...), kafkapayload.WireConfluent, false, nil, kafkapayload.Schema{Wire: kafkapayload.WireConfluent}, kafkapayload.ErrFraming},
		{"Protobuf index count past the end", confluentID(7, binary.AppendVarint(nil, 50)...), kafkapayload.WireConfluent, true, nil, kafkapayload.Schema{Wire: kafkapayload.WireConfluent, ID: 7}, kafkapayload.ErrFraming},
		{"Protobuf negative index count", confluentID(7, binary.AppendVarint(nil, -1)...), kafkapayload.WireConfluent, true, nil, kafkapayload.Schema{Wire: kafkapayload.WireConfluent, ID: 7}, kafkapayload.ErrFraming},
		{"Protobuf index list truncated", confluentID(7, 0x80), kafkapayload.WireConfluent, true, nil, kafkapayload.Schema{Wire: kafkapayload.WireConfluent, ID: 7}, kafkapayload.ErrFraming},
		{"Glue wrong version", append([]byte{2, 0}, guid[:]...), kafkapayload.WireGlue, false, nil, kafkapayload.Schema{Wire: kafkapayload.WireGlue}, kafkapayload.ErrFraming},
		{"Glue unknown compression", append([]byte{3, 9}, guid[:]...), kafkapayload.WireGlue, false, nil, kafkapayload.Schema{Wire: kafkapayload.WireGlue, GUID: guid}, kafkapayload.ErrCompression},
		{"Glue corrupt zlib", append(append([]byte{3, 5}, guid[:]...), 1, 2, 3), kafkapayload.WireGlue, false, nil, kafkapayload.Schema{Wire: kafkapayload.WireGlue, GUID: guid, Compressed: true}, kafkapayload.ErrCompression},
		{"Glue too short", []byte{3, 0, 1}, kafkapayload.WireGlue, false, nil, kafkapayload.Schema{Wire: kafkapayload.WireGlue}, kafkapayload.ErrFraming},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, s, err := kafkapayload.Unframe(tt.data, tt.wire, tt.protobuf)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				require.Nil(t, got)
			} else {
				require.NoError(t, err)
				require.Equal(t, tt.want, got)
			}
			require.Equal(t, tt.schema, s)
		})
	}
}

func TestUnframeGlueZlibBomb(t *testing.T) {
	defer kafkapayload.SetMaxInflatedSize(1 << 20)()
	zeros := make([]byte, 1<<20)
	_, _, err := kafkapayload.Unframe(glue(5, zeros), kafkapayload.WireAuto, false)
	require.NoError(t, err, "exactly the limit inflates")
	_, _, err = kafkapayload.Unframe(glue(5, append(zeros, 0)), kafkapayload.WireAuto, false)
	require.ErrorIs(t, err, kafkapayload.ErrTooLarge)
}

func TestDetect(t *testing.T) {
	tests := []struct {
		data []byte
		want kafkapayload.WireFormat
	}{
		{nil, kafkapayload.WirePlain},
		{[]byte(`{"a":1}`), kafkapayload.WirePlain},
		{[]byte{0, 0, 0, 1}, kafkapayload.WirePlain}, // too short for an id
		{confluentID(1), kafkapayload.WireConfluent},
		{confluentGUID(), kafkapayload.WireConfluent},
		{[]byte{1, 2, 3}, kafkapayload.WirePlain},
		{glue(0, nil), kafkapayload.WireGlue},
		{glue(5, []byte("x")), kafkapayload.WireGlue},
		{append([]byte{3, 7}, guid[:]...), kafkapayload.WirePlain}, // no such compression
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, kafkapayload.Detect(tt.data), "%x", tt.data)
	}
}

func TestSchemaFromHeader(t *testing.T) {
	s, err := kafkapayload.SchemaFromHeader(confluentGUID(), false)
	require.NoError(t, err)
	require.Equal(t, kafkapayload.Schema{Wire: kafkapayload.WireHeaderID, GUID: guid}, s)
	require.Equal(t, "3f2a1b0c-4d5e-4f60-8192-a3b4c5d6e7f8", s.SchemaID())

	s, err = kafkapayload.SchemaFromHeader(confluentID(99, indexes(0, 1)...), true)
	require.NoError(t, err)
	require.Equal(t, kafkapayload.Schema{Wire: kafkapayload.WireHeaderID, ID: 99, Indexes: []int{0, 1}}, s)
	require.Equal(t, "99", s.SchemaID())

	_, err = kafkapayload.SchemaFromHeader(confluentID(99, 1, 2), false)
	require.ErrorIs(t, err, kafkapayload.ErrFraming)
	_, err = kafkapayload.SchemaFromHeader([]byte("abc"), false)
	require.ErrorIs(t, err, kafkapayload.ErrFraming)
}

func TestSchemaID(t *testing.T) {
	require.Equal(t, "0", (&kafkapayload.Schema{Wire: kafkapayload.WireConfluent}).SchemaID())
	require.Equal(t, "", (&kafkapayload.Schema{Wire: kafkapayload.WirePlain}).SchemaID())
	require.Equal(t, "3f2a1b0c-4d5e-4f60-8192-a3b4c5d6e7f8", (&kafkapayload.Schema{Wire: kafkapayload.WireGlue, GUID: guid}).SchemaID())
	require.Equal(t, "1234", (&kafkapayload.Schema{Wire: kafkapayload.WireESMJSON, MetadataFormat: "AVRO", MetadataID: "1234"}).SchemaID())
	require.Equal(t, "", (&kafkapayload.Schema{Wire: kafkapayload.WireESMJSON, MetadataFormat: "AVRO"}).SchemaID(), "metadata without a schemaId")
	require.Equal(t, "Confluent", kafkapayload.WireConfluent.String())
	require.Equal(t, "AWS Glue", kafkapayload.WireGlue.String())
}
