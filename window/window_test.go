package window_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batchkit/batchkit/internal/contracttest"
	"github.com/batchkit/batchkit/window"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
)

type kinesisAgg = window.Aggregate[events.KinesisEventRecord, map[string]int]

// windowBoth runs the typed and the raw entries and requires the same
// outcome.
func windowBoth[S any](t *testing.T, p *window.Processor[events.KinesisEventRecord], ev window.Event[events.KinesisEventRecord], agg window.Aggregate[events.KinesisEventRecord, S]) (window.Response, error) {
	t.Helper()
	raw, err := json.Marshal(ev)
	require.NoError(t, err)
	typed, terr := contracttest.ProcessKinesisWindow(context.Background(), p, ev, agg)
	fromRaw, rerr := contracttest.KinesisWindowRaw(context.Background(), p, raw, agg)
	require.Equal(t, terr == nil, rerr == nil, "typed %v, raw %v", terr, rerr)
	require.Equal(t, contracttest.Marshal(t, typed), contracttest.Marshal(t, fromRaw), "typed and raw entries agree")
	return typed, terr
}

func TestKinesisWindowDocumentedEvent(t *testing.T) {
	data := contracttest.Event(t, "kinesis-window.json")
	// The documented state holds numbers: aws-lambda-go's
	// map[string]string state refuses its own documentation's sample.
	var theirs events.KinesisTimeWindowEvent
	require.Error(t, json.Unmarshal(data, &theirs))

	agg := kinesisAgg{Fold: contracttest.CountByKey(nil)}
	resp, err := contracttest.KinesisWindowRaw(context.Background(), core.Must(window.NewKinesis(window.Config{})), data, agg)
	require.NoError(t, err)
	require.JSONEq(t, `{"state":{"1":283,"2":715},"batchItemFailures":[]}`, contracttest.Marshal(t, resp))

	var ev window.Event[events.KinesisEventRecord]
	require.NoError(t, json.Unmarshal(data, &ev))
	require.Equal(t, "shardId-000000000006", ev.ShardID)
	require.Equal(t, time.Date(2020, 12, 9, 7, 6, 0, 0, time.UTC), ev.Window.End.Time)
	typed, err := contracttest.ProcessKinesisWindow(context.Background(), core.Must(window.NewKinesis(window.Config{})), ev, agg)
	require.NoError(t, err)
	require.JSONEq(t, `{"state":{"1":283,"2":715},"batchItemFailures":[]}`, contracttest.Marshal(t, typed))
}

func TestDynamoDBWindowDocumentedEvent(t *testing.T) {
	data := contracttest.Event(t, "dynamodb-window.json")
	var theirs events.DynamoDBTimeWindowEvent
	require.Error(t, json.Unmarshal(data, &theirs))

	type change struct {
		Message string `json:"Message"`
	}
	var messages []string
	agg := window.Aggregate[events.DynamoDBEventRecord, map[string]int]{
		Fold: window.DynamoDBNewImage(func(_ context.Context, s *map[string]int, img *change, r *events.DynamoDBEventRecord) error {
			(*s)[r.EventName]++
			if img != nil {
				messages = append(messages, img.Message)
			}
			return nil
		}),
	}
	resp, err := contracttest.DynamoDBWindowRaw(context.Background(), core.Must(window.NewDynamoDB(window.Config{})), data, agg)
	require.NoError(t, err)
	require.JSONEq(t, `{"state":{"INSERT":5,"MODIFY":3,"REMOVE":2},"batchItemFailures":[]}`, contracttest.Marshal(t, resp))
	require.Equal(t, []string{"New item!", "This item has changed"}, messages)

	var ev window.Event[events.DynamoDBEventRecord]
	require.NoError(t, json.Unmarshal(data, &ev))
	typed, err := contracttest.ProcessDynamoDBWindow(context.Background(), core.Must(window.NewDynamoDB(window.Config{})), ev, agg)
	require.NoError(t, err)
	require.Equal(t, contracttest.Marshal(t, resp), contracttest.Marshal(t, typed))
}

