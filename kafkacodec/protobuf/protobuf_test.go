package protobuf_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/kafkacodec/protobuf"
	"github.com/batchkit/batchkit/kafkacodec/protobuf/internal/testpb"
	"github.com/batchkit/batchkit/kafkapayload"
	"github.com/batchkit/batchkit/processors"
)

var schemaVersion = [16]byte{0xb1, 0x2c, 0x3d, 0x4e, 0x5f, 0x60, 0x47, 0x18, 0x89, 0x9a, 0xab, 0xbc, 0xcd, 0xde, 0xef, 0x01}

func sampleOrder(id string) *testpb.Order {
	return &testpb.Order{
		Id: id, AmountCents: 12_345, Currency: "EUR",
		Customer: &testpb.Customer{Id: "c-77", Email: "ada@example.com", Address: &testpb.Customer_Address{City: "Lyon", Country: "FR"}},
		Lines: []*testpb.Order_Line{
			{Sku: "sku-1", Quantity: 1, PriceCents: 4_000},
			{Sku: "sku-2", Quantity: 2, PriceCents: 3_000},
		},
		Labels: map[string]string{"channel": "web"},
	}
}

func marshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	require.NoError(t, err)
	return b
}

// confluent frames body as Confluent's Protobuf serializer does: magic 0,
// schema id, message-index list (zig-zag varints, [0] as one 0 byte).
func confluent(id uint32, indexes []int64, body []byte) []byte {
	b := binary.BigEndian.AppendUint32([]byte{0}, id)
	if len(indexes) == 1 && indexes[0] == 0 {
		b = append(b, 0)
	} else {
		b = binary.AppendVarint(b, int64(len(indexes)))
		for _, i := range indexes {
			b = binary.AppendVarint(b, i)
		}
	}
	return append(b, body...)
}

// glue frames body as the AWS Glue serializer does: version 3, zlib, schema
// version UUID, then the compressed message index (varint) and message.
func glue(index uint64, body []byte) []byte {
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	_, _ = w.Write(append(binary.AppendUvarint(nil, index), body...))
	_ = w.Close()
	return append(append([]byte{3, 5}, schemaVersion[:]...), buf.Bytes()...)
}

func TestIndexes(t *testing.T) {
	tests := []struct {
		msg       proto.Message
		confluent []int
		glue      int
	}{
		{&testpb.Order{}, []int{0}, 2},
		{&testpb.Order_Line{}, []int{0, 0}, 4},
		{&testpb.Customer{}, []int{1}, 0},
		{&testpb.Customer_Address{}, []int{1, 0}, 1},
		{&testpb.Refund{}, []int{2}, 5},
	}
	for _, tt := range tests {
		d := tt.msg.ProtoReflect().Descriptor()
		require.Equal(t, tt.confluent, protobuf.ConfluentIndexes(d), d.FullName())
		require.Equal(t, tt.glue, protobuf.GlueIndex(d), d.FullName())
	}
	// Glue counts map entries: Order.LabelsEntry sits between Order and
	// Order.Line.
	var names []protoreflect.FullName
	for _, m := range protobuf.AllMessages(testpb.File_order_proto) {
		names = append(names, m.FullName())
	}
	require.Equal(t, []protoreflect.FullName{
		"batchkit.test.Customer", "batchkit.test.Customer.Address", "batchkit.test.Order",
		"batchkit.test.Order.LabelsEntry", "batchkit.test.Order.Line", "batchkit.test.Refund",
	}, names)
}

func decode(t *testing.T, d *kafkapayload.Decoder[string, *testpb.Order], ctx context.Context, value []byte) (*kafkapayload.Record[string, *testpb.Order], error) {
	t.Helper()
	r := events.KafkaRecord{Topic: "orders", Partition: 1, Offset: 77, Value: base64.StdEncoding.EncodeToString(value)}
	return d.Decode(ctx, &r)
}

