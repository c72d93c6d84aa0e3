package processors_test

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

// recordingHook collects what the lifecycle reports, for every contract.
type recordingHook struct {
	core.NopHook
	mu      sync.Mutex
	source  string
	ids     []string
	outcome map[string]core.Status
}

func (h *recordingHook) BatchStart(ctx context.Context, info core.BatchInfo) context.Context {
	h.mu.Lock()
	h.source = info.EventSource
	h.mu.Unlock()
	return ctx
}

func (h *recordingHook) RecordEnd(_ context.Context, info core.RecordInfo) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.outcome == nil {
		h.outcome = map[string]core.Status{}
	}
	h.ids = append(h.ids, info.Identifier.String())
	h.outcome[info.Identifier.String()] = info.Outcome.Status
}

// The contracts run on the shared lifecycle: hooks see every record with its
// identifier and outcome, as for the partial-response processors.
func TestContractsRunOnTheSharedLifecycle(t *testing.T) {
	t.Run("s3batch", func(t *testing.T) {
		hook := &recordingHook{}
		h := processors.S3BatchFunc(func(_ context.Context, task *processors.S3BatchTask) (string, error) {
			if task.Key == "b" {
				return "", errors.New("no")
			}
			return "", nil
		})
		_, err := processors.ProcessS3Batch(context.Background(), processors.NewS3Batch(processors.WithHooks(hook)), s3Event("a", "b"), h)
		require.NoError(t, err)
		require.Equal(t, processors.EventSourceS3Batch, hook.source)
		require.Equal(t, map[string]core.Status{"task-a": core.StatusSuccess, "task-b": core.StatusFailure}, hook.outcome)
	})
	t.Run("firehose", func(t *testing.T) {
		hook := &recordingHook{}
		_, err := processors.ProcessFirehose(context.Background(), processors.NewFirehose(processors.WithHooks(hook)), firehoseEvent("a", "fail"), processors.FirehoseFunc(upper))
		require.NoError(t, err)
		require.Equal(t, processors.EventSourceFirehose, hook.source)
		require.Equal(t, map[string]core.Status{"rec-0": core.StatusSuccess, "rec-1": core.StatusFailure}, hook.outcome)
	})
	t.Run("kinesis-window", func(t *testing.T) {
		hook := &recordingHook{}
		p := processors.NewKinesisWindow(processors.WithHooks(hook))
		_, err := processors.ProcessKinesisWindow(context.Background(), p, windowEvent(`{}`, false, "a", "fail", "b"), kinesisAgg{Fold: countByKey(nil)})
		require.NoError(t, err)
		require.Equal(t, processors.EventSourceKinesis, hook.source)
		require.Len(t, hook.ids, 3, "the record not folded is reported to hooks too")
		require.Equal(t, core.StatusNotStarted, hook.outcome[hook.ids[2]])
	})
}

// A handler that ends its goroutine (runtime.Goexit) under concurrency
// leaves its record without an outcome: it is reported failed, never a
// success.
func TestContractsGoexitIsAFailure(t *testing.T) {
	t.Run("s3batch", func(t *testing.T) {
		h := processors.S3BatchFunc(func(_ context.Context, task *processors.S3BatchTask) (string, error) {
			if task.Key == "b" {
				runtime.Goexit()
			}
			return "ok", nil
		})
		resp, err := processors.ProcessS3Batch(context.Background(), processors.NewS3Batch(processors.WithConcurrency(2)), s3Event("a", "b", "c"), h)
		require.NoError(t, err)
		require.Equal(t, []string{"Succeeded", "TemporaryFailure", "Succeeded"},
			[]string{resp.Results[0].ResultCode, resp.Results[1].ResultCode, resp.Results[2].ResultCode})
	})
	t.Run("firehose", func(t *testing.T) {
		h := processors.FirehoseFunc(func(ctx context.Context, rec *processors.FirehoseRecord) (processors.FirehoseResult, error) {
			if string(rec.Data) == "b" {
				runtime.Goexit()
			}
			return upper(ctx, rec)
		})
		resp, err := processors.ProcessFirehose(context.Background(), processors.NewFirehose(processors.WithConcurrency(2)), firehoseEvent("a", "b", "c"), h)
		require.NoError(t, err)
		require.Equal(t, []string{"Ok", "ProcessingFailed", "Ok"}, results(resp))
	})
	t.Run("kinesis-window", func(t *testing.T) {
		agg := processors.Aggregate[events.KinesisEventRecord, int]{
			Commutative: true,
			Fold: func(_ context.Context, s *int, r *events.KinesisEventRecord) error {
				if string(r.Kinesis.Data) == "b" {
					runtime.Goexit()
				}
				*s++
				return nil
			},
		}
		p := processors.NewKinesisWindow(processors.WithConcurrency(2))
		resp, err := processors.ProcessKinesisWindow(context.Background(), p, windowEvent(`0`, false, "a", "b", "c"), agg)
		require.NoError(t, err)
		require.JSONEq(t, `1`, string(resp.State))
		require.Len(t, resp.BatchItemFailures, 2)
	})
}

