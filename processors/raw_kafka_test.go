package processors_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

// recordKafka returns a handler that records what it saw, failing the
// records whose offset is in fail.
func recordKafka(fail ...int64) (core.Handler[events.KafkaRecord], func() []events.KafkaRecord) {
	var mu sync.Mutex
	var seen []events.KafkaRecord
	h := func(_ context.Context, r *events.KafkaRecord) error {
		mu.Lock()
		seen = append(seen, *r)
		mu.Unlock()
		for _, f := range fail {
			if r.Offset == f {
				return fmt.Errorf("offset %d fails", f)
			}
		}
		return nil
	}
	return h, func() []events.KafkaRecord {
		mu.Lock()
		defer mu.Unlock()
		return seen
	}
}

// For a valid event, the raw entry hands the handler exactly the records
// that json.Unmarshal into events.KafkaEvent and KafkaRecords give, in the
// same order.
func TestKafkaRawEquivalence(t *testing.T) {
	files := []string{"kafka-msk.json", "kafka-self-managed.json"}
	inline := map[string]string{
		"headers edge cases": `{"eventSource":"aws:kafka","records":{"t-0":[
			{"topic":"t","partition":0,"offset":1,"timestamp":null,"headers":null},
			{"topic":"t","partition":0,"offset":0,"timestamp":1700000000123,"headers":[null,{"a":null,"b":[],"c":[-128,127,0,-1]}]}]}}`,
		"keys ignoring case and unknown keys": `{"EventSource":"SelfManagedKafka","RECORDS":{"t-3":[
			{"Topic":"t","Partition":3,"OFFSET":9,"value":"dg==","extra":{"x":[1,2,{"y":null}]}}]},"other":[true,false]}`,
		"null and empty groups": `{"eventSource":"aws:kafka","records":{"a-0":null,"b-0":[],"c-1":[{"topic":"c","partition":1,"offset":5,"key":"a2V5"}]}}`,
		"escaped strings":       `{"eventSource":"aws:kafka","records":{"t\u00e9-0":[{"topic":"t\u00e9","partition":0,"offset":1,"value":"\"q\" \\ \u263a"}]}}`,
	}
	events := map[string][]byte{}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join("testdata", f))
		require.NoError(t, err)
		events[f] = data
	}
	for name, e := range inline {
		events[name] = []byte(e)
	}
	for name, data := range events {
		t.Run(name, func(t *testing.T) {
			var typed eventsKafka
			require.NoError(t, json.Unmarshal(data, &typed.KafkaEvent))
			want := processors.KafkaRecords(typed.KafkaEvent)

			h, seen := recordKafka()
			resp, err := processors.KafkaHandler(core.Must(processors.NewKafka(processors.Config{})), h)(context.Background(), data)
			require.NoError(t, err)
			require.Empty(t, resp.BatchItemFailures)
			got := seen()
			require.Len(t, got, len(want))
			for i := range want {
				require.Equal(t, want[i], got[i], "record %d", i)
			}
		})
	}
}

// eventsKafka keeps the events package name free for the test's map.
type eventsKafka struct{ events.KafkaEvent }

// A record that does not decode fails alone, reported by its partition and
// offset; the later offsets of its partition are not handled (Kafka stops a
// partition at its first failure) while the other partitions go on.
func TestKafkaRawBadRecordFailsAlone(t *testing.T) {
	event := `{"eventSource":"aws:kafka","records":{
		"orders-0":[
			{"topic":"orders","partition":0,"offset":12,"value":"bGF0ZXI="},
			{"topic":"orders","partition":0,"offset":10,"value":"b2s="},
			{"topic":"orders","partition":0,"offset":11,"headers":[{"h":[300]}]}],
		"orders-1":[
			{"topic":"orders","partition":1,"offset":4,"value":"b2s="},
			{"topic":"orders","partition":1,"offset":5,"partition":"not a number"}],
		"orders-2":[
			{"topic":"orders","partition":2,"offset":7,"value":"b2s="}]}}`
	h, seen := recordKafka()
	resp, err := processors.KafkaHandler(core.Must(processors.NewKafka(processors.Config{})), h)(context.Background(), []byte(event))
	require.NoError(t, err)
	out, err := json.Marshal(resp)
	require.NoError(t, err)
	require.JSONEq(t, `{"batchItemFailures":[
		{"itemIdentifier":{"partition":"orders-0","offset":11}},
		{"itemIdentifier":{"partition":"orders-1","offset":5}}]}`, string(out))
	var handled []string
	for _, r := range seen() {
		handled = append(handled, fmt.Sprintf("%s@%d", fmt.Sprintf("%s-%d", r.Topic, r.Partition), r.Offset))
	}
	require.Equal(t, []string{"orders-0@10", "orders-1@4", "orders-2@7"}, handled)
}