func TestDecodeFramings(t *testing.T) {
	want := sampleOrder("o-1")
	body := marshal(t, want)
	d := &kafkapayload.Decoder[string, *testpb.Order]{Value: protobuf.New[*testpb.Order](protobuf.Config{})}
	tests := []struct {
		name   string
		value  []byte
		wire   kafkapayload.WireFormat
		schema string
	}{
		{"Confluent single-zero index", confluent(42, []int64{0}, body), kafkapayload.WireConfluent, "42"},
		{"AWS Glue zlib", glue(2, body), kafkapayload.WireGlue, "b12c3d4e-5f60-4718-899a-abbccddeef01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := decode(t, d, context.Background(), tt.value)
			require.NoError(t, err)
			require.True(t, proto.Equal(want, rec.Value), "got %v", rec.Value)
			require.Equal(t, tt.wire, rec.ValueSchema.Wire)
			require.Equal(t, tt.schema, rec.ValueSchema.SchemaID())
		})
	}

	plain := &kafkapayload.Decoder[string, *testpb.Order]{Value: protobuf.New[*testpb.Order](protobuf.Config{}), ValueWire: kafkapayload.WirePlain}
	rec, err := decode(t, plain, context.Background(), body)
	require.NoError(t, err)
	require.True(t, proto.Equal(want, rec.Value))

	// A nested type, with the full index path.
	line := &testpb.Order_Line{Sku: "s", Quantity: 3}
	ld := &kafkapayload.Decoder[string, *testpb.Order_Line]{Value: protobuf.New[*testpb.Order_Line](protobuf.Config{})}
	r := events.KafkaRecord{Topic: "lines", Value: base64.StdEncoding.EncodeToString(confluent(5, []int64{0, 0}, marshal(t, line)))}
	lrec, err := ld.Decode(context.Background(), &r)
	require.NoError(t, err)
	require.True(t, proto.Equal(line, lrec.Value))
	require.Equal(t, []int{0, 0}, lrec.ValueSchema.Indexes)
}

func TestDecodeFailures(t *testing.T) {
	refund := marshal(t, &testpb.Refund{OrderId: "o-1", AmountCents: 5})
	body := marshal(t, sampleOrder("o-1"))
	d := &kafkapayload.Decoder[string, *testpb.Order]{Value: protobuf.New[*testpb.Order](protobuf.Config{})}
	tests := []struct {
		name  string
		value []byte
		err   error
	}{
		{"Confluent index of another message", confluent(42, []int64{2}, refund), kafkapayload.ErrSchemaMismatch},
		{"Glue index of another message", glue(5, refund), kafkapayload.ErrSchemaMismatch},
		{"truncated message", confluent(42, []int64{0}, body[:len(body)-3]), core.ErrDecode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decode(t, d, context.Background(), tt.value)
			require.ErrorIs(t, err, tt.err)
			var de *kafkapayload.DecodeError
			require.ErrorAs(t, err, &de)
			require.Equal(t, "value", de.Part)
			require.Equal(t, "PROTOBUF", de.Format)
			require.Equal(t, int64(77), de.Offset)
		})
	}

	// With the check off, the refund's bytes decode as an order (wrongly,
	// which is why the check is on by default).
	loose := &kafkapayload.Decoder[string, *testpb.Order]{Value: protobuf.New[*testpb.Order](protobuf.Config{IgnoreMessageIndexes: true})}
	_, err := decode(t, loose, context.Background(), confluent(42, []int64{2}, refund))
	require.NoError(t, err)
}

// metadataContext is the context of an event holding the record
// orders-1@77 with the given valueSchemaMetadata, read as kafkapayload.Event.
func metadataContext(t *testing.T, md string) context.Context {
	raw := `{"eventSource": "aws:kafka", "records": {"orders-1": [{"topic": "orders", "partition": 1, "offset": 77, "value": "", "valueSchemaMetadata": ` + md + `}]}}`
	var ev kafkapayload.Event
	require.NoError(t, json.Unmarshal([]byte(raw), &ev))
	return ev.Context(context.Background())
}