// One processor value serves concurrent invocations (run with -race).
func TestContractsConcurrentInvocations(t *testing.T) {
	s3p, fhp, wp := processors.NewS3Batch(processors.WithConcurrency(3)), processors.NewFirehose(processors.WithConcurrency(3)),
		processors.NewKinesisWindow(processors.WithConcurrency(3))
	agg := processors.Aggregate[events.KinesisEventRecord, int]{Commutative: true,
		Fold: func(_ context.Context, s *int, _ *events.KinesisEventRecord) error { *s++; return nil }}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			resp, err := processors.ProcessS3Batch(context.Background(), s3p, s3Event("a", "b", "c"),
				processors.S3BatchFunc(func(_ context.Context, task *processors.S3BatchTask) (string, error) { return task.Key, nil }))
			if err != nil || resp.Results[2].ResultString != "c" {
				t.Error("s3", err, resp)
			}
			fr, err := processors.ProcessFirehose(context.Background(), fhp, firehoseEvent("a", "b"), processors.FirehoseFunc(upper))
			if err != nil || string(fr.Records[1].Data) != "B" {
				t.Error("firehose", err)
			}
			wr, err := processors.ProcessKinesisWindow(context.Background(), wp, windowEvent(`1`, false, "a", "b", "c"), agg)
			if err != nil || string(wr.State) != "4" {
				t.Error("window", err, string(wr.State))
			}
		})
	}
	wg.Wait()
}

// The processors are PartialProcessors: driven by core.Run directly (to
// read every record's outcome afterwards), they give the same responses.
func TestContractsDrivenByCoreRun(t *testing.T) {
	ctx := context.Background()
	t.Run("s3batch", func(t *testing.T) {
		p := processors.NewS3Batch()
		ev := s3Event("a%20b", "bad%zz", "c")
		h := processors.S3BatchFunc(func(_ context.Context, task *processors.S3BatchTask) (string, error) { return task.Key, nil })
		b := core.NewBatch(ev.Tasks, h)
		resp, err := core.Run(ctx, core.PartialProcessor[processors.S3BatchTask](p), b)
		require.NoError(t, err)
		require.Empty(t, resp.BatchItemFailures, "no partial batch response: the results are built from the outcomes")
		require.Equal(t, core.StatusFailure, b.Outcomes[1].Status)
		var keyErr *processors.S3KeyDecodeError
		require.ErrorAs(t, b.Outcomes[1].Err, &keyErr)
		out, err := p.BuildResponse(&ev, b)
		require.NoError(t, err)
		want, err := processors.ProcessS3Batch(ctx, p, s3Event("a%20b", "bad%zz", "c"), h)
		require.NoError(t, err)
		require.Equal(t, marshal(t, want), marshal(t, out))
		require.Equal(t, "a b", out.Results[0].ResultString)
	})
	t.Run("firehose", func(t *testing.T) {
		p := processors.NewFirehose()
		ev := firehoseEvent("a", "fail", "drop")
		b := core.NewBatch(ev.Records, processors.FirehoseFunc(upper))
		_, err := core.Run(ctx, core.PartialProcessor[processors.FirehoseRecord](p), b)
		require.NoError(t, err)
		out, err := p.BuildResponse(b)
		require.NoError(t, err)
		require.Equal(t, []string{"Ok", "ProcessingFailed", "Dropped"}, results(out))
		require.Equal(t, []core.Status{core.StatusSuccess, core.StatusFailure, core.StatusSuccess},
			[]core.Status{b.Outcomes[0].Status, b.Outcomes[1].Status, b.Outcomes[2].Status})
	})
}

