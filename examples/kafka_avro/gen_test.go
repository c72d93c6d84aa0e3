package main

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"flag"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	hamba "github.com/hamba/avro/v2"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite event.json from the generator")

// schemaID is the id the Confluent Schema Registry gave orderSchema.
const schemaID = 1

// sample is one record of the sample event.
type sample struct {
	partition int64
	offset    int64
	key       string
	order     *Order // nil: the value is raw
	raw       []byte
	headers   []map[string]events.JSONNumberBytes
}

func note(s string) *string { return &s }

// samples are the records of event.json. orders-1 offset 8 was written by a
// producer without the schema registry serializer (plain JSON): it fails,
// and offset 9 after it is left for the retry.
var samples = []sample{
	{partition: 0, offset: 100, key: "customer-17", order: &Order{ID: "o-100", AmountCents: 2500, Currency: "EUR"}, headers: headers("source", "web", "trace", "régional")},
	{partition: 0, offset: 101, key: "customer-17", order: &Order{ID: "o-101", AmountCents: 1299, Currency: "EUR", Note: note("gift wrap")}},
	{partition: 0, offset: 102, key: "customer-42", order: &Order{ID: "o-102", AmountCents: 75000, Currency: "EUR"}},
	{partition: 1, offset: 7, key: "customer-8", order: &Order{ID: "o-207", AmountCents: 990, Currency: "USD"}},
	{partition: 1, offset: 8, key: "customer-8", raw: []byte(`{"id":"o-208","amount_cents":1500,"currency":"USD"}`), headers: headers("source", "legacy-batch")},
	{partition: 1, offset: 9, key: "customer-9", order: &Order{ID: "o-209", AmountCents: 4000, Currency: "USD"}},
	{partition: 2, offset: 55, key: "customer-3", order: &Order{ID: "o-355", AmountCents: 120, Currency: "GBP", Note: note("leave at the door")}},
	{partition: 2, offset: 56, key: "customer-3", order: &Order{ID: "o-356", AmountCents: 3300, Currency: "GBP"}},
}

func headers(kv ...string) []map[string]events.JSONNumberBytes {
	var out []map[string]events.JSONNumberBytes
	for i := 0; i < len(kv); i += 2 {
		out = append(out, map[string]events.JSONNumberBytes{kv[i]: events.JSONNumberBytes(kv[i+1])})
	}
	return out
}

// generate builds the MSK event: values are orders marshalled by hamba/avro
// with orderSchema and framed as the Confluent serializer frames them.
func generate(t *testing.T) []byte {
	schema, err := hamba.Parse(orderSchema)
	require.NoError(t, err)
	ev := events.KafkaEvent{
		EventSource:      "aws:kafka",
		EventSourceARN:   "arn:aws:kafka:us-east-1:123456789012:cluster/orders-cluster/6d1e4b3a-3f0c-4a7e-9c61-0d2a5b7c8e90-2",
		BootstrapServers: "b-1.orders-cluster.abcd12.c2.kafka.us-east-1.amazonaws.com:9098,b-2.orders-cluster.abcd12.c2.kafka.us-east-1.amazonaws.com:9098",
		Records:          map[string][]events.KafkaRecord{},
	}
	for _, s := range samples {
		value := s.raw
		if s.order != nil {
			body, err := hamba.Marshal(schema, s.order)
			require.NoError(t, err)
			value = append(binary.BigEndian.AppendUint32([]byte{0}, schemaID), body...)
		}
		h := s.headers
		if h == nil {
			h = []map[string]events.JSONNumberBytes{}
		}
		k := "orders-" + string(rune('0'+s.partition))
		ev.Records[k] = append(ev.Records[k], events.KafkaRecord{
			Topic:         "orders",
			Partition:     s.partition,
			Offset:        s.offset,
			Timestamp:     events.MilliSecondsEpochTime{Time: time.UnixMilli(1764100000000 + s.offset)},
			TimestampType: "CREATE_TIME",
			Key:           base64.StdEncoding.EncodeToString([]byte(s.key)),
			Value:         base64.StdEncoding.EncodeToString(value),
			Headers:       h,
		})
	}
	out, err := json.MarshalIndent(ev, "", "  ")
	require.NoError(t, err)
	return append(out, '\n')
}

// TestEventJSON checks that event.json is what the generator produces
// (`go test -run TestEventJSON -update` rewrites it).
func TestEventJSON(t *testing.T) {
	got := generate(t)
	if *update {
		require.NoError(t, os.WriteFile("event.json", got, 0o644))
	}
	want, err := os.ReadFile("event.json")
	require.NoError(t, err)
	require.Equal(t, string(got), string(want))
}
