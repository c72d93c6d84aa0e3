package pipes_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/batchkit/batchkit/internal/contracttest"

	"github.com/batchkit/batchkit/pipes"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

// TestPipesUndecodableRecordStopsItsKey is the regression test of a defect
// the contracts property test found: the Pipes entries failed a record that
// did not decode without its ordering key (the flattened Kinesis record's
// partitionKey was not read, and an unreadable key was not treated as
// unknown), so under a stop-by-key policy a later record of the same key ran
// and succeeded before it: out of order, and deleted/checkpointed past it.
func TestPipesUndecodableRecordStopsItsKey(t *testing.T) {
	type ran struct {
		mu  sync.Mutex
		ids []string
	}
	tests := []struct {
		name string
		run  func(t *testing.T, r *ran) (core.Response, error)
		// wantRan are the records that may run; wantFailed those reported.
		wantRan, wantFailed []string
	}{{
		name: "kinesis, partition key readable",
		run: func(t *testing.T, r *ran) (core.Response, error) {
			recs := batchtest.KinesisEvent(
				batchtest.KinesisRecord{PartitionKey: "a", Data: "0"},
				batchtest.KinesisRecord{PartitionKey: "a", Data: "1"},
				batchtest.KinesisRecord{PartitionKey: "b", Data: "2"},
			).Records
			for i := range recs {
				recs[i].EventID = "e" + string(recs[i].Kinesis.Data)
			}
			raw := breakFlat(t, contracttest.PipesKinesisEvent(t, recs), 0, func(m map[string]any) { m["data"] = "%%%" })
			p := core.Must(pipes.NewKinesis(processors.Config{Options: core.Options{Concurrency: 2, SuppressFullBatchError: true}, StopOnFirstFailure: true, OrderByKey: true}))
			return pipes.KinesisHandler(p, func(_ context.Context, rec *events.KinesisEventRecord) error {
				r.mu.Lock()
				defer r.mu.Unlock()
				r.ids = append(r.ids, rec.EventID)
				return nil
			})(context.Background(), raw)
		},
		wantRan:    []string{"e2"},
		wantFailed: []string{"e0", "e1"},
	}, {
		name: "kinesis, partition key unreadable",
		run: func(t *testing.T, r *ran) (core.Response, error) {
			recs := batchtest.KinesisEvent(
				batchtest.KinesisRecord{PartitionKey: "a", Data: "0"},
				batchtest.KinesisRecord{PartitionKey: "a", Data: "1"},
			).Records
			for i := range recs {
				recs[i].EventID = "e" + string(recs[i].Kinesis.Data)
			}
			raw := breakFlat(t, contracttest.PipesKinesisEvent(t, recs), 0, func(m map[string]any) { m["data"] = "%%%"; delete(m, "partitionKey") })
			p := core.Must(pipes.NewKinesis(processors.Config{Options: core.Options{Concurrency: 2, SuppressFullBatchError: true}, StopOnFirstFailure: true, OrderByKey: true}))
			return pipes.KinesisHandler(p, func(_ context.Context, rec *events.KinesisEventRecord) error {
				r.mu.Lock()
				defer r.mu.Unlock()
				r.ids = append(r.ids, rec.EventID)
				return nil
			})(context.Background(), raw)
		},
		wantFailed: []string{"e0", "e1"},
	}, {
		name: "sqs fifo, group unreadable",
		run: func(t *testing.T, r *ran) (core.Response, error) {
			msgs := batchtest.FIFOEvent(
				batchtest.FIFOMessage{Group: "g", Body: "0"},
				batchtest.FIFOMessage{Group: "g", Body: "1"},
				batchtest.FIFOMessage{Group: "h", Body: "2"},
			).Records
			raw := breakFlat(t, contracttest.JSON(t, msgs), 0, func(m map[string]any) { m["body"] = 1; m["attributes"] = "unreadable" })
			p := core.Must(processors.NewSQSFIFO(processors.Config{Options: core.Options{Concurrency: 2, SuppressFullBatchError: true}, SkipGroupOnError: true}))
			return pipes.SQSHandler(p, func(_ context.Context, m *events.SQSMessage) error {
				r.mu.Lock()
				defer r.mu.Unlock()
				r.ids = append(r.ids, m.MessageId)
				return nil
			})(context.Background(), raw)
		},
		// The unreadable group may be any: every later grouped message
		// waits for it.
		wantFailed: []string{contracttest.MessageID(0), contracttest.MessageID(1), contracttest.MessageID(2)},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r ran
			resp, err := tt.run(t, &r)
			require.NoError(t, err)
			require.ElementsMatch(t, tt.wantRan, r.ids)
			var failed []string
			for _, id := range contracttest.FailureIDs(resp) {
				failed = append(failed, id.ID)
			}
			require.ElementsMatch(t, tt.wantFailed, failed)
		})
	}
}

// breakFlat edits record i of a top-level JSON array.
func breakFlat(t *testing.T, raw []byte, i int, edit func(map[string]any)) []byte {
	t.Helper()
	var recs []map[string]any
	require.NoError(t, json.Unmarshal(raw, &recs))
	edit(recs[i])
	return contracttest.JSON(t, recs)
}