// The responses decode into aws-lambda-go's response types with the same
// content: the JSON field names are Lambda's.
func TestContractResponsesMatchAWSLambdaGoTypes(t *testing.T) {
	ctx := context.Background()
	fr, err := processors.ProcessFirehose(ctx, processors.NewFirehose(), firehoseEvent("a", "fail", "drop"), processors.FirehoseFunc(
		func(c context.Context, rec *processors.FirehoseRecord) (processors.FirehoseResult, error) {
			out, err := upper(c, rec)
			return out.WithPartitionKeys(map[string]string{"k": "v"}), err
		}))
	require.NoError(t, err)
	var theirs events.KinesisFirehoseResponse
	require.NoError(t, json.Unmarshal([]byte(marshal(t, fr)), &theirs))
	require.Len(t, theirs.Records, 3)
	require.Equal(t, events.KinesisFirehoseResponseRecord{RecordID: "rec-0", Result: events.KinesisFirehoseTransformedStateOk, Data: []byte("A"),
		Metadata: events.KinesisFirehoseResponseRecordMetadata{PartitionKeys: map[string]string{"k": "v"}}}, theirs.Records[0])
	require.Equal(t, events.KinesisFirehoseTransformedStateProcessingFailed, theirs.Records[1].Result)
	require.Equal(t, events.KinesisFirehoseTransformedStateDropped, theirs.Records[2].Result)

	sr, err := processors.ProcessS3Batch(ctx, processors.NewS3Batch(), s3Event("x"), processors.S3BatchFunc(
		func(context.Context, *processors.S3BatchTask) (string, error) { return "done", nil }))
	require.NoError(t, err)
	var s3theirs events.S3BatchJobResponse
	require.NoError(t, json.Unmarshal([]byte(marshal(t, sr)), &s3theirs))
	require.Equal(t, events.S3BatchJobResponse{InvocationSchemaVersion: "2.0", TreatMissingKeysAs: "TemporaryFailure", InvocationID: "inv-1",
		Results: []events.S3BatchJobResult{{TaskID: "task-a", ResultCode: "Succeeded", ResultString: "done"}}}, s3theirs)
}

// Records not started before the deadline margin are ProcessingFailed:
// Firehose retries them.
func TestFirehoseNotStartedBeforeDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	calls := 0
	h := processors.FirehoseFunc(func(c context.Context, rec *processors.FirehoseRecord) (processors.FirehoseResult, error) {
		calls++
		return upper(c, rec)
	})
	resp, err := processors.ProcessFirehose(ctx, processors.NewFirehose(processors.WithDeadlineMargin(time.Second)), firehoseEvent("a", "b"), h)
	require.NoError(t, err)
	require.Zero(t, calls)
	require.Equal(t, []string{"ProcessingFailed", "ProcessingFailed"}, results(resp))
	require.ErrorIs(t, resp.Records[0].Err, core.ErrDeadline)
}

// A fold that fails again on a record it had folded (it depends on more
// than the state and the record) cannot rebuild the state: the invocation
// fails, so that Lambda retries it with the same state.
func TestWindowRebuildFailureFailsTheInvocation(t *testing.T) {
	seen := map[string]int{}
	agg := processors.Aggregate[events.KinesisEventRecord, map[string]int]{
		Fold: func(_ context.Context, s *map[string]int, r *events.KinesisEventRecord) error {
			seen[r.Kinesis.SequenceNumber]++
			if string(r.Kinesis.Data) == "fail" || seen[r.Kinesis.SequenceNumber] > 1 {
				return errors.New("not the same twice")
			}
			(*s)["n"]++
			return nil
		},
	}
	_, err := processors.ProcessKinesisWindow(context.Background(), processors.NewKinesisWindow(), windowEvent(`{}`, false, "a", "fail"), agg)
	var stateErr *processors.WindowStateError
	require.ErrorAs(t, err, &stateErr)
	require.Equal(t, "rebuild", stateErr.Op)
	require.ErrorIs(t, err, processors.ErrWindowState)
}
