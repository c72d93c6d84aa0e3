package driver_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/driver"
)

// A SelfManagedKafka event of a template runs as a Kafka mapping on the
// brokers the run gives (here kfake, in-process), with its batch size,
// starting position and FilterCriteria.
func TestTemplateKafkaEvent(t *testing.T) {
	t.Parallel()
	brokers := kafkaCluster(t, "orders", 2)
	for i, v := range []string{`{"kind":"order","n":1}`, `{"kind":"refund","n":2}`, `{"kind":"order","n":3}`, `{"kind":"order","n":4}`} {
		produce(t, brokers, &kgo.Record{Topic: "orders", Partition: int32(i % 2), Value: []byte(v)})
	}
	tpl, err := driver.ParseTemplate([]byte(`
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Orders:
          Type: SelfManagedKafka
          Properties:
            KafkaBootstrapServers: [broker.example.com:9092]
            Topics: [orders]
            StartingPosition: TRIM_HORIZON
            BatchSize: 10
            MaximumBatchingWindowInSeconds: 1
            SelfManagedKafkaEventSourceConfig: {ConsumerGroupId: template-group}
            FilterCriteria: {Filters: [{Pattern: '{"value": {"kind": ["order"]}}'}]}
`))
	require.NoError(t, err)
	maps, notes, err := tpl.Mappings("")
	require.NoError(t, err)
	require.Empty(t, notes)
	require.Equal(t, []string{"orders"}, maps[0].Topics)
	require.Equal(t, []string{"broker.example.com:9092"}, maps[0].KafkaBootstrapServers)
	require.Equal(t, "template-group", maps[0].ConsumerGroupID)

	msk := maps[0]
	msk.Type, msk.KafkaBootstrapServers = driver.TypeMSK, nil // an MSK event names its cluster, not brokers
	_, err = msk.Open(context.Background(), tpl, &driver.Env{})
	require.ErrorIs(t, err, driver.ErrInvalidConfig, "no brokers to read from")
	o, err := maps[0].Open(context.Background(), tpl, &driver.Env{KafkaBrokers: brokers})
	require.NoError(t, err)
	defer o.Close()
	require.Equal(t, "orders", o.SourceName)

	var mu sync.Mutex
	var values []string
	fn := driver.Handler(func(_ context.Context, e events.KafkaEvent) (core.Response, error) {
		mu.Lock()
		defer mu.Unlock()
		require.Equal(t, "SelfManagedKafka", e.EventSource)
		for _, recs := range e.Records {
			for _, r := range recs {
				v, err := base64.StdEncoding.DecodeString(r.Value)
				require.NoError(t, err)
				values = append(values, string(v))
			}
		}
		return core.Response{}, nil
	})
	reports, err := driver.Run(context.Background(), []*driver.OpenMapping{o}, fn, driver.RunOptions{Idle: 2})
	require.NoError(t, err)
	sort.Strings(values)
	require.Equal(t, []string{`{"kind":"order","n":1}`, `{"kind":"order","n":3}`, `{"kind":"order","n":4}`}, values)
	require.Equal(t, 4, reports[0].Records)
	require.Equal(t, 1, reports[0].Filtered)
	require.Equal(t, 3, reports[0].Succeeded, "the report counts the records that succeeded")
	require.Positive(t, reports[0].Invocations)
}

// SendEvent produces a Kafka event's records (key, value, headers) to their
// topic and partition; the mapping then delivers them as they were.
func TestSendEventKafka(t *testing.T) {
	t.Parallel()
	brokers := kafkaCluster(t, "payments", 2)
	k := kafkaMapping(t, brokers, "payments")
	o := &driver.OpenMapping{Mapping: driver.Mapping{Function: "Fn", Event: "E", Type: driver.TypeSelfManagedKafka, Enabled: true}, Poller: k}
	b64 := base64.StdEncoding.EncodeToString
	event := events.KafkaEvent{Records: map[string][]events.KafkaRecord{
		"payments-1": {{Topic: "payments", Partition: 1, Key: b64([]byte("k1")), Value: b64([]byte(`{"n":1}`)),
			Headers: []map[string]events.JSONNumberBytes{{"trace": events.JSONNumberBytes("abc")}}}},
		"payments-0": {{Topic: "payments", Partition: 0, Key: b64([]byte("k0")), Value: b64([]byte(`{"n":0}`))}},
	}}
	data, err := json.Marshal(event)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "event.json")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	n, err := driver.SendEvent(context.Background(), &driver.Env{}, o, path)
	require.NoError(t, err)
	require.Equal(t, 2, n)

	var got []events.KafkaRecord
	var mu sync.Mutex
	fn := driver.Handler(func(_ context.Context, e events.KafkaEvent) (core.Response, error) {
		mu.Lock()
		defer mu.Unlock()
		for _, recs := range e.Records {
			got = append(got, recs...)
		}
		return core.Response{}, nil
	})
	_ = drainKafka(t, k, fn)
	require.Len(t, got, 2)
	sort.Slice(got, func(i, j int) bool { return got[i].Partition < got[j].Partition })
	require.Equal(t, b64([]byte("k0")), got[0].Key)
	require.Equal(t, b64([]byte(`{"n":1}`)), got[1].Value)
	require.Equal(t, events.JSONNumberBytes("abc"), got[1].Headers[0]["trace"])
}
