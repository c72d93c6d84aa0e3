package firehose_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/firehose"
	"github.com/batchkit/batchkit/internal/contracttest"
)

// endHook records what its BatchEnd sees.
type endHook struct {
	core.NopHook
	mu     sync.Mutex
	errs   []error
	failed []int
}

func (h *endHook) BatchEnd(_ context.Context, res core.BatchResult) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.errs = append(h.errs, res.Err)
	h.failed = append(h.failed, res.Failed)
	return nil
}

// One lifecycle (issue 24 §3): the response is built in the processor's
// Response with hooks or without, so turning hooks on changes neither the
// responses nor the errors, the size checks and the missing recordId
// included.
func TestFirehoseHooksOnAndOffGiveTheSameResults(t *testing.T) {
	cases := []struct {
		name   string
		limit  int
		event  string
		h      firehose.Func
		errors bool
	}{
		{name: "mixed", event: `{"records":[{"recordId":"a","data":"YQ=="},{"recordId":"b","data":"ZmFpbA=="},{"recordId":"c","data":"ZHJvcA=="},{"recordId":"d","data":"cGFuaWM="},{"recordId":"e","data":"%%%"}]}`, h: contracttest.Upper},
		{name: "size limit per record", limit: 150, event: `{"records":[{"recordId":"a","data":"YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFh"},{"recordId":"b","data":"YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFh"}]}`, h: contracttest.Upper},
		{name: "size limit for the invocation", limit: 20, event: `{"records":[{"recordId":"a","data":"YQ=="}]}`, h: contracttest.Upper, errors: true},
		{name: "missing recordId", event: `{"records":[{"recordId":"a","data":"YQ=="},{"data":"YQ=="}]}`, h: contracttest.Upper, errors: true},
		{name: "no records array", event: `{"Records":[]}`, h: contracttest.Upper, errors: true},
		{name: "drop with data", event: `{"records":[{"recordId":"a","data":"YQ=="}]}`, h: func(_ context.Context, r *firehose.Record) (firehose.Result, error) {
			return firehose.Result{Drop: true, Data: r.Data}, nil
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hook := &endHook{}
			plain := core.Must(firehose.New(firehose.Config{MaxResponseBytes: tc.limit}))
			hooked := core.Must(firehose.New(firehose.Config{MaxResponseBytes: tc.limit, Options: core.Options{Hooks: []core.Hook{hook}}}))
			r1, e1 := firehose.Handler(plain, tc.h)(context.Background(), []byte(tc.event))
			r2, e2 := firehose.Handler(hooked, tc.h)(context.Background(), []byte(tc.event))
			require.Equal(t, contracttest.Marshal(t, r1), contracttest.Marshal(t, r2))
			require.Equal(t, tc.errors, e1 != nil, "%v", e1)
			if e1 != nil {
				require.EqualError(t, e2, e1.Error())
			} else {
				require.NoError(t, e2)
			}
			for i := range r1.Records {
				require.Equal(t, errString(r1.Records[i].Err), errString(r2.Records[i].Err))
			}
			require.Len(t, hook.errs, 1, "hooks see the invocation once")
			require.Equal(t, e2 == nil, hook.errs[0] == nil, "hooks see the invocation's error: %v", hook.errs[0])
		})
	}
}

// errString is err's message without a panic's stack.
func errString(err error) string {
	if err == nil {
		return ""
	}
	return strings.SplitN(err.Error(), "\n", 2)[0]
}

// Issue 18 §4: a refused invocation (no records array, a field of the
// wrong type) reaches the hooks: BatchStart and BatchEnd with the error.
func TestFirehoseRefusedInvocationsReachHooks(t *testing.T) {
	for _, event := range []string{`{"Records":[{"messageId":"m"}]}`, `{"invocationId":7,"records":[]}`, `[]`} {
		hook := &endHook{}
		p := core.Must(firehose.New(firehose.Config{Options: core.Options{Hooks: []core.Hook{hook}}}))
		_, err := firehose.Handler(p, contracttest.Upper)(context.Background(), []byte(event))
		require.Error(t, err, event)
		require.Equal(t, []error{err}, hook.errs, event)
	}
}

// A field of the event that does not decode is named, instead of the event
// being said to have no records array.
func TestFirehoseEventFieldErrorNamesTheField(t *testing.T) {
	p := core.Must(firehose.New(firehose.Config{}))
	_, err := firehose.Handler(p, contracttest.Upper)(context.Background(), []byte(`{"invocationId":7,"records":[]}`))
	require.ErrorIs(t, err, core.ErrDecode)
	require.Contains(t, err.Error(), `"invocationId"`)
	require.NotContains(t, err.Error(), "records")
}

// A record without recordId fails the invocation with an error that names
// recordId (not SQS's messageId).
func TestFirehoseMissingRecordIDNamesTheField(t *testing.T) {
	p := core.Must(firehose.New(firehose.Config{}))
	_, err := firehose.Process(context.Background(), p, firehose.Event{Records: []firehose.Record{{Data: []byte("a")}}}, contracttest.Upper)
	require.ErrorIs(t, err, core.ErrUnidentifiableFailure)
	var uf *core.UnidentifiableFailureError
	require.ErrorAs(t, err, &uf)
	require.Equal(t, []int{0}, uf.Positions)
	require.Contains(t, err.Error(), "recordId")
	require.NotContains(t, err.Error(), "messageId")
}

// Issue 18 §5: Result{Drop: true, Data: x} is refused, never silently
// stripped of x.
func TestFirehoseDropWithDataIsRefused(t *testing.T) {
	p := core.Must(firehose.New(firehose.Config{}))
	for _, res := range []firehose.Result{{Drop: true, Data: []byte("x")}, {Drop: true, PartitionKeys: map[string]string{"k": "v"}}, {Drop: true, Data: []byte{}}} {
		resp, err := firehose.Process(context.Background(), p, contracttest.FirehoseEvent("a"), func(context.Context, *firehose.Record) (firehose.Result, error) { return res, nil })
		require.NoError(t, err)
		require.Equal(t, events.KinesisFirehoseTransformedStateProcessingFailed, resp.Records[0].Result)
		require.ErrorContains(t, resp.Records[0].Err, "dropped the record but returned data")
	}
}

// Issue 18 §4: a handler that ignores its context and returns nil after
// the deadline margin does not make its record Ok: the response would
// reach Firehose too late. Records after it are not started.
func TestFirehoseHandlerReturningAfterTheMarginFails(t *testing.T) {
	for _, conc := range []int{1, 3} {
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		p := core.Must(firehose.New(firehose.Config{Options: core.Options{DeadlineMargin: 100 * time.Millisecond, Concurrency: conc}}))
		slow := func(_ context.Context, rec *firehose.Record) (firehose.Result, error) {
			if string(rec.Data) == "slow" {
				time.Sleep(120 * time.Millisecond) // ignores ctx: returns after the margin
			}
			return firehose.Result{Data: rec.Data}, nil
		}
		resp, err := firehose.Process(ctx, p, contracttest.FirehoseEvent("fast", "slow"), slow)
		cancel()
		require.NoError(t, err)
		require.Equal(t, events.KinesisFirehoseTransformedStateOk, resp.Records[0].Result)
		require.Equal(t, events.KinesisFirehoseTransformedStateProcessingFailed, resp.Records[1].Result, "conc %d", conc)
		require.ErrorIs(t, resp.Records[1].Err, core.ErrDeadline)
	}
}
