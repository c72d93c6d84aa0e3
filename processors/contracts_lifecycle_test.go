package processors_test

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/batchkit/batchkit/firehose"
	"github.com/batchkit/batchkit/internal/contracttest"
	"github.com/batchkit/batchkit/s3batch"
	"github.com/batchkit/batchkit/window"

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
		h := func(_ context.Context, task *s3batch.Task) (string, error) {
			if task.Key == "b" {
				return "", errors.New("no")
			}
			return "", nil
		}
		_, err := s3batch.Process(context.Background(), core.Must(s3batch.New(s3batch.Config{Options: core.Options{Hooks: []core.Hook{hook}}})), contracttest.S3Event("a", "b"), h)
		require.NoError(t, err)
		require.Equal(t, "aws:s3:batch", hook.source)
		require.Equal(t, map[string]core.Status{"task-a": core.StatusSuccess, "task-b": core.StatusFailure}, hook.outcome)
	})
	t.Run("firehose", func(t *testing.T) {
		hook := &recordingHook{}
		_, err := firehose.Process(context.Background(), core.Must(firehose.New(firehose.Config{Options: core.Options{Hooks: []core.Hook{hook}}})), contracttest.FirehoseEvent("a", "fail"), contracttest.Upper)
		require.NoError(t, err)
		require.Equal(t, "aws:firehose", hook.source)
		require.Equal(t, map[string]core.Status{"rec-0": core.StatusSuccess, "rec-1": core.StatusFailure}, hook.outcome)
	})
	t.Run("kinesis-window", func(t *testing.T) {
		hook := &recordingHook{}
		p := core.Must(window.NewKinesis(window.Config{Options: core.Options{Hooks: []core.Hook{hook}}}))
		_, err := contracttest.ProcessKinesisWindow(context.Background(), p, contracttest.WindowEvent(`{}`, false, "a", "fail", "b"), window.Aggregate[events.KinesisEventRecord, map[string]int]{Fold: contracttest.CountByKey(nil)})
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
		h := func(_ context.Context, task *s3batch.Task) (string, error) {
			if task.Key == "b" {
				runtime.Goexit()
			}
			return "ok", nil
		}
		resp, err := s3batch.Process(context.Background(), core.Must(s3batch.New(s3batch.Config{Options: core.Options{Concurrency: 2}})), contracttest.S3Event("a", "b", "c"), h)
		require.NoError(t, err)
		require.Equal(t, []string{"Succeeded", "TemporaryFailure", "Succeeded"},
			[]string{resp.Results[0].ResultCode, resp.Results[1].ResultCode, resp.Results[2].ResultCode})
	})
	t.Run("firehose", func(t *testing.T) {
		h := func(ctx context.Context, rec *firehose.Record) (firehose.Result, error) {
			if string(rec.Data) == "b" {
				runtime.Goexit()
			}
			return contracttest.Upper(ctx, rec)
		}
		resp, err := firehose.Process(context.Background(), core.Must(firehose.New(firehose.Config{Options: core.Options{Concurrency: 2}})), contracttest.FirehoseEvent("a", "b", "c"), h)
		require.NoError(t, err)
		require.Equal(t, []string{"Ok", "ProcessingFailed", "Ok"}, contracttest.Results(resp))
	})
}

// One processor value serves concurrent invocations (run with -race).
func TestContractsConcurrentInvocations(t *testing.T) {
	s3p, fhp, wp := core.Must(s3batch.New(s3batch.Config{Options: core.Options{Concurrency: 3}})), core.Must(firehose.New(firehose.Config{Options: core.Options{Concurrency: 3}})),
		core.Must(window.NewKinesis(window.Config{}))
	agg := window.Aggregate[events.KinesisEventRecord, int]{
		Fold: func(_ context.Context, s *int, _ *events.KinesisEventRecord) error { *s++; return nil }}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			resp, err := s3batch.Process(context.Background(), s3p, contracttest.S3Event("a", "b", "c"),
				func(_ context.Context, task *s3batch.Task) (string, error) { return task.Key, nil })
			if err != nil || resp.Results[2].ResultString != "c" {
				t.Error("s3", err, resp)
			}
			fr, err := firehose.Process(context.Background(), fhp, contracttest.FirehoseEvent("a", "b"), contracttest.Upper)
			if err != nil || string(fr.Records[1].Data) != "B" {
				t.Error("firehose", err)
			}
			wr, err := contracttest.ProcessKinesisWindow(context.Background(), wp, contracttest.WindowEvent(`1`, false, "a", "b", "c"), agg)
			if err != nil || string(wr.State) != "4" {
				t.Error("window", err, string(wr.State))
			}
		})
	}
	wg.Wait()
}

