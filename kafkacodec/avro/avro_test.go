package avro_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	hamba "github.com/hamba/avro/v2"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/kafkacodec/avro"
	"github.com/batchkit/batchkit/kafkapayload"
	"github.com/batchkit/batchkit/processors"
)

const orderSchema = `{
  "type": "record", "name": "Order", "namespace": "com.example.shop",
  "fields": [
    {"name": "id", "type": "string"},
    {"name": "amount_cents", "type": "long"},
    {"name": "currency", "type": "string"},
    {"name": "customer", "type": {"type": "record", "name": "Customer", "fields": [
      {"name": "id", "type": "string"}, {"name": "email", "type": "string"}]}},
    {"name": "lines", "type": {"type": "array", "items": {"type": "record", "name": "Line", "fields": [
      {"name": "sku", "type": "string"}, {"name": "quantity", "type": "int"}, {"name": "price_cents", "type": "long"}]}}},
    {"name": "note", "type": ["null", "string"], "default": null}
  ]
}`

// Order is the Go form of orderSchema.
type Order struct {
	ID          string   `avro:"id" json:"id"`
	AmountCents int64    `avro:"amount_cents" json:"amount_cents"`
	Currency    string   `avro:"currency" json:"currency"`
	Customer    Customer `avro:"customer" json:"customer"`
	Lines       []Line   `avro:"lines" json:"lines"`
	Note        *string  `avro:"note" json:"note"`
}

// Customer places an order.
type Customer struct {
	ID    string `avro:"id" json:"id"`
	Email string `avro:"email" json:"email"`
}

// Line is a line of an order.
type Line struct {
	SKU        string `avro:"sku" json:"sku"`
	Quantity   int32  `avro:"quantity" json:"quantity"`
	PriceCents int64  `avro:"price_cents" json:"price_cents"`
}

func sampleOrder(id string) Order {
	note := "leave at the door"
	return Order{
		ID: id, AmountCents: 12_345, Currency: "EUR",
		Customer: Customer{ID: "c-77", Email: "ada@example.com"},
		Lines: []Line{
			{SKU: "sku-1", Quantity: 1, PriceCents: 4_000},
			{SKU: "sku-2", Quantity: 2, PriceCents: 3_000},
			{SKU: "sku-3", Quantity: 1, PriceCents: 2_345},
		},
		Note: &note,
	}
}

func encode(t testing.TB, schema string, v any) []byte {
	t.Helper()
	b, err := hamba.Marshal(hamba.MustParse(schema), v)
	require.NoError(t, err)
	return b
}

func TestDecode(t *testing.T) {
	c := core.Must(avro.New[Order](avro.Config{Schema: orderSchema}))
	require.Equal(t, "AVRO", c.Format())
	want := sampleOrder("o-1")
	got, err := c.Decode(encode(t, orderSchema, want), kafkapayload.Schema{})
	require.NoError(t, err)
	require.Equal(t, want, got)

	// Truncated bytes fail.
	b := encode(t, orderSchema, want)
	_, err = c.Decode(b[:len(b)/2], kafkapayload.Schema{})
	require.ErrorContains(t, err, "truncated")

	// A string length far past the payload fails, no allocation bomb.
	_, err = c.Decode([]byte{0xfe, 0xff, 0xff, 0xff, 0x0f}, kafkapayload.Schema{})
	require.Error(t, err)
}

// TestDecodeHugeArrayCount: a corrupt block count must fail the record, not
// make the runtime die allocating billions of elements.
func TestDecodeHugeArrayCount(t *testing.T) {
	c := core.Must(avro.New[Order](avro.Config{Schema: orderSchema}))
	b := encode(t, orderSchema, Order{ID: "o", Currency: "EUR"})
	// The lines array is the byte before the trailing union index (0: null)
	// and the empty array's 0 block count: replace the count by 2^40.
	head := b[:len(b)-2]
	corrupt := append(append(head, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40), 0, 0)
	_, err := c.Decode(corrupt, kafkapayload.Schema{})
	require.ErrorContains(t, err, "MaxSliceAllocSize")
}

