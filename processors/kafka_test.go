package processors_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

func loadKafkaEvent(t *testing.T, name string) events.KafkaEvent {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	var ev events.KafkaEvent
	require.NoError(t, json.Unmarshal(data, &ev))
	return ev
}

// where names a Kafka record as "<topic>-<partition>@<offset>".
func where(r *events.KafkaRecord) string {
	return fmt.Sprintf("%s-%d", r.Topic, r.Partition) + "@" + strconv.FormatInt(r.Offset, 10)
}

// TestKafkaSamples runs the sample MSK and self-managed events, several
// partitions each and several failures in one partition: each partition
// stops at its first failure, and only its lowest failed offset is reported.
func TestKafkaSamples(t *testing.T) {
	defer goleak.VerifyNone(t)
	tests := []struct {
		file        string
		fail        []string
		wantHandled []string
		wantJSON    string
	}{
		{
			file: "kafka-msk.json",
			fail: []string{"orders-0@16", "orders-0@18", "orders-2@7"},
			wantHandled: []string{
				"orders-0@15", "orders-0@16",
				"orders-1@3", "orders-1@4", "orders-1@5",
				"orders-2@7",
			},
			wantJSON: `{"batchItemFailures":[{"itemIdentifier":{"partition":"orders-0","offset":16}},{"itemIdentifier":{"partition":"orders-2","offset":7}}]}`,
		},
		{
			file: "kafka-self-managed.json",
			fail: []string{"clicks-10@101", "clicks-10@103", "clicks-10@104"},
			wantHandled: []string{
				"clicks-2@40", "clicks-2@41", "clicks-2@42",
				"clicks-10@100", "clicks-10@101",
			},
			wantJSON: `{"batchItemFailures":[{"itemIdentifier":{"partition":"clicks-10","offset":101}}]}`,
		},
		{
			file: "kafka-self-managed.json",
			wantHandled: []string{
				"clicks-2@40", "clicks-2@41", "clicks-2@42",
				"clicks-10@100", "clicks-10@101", "clicks-10@102", "clicks-10@103", "clicks-10@104",
			},
			wantJSON: `{"batchItemFailures":[]}`,
		},
	}
	for _, tt := range tests {
		for _, conc := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/%d failures/concurrency %d", tt.file, len(tt.fail), conc), func(t *testing.T) {
				event := loadKafkaEvent(t, tt.file)
				fail := map[string]bool{}
				for _, f := range tt.fail {
					fail[f] = true
				}
				var mu sync.Mutex
				var handled []string
				resp, err := processors.ProcessKafka(context.Background(), core.Must(processors.NewKafka(processors.Config{Options: core.Options{Concurrency: conc}})), event,
					func(_ context.Context, r *events.KafkaRecord) error {
						value, err := base64.StdEncoding.DecodeString(r.Value)
						if err != nil || !json.Valid(value) {
							return fmt.Errorf("bad value %q: %v", r.Value, err)
						}
						mu.Lock()
						handled = append(handled, where(r))
						mu.Unlock()
						if fail[where(r)] {
							return errors.New("boom")
						}
						return nil
					})
				require.NoError(t, err)
				require.ElementsMatch(t, tt.wantHandled, handled)
				got, err := json.Marshal(resp)
				require.NoError(t, err)
				require.JSONEq(t, tt.wantJSON, string(got))
			})
		}
	}
}

