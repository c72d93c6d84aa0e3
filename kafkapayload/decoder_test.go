package kafkapayload_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/kafkapayload"
	"github.com/batchkit/batchkit/payload"
	"github.com/batchkit/batchkit/processors"
)

type order struct {
	ID     string `json:"id"`
	Amount int    `json:"amount"`
}

// Validate refuses non-positive amounts.
func (o *order) Validate() error {
	if o.Amount <= 0 {
		return fmt.Errorf("amount must be positive, got %d", o.Amount)
	}
	return nil
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// signed renders bytes as Lambda sends header values: a JSON array of signed
// byte numbers.
func signed(b []byte) string {
	n := make([]int8, len(b))
	for i, c := range b {
		n[i] = int8(c)
	}
	return string(mustJSON(n))
}

func record(topic string, partition, offset int64, key, value []byte, headers string) string {
	k, v := "", ""
	if key != nil {
		k = fmt.Sprintf(`"key": %q,`, b64(key))
	}
	if value != nil {
		v = fmt.Sprintf(`"value": %q,`, b64(value))
	}
	if headers == "" {
		headers = "[]"
	}
	return fmt.Sprintf(`{"topic": %q, "partition": %d, "offset": %d, "timestamp": 1764100000000, "timestampType": "CREATE_TIME", %s %s "headers": %s}`,
		topic, partition, offset, k, v, headers)
}

func event(t *testing.T, partitions map[string][]string) events.KafkaEvent {
	t.Helper()
	raw := eventJSON(partitions)
	var ev events.KafkaEvent
	require.NoError(t, json.Unmarshal(raw, &ev))
	return ev
}

func eventJSON(partitions map[string][]string) []byte {
	recs := map[string]json.RawMessage{}
	for k, rs := range partitions {
		recs[k] = json.RawMessage("[" + join(rs) + "]")
	}
	return mustJSON(map[string]any{
		"eventSource":      "aws:kafka",
		"eventSourceArn":   "arn:aws:kafka:us-east-1:123456789012:cluster/orders/6d1e4b3a-3f0c-4a7e-9c61-0d2a5b7c8e90-2",
		"bootstrapServers": "b-1.orders.abcd12.c2.kafka.us-east-1.amazonaws.com:9098",
		"records":          recs,
	})
}

func join(rs []string) string {
	out := ""
	for i, r := range rs {
		if i > 0 {
			out += ","
		}
		out += r
	}
	return out
}

// seen collects what the handler received, safely across partitions.
type seen struct {
	mu   sync.Mutex
	recs []string
}

func (s *seen) add(r string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs = append(s.recs, r)
}

func (s *seen) sorted() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(slices.Values(s.recs))
}