func TestNewErrors(t *testing.T) {
	var ce *core.ConfigError
	_, err := avro.New[Order](avro.Config{Schema: `{"type": "recrd"}`})
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "Schema", ce.Setting)
	require.ErrorIs(t, err, core.ErrInvalidConfig)
	_, err = avro.New[Order](avro.Config{Schema: orderSchema, WriterSchemas: map[string]string{"1": `nope`}})
	require.ErrorAs(t, err, &ce)
	require.Equal(t, `WriterSchemas["1"]`, ce.Setting)
	_, err = avro.New[Order](avro.Config{Schema: orderSchema, WriterSchemas: map[string]string{"2": `{"type": "record", "name": "Order", "namespace": "com.example.shop", "fields": [{"name": "id", "type": "long"}]}`}})
	require.ErrorAs(t, err, &ce)
	require.Equal(t, `WriterSchemas["2"]`, ce.Setting)
	require.Contains(t, ce.Problem, "cannot be read with the reader schema")
	require.Panics(t, func() { core.Must(avro.New[Order](avro.Config{Schema: `{`})) })
}

// TestWriterSchemas decodes bytes written with an older schema (no note, no
// lines) into today's type, by the record's schema id.
func TestWriterSchemas(t *testing.T) {
	const v1 = `{"type": "record", "name": "Order", "namespace": "com.example.shop", "fields": [
	  {"name": "id", "type": "string"}, {"name": "amount_cents", "type": "long"}, {"name": "currency", "type": "string"},
	  {"name": "customer", "type": {"type": "record", "name": "Customer", "fields": [{"name": "id", "type": "string"}, {"name": "email", "type": "string"}]}}]}`
	const reader = `{"type": "record", "name": "Order", "namespace": "com.example.shop", "fields": [
	  {"name": "id", "type": "string"}, {"name": "amount_cents", "type": "long"}, {"name": "currency", "type": "string"},
	  {"name": "customer", "type": {"type": "record", "name": "Customer", "fields": [{"name": "id", "type": "string"}, {"name": "email", "type": "string"}]}},
	  {"name": "note", "type": ["null", "string"], "default": null}]}`
	type old struct {
		ID          string   `avro:"id"`
		AmountCents int64    `avro:"amount_cents"`
		Currency    string   `avro:"currency"`
		Customer    Customer `avro:"customer"`
	}
	b := encode(t, v1, old{ID: "o-old", AmountCents: 5, Currency: "USD", Customer: Customer{ID: "c", Email: "e"}})
	c := core.Must(avro.New[Order](avro.Config{Schema: reader, WriterSchemas: map[string]string{"41": v1}}))
	got, err := c.Decode(b, kafkapayload.Schema{Wire: kafkapayload.WireConfluent, ID: 41})
	require.NoError(t, err)
	require.Equal(t, Order{ID: "o-old", AmountCents: 5, Currency: "USD", Customer: Customer{ID: "c", Email: "e"}}, got)
}

// FuzzDecode checks that no input makes the codec panic past its recover.
func FuzzDecode(f *testing.F) {
	f.Add(encode(f, orderSchema, sampleOrder("o-1")))
	f.Add([]byte{0x02, 0x41})
	c := core.Must(avro.New[Order](avro.Config{Schema: orderSchema}))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = c.Decode(b, kafkapayload.Schema{})
	})
}

// TestDecodeRefusesTrailingBytes: a decode must consume the whole payload.
// The bytes are hamba/avro's encoding of a value, followed by more bytes:
// another value appended, or a single stray byte.
func TestDecodeRefusesTrailingBytes(t *testing.T) {
	c := core.Must(avro.New[Order](avro.Config{Schema: orderSchema}))
	one := encode(t, orderSchema, sampleOrder("o-1"))
	two := append(append([]byte{}, one...), encode(t, orderSchema, sampleOrder("o-2"))...)
	for name, b := range map[string][]byte{"two values": two, "one stray byte": append(append([]byte{}, one...), 0)} {
		t.Run(name, func(t *testing.T) {
			_, err := c.Decode(b, kafkapayload.Schema{})
			require.ErrorContains(t, err, "bytes left after the value")
			// Through the decoder: the record fails with a DecodeError.
			d := &kafkapayload.Decoder[string, Order]{Value: c, ValueWire: kafkapayload.WirePlain}
			_, err = d.Decode(context.Background(), &events.KafkaRecord{Topic: "t", Value: base64.StdEncoding.EncodeToString(b)})
			require.ErrorIs(t, err, core.ErrDecode)
			require.ErrorAs(t, err, new(*kafkapayload.DecodeError))
		})
	}
	got, err := c.Decode(one, kafkapayload.Schema{})
	require.NoError(t, err)
	require.Equal(t, sampleOrder("o-1"), got)
}