// A failed record and every record after it are left out of the state and
// reported; the records after it are not folded at all.
func TestWindowFailureLeavesOutTheRestOfTheShard(t *testing.T) {
	for _, bad := range []string{"fail", "panic"} {
		t.Run(bad, func(t *testing.T) {
			var calls atomic.Int32
			agg := kinesisAgg{Fold: contracttest.CountByKey(&calls)}
			resp, err := contracttest.ProcessKinesisWindow(context.Background(), core.Must(window.NewKinesis(window.Config{})), contracttest.WindowEvent(`{"pk":10}`, false, "a", bad, "b", "c"), agg)
			require.NoError(t, err)
			require.JSONEq(t, `{"pk":11}`, string(resp.State), "only the record before the failure is in the state")
			require.Equal(t, []string{contracttest.SequenceNumber(1), contracttest.SequenceNumber(2), contracttest.SequenceNumber(3)}, windowFailedIDs(resp))
			// 2 folds, then the state (a map) is rebuilt from the
			// incoming state by folding record 0 again.
			require.Equal(t, int32(3), calls.Load())
		})
	}
}

func windowFailedIDs(resp window.Response) []string {
	ids := make([]string, len(resp.BatchItemFailures))
	for i, f := range resp.BatchItemFailures {
		ids[i] = f.ItemIdentifier.String()
	}
	return ids
}

// A state without pointers is restored from a copy: nothing is folded twice.
func TestWindowPlainStateRestoredWithoutRefold(t *testing.T) {
	type totals struct {
		Count int     `json:"count"`
		Sum   float64 `json:"sum"`
	}
	var calls atomic.Int32
	agg := window.Aggregate[events.KinesisEventRecord, totals]{
		Fold: func(_ context.Context, s *totals, r *events.KinesisEventRecord) error {
			calls.Add(1)
			s.Count++
			v, err := strconv.ParseFloat(string(r.Kinesis.Data), 64)
			if err != nil {
				return err // after Count++: must not stay
			}
			s.Sum += v
			return nil
		},
	}
	resp, err := windowBoth(t, core.Must(window.NewKinesis(window.Config{})), contracttest.WindowEvent(`{"count":1,"sum":0.5}`, false, "1", "2", "x", "4"), agg)
	require.NoError(t, err)
	require.JSONEq(t, `{"count":3,"sum":3.5}`, string(resp.State))
	require.Len(t, resp.BatchItemFailures, 2)
	require.Equal(t, int32(2*3), calls.Load(), "each entry folds 0, 1, 2 and stops: no refold")
}

func TestWindowFinalInvokePublishes(t *testing.T) {
	var published []map[string]int
	agg := kinesisAgg{
		Fold: contracttest.CountByKey(nil),
		Publish: func(_ context.Context, s map[string]int, w window.Properties) error {
			require.True(t, w.IsFinalInvokeForWindow)
			published = append(published, s)
			return nil
		},
	}
	resp, err := contracttest.ProcessKinesisWindow(context.Background(), core.Must(window.NewKinesis(window.Config{})), contracttest.WindowEvent(`{"pk":2}`, true, "a", "b"), agg)
	require.NoError(t, err)
	require.Equal(t, []map[string]int{{"pk": 4}}, published)
	require.JSONEq(t, `{"state":{"pk":4},"batchItemFailures":[]}`, contracttest.Marshal(t, resp), "the final response still carries the state")

	// Not final: nothing is published.
	published = nil
	_, err = contracttest.ProcessKinesisWindow(context.Background(), core.Must(window.NewKinesis(window.Config{})), contracttest.WindowEvent(`{}`, false, "a"), agg)
	require.NoError(t, err)
	require.Empty(t, published)

	// Final with a failure: the records come back, the window is
	// published by the invocation that completes it.
	_, err = contracttest.ProcessKinesisWindow(context.Background(), core.Must(window.NewKinesis(window.Config{})), contracttest.WindowEvent(`{}`, true, "a", "fail"), agg)
	require.NoError(t, err)
	require.Empty(t, published)
}

func TestWindowPublishFailureFailsTheInvocation(t *testing.T) {
	errSink := errors.New("sink down")
	for name, publish := range map[string]func(context.Context, map[string]int, window.Properties) error{
		"error": func(context.Context, map[string]int, window.Properties) error {
			return errSink
		},
		"panic": func(context.Context, map[string]int, window.Properties) error { panic("sink blew up") },
	} {
		t.Run(name, func(t *testing.T) {
			_, err := windowBoth(t, core.Must(window.NewKinesis(window.Config{})), contracttest.WindowEvent(`{}`, true, "a"), kinesisAgg{Fold: contracttest.CountByKey(nil), Publish: publish})
			require.ErrorIs(t, err, window.ErrPublish)
			if name == "error" {
				require.ErrorIs(t, err, errSink, "Publish's own error is wrapped")
				require.EqualError(t, err, "batchkit: window publish failed: sink down")
			}
		})
	}
}