// The processors are PartialProcessors: driven by core.Run directly with a
// plain core.Handler (to read every record's outcome afterwards), they give
// the outcomes their entries report.
func TestContractsDrivenByCoreRun(t *testing.T) {
	ctx := context.Background()
	t.Run("s3batch", func(t *testing.T) {
		p := core.Must(s3batch.New(s3batch.Config{}))
		ev := contracttest.S3Event("a%20b", "bad%zz", "c")
		var keys []string
		b := core.NewBatch(ev.Tasks, func(_ context.Context, task *s3batch.Task) error {
			keys = append(keys, task.Key)
			return nil
		})
		resp, err := core.Run(ctx, core.PartialProcessor[s3batch.Task](p), b)
		require.NoError(t, err)
		require.Empty(t, resp.BatchItemFailures, "no partial batch response: the results are built by the entries")
		require.Equal(t, []string{"a b", "c"}, keys)
		require.Equal(t, core.StatusFailure, b.Outcomes[1].Status)
		require.ErrorIs(t, b.Outcomes[1].Err, core.ErrDecode)
		want, err := s3batch.Process(ctx, p, contracttest.S3Event("a%20b", "bad%zz", "c"), func(_ context.Context, task *s3batch.Task) (string, error) { return task.Key, nil })
		require.NoError(t, err)
		require.Equal(t, []string{"Succeeded", "PermanentFailure", "Succeeded"}, []string{want.Results[0].ResultCode, want.Results[1].ResultCode, want.Results[2].ResultCode})
	})
	t.Run("firehose", func(t *testing.T) {
		p := core.Must(firehose.New(firehose.Config{}))
		ev := contracttest.FirehoseEvent("a", "fail", "drop")
		b := core.NewBatch(ev.Records, func(c context.Context, rec *firehose.Record) error {
			_, err := contracttest.Upper(c, rec)
			return err
		})
		_, err := core.Run(ctx, core.PartialProcessor[firehose.Record](p), b)
		require.NoError(t, err)
		require.Equal(t, []core.Status{core.StatusSuccess, core.StatusFailure, core.StatusSuccess},
			[]core.Status{b.Outcomes[0].Status, b.Outcomes[1].Status, b.Outcomes[2].Status})
	})
}

// The responses decode into aws-lambda-go's response types with the same
// content: the JSON field names are Lambda's.
func TestContractResponsesMatchAWSLambdaGoTypes(t *testing.T) {
	ctx := context.Background()
	fr, err := firehose.Process(ctx, core.Must(firehose.New(firehose.Config{})), contracttest.FirehoseEvent("a", "fail", "drop"),
		func(c context.Context, rec *firehose.Record) (firehose.Result, error) {
			out, err := contracttest.Upper(c, rec)
			if !out.Drop {
				out.PartitionKeys = map[string]string{"k": "v"}
			}
			return out, err
		})
	require.NoError(t, err)
	var theirs events.KinesisFirehoseResponse
	require.NoError(t, json.Unmarshal([]byte(marshal(t, fr)), &theirs))
	require.Len(t, theirs.Records, 3)
	require.Equal(t, events.KinesisFirehoseResponseRecord{RecordID: "rec-0", Result: events.KinesisFirehoseTransformedStateOk, Data: []byte("A"),
		Metadata: events.KinesisFirehoseResponseRecordMetadata{PartitionKeys: map[string]string{"k": "v"}}}, theirs.Records[0])
	require.Equal(t, events.KinesisFirehoseTransformedStateProcessingFailed, theirs.Records[1].Result)
	require.Equal(t, events.KinesisFirehoseTransformedStateDropped, theirs.Records[2].Result)

	sr, err := s3batch.Process(ctx, core.Must(s3batch.New(s3batch.Config{})), contracttest.S3Event("x"),
		func(context.Context, *s3batch.Task) (string, error) { return "done", nil })
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
	h := func(c context.Context, rec *firehose.Record) (firehose.Result, error) {
		calls++
		return contracttest.Upper(c, rec)
	}
	resp, err := firehose.Process(ctx, core.Must(firehose.New(firehose.Config{Options: core.Options{DeadlineMargin: time.Second}})), contracttest.FirehoseEvent("a", "b"), h)
	require.NoError(t, err)
	require.Zero(t, calls)
	require.Equal(t, []string{"ProcessingFailed", "ProcessingFailed"}, contracttest.Results(resp))
	require.ErrorIs(t, resp.Records[0].Err, core.ErrDeadline)
}

// A fold that fails again on a record it had folded (it depends on more
// than the state and the record) cannot rebuild the state: the invocation
// fails, so that Lambda retries it with the same state.
func TestWindowRebuildFailureFailsTheInvocation(t *testing.T) {
	seen := map[string]int{}
	agg := window.Aggregate[events.KinesisEventRecord, map[string]int]{
		Fold: func(_ context.Context, s *map[string]int, r *events.KinesisEventRecord) error {
			seen[r.Kinesis.SequenceNumber]++
			if string(r.Kinesis.Data) == "fail" || seen[r.Kinesis.SequenceNumber] > 1 {
				return errors.New("not the same twice")
			}
			(*s)["n"]++
			return nil
		},
	}
	_, err := contracttest.ProcessKinesisWindow(context.Background(), core.Must(window.NewKinesis(window.Config{})), contracttest.WindowEvent(`{}`, false, "a", "fail"), agg)
	var stateErr *window.StateError
	require.ErrorAs(t, err, &stateErr)
	require.Equal(t, "rebuild", stateErr.Op)
	require.ErrorIs(t, err, window.ErrState)
}
