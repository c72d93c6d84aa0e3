package avro_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/kafkacodec/avro"
	"github.com/batchkit/batchkit/kafkapayload"
	"github.com/batchkit/batchkit/processors"
)

var glueVersion = [16]byte{0x5a, 0x1e, 0x9c, 0x33, 0x0b, 0x7d, 0x4e, 0x2f, 0x9a, 0x10, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77}

// Key is an Avro record key.
type Key struct {
	Customer string `avro:"customer" json:"customer"`
}

const keySchema = `{"type": "record", "name": "Key", "namespace": "com.example.shop", "fields": [{"name": "customer", "type": "string"}]}`

func confluentFrame(id uint32, body []byte) []byte {
	return append(binary.BigEndian.AppendUint32([]byte{0}, id), body...)
}

func glueFrame(compress bool, body []byte) []byte {
	head := []byte{3, 0}
	if compress {
		head[1] = 5
		var buf bytes.Buffer
		w := zlib.NewWriter(&buf)
		_, _ = w.Write(body)
		_ = w.Close()
		body = buf.Bytes()
	}
	return append(append(head, glueVersion[:]...), body...)
}

// mskRecord renders a record as Lambda delivers it from MSK.
func mskRecord(partition, offset int64, key, value []byte, extra string) string {
	return fmt.Sprintf(`{"topic": "orders", "partition": %d, "offset": %d, "timestamp": 1764100000000, "timestampType": "CREATE_TIME",
	  "key": %q, "value": %q, "headers": [{"content-type": [97, 118, 114, 111]}]%s}`,
		partition, offset, base64.StdEncoding.EncodeToString(key), base64.StdEncoding.EncodeToString(value), extra)
}

// TestMSKEvent runs an MSK event whose keys and values hamba/avro wrote,
// framed by Confluent (partition 0), by AWS Glue with and without zlib
// (partition 1), and converted to JSON by the event source mapping's schema
// registry integration (partition 2), with a bad record in each partition.
func TestMSKEvent(t *testing.T) {
	o := func(id string) []byte { return encode(t, orderSchema, sampleOrder(id)) }
	k := func(c string) []byte { return encode(t, keySchema, Key{Customer: c}) }
	esmJSON, err := json.Marshal(sampleOrder("o-20"))
	require.NoError(t, err)
	md := `, "keySchemaMetadata": {"dataFormat": "AVRO", "schemaId": "11"}, "valueSchemaMetadata": {"dataFormat": "AVRO", "schemaId": "12"}`
	raw := `{"eventSource": "aws:kafka",
	  "eventSourceArn": "arn:aws:kafka:us-east-1:123456789012:cluster/orders/6d1e4b3a-3f0c-4a7e-9c61-0d2a5b7c8e90-2",
	  "bootstrapServers": "b-1.orders.abcd12.c2.kafka.us-east-1.amazonaws.com:9098",
	  "records": {
	    "orders-0": [` + mskRecord(0, 1, confluentFrame(11, k("c-1")), confluentFrame(12, o("o-1")), "") + `,
	                 ` + mskRecord(0, 2, confluentFrame(11, k("c-2")), confluentFrame(12, o("o-2")[:20]), "") + `,
	                 ` + mskRecord(0, 3, confluentFrame(11, k("c-3")), confluentFrame(12, o("o-3")), "") + `],
	    "orders-1": [` + mskRecord(1, 10, glueFrame(false, k("c-10")), glueFrame(true, o("o-10")), "") + `,
	                 ` + mskRecord(1, 11, glueFrame(false, k("c-11")), glueFrame(false, o("o-11")), "") + `,
	                 ` + mskRecord(1, 12, glueFrame(false, k("c-12")), append([]byte{3, 5}, glueVersion[:]...), "") + `],
	    "orders-2": [` + mskRecord(2, 20, []byte(`{"customer": "c-20"}`), esmJSON, md) + `,
	                 ` + mskRecord(2, 21, []byte(`{"customer": "c-21"}`), []byte(`{"id": 21}`), md) + `]
	  }}`
	var ev kafkapayload.Event
	require.NoError(t, json.Unmarshal([]byte(raw), &ev))

	var mu sync.Mutex
	var got []string
	d := &kafkapayload.Decoder[Key, Order]{Key: core.Must(avro.New[Key](avro.Config{Schema: keySchema})), Value: core.Must(avro.New[Order](avro.Config{Schema: orderSchema}))}
	h := d.Handler(func(ctx context.Context, rec *kafkapayload.Record[Key, Order]) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, fmt.Sprintf("%d %s %s %s/%s %s %d lines", rec.Raw.Offset, rec.Key.Customer, rec.Value.ID, rec.KeySchema.SchemaID(), rec.ValueSchema.SchemaID(), rec.ValueSchema.Wire, len(rec.Value.Lines)))
		return nil
	})
	resp, err := processors.ProcessKafka(ev.Context(context.Background()), core.Must(processors.NewKafka(processors.Config{Options: core.Options{Concurrency: 3}})), ev.KafkaEvent, h)
	require.NoError(t, err)
	require.Equal(t, []core.BatchItemFailure{
		{ItemIdentifier: core.KafkaID("orders-0", 2)},
		{ItemIdentifier: core.KafkaID("orders-1", 12)},
		{ItemIdentifier: core.KafkaID("orders-2", 21)},
	}, resp.BatchItemFailures)
	sort.Strings(got)
	v := "5a1e9c33-0b7d-4e2f-9a10-223344556677"
	require.Equal(t, []string{
		"1 c-1 o-1 11/12 Confluent 3 lines",
		"10 c-10 o-10 " + v + "/" + v + " AWS Glue 3 lines",
		"11 c-11 o-11 " + v + "/" + v + " AWS Glue 3 lines",
		"20 c-20 o-20 11/12 event source mapping JSON 3 lines",
	}, got)
}