func TestDecodeEventSourceMappingJSON(t *testing.T) {
	ctx := metadataContext(t, `{"dataFormat": "PROTOBUF", "schemaId": "12"}`)
	d := &kafkapayload.Decoder[string, *testpb.Order]{Value: protobuf.New[*testpb.Order](protobuf.Config{})}
	rec, err := decode(t, d, ctx, []byte(`{"id": "o-9", "amountCents": "500", "customer": {"email": "x@example.com"}, "unknownField": 1}`))
	require.NoError(t, err)
	require.Equal(t, "o-9", rec.Value.GetId())
	require.Equal(t, int64(500), rec.Value.GetAmountCents())
	require.Equal(t, "x@example.com", rec.Value.GetCustomer().GetEmail())
	require.Equal(t, kafkapayload.WireESMJSON, rec.ValueSchema.Wire)
	require.Equal(t, "12", rec.ValueSchema.SchemaID())
}

// TestDecodeSourceFormat: in the event source mapping's SOURCE record
// format the mapping removes the schema id, and the value may still carry
// the message-index prefix that Confluent's and Glue's serializers put
// before the message (Powertools for AWS Lambda strips it when present).
// The values here are google.golang.org/protobuf's encoding with the prefix
// built by code as the serializers write it: each decodes to the message,
// detected or configured.
func TestDecodeSourceFormat(t *testing.T) {
	want := sampleOrder("o-7")
	body := marshal(t, want)
	confluentCtx := metadataContext(t, `{"dataFormat": "PROTOBUF", "schemaId": "42"}`)
	glueCtx := metadataContext(t, `{"dataFormat": "PROTOBUF", "schemaId": "b12c3d4e-5f60-4718-899a-abbccddeef01"}`)
	strip := func(framed []byte, n int) []byte { return framed[n:] }
	lineBody := marshal(t, &testpb.Order_Line{Sku: "s", Quantity: 2})
	tests := []struct {
		name    string
		ctx     context.Context
		value   []byte
		wire    kafkapayload.WireFormat
		gotWire kafkapayload.WireFormat
		indexes []int
	}{
		{"plain message", confluentCtx, body, kafkapayload.WireAuto, kafkapayload.WirePlain, nil},
		{"Confluent [0] prefix, detected", confluentCtx, strip(confluent(42, []int64{0}, body), 5), kafkapayload.WireAuto, kafkapayload.WireConfluent, []int{0}},
		{"Confluent [0] prefix, configured", confluentCtx, strip(confluent(42, []int64{0}, body), 5), kafkapayload.WireConfluent, kafkapayload.WireConfluent, []int{0}},
		{"Glue index, detected", glueCtx, binary.AppendUvarint(nil, uint64(protobuf.GlueIndex(want.ProtoReflect().Descriptor())))[:1:1], kafkapayload.WireAuto, kafkapayload.WireGlue, []int{2}},
		{"Glue index, configured", glueCtx, nil, kafkapayload.WireGlue, kafkapayload.WireGlue, []int{2}},
	}
	tests[3].value = append(tests[3].value, body...)
	tests[4].value = append(binary.AppendUvarint(nil, 2), body...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &kafkapayload.Decoder[string, *testpb.Order]{Value: protobuf.New[*testpb.Order](protobuf.Config{}), ValueWire: tt.wire}
			rec, err := decode(t, d, tt.ctx, tt.value)
			require.NoError(t, err)
			require.True(t, proto.Equal(want, rec.Value), "got %v", rec.Value)
			require.Equal(t, tt.gotWire, rec.ValueSchema.Wire)
			require.Equal(t, tt.indexes, rec.ValueSchema.Indexes)
			require.Equal(t, "PROTOBUF", rec.ValueSchema.MetadataFormat)
		})
	}

	// A nested message's Confluent path [0, 0] (count 2, zig-zag) is read
	// and checked against the handler's type.
	lines := &kafkapayload.Decoder[string, *testpb.Order_Line]{Value: protobuf.New[*testpb.Order_Line](protobuf.Config{})}
	r := events.KafkaRecord{Topic: "orders", Partition: 1, Offset: 77, Value: base64.StdEncoding.EncodeToString(strip(confluent(42, []int64{0, 0}, lineBody), 5))}
	rec, err := lines.Decode(confluentCtx, &r)
	require.NoError(t, err)
	require.Equal(t, []int{0, 0}, rec.ValueSchema.Indexes)
	require.Equal(t, "s", rec.Value.GetSku())
	// The prefix of another message fails the record as a mismatch rather
	// than decoding the wrong message.
	d := &kafkapayload.Decoder[string, *testpb.Order]{Value: protobuf.New[*testpb.Order](protobuf.Config{})}
	_, err = decode(t, d, confluentCtx, strip(confluent(42, []int64{2}, marshal(t, &testpb.Refund{OrderId: "o"})), 5))
	require.ErrorIs(t, err, kafkapayload.ErrSchemaMismatch)
}