func TestHandlerFailsBadRecordsAlone(t *testing.T) {
	good := func(id string) []byte { return mustJSON(order{ID: id, Amount: 5}) }
	ev := event(t, map[string][]string{
		"orders-0": {
			record("orders", 0, 10, []byte("k-10"), good("o-10"), ""),
			record("orders", 0, 11, []byte("k-11"), []byte(`{"id": "o-11", "amount": "many"}`), ""), // not an order
			record("orders", 0, 12, []byte("k-12"), good("o-12"), ""),                               // stopped by 11
		},
		"orders-1": {
			record("orders", 1, 20, []byte("k-20"), confluentID(3, good("o-20")...), ""), // Confluent JSON Schema framing
			record("orders", 1, 21, []byte("k-21"), mustJSON(order{ID: "o-21", Amount: -1}), ""),
		},
		"orders-2": {
			record("orders", 2, 30, []byte{0xff, 0xfe}, good("o-30"), ""), // key is not UTF-8
		},
		"orders-3": {
			record("orders", 3, 40, nil, glue(5, good("o-40")), `[{"source": `+signed([]byte("shop"))+`}]`),
			record("orders", 3, 41, []byte("k-41"), nil, ""), // tombstone
		},
	})
	var got seen
	h := (&kafkapayload.Decoder[string, order]{Key: kafkapayload.String(), Value: kafkapayload.JSON[order]()}).Handler(func(ctx context.Context, rec *kafkapayload.Record[string, order]) error {
		src, _ := rec.Headers.Get("source")
		got.add(fmt.Sprintf("%d key=%q/%v value=%s/%v wire=%v id=%s src=%s", rec.Raw.Offset, rec.Key, rec.HasKey, rec.Value.ID, rec.HasValue, rec.ValueSchema.Wire, rec.ValueSchema.SchemaID(), src))
		return nil
	})
	resp, err := processors.ProcessKafka(context.Background(), core.Must(processors.NewKafka(processors.Config{Options: core.Options{Concurrency: 4}})), ev, h)
	require.NoError(t, err)
	require.Equal(t, []core.BatchItemFailure{
		{ItemIdentifier: core.KafkaID("orders-0", 11)},
		{ItemIdentifier: core.KafkaID("orders-1", 21)},
		{ItemIdentifier: core.KafkaID("orders-2", 30)},
	}, resp.BatchItemFailures)
	require.Equal(t, []string{
		`10 key="k-10"/true value=o-10/true wire=plain id= src=`,
		`20 key="k-20"/true value=o-20/true wire=Confluent id=3 src=`,
		`40 key=""/false value=o-40/true wire=AWS Glue id=3f2a1b0c-4d5e-4f60-8192-a3b4c5d6e7f8 src=shop`,
		`41 key="k-41"/true value=/false wire=auto id= src=`,
	}, got.sorted())
}

func TestDecodeErrors(t *testing.T) {
	d := &kafkapayload.Decoder[string, order]{Key: kafkapayload.String(), Value: kafkapayload.JSON[order](), StrictHeaders: true}
	tests := []struct {
		name   string
		rec    string
		part   string
		header string
		format string
		wire   kafkapayload.WireFormat
		err    error
	}{
		{"value not JSON", record("t", 0, 5, []byte("k"), []byte("{nope"), ""), "value", "", "JSON", kafkapayload.WirePlain, core.ErrDecode},
		{"key not UTF-8", record("t", 0, 6, []byte{0xc3, 0x28}, []byte(`{}`), ""), "key", "", "STRING", kafkapayload.WirePlain, core.ErrDecode},
		{"value framing truncated", record("t", 0, 7, nil, []byte{1, 2, 3, 4}, ""), "value", "", "JSON", kafkapayload.WirePlain, core.ErrDecode},
		{"Glue corrupt zlib", record("t", 0, 8, nil, append(append([]byte{3, 5}, guid[:]...), 9, 9, 9), ""), "value", "", "JSON", kafkapayload.WireGlue, kafkapayload.ErrCompression},
		{"header not UTF-8", record("t", 0, 9, nil, []byte(`{"amount":1}`), `[{"trace": `+signed([]byte{0xff})+`}]`), "header", "trace", "", kafkapayload.WireAuto, kafkapayload.ErrHeader},
		{"schema id header bad", record("t", 0, 10, nil, []byte(`{"amount":1}`), `[{"__value_schema_id": `+signed([]byte{7, 1})+`}]`), "header", "__value_schema_id", "JSON", kafkapayload.WireHeaderID, kafkapayload.ErrFraming},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r events.KafkaRecord
			require.NoError(t, json.Unmarshal([]byte(tt.rec), &r))
			_, err := d.Decode(context.Background(), &r)
			var de *kafkapayload.DecodeError
			require.ErrorAs(t, err, &de)
			require.Equal(t, tt.part, de.Part)
			require.Equal(t, tt.header, de.Header)
			require.Equal(t, tt.format, de.Format)
			require.Equal(t, tt.wire, de.Wire)
			require.Equal(t, r.Offset, de.Offset)
			require.Equal(t, "t", de.Topic)
			require.ErrorIs(t, err, tt.err)
			require.ErrorIs(t, err, core.ErrDecode) // every DecodeError
			// The codec's own error is kept, as it is.
			switch tt.name {
			case "value not JSON", "value framing truncated":
				require.ErrorAs(t, err, new(*json.SyntaxError))
			case "key not UTF-8":
				require.ErrorContains(t, err, "not valid UTF-8")
			}
			require.Contains(t, err.Error(), fmt.Sprintf("t-0 offset %d", r.Offset))
		})
	}
}

