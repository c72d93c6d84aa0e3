package protobuf_test

import (
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
	"github.com/batchkit/batchkit/kafkacodec/protobuf"
	"github.com/batchkit/batchkit/kafkacodec/protobuf/internal/testpb"
	"github.com/batchkit/batchkit/kafkapayload"
	"github.com/batchkit/batchkit/processors"
)

var schemaGUID = [16]byte{0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x49, 0x78, 0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0}

// signedJSON renders bytes as Lambda sends header values.
func signedJSON(b []byte) string {
	n := make([]int8, len(b))
	for i, c := range b {
		n[i] = int8(c)
	}
	out, _ := json.Marshal(n)
	return string(out)
}

// headerID is Confluent's __value_schema_id header: magic 1, the GUID, then
// the message-index list.
func headerID(indexes ...int64) []byte {
	b := append([]byte{1}, schemaGUID[:]...)
	b = binary.AppendVarint(b, int64(len(indexes)))
	for _, i := range indexes {
		b = binary.AppendVarint(b, i)
	}
	return b
}

func mskRecord(partition, offset int64, value []byte, headers string) string {
	return fmt.Sprintf(`{"topic": "orders", "partition": %d, "offset": %d, "timestamp": 1764100000000, "timestampType": "CREATE_TIME",
	  "value": %q, "headers": %s}`, partition, offset, base64.StdEncoding.EncodeToString(value), headers)
}

// TestMSKEvent runs an MSK event whose values google.golang.org/protobuf
// marshalled: framed by Confluent with the single-zero index (partition 0),
// with the schema GUID and indexes in the __value_schema_id header
// (partition 1), and by AWS Glue with zlib (partition 2); each partition has
// a bad record (a truncated message, a record of another message type).
func TestMSKEvent(t *testing.T) {
	o := func(id string) []byte { return marshal(t, sampleOrder(id)) }
	refund := marshal(t, &testpb.Refund{OrderId: "o-x", AmountCents: 1})
	hdr := func(idx ...int64) string { return `[{"__value_schema_id": ` + signedJSON(headerID(idx...)) + `}]` }
	raw := `{"eventSource": "SelfManagedKafka", "bootstrapServers": "kafka-1.internal:9092",
	  "records": {
	    "orders-0": [` + mskRecord(0, 1, confluent(42, []int64{0}, o("o-1")), "[]") + `,
	                 ` + mskRecord(0, 2, confluent(42, []int64{0}, o("o-2")[:9]), "[]") + `],
	    "orders-1": [` + mskRecord(1, 5, o("o-5"), hdr(0)) + `,
	                 ` + mskRecord(1, 6, refund, hdr(2)) + `,
	                 ` + mskRecord(1, 7, o("o-7"), hdr(0)) + `],
	    "orders-2": [` + mskRecord(2, 9, glue(2, o("o-9")), "[]") + `,
	                 ` + mskRecord(2, 10, glue(5, refund), "[]") + `]
	  }}`
	var ev kafkapayload.Event
	require.NoError(t, json.Unmarshal([]byte(raw), &ev))

	var mu sync.Mutex
	var got []string
	d := &kafkapayload.Decoder[string, *testpb.Order]{Value: protobuf.New[*testpb.Order](protobuf.Config{}), StrictHeaders: true}
	h := d.Handler(func(ctx context.Context, rec *kafkapayload.Record[string, *testpb.Order]) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, fmt.Sprintf("%d %s %s %v %s", rec.Raw.Offset, rec.Value.GetId(), rec.ValueSchema.Wire, rec.ValueSchema.Indexes, rec.ValueSchema.SchemaID()))
		return nil
	})
	resp, err := processors.ProcessKafka(ev.Context(context.Background()), core.Must(processors.NewKafka(processors.Config{Options: core.Options{Concurrency: 3}})), ev.KafkaEvent, h)
	require.NoError(t, err)
	require.Equal(t, []core.BatchItemFailure{
		{ItemIdentifier: core.KafkaID("orders-0", 2)},
		{ItemIdentifier: core.KafkaID("orders-1", 6)},
		{ItemIdentifier: core.KafkaID("orders-2", 10)},
	}, resp.BatchItemFailures)
	sort.Strings(got)
	require.Equal(t, []string{
		"1 o-1 Confluent [0] 42",
		"5 o-5 Confluent header schema id [0] 0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0",
		"9 o-9 AWS Glue [2] b12c3d4e-5f60-4718-899a-abbccddeef01",
	}, got)
}