// TestJSONValueOnAvroTopic: under WireAuto, a value a producer wrote as
// plain JSON is refused as JSON, not decoded as Avro into garbage.
func TestJSONValueOnAvroTopic(t *testing.T) {
	c := core.Must(avro.New[Order](avro.Config{Schema: orderSchema}))
	var called bool
	h := kafkapayload.Values[Order](c, func(context.Context, Order, *events.KafkaRecord) error { called = true; return nil })
	err := h(context.Background(), &events.KafkaRecord{Topic: "t", Offset: 3,
		Value: base64.StdEncoding.EncodeToString([]byte(`{"id": 1004, "name": "id\": 1004", "price": 3.5}`))})
	require.ErrorIs(t, err, kafkapayload.ErrFraming)
	require.ErrorContains(t, err, "the value is JSON, not AVRO")
	require.False(t, called)
}

// FuzzDecodeInvariant feeds arbitrary values to the Avro codec through a
// Kafka processor, with the invariant as oracle: a record succeeds only when
// its handler ran and returned nil; a record whose bytes the codec refused
// is reported failed; nothing panics.
func FuzzDecodeInvariant(f *testing.F) {
	f.Add(encode(f, orderSchema, sampleOrder("o-1")))
	f.Add([]byte(`{"id": 1}`))
	f.Add([]byte{0, 0, 0, 0, 7, 2, 'a'})
	c := core.Must(avro.New[Order](avro.Config{Schema: orderSchema}))
	p := core.Must(processors.NewKafka(processors.Config{Options: core.Options{SuppressFullBatchError: true}}))
	f.Fuzz(func(t *testing.T, value []byte) {
		handled := 0
		h := kafkapayload.Values[Order](c, func(_ context.Context, o Order, _ *events.KafkaRecord) error {
			handled++
			if len(o.ID)%2 == 1 {
				return errors.New("odd id")
			}
			return nil
		})
		ev := events.KafkaEvent{EventSource: "aws:kafka", Records: map[string][]events.KafkaRecord{"t-0": {{Topic: "t", Offset: 1, Value: base64.StdEncoding.EncodeToString(value)}}}}
		b := core.NewBatch(processors.KafkaRecords(ev), h)
		resp, err := core.Run(context.Background(), p, b)
		require.NoError(t, err)
		o := b.Outcomes[0]
		if o.Status == core.StatusSuccess {
			if len(value) > 0 && handled != 1 {
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

// TestRecordFormatJSONRefusesRawAvro: with the event source mapping's record
// format declared JSON, a raw Avro value (bytes from hamba/avro) fails
// instead of being decoded by the Avro codec; its JSON form decodes.
func TestRecordFormatJSONRefusesRawAvro(t *testing.T) {
	c := core.Must(avro.New[Order](avro.Config{Schema: orderSchema}))
	want := sampleOrder("o-3")
	rec := func(value []byte) string {
		return `{"eventSource": "aws:kafka", "records": {"orders-0": [{"topic": "orders", "partition": 0, "offset": 3, "value": "` +
			base64.StdEncoding.EncodeToString(value) + `", "valueSchemaMetadata": {"dataFormat": "AVRO", "schemaId": "12"}}]}}`
	}
	d := &kafkapayload.Decoder[string, Order]{Value: c, EventRecordFormat: "JSON"}
	decode := func(raw string) (*kafkapayload.Record[string, Order], error) {
		var ev kafkapayload.Event
		require.NoError(t, json.Unmarshal([]byte(raw), &ev))
		r := ev.Records["orders-0"][0]
		return d.Decode(ev.Context(context.Background()), &r)
	}
	_, err := decode(rec(encode(t, orderSchema, want)))
	require.ErrorIs(t, err, kafkapayload.ErrFraming)
	require.ErrorContains(t, err, "record format is JSON")

	asJSON, err := json.Marshal(want)
	require.NoError(t, err)
	got, err := decode(rec(asJSON))
	require.NoError(t, err)
	require.Equal(t, want.ID, got.Value.ID)
	require.Equal(t, kafkapayload.WireESMJSON, got.ValueSchema.Wire)
}