func TestDecodeBadBase64(t *testing.T) {
	r := events.KafkaRecord{Topic: "t", Partition: 2, Offset: 3, Value: "%%%not-base64"}
	_, err := (&kafkapayload.Decoder[string, order]{Value: kafkapayload.JSON[order]()}).Decode(context.Background(), &r)
	require.ErrorIs(t, err, kafkapayload.ErrBase64)
	require.ErrorContains(t, err, "t-2 offset 3: value does not decode as JSON")
}

func TestDecodeValidation(t *testing.T) {
	r := events.KafkaRecord{Topic: "t", Value: b64(mustJSON(order{ID: "x", Amount: 0}))}
	_, err := (&kafkapayload.Decoder[string, order]{Value: kafkapayload.JSON[order]()}).Decode(context.Background(), &r)
	require.ErrorIs(t, err, payload.ErrInvalid)
	require.ErrorContains(t, err, "amount must be positive")
}

// panicky is a codec whose library panics on some input.
type panicky struct{}

func (panicky) Format() string { return "AVRO" }
func (panicky) DecodeJSON(data []byte) (v string, err error) {
	err = json.Unmarshal(data, &v)
	return v, err
}
func (panicky) Decode(p []byte, _ kafkapayload.Schema) (string, error) {
	if len(p) == 0 {
		return "", errors.New("empty")
	}
	return string(p[100:]), nil // index out of range
}

func TestDecodeRecoversPanics(t *testing.T) {
	r := events.KafkaRecord{Topic: "t", Offset: 4, Value: b64([]byte("abc"))}
	_, err := (&kafkapayload.Decoder[string, string]{Value: panicky{}}).Decode(context.Background(), &r)
	require.ErrorIs(t, err, core.ErrDecode)
	var pe *core.PanicError
	require.ErrorAs(t, err, &pe)
	require.NotEmpty(t, pe.PCs)
	require.Equal(t, "Codec.Decode", pe.Where)
	var de *kafkapayload.DecodeError
	require.ErrorAs(t, err, &de)
	require.Equal(t, "AVRO", de.Format)
}

func TestHeaderSchemaID(t *testing.T) {
	rec := record("t", 0, 1, nil, mustJSON(order{ID: "h", Amount: 2}),
		`[{"__value_schema_id": `+signed(confluentGUID())+`}, {"a": `+signed([]byte("1"))+`}, {"a": `+signed([]byte("2"))+`}]`)
	var r events.KafkaRecord
	require.NoError(t, json.Unmarshal([]byte(rec), &r))
	got, err := (&kafkapayload.Decoder[string, order]{Value: kafkapayload.JSON[order](), StrictHeaders: true}).Decode(context.Background(), &r)
	require.NoError(t, err)
	require.Equal(t, "h", got.Value.ID)
	require.Equal(t, kafkapayload.WireHeaderID, got.ValueSchema.Wire)
	require.Equal(t, guid, got.ValueSchema.GUID)
	require.Equal(t, []string{"1", "2"}, got.Headers.Values("a"))
	v, ok := got.Headers.Get("a")
	require.True(t, ok)
	require.Equal(t, "2", v)
	_, ok = got.Headers.Get("missing")
	require.False(t, ok)
}

func TestHeadersSignedBytes(t *testing.T) {
	// The header of the aws-lambda-go fixture: signed numbers, some negative.
	raw := `{"topic":"t","partition":0,"offset":0,"headers":[{"headerKey":[118,-36,0,127,-128]},{"b":[104,105],"a":[]}]}`
	var r events.KafkaRecord
	require.NoError(t, json.Unmarshal([]byte(raw), &r))
	require.Equal(t, kafkapayload.Headers{
		{Key: "headerKey", Value: string([]byte{118, 0xdc, 0, 127, 0x80})},
		{Key: "a", Value: ""},
		{Key: "b", Value: "hi"},
	}, kafkapayload.RecordHeaders(&r))
	require.Nil(t, kafkapayload.RecordHeaders(&events.KafkaRecord{}))
}