func TestWindowStateSizeLimit(t *testing.T) {
	published := false
	agg := window.Aggregate[events.KinesisEventRecord, []string]{
		Fold: func(_ context.Context, s *[]string, r *events.KinesisEventRecord) error {
			*s = append(*s, string(r.Kinesis.Data))
			return nil
		},
		Publish: func(context.Context, []string, window.Properties) error { published = true; return nil },
	}
	p, err := window.NewKinesis(window.Config{MaxStateBytes: 20})
	require.NoError(t, err)
	_, err = windowBoth(t, p, contracttest.WindowEvent(`[]`, true, "0123456789", "0123456789"), agg)
	require.ErrorIs(t, err, window.ErrStateTooLarge)
	require.ErrorContains(t, err, "limit 20")
	require.False(t, published, "the size is checked before publishing")

	// Lambda's 1 MB by default.
	big := make([]string, 0)
	for range 2000 {
		big = append(big, string(make([]byte, 600)))
	}
	state, err := json.Marshal(big)
	require.NoError(t, err)
	_, err = contracttest.ProcessKinesisWindow(context.Background(), core.Must(window.NewKinesis(window.Config{})), contracttest.WindowEvent(string(state), false, "x"), agg)
	require.ErrorIs(t, err, window.ErrStateTooLarge)
}

func TestWindowStateShapes(t *testing.T) {
	sum := window.Aggregate[events.KinesisEventRecord, int]{
		Fold: func(_ context.Context, s *int, r *events.KinesisEventRecord) error {
			*s += len(r.Kinesis.Data)
			return nil
		},
	}
	for _, tc := range []struct{ in, want string }{
		{``, `3`},
		{`null`, `3`},
		{`{}`, `3`}, // Lambda's empty state, for a number aggregate
		{`{ }`, `3`},
		{`39`, `42`},
	} {
		resp, err := windowBoth(t, core.Must(window.NewKinesis(window.Config{})), contracttest.WindowEvent(tc.in, false, "abc"), sum)
		require.NoError(t, err, "state %q", tc.in)
		require.JSONEq(t, tc.want, string(resp.State), "state %q", tc.in)
	}
	_, err := windowBoth(t, core.Must(window.NewKinesis(window.Config{})), contracttest.WindowEvent(`"text"`, false, "abc"), sum)
	require.ErrorIs(t, err, window.ErrState)

	// A state that encodes as null is sent as {}: a response without state
	// fails the invocation.
	none := window.Aggregate[events.KinesisEventRecord, map[string]int]{
		Fold: func(context.Context, *map[string]int, *events.KinesisEventRecord) error { return nil },
	}
	resp, err := windowBoth(t, core.Must(window.NewKinesis(window.Config{})), contracttest.WindowEvent(``, false), none)
	require.NoError(t, err)
	require.JSONEq(t, `{"state":{},"batchItemFailures":[]}`, contracttest.Marshal(t, resp))
}

func TestWindowRawUndecodableRecord(t *testing.T) {
	event := `{"Records":[
		{"kinesis":{"partitionKey":"pk","sequenceNumber":"1","data":"YQ=="},"eventSource":"aws:kinesis"},
		{"kinesis":{"partitionKey":"pk","sequenceNumber":"2","data":"%%%"},"eventSource":"aws:kinesis"},
		{"kinesis":{"partitionKey":"pk","sequenceNumber":"3","data":"Yg=="},"eventSource":"aws:kinesis"}],
		"window":{"start":"2020-12-09T07:04:00Z","end":"2020-12-09T07:06:00Z"},"state":{"pk":1},"shardId":"s","eventSourceARN":"arn",
		"isFinalInvokeForWindow":false,"isWindowTerminatedEarly":false}`
	var calls atomic.Int32
	resp, err := contracttest.KinesisWindowRaw(context.Background(), core.Must(window.NewKinesis(window.Config{})), []byte(event), kinesisAgg{Fold: contracttest.CountByKey(&calls)})
	require.NoError(t, err)
	require.JSONEq(t, `{"state":{"pk":2},"batchItemFailures":[{"itemIdentifier":"2"},{"itemIdentifier":"3"}]}`, contracttest.Marshal(t, resp))
	require.Equal(t, int32(1), calls.Load(), "neither the undecodable record nor the one after it is folded")

	_, err = contracttest.KinesisWindowRaw(context.Background(), core.Must(window.NewKinesis(window.Config{})), []byte(`{"state":{}}`), kinesisAgg{Fold: contracttest.CountByKey(nil)})
	require.ErrorIs(t, err, core.ErrUnexpectedBatchType)
	_, err = contracttest.KinesisWindowRaw(context.Background(), core.Must(window.NewKinesis(window.Config{})), []byte(`{"Records":[],"window":{"start":"yesterday"}}`), kinesisAgg{Fold: contracttest.CountByKey(nil)})
	require.ErrorIs(t, err, core.ErrUnexpectedBatchType)
}