// The failed record's error is a core.RecordDecodeError naming the record by its
// place in the handling order and its partition and offset.
func TestKafkaRawDecodeErrorDetails(t *testing.T) {
	event := `{"eventSource":"aws:kafka","records":{"t-0":[
		{"topic":"t","partition":0,"offset":3,"value":"b2s="},
		{"topic":"t","partition":0,"offset":2,"timestamp":"yesterday"}]}}`
	_, err := processors.KafkaHandler(core.Must(processors.NewKafka(processors.Config{})), func(context.Context, *events.KafkaRecord) error { return nil })(context.Background(), []byte(event))
	// Offset 2 did not decode, offset 3 was short-circuited after it: the
	// whole batch failed.
	require.ErrorIs(t, err, core.ErrFullBatchFailure)
	var de *core.RecordDecodeError
	require.ErrorAs(t, err, &de)
	require.Equal(t, 0, de.Position)
	require.Equal(t, "t-0@2", de.Identifier)
	require.ErrorIs(t, err, core.ErrDecode)
}

// A record without topic belongs to the topic-partition of its map key: it
// is handled with that topic and partition, and reported by them.
func TestKafkaRawRecordWithoutTopicUsesMapKey(t *testing.T) {
	event := `{"eventSource":"SelfManagedKafka","records":{"clicks-7":[{"offset":42,"value":"eA=="}]}}`
	h, seen := recordKafka(42)
	resp, err := processors.KafkaHandler(core.Must(processors.NewKafka(processors.Config{Options: core.Options{SuppressFullBatchError: true}})), h)(context.Background(), []byte(event))
	require.NoError(t, err)
	require.Equal(t, []core.Identifier{core.KafkaID("clicks-7", 42)}, resp.Identifiers())
	require.Equal(t, "clicks", seen()[0].Topic)
	require.EqualValues(t, 7, seen()[0].Partition)
}

// When a broken record's offset cannot be read, or its map key is not a
// topic-partition, the invocation fails: the batch is retried whole. The
// record's partition is unknown, so no later record that might share it
// runs.
func TestKafkaRawUnidentifiable(t *testing.T) {
	for name, tc := range map[string]struct {
		event    string
		fullFail bool
	}{
		"no offset": {`{"eventSource":"aws:kafka","records":{"t-0":[
			{"topic":"t","partition":0,"offset":1},
			{"topic":"t","partition":0,"offset":"two"}]}}`, true},
		"key is not a topic-partition": {`{"eventSource":"aws:kafka","records":{"weird":[
			{"topic":"t","partition":0,"offset":1,"headers":"no"}],"t-1":[{"topic":"t","partition":1,"offset":1}]}}`, false},
	} {
		t.Run(name, func(t *testing.T) {
			h, seen := recordKafka()
			_, err := processors.KafkaHandler(core.Must(processors.NewKafka(processors.Config{})), h)(context.Background(), []byte(tc.event))
			require.ErrorIs(t, err, core.ErrDecode)
			if tc.fullFail {
				// The unreadable offset sorts first; the record after it
				// may be of its partition, so it does not run.
				require.ErrorIs(t, err, core.ErrFullBatchFailure)
				require.Empty(t, seen())
			} else {
				require.ErrorIs(t, err, core.ErrUnidentifiableFailure)
				require.Len(t, seen(), 1)
			}
		})
	}
}