// avroOnly stands for a binary codec: the schema-registry JSON form must not
// reach it.
type avroOnly struct{ called *bool }

func (avroOnly) Format() string { return "AVRO" }

// DecodeJSON decodes the mapping's JSON form with encoding/json, as a codec
// without a JSON form of its own does.
func (avroOnly) DecodeJSON(data []byte) (v order, err error) {
	err = json.Unmarshal(data, &v)
	return v, err
}
func (a avroOnly) Decode(p []byte, _ kafkapayload.Schema) (order, error) {
	*a.called = true
	return order{}, errors.New("binary codec called")
}

func TestEventSourceMappingSchemaRegistryJSON(t *testing.T) {
	md := `"keySchemaMetadata": {"dataFormat": "JSON", "schemaId": "key-schema-001"}, "valueSchemaMetadata": {"dataFormat": "AVRO", "schemaId": "7d3f2b1a-0c9e-4d5f-8a6b-1e2d3c4b5a69"},`
	withMD := func(r string) string { return r[:1] + md + r[1:] }
	raw := eventJSON(map[string][]string{
		"orders-0": {
			withMD(record("orders", 0, 1, []byte(`"k-1"`), mustJSON(order{ID: "o-1", Amount: 3}), "")),
			withMD(record("orders", 0, 2, []byte(`"k-2"`), []byte(`{"id": 5}`), "")), // JSON, but not an order
		},
		"orders-1": {record("orders", 1, 1, nil, mustJSON(order{ID: "plain", Amount: 1}), "")},
	})
	var ev kafkapayload.Event
	require.NoError(t, json.Unmarshal(raw, &ev))

	called := false
	var got seen
	h := (&kafkapayload.Decoder[string, order]{Key: kafkapayload.JSON[string](), Value: avroOnly{&called}}).Handler(
		func(ctx context.Context, rec *kafkapayload.Record[string, order]) error {
			got.add(fmt.Sprintf("%s key=%s value=%s id=%s format=%s", fmt.Sprintf("%s-%d", rec.Raw.Topic, rec.Raw.Partition), rec.Key, rec.Value.ID, rec.ValueSchema.SchemaID(), rec.ValueSchema.MetadataFormat))
			return nil
		})
	resp, err := processors.ProcessKafka(ev.Context(context.Background()), core.Must(processors.NewKafka(processors.Config{})), ev.KafkaEvent, h)
	require.NoError(t, err)
	require.Equal(t, []core.BatchItemFailure{
		{ItemIdentifier: core.KafkaID("orders-0", 2)},
		{ItemIdentifier: core.KafkaID("orders-1", 1)},
	}, resp.BatchItemFailures)
	require.Equal(t, []string{"orders-0 key=k-1 value=o-1 id=7d3f2b1a-0c9e-4d5f-8a6b-1e2d3c4b5a69 format=AVRO"}, got.sorted())
	// orders-1 has no metadata: its JSON value, on a topic read with a binary
	// codec, fails as JSON before reaching the codec.
	require.False(t, called)

	// The failing record's error names the schema-registry JSON form.
	var r events.KafkaRecord
	require.NoError(t, json.Unmarshal([]byte(withMD(record("orders", 0, 2, nil, []byte(`{"id": 5}`), ""))), &r))
	_, err = (&kafkapayload.Decoder[string, order]{Value: avroOnly{&called}}).Decode(ev.Context(context.Background()), &r)
	var de *kafkapayload.DecodeError
	require.ErrorAs(t, err, &de)
	require.Equal(t, kafkapayload.WireESMJSON, de.Wire)
}

