package driver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/driver"
)

// sendMany sends n messages, 10 per call, with bodies body(i).
func sendMany(t *testing.T, c *sqs.Client, url string, n int, body func(i int) string, group func(i int) string) {
	t.Helper()
	for start := 0; start < n; start += 10 {
		var entries []sqstypes.SendMessageBatchRequestEntry
		for i := start; i < min(start+10, n); i++ {
			e := sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), MessageBody: aws.String(body(i))}
			if group != nil {
				e.MessageGroupId = aws.String(group(i))
				e.MessageDeduplicationId = aws.String(fmt.Sprint(i))
			}
			entries = append(entries, e)
		}
		out, err := c.SendMessageBatch(context.Background(), &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
		require.NoError(t, err)
		require.Empty(t, out.Failed)
	}
}

// sqsBodies returns the bodies of an SQS event.
func sqsBodies(t *testing.T, event []byte) []events.SQSMessage {
	var ev events.SQSEvent
	require.NoError(t, json.Unmarshal(event, &ev))
	return ev.Records
}

// Lambda's limits on SQS mappings fail the poll with a ConfigError.
func TestSQSSettingsValidate(t *testing.T) {
	c := sqsClient(t)
	tests := []struct {
		name string
		d    *driver.SQS
		want string
	}{
		{"over 10 without a window", &driver.SQS{BatchSize: 11}, "MaximumBatchingWindowInSeconds 0 (allowed: at least 1 when BatchSize is over 10)"},
		{"over 10,000", &driver.SQS{BatchSize: 10001, MaximumBatchingWindow: time.Second}, "BatchSize 10001 (allowed: 1-10,000)"},
		{"FIFO over 10", &driver.SQS{QueueURL: "http://x/q.fifo", BatchSize: 11, MaximumBatchingWindow: time.Second}, "BatchSize 11 (allowed: 1-10 for a FIFO queue)"},
		{"FIFO window", &driver.SQS{QueueURL: "http://x/q.fifo", MaximumBatchingWindow: time.Second}, "MaximumBatchingWindowInSeconds 1 (allowed: 0 for a FIFO queue)"},
		{"concurrency 1", &driver.SQS{MaximumConcurrency: 1}, "MaximumConcurrency 1 (allowed: 2-1,000)"},
		{"concurrency 1001", &driver.SQS{MaximumConcurrency: 1001}, "MaximumConcurrency 1001 (allowed: 2-1,000)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.d
			d.Client = c
			if d.QueueURL == "" {
				d.QueueURL = "http://127.0.0.1:1/000000000000/not-polled"
			}
			_, err := d.Poll(context.Background(), driver.FunctionFunc(func(context.Context, []byte) ([]byte, error) { return nil, nil }))
			require.ErrorIs(t, err, driver.ErrInvalidConfig)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

// BatchSize over 10 with a batching window: several receives fill one
// invocation, up to BatchSize, each message once.
func TestSQSLargeBatchWithWindow(t *testing.T) {
	t.Parallel()
	c := sqsClient(t)
	url, _ := createQueue(t, c, name("large"), map[string]string{"VisibilityTimeout": "30"})
	sendMany(t, c, url, 45, func(i int) string { return fmt.Sprint(i) }, nil)
	// A window long enough for four receives on a loaded machine: a full
	// batch is invoked at once, without waiting for the window to pass.
	d := &driver.SQS{ReportBatchItemFailures: true, Client: c, QueueURL: url, BatchSize: 40, MaximumBatchingWindow: 5 * time.Second}
	batches, err := driver.Drain(context.Background(), d, driver.FunctionFunc(func(context.Context, []byte) ([]byte, error) { return nil, nil }), 1)
	require.NoError(t, err)
	require.Len(t, batches, 2)
	require.Len(t, batches[0].IDs, 40, "one invocation of BatchSize messages")
	require.Len(t, batches[1].IDs, 5)
	seen := map[string]bool{}
	for _, b := range batches {
		for _, id := range b.IDs {
			require.False(t, seen[id])
			seen[id] = true
		}
		require.Len(t, b.Deleted, len(b.IDs))
	}
	s := d.Stats()
	require.Equal(t, 45, s.Records)
	require.Equal(t, 45, s.Succeeded)
	require.Equal(t, 2, s.Batches)
}

// Messages of about 1 MB: no event exceeds 6 MB; the messages that do not
// fit are delivered in the next batch.
func TestSQSPayloadLimit(t *testing.T) {
	t.Parallel()
	c := sqsClient(t)
	url, _ := createQueue(t, c, name("payload"), map[string]string{"VisibilityTimeout": "30"})
	big := strings.Repeat("x", 1000*1024)
	for i := range 8 {
		_, err := c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(fmt.Sprint(i) + big)})
		require.NoError(t, err)
	}
	d := &driver.SQS{ReportBatchItemFailures: true, Client: c, QueueURL: url, BatchSize: 100, MaximumBatchingWindow: time.Second}
	batches, err := driver.Drain(context.Background(), d, driver.FunctionFunc(func(context.Context, []byte) ([]byte, error) { return nil, nil }), 1)
	require.NoError(t, err)
	total := 0
	for _, b := range batches {
		require.LessOrEqual(t, len(b.Event), driver.MaxPayload)
		total += len(b.IDs)
	}
	require.Equal(t, 8, total)
	require.GreaterOrEqual(t, len(batches), 2)
}

// ScalingConfig.MaximumConcurrency: several invocations at once, never more
// than the maximum.
func TestSQSMaximumConcurrency(t *testing.T) {
	t.Parallel()
	c := sqsClient(t)
	url, _ := createQueue(t, c, name("concurrency"), map[string]string{"VisibilityTimeout": "30"})
	sendMany(t, c, url, 40, func(i int) string { return fmt.Sprint(i) }, nil)
	var inFlight, most atomic.Int32
	var mu sync.Mutex
	seen := map[string]int{}
	fn := driver.FunctionFunc(func(_ context.Context, event []byte) ([]byte, error) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(50 * time.Millisecond)
		mu.Lock()
		defer mu.Unlock()
		for _, r := range sqsBodies(t, event) {
			seen[r.Body]++
		}
		return nil, nil
	})
	d := &driver.SQS{ReportBatchItemFailures: true, Client: c, QueueURL: url, BatchSize: 2, MaximumConcurrency: 3}
	_, err := driver.Drain(context.Background(), d, fn, 2)
	require.NoError(t, err)
	require.Len(t, seen, 40)
	for body, n := range seen {
		require.Equal(t, 1, n, body)
	}
	require.Greater(t, most.Load(), int32(1), "batches ran concurrently")
	require.LessOrEqual(t, most.Load(), int32(3), "never more than MaximumConcurrency")
}