// TestKafkaOutcomes: with [core.Run], the records after a partition's first
// failure are short-circuited, naming the failed offset's position.
func TestKafkaOutcomes(t *testing.T) {
	event := loadKafkaEvent(t, "kafka-msk.json")
	recs := processors.KafkaRecords(event)
	b := core.NewBatch(recs, func(_ context.Context, r *events.KafkaRecord) error {
		if where(r) == "orders-0@16" {
			return errors.New("boom")
		}
		return nil
	})
	resp, err := core.Run(context.Background(), core.Must(processors.NewKafka(processors.Config{Options: core.Options{Concurrency: 3}})), b)
	require.NoError(t, err)
	require.Equal(t, []string{"orders-0@16"}, batchtest.FailedIDs(resp))
	for i, r := range recs {
		switch where(&r) {
		case "orders-0@16":
			require.Equal(t, core.StatusFailure, b.Outcomes[i].Status)
		case "orders-0@17", "orders-0@18", "orders-0@19":
			var sc *core.UnhandledError
			require.ErrorAs(t, b.Outcomes[i].Err, &sc)
			require.ErrorIs(t, sc, core.ErrShortCircuit)
			require.Equal(t, "orders-0", sc.Key)
			require.Equal(t, "orders-0@16", where(&recs[sc.FailedPosition]))
		default:
			require.Equal(t, core.StatusSuccess, b.Outcomes[i].Status, where(&r))
		}
	}
}

// TestKafkaLowestOffsetWhateverTheInputOrder: records given to core.Process
// out of offset order still report the lowest failed offset.
func TestKafkaLowestOffsetWhateverTheInputOrder(t *testing.T) {
	recs := []events.KafkaRecord{
		{Topic: "t", Partition: 0, Offset: 9},
		{Topic: "t", Partition: 1, Offset: 1},
		{Topic: "t", Partition: 0, Offset: 8},
		{Topic: "t", Partition: 0, Offset: 7},
	}
	resp, err := core.Process(context.Background(), core.Must(processors.NewKafka(processors.Config{})), recs,
		func(_ context.Context, r *events.KafkaRecord) error {
			if r.Offset == 9 {
				return errors.New("boom")
			}
			return nil
		})
	require.NoError(t, err)
	require.Equal(t, []string{"t-0@7"}, batchtest.FailedIDs(resp))
}

// kafkaEvent is batchtest.KafkaEvent decoded as Lambda's runtime decodes
// it for a handler of events.KafkaEvent.
func kafkaEvent(t testing.TB, eventSource string, msgs ...batchtest.KafkaMessage) events.KafkaEvent {
	t.Helper()
	var ev events.KafkaEvent
	require.NoError(t, json.Unmarshal(batchtest.KafkaEvent(eventSource, msgs...), &ev))
	return ev
}

// TestKafkaRecordsOrder: partitions by topic then partition number, records
// by offset, whatever the order of the event.
func TestKafkaRecordsOrder(t *testing.T) {
	event := kafkaEvent(t, processors.EventSourceMSK,
		batchtest.KafkaMessage{Topic: "t", Partition: 10, Offset: 5},
		batchtest.KafkaMessage{Topic: "t", Partition: 2, Offset: 9},
		batchtest.KafkaMessage{Topic: "t", Partition: 2, Offset: 8},
		batchtest.KafkaMessage{Topic: "a", Partition: 3, Offset: 1},
		batchtest.KafkaMessage{Topic: "t", Partition: 10, Offset: 4},
		batchtest.KafkaMessage{Topic: "t-x", Partition: 0, Offset: 0},
	)
	event.Records["odd"] = []events.KafkaRecord{{Topic: "odd", Offset: 3}}
	var got []string
	for _, r := range processors.KafkaRecords(event) {
		got = append(got, where(&r))
	}
	require.Equal(t, []string{"a-3@1", "odd-0@3", "t-2@8", "t-2@9", "t-10@4", "t-10@5", "t-x-0@0"}, got)
	require.Empty(t, processors.KafkaRecords(events.KafkaEvent{}))
}