// An event from another source, or without a records object, is refused
// before any handler runs.
func TestKafkaRawRefused(t *testing.T) {
	cases := []struct {
		event string
		want  error
	}{
		{`{"eventSource":"aws:sqs","records":{"t-0":[{"topic":"t","partition":0,"offset":1}]}}`, core.ErrEventSourceMismatch},
		{`{"eventSource":"aws:kafka"}`, core.ErrUnexpectedBatchType},
		{`{"eventSource":"aws:kafka","records":null}`, core.ErrUnexpectedBatchType},
		{`{"eventSource":"aws:kafka","records":[]}`, core.ErrUnexpectedBatchType},
		{`{"Records":[{"messageId":"m1"}]}`, core.ErrUnexpectedBatchType},
		{`[]`, core.ErrUnexpectedBatchType},
		{``, core.ErrUnexpectedBatchType},
		{`{"eventSource":"aws:kafka","records":{"t-0":[{"topic":"t"}]}`, core.ErrUnexpectedBatchType},
		{`{"eventSource":"aws:kafka","records":{}} x`, core.ErrUnexpectedBatchType},
	}
	for _, c := range cases {
		t.Run(c.event, func(t *testing.T) {
			called := false
			_, err := processors.KafkaHandler(core.Must(processors.NewKafka(processors.Config{})), func(context.Context, *events.KafkaRecord) error { called = true; return nil })(context.Background(), []byte(c.event))
			require.ErrorIs(t, err, c.want)
			require.False(t, called)
		})
	}
}

// An empty records object is an empty batch: nothing failed.
func TestKafkaRawEmpty(t *testing.T) {
	resp, err := processors.KafkaHandler(core.Must(processors.NewKafka(processors.Config{})), func(context.Context, *events.KafkaRecord) error { return errors.New("no record") })(context.Background(), []byte(`{"eventSource":"aws:kafka","records":{}}`))
	require.NoError(t, err)
	out, err := json.Marshal(resp)
	require.NoError(t, err)
	require.JSONEq(t, `{"batchItemFailures":[]}`, string(out))
}

// BenchmarkRawKafka compares, on the same 1,000-record event and a no-op
// handler, the typed path (json.Unmarshal into events.KafkaEvent, then
// ProcessKafka) with the raw entry.
func BenchmarkRawKafka(b *testing.B) {
	data := kafkaBenchEvent(1000)
	ctx := context.Background()
	p := core.Must(processors.NewKafka(processors.Config{}))
	b.Run("typed", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var ev events.KafkaEvent
			if err := json.Unmarshal(data, &ev); err != nil {
				b.Fatal(err)
			}
			if _, err := processors.ProcessKafka(ctx, p, ev, nopKafka); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := processors.KafkaHandler(p, nopKafka)(ctx, data); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// FuzzKafkaRaw: the raw entry never panics, and when encoding/json accepts
// the event and the raw entry handles it without failures, the handler saw
// exactly the records json.Unmarshal and KafkaRecords give, in that order.
func FuzzKafkaRaw(f *testing.F) {
	for _, name := range []string{"kafka-msk.json", "kafka-self-managed.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add([]byte(`{"eventSource":"aws:kafka","records":{"t-0":[{"topic":"t","partition":0,"offset":1,"headers":[{"a":[1,-2]}]}]}}`))
	f.Add([]byte(`{"records":{"t-1":[{"offset":3},{"offset":2,"timestamp":5}],"u-0":null}}`))
	f.Add([]byte(`{"eventSource":"aws:kafka","records":{"t-0":[{"offset":"x"}]}}`))
	p := core.Must(processors.NewKafka(processors.Config{Options: core.Options{SuppressFullBatchError: true}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, seen := recordKafka()
		resp, err := processors.KafkaHandler(p, h)(context.Background(), data)
		var ev events.KafkaEvent
		if json.Unmarshal(data, &ev) != nil || err != nil || len(resp.BatchItemFailures) > 0 {
			return
		}
		want := processors.KafkaRecords(ev)
		got := seen()
		require.Len(t, got, len(want))
		for i := range want {
			if want[i].Topic == "" { // the raw entry fills it from the map key
				want[i].Topic, want[i].Partition = got[i].Topic, got[i].Partition
			}
			require.Equal(t, want[i], got[i], "record %d", i)
		}
	})
}