// A FIFO queue with concurrent pollers: one message group is never in two
// batches in flight at once, and each group's messages are processed in
// order, once.
func TestSQSFIFOConcurrentGroups(t *testing.T) {
	t.Parallel()
	c := sqsClient(t)
	url, _ := createQueue(t, c, name("fifo-conc")+".fifo", map[string]string{"FifoQueue": "true", "VisibilityTimeout": "30"})
	groups := []string{"a", "b", "c", "d"}
	sendMany(t, c, url, 40, func(i int) string { return fmt.Sprintf("%s-%02d", groups[i%4], i/4) }, func(i int) string { return groups[i%4] })
	var mu sync.Mutex
	busy := map[string]bool{}
	var order = map[string][]string{}
	var overlaps atomic.Int32
	fn := driver.FunctionFunc(func(_ context.Context, event []byte) ([]byte, error) {
		recs := sqsBodies(t, event)
		require.LessOrEqual(t, len(recs), 10, "FIFO batches hold at most 10")
		mine := map[string]bool{}
		mu.Lock()
		for _, r := range recs {
			g := r.Attributes["MessageGroupId"]
			if busy[g] && !mine[g] {
				overlaps.Add(1)
			}
			busy[g], mine[g] = true, true
			order[g] = append(order[g], r.Body)
		}
		mu.Unlock()
		time.Sleep(30 * time.Millisecond)
		mu.Lock()
		for g := range mine {
			busy[g] = false
		}
		mu.Unlock()
		return nil, nil
	})
	d := &driver.SQS{ReportBatchItemFailures: true, Client: c, QueueURL: url, BatchSize: 3, MaximumConcurrency: 4}
	_, err := driver.Drain(context.Background(), d, fn, 2)
	require.NoError(t, err)
	require.Zero(t, overlaps.Load(), "a group in two batches in flight")
	for _, g := range groups {
		want := make([]string, 10)
		for i := range want {
			want[i] = fmt.Sprintf("%s-%02d", g, i)
		}
		require.Equal(t, want, order[g], "group %s in order, once", g)
	}
}