// A record whose schema metadata does not parse fails alone, with a typed
// error, when its part is decoded; the other records of the event decode.
func TestMalformedMetadataFailsTheRecordAlone(t *testing.T) {
	good := record("t", 0, 1, nil, mustJSON(order{ID: "g", Amount: 1}), "")
	bad := record("t", 0, 2, nil, mustJSON(order{ID: "b", Amount: 1}), "")
	md := `"valueSchemaMetadata": {"dataFormat": "AVRO", "schemaId": "9"},`
	badMD := `"valueSchemaMetadata": {"dataFormat": 5, "schemaId": []},`
	raw := eventJSON(map[string][]string{"t-0": {good[:1] + md + good[1:], bad[:1] + badMD + bad[1:]}})
	var ev kafkapayload.Event
	require.NoError(t, json.Unmarshal(raw, &ev))
	var got []string
	h := kafkapayload.Values(kafkapayload.JSON[order](), func(_ context.Context, o order, _ *events.KafkaRecord) error {
		got = append(got, o.ID)
		return nil
	})
	b := core.NewBatch(processors.KafkaRecords(ev.KafkaEvent), h)
	resp, err := core.Run(ev.Context(context.Background()), core.Must(processors.NewKafka(processors.Config{})), b)
	require.NoError(t, err)
	require.Equal(t, []string{"g"}, got)
	require.Equal(t, []core.BatchItemFailure{{ItemIdentifier: core.KafkaID("t-0", 2)}}, resp.BatchItemFailures)
	var de *kafkapayload.DecodeError
	require.ErrorAs(t, b.Outcomes[1].Err, &de)
	require.Equal(t, "value", de.Part)
	require.ErrorIs(t, b.Outcomes[1].Err, kafkapayload.ErrMetadata)
	require.ErrorIs(t, b.Outcomes[1].Err, core.ErrDecode)
}

func TestValues(t *testing.T) {
	ev := event(t, map[string][]string{"t-0": {
		record("t", 0, 1, nil, confluentID(9, mustJSON(order{ID: "a", Amount: 1})...), ""),
		record("t", 0, 2, nil, nil, ""),
		record("t", 0, 3, nil, []byte("]"), ""),
	}})
	var got []string
	h := kafkapayload.Values(kafkapayload.JSON[order](), func(ctx context.Context, o order, r *events.KafkaRecord) error {
		got = append(got, fmt.Sprintf("%d:%s", r.Offset, o.ID))
		return nil
	})
	resp, err := processors.ProcessKafka(context.Background(), core.Must(processors.NewKafka(processors.Config{})), ev, h)
	require.NoError(t, err)
	require.Equal(t, []string{"1:a", "2:"}, got)
	require.Equal(t, []core.BatchItemFailure{{ItemIdentifier: core.KafkaID("t-0", 3)}}, resp.BatchItemFailures)
}

func TestBytesCodec(t *testing.T) {
	r := events.KafkaRecord{Key: b64([]byte{0, 1, 2}), Value: b64([]byte(`"v"`))}
	got, err := (&kafkapayload.Decoder[[]byte, string]{Key: kafkapayload.Bytes(), KeyWire: kafkapayload.WirePlain, Value: kafkapayload.JSON[string]()}).Decode(context.Background(), &r)
	require.NoError(t, err)
	require.Equal(t, []byte{0, 1, 2}, got.Key)
	require.Equal(t, "v", got.Value)
}

