package core_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
)

// msg is a minimal record type for core's own tests.
type msg struct {
	ID     string
	Source string
	Group  string
	Fail   bool
}

var errFail = errors.New("handler failed")

func handle(_ context.Context, m *msg) error {
	if m.Fail {
		return errFail
	}
	return nil
}

func source(stop core.StopPolicy) core.Source[msg] {
	return core.Source[msg]{
		Name:         "test",
		EventSources: []string{"test"},
		EventSource:  func(m *msg) string { return m.Source },
		Identify:     func(m *msg) core.Identifier { return core.StringID(m.ID) },
		Key:          func(m *msg) string { return m.Group },
		Stop:         stop,
	}
}

func records(fail ...int) []msg {
	rs := make([]msg, 5)
	for i := range rs {
		rs[i] = msg{ID: fmt.Sprint("m", i), Group: fmt.Sprint("g", i%2)}
	}
	for _, i := range fail {
		rs[i].Fail = true
	}
	return rs
}

func reported(r core.Response) []string {
	var out []string
	for _, f := range r.BatchItemFailures {
		out = append(out, f.ItemIdentifier.String())
	}
	return out
}

// counting is a custom processor: it embeds Base and overrides what it
// changes, the Go counterpart of subclassing BasePartialProcessor.
type counting struct {
	*core.Base[msg]
	prepareErr error
	cleanErr   error
}

type countKey struct{}

type counts struct{ success, failure, cleaned int }

func (p *counting) Prepare(ctx context.Context, b *core.Batch[msg]) error {
	if p.prepareErr != nil {
		return p.prepareErr
	}
	return p.Base.Prepare(ctx, b)
}

// ProcessRecord wraps the base, like success_handler/failure_handler.
func (p *counting) ProcessRecord(ctx context.Context, b *core.Batch[msg], i int) core.Outcome {
	o := p.Base.ProcessRecord(ctx, b, i)
	c := ctx.Value(countKey{}).(*counts)
	if o.Failed() {
		c.failure++
	} else {
		c.success++
	}
	return o
}

func (p *counting) Clean(ctx context.Context, _ *core.Batch[msg]) error {
	ctx.Value(countKey{}).(*counts).cleaned++
	return p.cleanErr
}

func TestCustomProcessorEmbedsBase(t *testing.T) {
	p := &counting{Base: core.NewBase(source(core.StopNever), core.Options{})}
	c := &counts{}
	ctx := context.WithValue(context.Background(), countKey{}, c)
	resp, err := core.Process(ctx, p, records(1, 3), handle)
	require.NoError(t, err)
	require.Equal(t, []string{"m1", "m3"}, reported(resp))
	require.Equal(t, counts{success: 3, failure: 2, cleaned: 1}, *c)
}

func TestPrepareErrorStopsBeforeAnyHandler(t *testing.T) {
	boom := errors.New("cannot prepare")
	p := &counting{Base: core.NewBase(source(core.StopNever), core.Options{}), prepareErr: boom}
	c := &counts{}
	ctx := context.WithValue(context.Background(), countKey{}, c)
	resp, err := core.Process(ctx, p, records(), handle)
	require.ErrorIs(t, err, boom)
	require.Empty(t, resp.BatchItemFailures)
	require.Equal(t, counts{}, *c, "no record handled and Clean not called")
}

func TestCleanErrorIsJoinedToTheResponse(t *testing.T) {
	boom := errors.New("cannot clean")
	p := &counting{Base: core.NewBase(source(core.StopNever), core.Options{}), cleanErr: boom}
	ctx := context.WithValue(context.Background(), countKey{}, &counts{})
	resp, err := core.Process(ctx, p, records(2), handle)
	require.ErrorIs(t, err, boom)
	require.ErrorContains(t, err, "Clean failed")
	require.Equal(t, []string{"m2"}, reported(resp), "the response is still built")
}

// broken is a processor whose ProcessRecord panics or forgets the outcome.
type broken struct{ *core.Base[msg] }

func (p broken) ProcessRecord(_ context.Context, b *core.Batch[msg], i int) core.Outcome {
	switch i {
	case 0:
		panic("processor bug")
	case 1:
		return core.Outcome{}
	}
	return core.Success(nil)
}

func TestProcessorBugsFailTheRecordNotTheBatch(t *testing.T) {
	b := core.NewBatch(records(), handle)
	resp, err := core.Run(context.Background(), broken{core.NewBase(source(core.StopNever), core.Options{})}, b)
	require.NoError(t, err)
	require.Equal(t, []string{"m0", "m1"}, reported(resp))
	require.ErrorIs(t, b.Outcomes[0].Err, core.ErrPanic)
	require.ErrorContains(t, b.Outcomes[1].Err, "returned no outcome")
}

// minimal implements only PartialProcessor, without Planner.
type minimal struct{}

func (minimal) Prepare(context.Context, *core.Batch[msg]) error { return nil }
func (minimal) ProcessRecord(ctx context.Context, b *core.Batch[msg], i int) core.Outcome {
	return b.Handle(ctx, i)
}
func (minimal) Clean(context.Context, *core.Batch[msg]) error { return nil }
func (minimal) Response(_ context.Context, b *core.Batch[msg]) (core.Response, error) {
	return core.BuildResponse(b, func(m *msg) core.Identifier { return core.StringID(m.ID) }, false)
}

func TestProcessorWithoutPlannerHandlesEveryRecord(t *testing.T) {
	resp, err := core.Process(context.Background(), minimal{}, records(0, 4), handle)
	require.NoError(t, err)
	require.Equal(t, []string{"m0", "m4"}, reported(resp))
}