// keepFilter is a RecordFilter that keeps records whose body or data
// contains a word (package driver/filter is the real one).
type keepFilter struct{ word string }

func (f keepFilter) MatchSQS(m events.SQSMessage) bool { return strings.Contains(m.Body, f.word) }
func (f keepFilter) MatchKinesis(r events.KinesisEventRecord) bool {
	return strings.Contains(string(r.Kinesis.Data), f.word)
}
func (f keepFilter) MatchDynamoDB(r events.DynamoDBEventRecord) bool {
	return strings.Contains(r.Change.NewImage["kind"].String(), f.word)
}

// Messages the filter does not match are deleted without an invocation;
// Kinesis records are skipped.
func TestFilterDropsRecords(t *testing.T) {
	t.Parallel()
	t.Run("sqs", func(t *testing.T) {
		c := sqsClient(t)
		url, _ := createQueue(t, c, name("filter"), map[string]string{"VisibilityTimeout": "1"})
		sendMany(t, c, url, 6, func(i int) string { return []string{"keep", "drop"}[i%2] + fmt.Sprint(i) }, nil)
		var got []string
		fn := driver.FunctionFunc(func(_ context.Context, event []byte) ([]byte, error) {
			for _, r := range sqsBodies(t, event) {
				got = append(got, r.Body)
			}
			return nil, nil
		})
		d := &driver.SQS{ReportBatchItemFailures: true, Client: c, QueueURL: url, WaitTime: time.Second, Filter: keepFilter{"keep"}}
		_, err := driver.Drain(context.Background(), d, fn, 2)
		require.NoError(t, err)
		require.ElementsMatch(t, []string{"keep0", "keep2", "keep4"}, got)
		require.Equal(t, 3, d.Stats().Filtered)
		time.Sleep(1100 * time.Millisecond)
		visible, inFlight := queueDepth(t, c, url)
		require.Zero(t, visible+inFlight, "filtered messages are deleted")
	})
	t.Run("kinesis", func(t *testing.T) {
		kc := driver.NewKinesisClient(testenvKinesis(t))
		stream := name("filter")
		createStream(t, kc, stream, 1)
		put := putRecords(t, kc, stream, []string{"keep-1", "drop-1", "keep-2"}, []string{"k", "k", "k"})
		rec := &recorder{}
		d := &driver.Kinesis{Client: kc, StreamName: stream, StreamSettings: driver.StreamSettings{ReportBatchItemFailures: true, Filter: keepFilter{"keep"}}}
		_, err := driver.Drain(context.Background(), d, rec.wholeBatch(), 2)
		require.NoError(t, err)
		require.Equal(t, []putted{put[0], put[2]}, rec.processed)
		require.Equal(t, 1, d.Stats().Filtered)
		require.Equal(t, 3, d.Stats().Records)
	})
}

// With WaitInFlight, Run goes on until a reported message has come back
// after its visibility timeout; without it, Run stops at the first idle
// poll.
func TestRunWaitInFlight(t *testing.T) {
	t.Parallel()
	c := sqsClient(t)
	tests := []struct {
		wait      bool
		wantCalls int32
	}{{false, 1}, {true, 2}}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.wait), func(t *testing.T) {
			t.Parallel()
			url, _ := createQueue(t, c, name("inflight"), map[string]string{"VisibilityTimeout": "1"})
			sendMany(t, c, url, 1, func(int) string { return "fail once" }, nil)
			var calls atomic.Int32
			fn := driver.FunctionFunc(func(_ context.Context, event []byte) ([]byte, error) {
				if calls.Add(1) == 1 {
					id := sqsBodies(t, event)[0].MessageId
					return []byte(`{"batchItemFailures":[{"itemIdentifier":"` + id + `"}]}`), nil
				}
				return nil, nil
			})
			m := &driver.OpenMapping{Mapping: driver.Mapping{Function: "Fn", Event: "E", Type: driver.TypeSQS, Enabled: true},
				Poller: &driver.SQS{ReportBatchItemFailures: true, Client: c, QueueURL: url}}
			reports, err := driver.Run(context.Background(), []*driver.OpenMapping{m}, fn, driver.RunOptions{Idle: 1, Pause: 100 * time.Millisecond, WaitInFlight: tt.wait})
			require.NoError(t, err)
			require.Equal(t, tt.wantCalls, calls.Load())
			require.Equal(t, int(tt.wantCalls)-1, reports[0].Succeeded)
		})
	}
}