// FuzzDecode checks that no input makes the codec panic past its recover.
func FuzzDecode(f *testing.F) {
	f.Add(marshal(f, sampleOrder("o-1")))
	c := protobuf.New[*testpb.Order](protobuf.Config{})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = c.Decode(b, kafkapayload.Schema{})
	})
}

// FuzzDecodeInvariant feeds arbitrary values (plain, Confluent, Glue, with
// and without SOURCE-format metadata) to the Protobuf codec through a Kafka
// processor, with the invariant as oracle: a record succeeds only when its
// handler ran and returned nil; a record the decoder refused is reported
// failed with a decode error; nothing panics.
func FuzzDecodeInvariant(f *testing.F) {
	body := marshal(f, sampleOrder("o-1"))
	f.Add(body, false)
	f.Add(confluent(42, []int64{0}, body), false)
	f.Add(glue(2, body), false)
	f.Add(append([]byte{0}, body...), true)
	f.Add([]byte(`{"id": "o-1"}`), true)
	p := core.Must(processors.NewKafka(processors.Config{Options: core.Options{SuppressFullBatchError: true}}))
	c := protobuf.New[*testpb.Order](protobuf.Config{})
	f.Fuzz(func(t *testing.T, value []byte, withMetadata bool) {
		handled := 0
		h := kafkapayload.Values[*testpb.Order](c, func(_ context.Context, o *testpb.Order, _ *events.KafkaRecord) error {
			handled++
			if len(o.GetId())%2 == 1 {
				return errors.New("odd id")
			}
			return nil
		})
		md := ""
		if withMetadata {
			md = `, "valueSchemaMetadata": {"dataFormat": "PROTOBUF", "schemaId": "42"}`
		}
		raw := `{"eventSource": "aws:kafka", "records": {"orders-1": [{"topic": "orders", "partition": 1, "offset": 77, "value": "` + base64.StdEncoding.EncodeToString(value) + `"` + md + `}]}}`
		var ev kafkapayload.Event
		require.NoError(t, json.Unmarshal([]byte(raw), &ev))
		b := core.NewBatch(processors.KafkaRecords(ev.KafkaEvent), h)
		resp, err := core.Run(ev.Context(context.Background()), p, b)
		require.NoError(t, err)
		o := b.Outcomes[0]
		if o.Status == core.StatusSuccess {
			if handled != 1 {
				t.Fatalf("a record succeeded without its handler running")
			}
			require.Empty(t, resp.BatchItemFailures)
			return
		}
		require.Len(t, resp.BatchItemFailures, 1)
		if handled == 0 {
			require.ErrorIs(t, o.Err, core.ErrDecode)
		}
	})
}
