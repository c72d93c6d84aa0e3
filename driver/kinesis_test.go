package driver_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/driver"
	"github.com/batchkit/batchkit/internal/testenv"
	"github.com/batchkit/batchkit/processors"
)

// createStream creates a Kinesis stream with shards shards, waits until it
// is active and deletes it at the end of the test.
func createStream(t *testing.T, c *kinesis.Client, name string, shards int32) {
	t.Helper()
	ctx := context.Background()
	_, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(shards)})
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = c.DeleteStream(context.Background(), &kinesis.DeleteStreamInput{StreamName: aws.String(name)})
	})
	require.Eventually(t, func() bool {
		out, err := c.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(name)})
		return err == nil && out.StreamDescription.StreamStatus == types.StreamStatusActive
	}, 10*time.Second, 50*time.Millisecond)
}

// Records put with PutRecords on a 2-shard stream; some fail on their first
// delivery. The driver checkpoints at the lowest reported sequence number and
// reads the shard again from there, so every record is eventually processed,
// and with stop-on-first-failure each shard's records succeed exactly once,
// in order.
func TestKinesisCheckpointAndRetry(t *testing.T) {
	c := driver.NewKinesisClient(testenv.Endpoint(t, "BATCHKIT_KINESIS_ENDPOINT", "kinesalite"))
	tests := []struct {
		name      string
		processor *processors.KinesisProcessor
		inOrder   bool
	}{
		{"stop on first failure", core.Must(processors.NewKinesis(processors.Config{StopOnFirstFailure: true})), true},
		{"report every failure", core.Must(processors.NewKinesis(processors.Config{})), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stream := name("orders")
			createStream(t, c, stream, 2)
			const n = 40
			entries := make([]types.PutRecordsRequestEntry, n)
			for i := range entries {
				entries[i] = types.PutRecordsRequestEntry{
					Data:         fmt.Appendf(nil, `{"n":%d}`, i),
					PartitionKey: aws.String(fmt.Sprintf("key-%d", i%5)),
				}
			}
			put, err := c.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamName: aws.String(stream), Records: entries})
			require.NoError(t, err)
			require.Zero(t, aws.ToInt32(put.FailedRecordCount))
			want := map[string][]string{} // shard -> sequence numbers in put order
			for _, r := range put.Records {
				want[aws.ToString(r.ShardId)] = append(want[aws.ToString(r.ShardId)], aws.ToString(r.SequenceNumber))
			}
			require.Len(t, want, 2, "the partition keys spread over both shards")

			var mu sync.Mutex
			attempts := map[int]int{}
			succeeded := map[string][]string{} // shard -> sequence numbers
			fn := driver.Handler(func(ctx context.Context, e events.KinesisEvent) (core.Response, error) {
				return core.Process(ctx, tt.processor, e.Records, processors.KinesisJSON(func(_ context.Context, p struct{ N int }, r *events.KinesisEventRecord) error {
					mu.Lock()
					defer mu.Unlock()
					attempts[p.N]++
					if p.N%7 == 3 && attempts[p.N] == 1 {
						return errors.New("first delivery fails")
					}
					shard, _, _ := strings.Cut(r.EventID, ":")
					succeeded[shard] = append(succeeded[shard], r.Kinesis.SequenceNumber)
					return nil
				}))
			})
			d := &driver.Kinesis{Client: c, StreamName: stream, BatchSize: 7, StreamSettings: driver.StreamSettings{ReportBatchItemFailures: true}}
			batches, err := driver.Drain(context.Background(), d, fn, 2)
			require.NoError(t, err)

			next := map[string]string{} // shard -> first sequence number of its next batch
			for _, b := range batches {
				var ev events.KinesisEvent
				require.NoError(t, json.Unmarshal(b.Event, &ev))
				for i, r := range ev.Records {
					require.Equal(t, "aws:kinesis", r.EventSource)
					require.Equal(t, "aws:kinesis:record", r.EventName)
					require.Contains(t, r.EventSourceArn, stream)
					require.Equal(t, b.Shard+":"+r.Kinesis.SequenceNumber, r.EventID)
					require.Equal(t, b.IDs[i], r.Kinesis.SequenceNumber)
				}
				if want, ok := next[b.Shard]; ok {
					require.Equal(t, want, b.IDs[0], "shard %s is read again from its checkpoint", b.Shard)
					delete(next, b.Shard)
				}
				switch {
				case b.Err != nil:
					require.ErrorIs(t, b.Err, core.ErrFullBatchFailure)
					require.Equal(t, b.IDs[0], b.Checkpoint, "a failed batch is read again whole")
				case len(b.Failed) > 0:
					low := b.Failed[0]
					for _, f := range b.Failed {
						if len(f) < len(low) || (len(f) == len(low) && f < low) {
							low = f
						}
					}
					require.Equal(t, low, b.Checkpoint, "checkpoint at the lowest reported sequence number")
				default:
					require.Empty(t, b.Checkpoint)
				}
				if b.Checkpoint != "" {
					next[b.Shard] = b.Checkpoint
				}
			}
			require.Empty(t, next, "every checkpoint was read again")
			for shard, seqs := range want {
				if tt.inOrder {
					require.Equal(t, seqs, succeeded[shard], "shard %s: each record once, in order", shard)
				} else {
					require.Subset(t, succeeded[shard], seqs, "shard %s: every record processed", shard)
				}
			}
			for i := range n {
				if i%7 == 3 {
					require.GreaterOrEqual(t, attempts[i], 2, "record %d was retried", i)
				}
			}
		})
	}
}