func TestWindowAllFailedAndWrongSource(t *testing.T) {
	agg := kinesisAgg{Fold: contracttest.CountByKey(nil)}
	_, err := windowBoth(t, core.Must(window.NewKinesis(window.Config{})), contracttest.WindowEvent(`{}`, false, "fail", "x"), agg)
	require.ErrorIs(t, err, core.ErrFullBatchFailure)

	resp, err := windowBoth(t, core.Must(window.NewKinesis(window.Config{Options: core.Options{SuppressFullBatchError: true}})), contracttest.WindowEvent(`{"pk":7}`, false, "fail", "x"), agg)
	require.NoError(t, err)
	require.JSONEq(t, `{"pk":7}`, string(resp.State))
	require.Len(t, resp.BatchItemFailures, 2)

	ev := contracttest.WindowEvent(`{}`, false, "a")
	ev.Records[0].EventSource = "aws:sqs"
	_, err = contracttest.ProcessKinesisWindow(context.Background(), core.Must(window.NewKinesis(window.Config{})), ev, agg)
	require.ErrorIs(t, err, core.ErrEventSourceMismatch)

	_, err = contracttest.ProcessKinesisWindow(context.Background(), core.Must(window.NewKinesis(window.Config{})), ev, kinesisAgg{})
	require.Error(t, err, "an aggregate needs a Fold")
	_, err = window.NewKinesis(window.Config{MaxStateBytes: -1})
	require.ErrorIs(t, err, core.ErrInvalidConfig)
}

func TestWindowDeadlineMargin(t *testing.T) {
	var calls atomic.Int32
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	p := core.Must(window.NewKinesis(window.Config{Options: core.Options{DeadlineMargin: time.Second, SuppressFullBatchError: true}}))
	resp, err := contracttest.ProcessKinesisWindow(ctx, p, contracttest.WindowEvent(`{"pk":3}`, false, "a", "b"), kinesisAgg{Fold: contracttest.CountByKey(&calls)})
	require.NoError(t, err)
	require.Zero(t, calls.Load())
	require.JSONEq(t, `{"pk":3}`, string(resp.State), "records not started are not in the state")
	require.Len(t, resp.BatchItemFailures, 2)
}

func TestKinesisWindowJSONTyped(t *testing.T) {
	type reading struct {
		Celsius float64 `json:"celsius"`
	}
	type stats struct {
		N   int     `json:"n"`
		Max float64 `json:"max"`
	}
	agg := window.Aggregate[events.KinesisEventRecord, stats]{
		Fold: window.KinesisJSON(func(_ context.Context, s *stats, r reading, _ *events.KinesisEventRecord) error {
			s.N++
			s.Max = max(s.Max, r.Celsius)
			return nil
		}),
	}
	fn := window.KinesisHandler(core.Must(window.NewKinesis(window.Config{})), agg)
	raw, err := json.Marshal(contracttest.WindowEvent(`{"n":1,"max":20}`, false, `{"celsius":21.5}`, `{"celsius":19}`, `oops`))
	require.NoError(t, err)
	resp, err := fn(context.Background(), raw)
	require.NoError(t, err)
	require.JSONEq(t, `{"n":3,"max":21.5}`, string(resp.State))
	require.Equal(t, []string{contracttest.SequenceNumber(2)}, windowFailedIDs(resp))
}