// A record failed before the batch runs (for example, it did not decode) is
// reported, is not handled, and stops the batch under StopBatch.
func TestPresetFailureStopsLikeAnyFailure(t *testing.T) {
	decodeErr := errors.New("does not decode")
	var handled []string
	h := func(_ context.Context, m *msg) error { handled = append(handled, m.ID); return nil }
	b := core.NewBatch(records(), h)
	b.Fail(2, decodeErr)
	resp, err := core.Run(context.Background(), core.NewBase(source(core.StopBatch), core.Options{}), b)
	require.NoError(t, err)
	require.Equal(t, []string{"m2", "m3", "m4"}, reported(resp))
	require.Equal(t, []string{"m0", "m1"}, handled)
	require.ErrorIs(t, b.Outcomes[2].Err, decodeErr)
	require.ErrorIs(t, b.Outcomes[3].Err, core.ErrShortCircuit)
}

func TestStopKeyWithoutKeyStopsTheBatch(t *testing.T) {
	src := source(core.StopKey)
	src.Key = nil
	resp, err := core.Process(context.Background(), core.NewBase(src, core.Options{}), records(1), handle)
	require.NoError(t, err)
	require.Equal(t, []string{"m1", "m2", "m3", "m4"}, reported(resp))
}

func TestRunRejectsMisuse(t *testing.T) {
	p := core.NewBase(source(core.StopNever), core.Options{})
	_, err := core.Run[msg](context.Background(), nil, core.NewBatch(records(), handle))
	require.ErrorContains(t, err, "needs a processor")
	_, err = core.Run(context.Background(), p, core.NewBatch[msg](records(), nil))
	require.ErrorContains(t, err, "handler")
	_, err = core.Run(context.Background(), p, &core.Batch[msg]{Records: records()})
	require.Error(t, err)
}

func TestIdentifierJSON(t *testing.T) {
	resp := core.Response{BatchItemFailures: []core.BatchItemFailure{
		{ItemIdentifier: core.StringID("abc")},
		{ItemIdentifier: core.KafkaID("orders-0", 0)},
		{ItemIdentifier: core.KafkaID("orders-1", 42)},
	}}
	data, err := json.Marshal(resp)
	require.NoError(t, err)
	require.JSONEq(t, `{"batchItemFailures":[{"itemIdentifier":"abc"},{"itemIdentifier":{"partition":"orders-0","offset":0}},{"itemIdentifier":{"partition":"orders-1","offset":42}}]}`, string(data))
	var back core.Response
	require.NoError(t, json.Unmarshal(data, &back))
	require.Equal(t, resp, back)
	require.Equal(t, "orders-1@42", resp.BatchItemFailures[2].ItemIdentifier.String())
	require.True(t, core.KafkaID("t-0", 0).Valid())
	require.False(t, core.StringID("").Valid())

	var id core.Identifier
	require.Error(t, json.Unmarshal([]byte(`12`), &id))
	require.NoError(t, json.Unmarshal([]byte(`null`), &id))
	require.False(t, id.Valid())
}

func TestErrorMessagesSayWhatToDo(t *testing.T) {
	for _, err := range []error{
		&core.FullBatchFailureError{Errors: []error{errFail}},
		&core.UnhandledError{Reason: core.ErrShortCircuit, FailedPosition: 3},
		&core.UnhandledError{Reason: core.ErrShortCircuit, Key: "g", FailedPosition: 1},
		&core.UnidentifiableFailureError{Positions: []int{2}},
		&core.UnhandledError{Reason: core.ErrDeadline, Remaining: 10, Margin: 20},
		&core.UnhandledError{Reason: core.ErrCanceled, Cause: context.Canceled},
		&core.PanicError{Value: "x"},
	} {
		require.Contains(t, err.Error(), "batchkit: ")
		require.Greater(t, len(err.Error()), 30, "%T says what happened", err)
	}
	for _, reason := range []error{core.ErrShortCircuit, core.ErrDeadline, core.ErrCanceled, core.ErrStillRunning, core.ErrAbandoned} {
		err := &core.UnhandledError{Reason: reason}
		require.ErrorIs(t, err, reason)
		for _, other := range []error{core.ErrShortCircuit, core.ErrDeadline, core.ErrCanceled, core.ErrStillRunning, core.ErrAbandoned} {
			if other != reason {
				require.NotErrorIs(t, err, other, "%v matches its reason only", reason)
			}
		}
	}
	require.ErrorIs(t, &core.UnhandledError{Reason: core.ErrCanceled, Cause: context.DeadlineExceeded}, context.DeadlineExceeded)
}

// cleanCtx records the context error Clean saw.
type cleanCtx struct {
	*core.Base[msg]
	err *error
}

func (p cleanCtx) Clean(ctx context.Context, _ *core.Batch[msg]) error {
	*p.err = ctx.Err()
	return nil
}

// Past the deadline margin no record starts (each is reported with a
// UnhandledError with ErrDeadline), and Clean still gets a live context to release resources.
func TestDeadlineMarginLeavesCleanALiveContext(t *testing.T) {
	var seen error = errors.New("Clean not called")
	p := cleanCtx{Base: core.NewBase(source(core.StopNever), core.Options{DeadlineMargin: time.Hour, SuppressFullBatchError: true}), err: &seen}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b := core.NewBatch(records(), handle)
	resp, err := core.Run(ctx, p, b)
	require.NoError(t, err)
	require.Len(t, resp.BatchItemFailures, 5)
	for _, o := range b.Outcomes {
		require.Equal(t, core.StatusNotStarted, o.Status)
		require.ErrorIs(t, o.Err, core.ErrDeadline)
	}
	require.NoError(t, seen)
}