func TestMetadataAndConfiguredWire(t *testing.T) {
	r := events.KafkaRecord{Topic: "t", Offset: 3, Value: b64(mustJSON(order{ID: "j", Amount: 1}))}
	ctx := metadataContext(t, "t", 0, 3, `{"dataFormat": "AVRO", "schemaId": "9"}`)
	called := false
	// Configured for Confluent, but the mapping delivered JSON: read as JSON.
	rec, err := (&kafkapayload.Decoder[string, order]{Value: avroOnly{&called}, ValueWire: kafkapayload.WireConfluent}).Decode(ctx, &r)
	require.NoError(t, err)
	require.Equal(t, "j", rec.Value.ID)
	require.Equal(t, kafkapayload.WireESMJSON, rec.ValueSchema.Wire)
	require.False(t, called)
	// The mapping's record format said SOURCE: the codec runs on the
	// bytes, even though they are valid JSON.
	_, err = (&kafkapayload.Decoder[string, order]{Value: avroOnly{&called}, EventRecordFormat: "SOURCE"}).Decode(ctx, &r)
	require.ErrorIs(t, err, core.ErrDecode)
	require.True(t, called)
	// The mapping's record format said JSON: a raw binary value fails
	// instead of reaching the binary codec.
	called = false
	raw := r
	raw.Value = b64([]byte{0x02, 0x06, 'a', 'b', 'c'})
	_, err = (&kafkapayload.Decoder[string, order]{Value: avroOnly{&called}, EventRecordFormat: "JSON"}).Decode(ctx, &raw)
	require.ErrorIs(t, err, kafkapayload.ErrFraming)
	require.ErrorContains(t, err, "record format is JSON")
	require.False(t, called)
	// ... where auto-detection would take it as SOURCE.
	_, err = (&kafkapayload.Decoder[string, order]{Value: avroOnly{&called}}).Decode(ctx, &raw)
	require.True(t, called)
	require.Error(t, err)
	// An EventRecordFormat that is neither is a configuration error.
	_, err = (&kafkapayload.Decoder[string, order]{Value: avroOnly{&called}, EventRecordFormat: "json"}).Decode(ctx, &r)
	require.ErrorIs(t, err, core.ErrInvalidConfig)
	// SOURCE format under auto-detection: a binary part with metadata is
	// plain even when it starts like a Confluent frame.
	r.Value = b64([]byte{0, 0, 0, 0, 7, 1})
	rec2, err := (&kafkapayload.Decoder[string, []byte]{Value: kafkapayload.Bytes()}).Decode(ctx, &r)
	require.NoError(t, err)
	require.Equal(t, []byte{0, 0, 0, 0, 7, 1}, rec2.Value)
	require.Equal(t, kafkapayload.WirePlain, rec2.ValueSchema.Wire)
	require.Equal(t, "9", rec2.ValueSchema.SchemaID())
}

// metadataContext is the context of an event holding one record t-p@o with
// the given valueSchemaMetadata.
func metadataContext(t *testing.T, topic string, partition, offset int64, md string) context.Context {
	rec := record(topic, partition, offset, nil, []byte("{}"), "")
	raw := eventJSON(map[string][]string{fmt.Sprintf("%s-%d", topic, partition): {rec[:1] + `"valueSchemaMetadata": ` + md + `,` + rec[1:]}})
	var ev kafkapayload.Event
	require.NoError(t, json.Unmarshal(raw, &ev))
	return ev.Context(context.Background())
}

// WithRawMetadata keeps the adapter's type (core.LambdaHandler, with its
// Invoke), gives the handlers the metadata, and a record whose metadata does
// not parse fails alone instead of the whole invocation.
func TestWithRawMetadata(t *testing.T) {
	md := `"valueSchemaMetadata": {"dataFormat": "PROTOBUF", "schemaId": "77"},`
	rec := record("t", 0, 4, nil, mustJSON(order{ID: "r", Amount: 1}), "")
	bad := record("t", 0, 5, nil, mustJSON(order{ID: "s", Amount: 1}), "")
	raw := eventJSON(map[string][]string{"t-0": {rec[:1] + md + rec[1:], bad[:1] + `"valueSchemaMetadata": [],` + bad[1:]}})
	called := false
	d := &kafkapayload.Decoder[string, order]{Value: avroOnly{&called}}
	var ids []string
	var h core.LambdaHandler[core.Response] = kafkapayload.WithRawMetadata(processors.KafkaHandler(core.Must(processors.NewKafka(processors.Config{})),
		d.Handler(func(ctx context.Context, rec *kafkapayload.Record[string, order]) error {
			require.Equal(t, "77", rec.ValueSchema.SchemaID())
			ids = append(ids, rec.Value.ID)
			return nil
		})))
	out, err := h.Invoke(context.Background(), raw)
	require.NoError(t, err)
	require.JSONEq(t, `{"batchItemFailures":[{"itemIdentifier":{"partition":"t-0","offset":5}}]}`, string(out))
	require.Equal(t, []string{"r"}, ids)
	require.False(t, called)
}