// TestProcessKafkaEventSource: MSK, self-managed and an empty eventSource
// are accepted; any other is refused before a handler runs.
func TestProcessKafkaEventSource(t *testing.T) {
	tests := []struct {
		source  string
		wantErr bool
	}{
		{processors.EventSourceMSK, false},
		{processors.EventSourceSelfManagedKafka, false},
		{"", false},
		{"aws:sqs", true},
		{"aws:kinesis", true},
	}
	for _, tt := range tests {
		t.Run(tt.source, func(t *testing.T) {
			event := kafkaEvent(t, tt.source, batchtest.KafkaMessage{Topic: "t", Offset: 1})
			called := false
			resp, err := processors.ProcessKafka(context.Background(), core.Must(processors.NewKafka(processors.Config{})), event,
				func(context.Context, *events.KafkaRecord) error { called = true; return nil })
			if !tt.wantErr {
				require.NoError(t, err)
				require.True(t, called)
				return
			}
			require.ErrorIs(t, err, core.ErrEventSourceMismatch)
			require.Contains(t, err.Error(), fmt.Sprintf("eventSource %q, the processor accepts \"aws:kafka\" or \"SelfManagedKafka\"", tt.source))
			require.False(t, called)
			require.Empty(t, resp.BatchItemFailures)
		})
	}
}

// TestKafkaPartitionsRunInParallel: under concurrency, different partitions
// run at the same time and each partition's records run in offset order.
func TestKafkaPartitionsRunInParallel(t *testing.T) {
	defer goleak.VerifyNone(t)
	var msgs []batchtest.KafkaMessage
	for off := range int64(4) {
		for p := range int64(3) {
			msgs = append(msgs, batchtest.KafkaMessage{Topic: "t", Partition: p, Offset: 10 + off})
		}
	}
	recs := processors.KafkaRecords(kafkaEvent(t, processors.EventSourceMSK, msgs...))
	keys := make([]string, len(recs))
	pos := map[string]int{}
	for i := range recs {
		keys[i] = fmt.Sprintf("%s-%d", recs[i].Topic, recs[i].Partition)
		pos[where(&recs[i])] = i
	}
	var log callLog
	m := newMeeting(3)
	resp, err := core.Process(context.Background(), core.Must(processors.NewKafka(processors.Config{Options: core.Options{Concurrency: 3}})), recs,
		func(_ context.Context, r *events.KafkaRecord) error {
			i := pos[where(r)]
			log.start(i)
			defer log.end(i)
			if r.Offset == 10 {
				return m.wait() // the first record of each partition
			}
			return nil
		})
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	require.Equal(t, 3, log.max)
	log.requireChained(t, keys)
}

// TestKafkaFullBatchFailure: when every record failed or was short-circuited
// the invocation fails (unless told not to), and the response still reports
// the lowest offset of each partition.
func TestKafkaFullBatchFailure(t *testing.T) {
	event := loadKafkaEvent(t, "kafka-self-managed.json")
	handler := func(_ context.Context, r *events.KafkaRecord) error {
		if r.Offset == 40 || r.Offset == 100 {
			return errors.New("boom")
		}
		return nil
	}
	want := []string{"clicks-2@40", "clicks-10@100"}

	resp, err := processors.ProcessKafka(context.Background(), core.Must(processors.NewKafka(processors.Config{Options: core.Options{Concurrency: 2}})), event, handler)
	var full *core.FullBatchFailureError
	require.ErrorAs(t, err, &full)
	require.Len(t, full.Errors, 8)
	require.Equal(t, want, batchtest.FailedIDs(resp))

	resp, err = processors.ProcessKafka(context.Background(), core.Must(processors.NewKafka(processors.Config{Options: core.Options{SuppressFullBatchError: true}})), event, handler)
	require.NoError(t, err)
	require.Equal(t, want, batchtest.FailedIDs(resp))
}

// TestKafkaUnidentifiable: a failed record without topic cannot be reported,
// so the invocation fails and Lambda retries the batch.
func TestKafkaUnidentifiable(t *testing.T) {
	recs := []events.KafkaRecord{{Topic: "t", Offset: 1}, {Offset: 2}}
	_, err := core.Process(context.Background(), core.Must(processors.NewKafka(processors.Config{})), recs,
		func(_ context.Context, r *events.KafkaRecord) error {
			if r.Topic == "" {
				return errors.New("boom")
			}
			return nil
		})
	var unid *core.UnidentifiableFailureError
	require.ErrorAs(t, err, &unid)
	require.Equal(t, []int{1}, unid.Positions)
}

