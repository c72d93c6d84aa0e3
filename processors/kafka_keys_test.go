package processors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/raw"
)

// TestKafkaRecordsKeepsOrderedPartitions: partitions already in offset order
// (duplicates included) keep their order; others are sorted stably.
func TestKafkaRecordsKeepsOrderedPartitions(t *testing.T) {
	ev := events.KafkaEvent{Records: map[string][]events.KafkaRecord{
		"a-0": {{Topic: "a", Offset: 1, Key: "x"}, {Topic: "a", Offset: 1, Key: "y"}, {Topic: "a", Offset: 2}},
		"a-1": {{Topic: "a", Partition: 1, Offset: 3, Key: "p"}, {Topic: "a", Partition: 1, Offset: 2}, {Topic: "a", Partition: 1, Offset: 3, Key: "q"}},
	}}
	var got []string
	for _, r := range KafkaRecords(ev) {
		got = append(got, raw.TopicPartition(&r)+"@"+string(rune('0'+r.Offset))+r.Key)
	}
	require.Equal(t, []string{"a-0@1x", "a-0@1y", "a-0@2", "a-1@2", "a-1@3p", "a-1@3q"}, got)
}

// misfiledKafkaEvent holds, under the key "a-0", a record of partition b-1
// (offset 5) that comes after b-1's offset 4 and before its offset 6, and a
// record without a topic, which belongs to a-0.
func misfiledKafkaEvent() events.KafkaEvent {
	return events.KafkaEvent{EventSource: EventSourceMSK, Records: map[string][]events.KafkaRecord{
		"a-0": {{Topic: "a", Offset: 1}, {Topic: "b", Partition: 1, Offset: 5}, {Offset: 2}},
		"b-1": {{Topic: "b", Partition: 1, Offset: 4}, {Topic: "b", Partition: 1, Offset: 6}},
	}}
}

// TestKafkaOrdersByOwnTopicPartition: a record is ordered and stopped by its
// own topic-partition, not by the key it came under (a record without a
// topic takes the key's): when b-1's offset 4 fails, offsets 5 (filed under
// a-0) and 6 are not handled, and the response names b-1 at offset 4. Both
// entries, typed and raw.
func TestKafkaOrdersByOwnTopicPartition(t *testing.T) {
	p := core.Must(NewKafka(Config{}))
	run := func(t *testing.T, entry func(core.Handler[events.KafkaRecord]) (core.Response, error)) {
		var handled []string
		resp, err := entry(func(_ context.Context, r *events.KafkaRecord) error {
			handled = append(handled, fmt.Sprintf("%s@%d", raw.TopicPartition(r), r.Offset))
			if r.Topic == "b" && r.Offset == 4 {
				return errors.New("fail")
			}
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, []string{"a-0@1", "a-0@2", "b-1@4"}, handled)
		require.Equal(t, []core.Identifier{core.KafkaID("b-1", 4)}, resp.Identifiers())
	}
	t.Run("typed", func(t *testing.T) {
		require.Equal(t, []string{"a-0@1", "a-0@2", "b-1@4", "b-1@5", "b-1@6"}, func() (out []string) {
			for _, r := range KafkaRecords(misfiledKafkaEvent()) {
				out = append(out, fmt.Sprintf("%s@%d", raw.TopicPartition(&r), r.Offset))
			}
			return out
		}())
		run(t, func(h core.Handler[events.KafkaRecord]) (core.Response, error) {
			return ProcessKafka(context.Background(), p, misfiledKafkaEvent(), h)
		})
	})
	t.Run("raw", func(t *testing.T) {
		ev, err := json.Marshal(misfiledKafkaEvent())
		require.NoError(t, err)
		run(t, func(h core.Handler[events.KafkaRecord]) (core.Response, error) {
			return KafkaHandler(p, h)(context.Background(), ev)
		})
	})
}

// TestProcessKafkaAllocatesNothingPerSuccessfulRecord: the typed Kafka entry
// allocates the same for 2,000 successful records as for 1,000, partitions
// interleaved under their keys or not (it allocated twice per record when
// they were interleaved).
func TestProcessKafkaAllocatesNothingPerSuccessfulRecord(t *testing.T) {
	event := func(n int, interleaved bool) events.KafkaEvent {
		ev := events.KafkaEvent{EventSource: EventSourceMSK, Records: map[string][]events.KafkaRecord{}}
		for i := range n {
			part := int64(i % 4)
			key := fmt.Sprintf("orders-%d", part)
			if interleaved {
				key = fmt.Sprintf("orders-%d", i/(n/4)) // filed under another partition's key
			}
			ev.Records[key] = append(ev.Records[key], events.KafkaRecord{Topic: "orders", Partition: part, Offset: int64(i)})
		}
		return ev
	}
	p := core.Must(NewKafka(Config{}))
	ok := func(context.Context, *events.KafkaRecord) error { return nil }
	for _, interleaved := range []bool{false, true} {
		t.Run(fmt.Sprintf("interleaved=%v", interleaved), func(t *testing.T) {
			allocs := func(n int) float64 {
				ev := event(n, interleaved)
				return testing.AllocsPerRun(20, func() {
					resp, err := ProcessKafka(context.Background(), p, ev, ok)
					if err != nil || len(resp.BatchItemFailures) != 0 {
						t.Fatal(resp, err)
					}
				})
			}
			a1, a2 := allocs(1000), allocs(2000)
			t.Logf("allocations per invocation: %v for 1,000 records, %v for 2,000", a1, a2)
			// A few allocations of slack: sync.Pool drops items at random
			// under the race detector.
			require.LessOrEqual(t, a2-a1, 2.0, "allocations grow with the records: %v for 1,000, %v for 2,000", a1, a2)
			require.LessOrEqual(t, a1, 16.0)
		})
	}
}

// TestKafkaAdapterRefusalsReachHooks: an invocation the Kafka adapter
// refuses (another event source, no records object) is reported to the
// hooks with its error.
func TestKafkaAdapterRefusalsReachHooks(t *testing.T) {
	for name, ev := range map[string]string{
		"wrong source": `{"eventSource":"aws:sqs","records":{"a-0":[{"topic":"a","partition":0,"offset":1}]}}`,
		"no records":   `{"eventSource":"aws:kafka"}`,
	} {
		t.Run(name, func(t *testing.T) {
			h := &refusedHook{}
			p := core.Must(NewKafka(Config{Options: core.Options{Hooks: []core.Hook{h}}}))
			_, err := KafkaHandler(p, func(context.Context, *events.KafkaRecord) error { return nil })(context.Background(), json.RawMessage(ev))
			require.Error(t, err)
			require.Len(t, h.errs, 1)
			require.Equal(t, err, h.errs[0])
		})
	}
}

// refusedHook records the errors its BatchEnd sees.
type refusedHook struct {
	core.NopHook
	errs []error
}

func (h *refusedHook) BatchEnd(_ context.Context, res core.BatchResult) error {
	h.errs = append(h.errs, res.Err)
	return nil
}