// Values validates pointer payload types too: JSON[*order] runs
// (*order).Validate, as SQSJSON[*order] does (one validation, payload's).
func TestValuesValidatesPointerTypes(t *testing.T) {
	var got []string
	h := kafkapayload.Values(kafkapayload.JSON[*order](), func(_ context.Context, o *order, _ *events.KafkaRecord) error {
		got = append(got, o.ID)
		return nil
	})
	err := h(context.Background(), &events.KafkaRecord{Topic: "t", Offset: 1, Value: b64(mustJSON(order{ID: "bad", Amount: 0}))})
	require.ErrorIs(t, err, payload.ErrInvalid)
	require.ErrorContains(t, err, "amount must be positive")
	err = h(context.Background(), &events.KafkaRecord{Topic: "t", Offset: 2, Value: b64([]byte("null"))})
	require.ErrorIs(t, err, payload.ErrNilPayload)
	require.NoError(t, h(context.Background(), &events.KafkaRecord{Topic: "t", Offset: 3, Value: b64(mustJSON(order{ID: "ok", Amount: 1}))}))
	require.Equal(t, []string{"ok"}, got)

	// The Decoder's handler too, for key and value.
	d := &kafkapayload.Decoder[string, *order]{Value: kafkapayload.JSON[*order]()}
	_, err = d.Decode(context.Background(), &events.KafkaRecord{Topic: "t", Value: b64(mustJSON(order{ID: "bad"}))})
	require.ErrorIs(t, err, payload.ErrInvalid)
}

// A JSON value on a topic read with a binary codec under WireAuto fails with
// a DecodeError that says so, instead of being decoded as Avro into garbage.
func TestJSONOnBinaryTopicFails(t *testing.T) {
	called := false
	h := kafkapayload.Values[order](avroOnly{&called}, func(context.Context, order, *events.KafkaRecord) error { return nil })
	err := h(context.Background(), &events.KafkaRecord{Topic: "t", Offset: 7, Value: b64([]byte(`{"id": 1004, "name": "x", "price": 3.5}`))})
	var de *kafkapayload.DecodeError
	require.ErrorAs(t, err, &de)
	require.ErrorIs(t, err, kafkapayload.ErrFraming)
	require.ErrorIs(t, err, core.ErrDecode)
	require.ErrorContains(t, err, "the value is JSON, not AVRO")
	require.False(t, called)
	// Configured plain, the bytes are the codec's to judge.
	d := &kafkapayload.Decoder[string, order]{Value: avroOnly{&called}, ValueWire: kafkapayload.WirePlain}
	_, err = d.Decode(context.Background(), &events.KafkaRecord{Topic: "t", Value: b64([]byte(`{"id": 1}`))})
	require.True(t, called)
	require.ErrorContains(t, err, "binary codec called")
}

// A codec's DecodeJSON (for the mapping's JSON form) runs under recover too.
func TestDecodeJSONPanicFailsTheRecord(t *testing.T) {
	ctx := metadataContext(t, "t", 0, 1, `{"dataFormat": "PROTOBUF", "schemaId": "1"}`)
	_, err := (&kafkapayload.Decoder[string, string]{Value: panickyJSON{}}).Decode(ctx, &events.KafkaRecord{Topic: "t", Offset: 1, Value: b64([]byte(`{}`))})
	var pe *core.PanicError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "Codec.DecodeJSON", pe.Where)
}

type panickyJSON struct{ panicky }

func (panickyJSON) DecodeJSON([]byte) (string, error) { panic("json bug") }

// A codec whose Format panics, and a nil codec given to Values, fail the
// record; nothing escapes.
func TestCodecFormatPanicAndNilCodec(t *testing.T) {
	r := &events.KafkaRecord{Topic: "t", Value: b64([]byte("x"))}
	err := kafkapayload.Values[string](panickyFormat{}, func(context.Context, string, *events.KafkaRecord) error { return nil })(context.Background(), r)
	var pe *core.PanicError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "Codec.Format", pe.Where)
	err = kafkapayload.Values[string](nil, func(context.Context, string, *events.KafkaRecord) error { return nil })(context.Background(), r)
	require.ErrorIs(t, err, core.ErrInvalidConfig)
}

type panickyFormat struct{ panicky }

func (panickyFormat) Format() string { panic("format bug") }