// TestKafkaConfig: Kafka's ordering is fixed; options that change it are
// refused.
func TestKafkaConfig(t *testing.T) {
	tests := []struct {
		name string
		c    processors.Config
		want string
	}{
		{"stop on first failure", processors.Config{StopOnFirstFailure: true}, "applies only to kinesis and dynamodb"},
		{"order by key", processors.Config{OrderByKey: true}, "applies only to kinesis and dynamodb"},
		{"skip group", processors.Config{SkipGroupOnError: true}, "SkipGroupOnError"},
		{"negative concurrency", processors.Config{Options: core.Options{Concurrency: -1}}, "Concurrency"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := processors.NewKafka(tt.c)
			require.ErrorContains(t, err, tt.want)
			require.Nil(t, p)
		})
	}
	require.Panics(t, func() { core.Must(processors.NewKafka(processors.Config{OrderByKey: true})) })
	p, err := processors.NewKafka(processors.Config{Options: core.Options{Concurrency: 8}})
	require.NoError(t, err)
	require.Equal(t, core.StopKey, p.Source().Stop)
	require.True(t, p.Source().OrderByKey)
	require.Equal(t, 8, p.Options().Concurrency)
}

// TestKafkaResponseConversion: the typed response marshals like core's.
func TestKafkaResponseConversion(t *testing.T) {
	tests := []struct {
		name string
		resp core.Response
		want string
	}{
		{"empty", core.Response{}, `{"batchItemFailures":[]}`},
		{"two partitions", core.Response{BatchItemFailures: []core.BatchItemFailure{
			{ItemIdentifier: core.KafkaID("t-0", 3)}, {ItemIdentifier: core.KafkaID("t-1", 0)},
		}}, `{"batchItemFailures":[{"itemIdentifier":{"partition":"t-0","offset":3}},{"itemIdentifier":{"partition":"t-1","offset":0}}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core, err := json.Marshal(tt.resp)
			require.NoError(t, err)
			require.JSONEq(t, tt.want, string(core))
		})
	}
}

// ExampleProcessKafka handles an MSK event: partition 0 fails at offset 8,
// so 9 is not handled and only offset 8 is reported for it.
func ExampleProcessKafka() {
	var event events.KafkaEvent // as Lambda's runtime decodes it
	_ = json.Unmarshal(batchtest.KafkaEvent(processors.EventSourceMSK,
		batchtest.KafkaMessage{Topic: "orders", Partition: 0, Offset: 7, Value: `{"amount":3}`},
		batchtest.KafkaMessage{Topic: "orders", Partition: 0, Offset: 8, Value: `{"amount":-1}`},
		batchtest.KafkaMessage{Topic: "orders", Partition: 0, Offset: 9, Value: `{"amount":5}`},
		batchtest.KafkaMessage{Topic: "orders", Partition: 1, Offset: 4, Value: `{"amount":2}`},
	), &event)
	processor := core.Must(processors.NewKafka(processors.Config{Options: core.Options{Concurrency: 4}}))
	resp, err := processors.ProcessKafka(context.Background(), processor, event,
		func(_ context.Context, r *events.KafkaRecord) error {
			value, _ := base64.StdEncoding.DecodeString(r.Value)
			var order struct{ Amount int }
			if err := json.Unmarshal(value, &order); err != nil {
				return err
			}
			if order.Amount < 0 {
				return fmt.Errorf("offset %d: negative amount", r.Offset)
			}
			return nil
		})
	out, _ := json.Marshal(resp)
	fmt.Println(string(out), err)
	// Output: {"batchItemFailures":[{"itemIdentifier":{"partition":"orders-0","offset":8}}]} <nil>
}
