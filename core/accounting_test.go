package core_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
)

// goexitOn returns a handler that ends its goroutine (as t.FailNow and
// require do inside a handler) on the records whose ID is in ids, and
// fails those with Fail set.
func goexitOn(ids ...string) core.Handler[msg] {
	return func(_ context.Context, m *msg) error {
		for _, id := range ids {
			if m.ID == id {
				runtime.Goexit()
			}
		}
		return handle(context.Background(), m)
	}
}

// Issue 10 item 1: a handler that ends its goroutine under concurrency
// leaves its record without an outcome: it is reported failed with an
// UnhandledError (ErrAbandoned), never counted a success, and Run leaves no pending
// outcome.
func TestGoexitUnderConcurrencyIsReportedFailed(t *testing.T) {
	tests := []struct {
		name string
		stop core.StopPolicy
		want []string
	}{
		{"continue", core.StopNever, []string{"m1"}},
		// m1 and m3 share group g1: m3 never runs, and is reported.
		{"stop key", core.StopKey, []string{"m1", "m3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := core.NewBase(source(tt.stop), core.Options{Concurrency: 4})
			resp, err := core.Process(context.Background(), p, records(), goexitOn("m1"))
			require.NoError(t, err)
			require.Equal(t, tt.want, reported(resp))

			b := core.NewBatch(records(), goexitOn("m1"))
			_, err = core.Run(context.Background(), p, b)
			require.NoError(t, err)
			for i, o := range b.Outcomes {
				require.NotEqual(t, core.StatusPending, o.Status, "record %d has no outcome after Run", i)
			}
			require.ErrorIs(t, b.Outcomes[1].Err, core.ErrAbandoned)
			var ae *core.UnhandledError
			require.ErrorAs(t, b.Outcomes[1].Err, &ae)
		})
	}
}

// Issue 10 item 1, with hooks: RecordEnd is still called for the record
// whose goroutine ended, and for the records of its chain never reached.
func TestGoexitUnderConcurrencyReachesHooks(t *testing.T) {
	log := &callLog{}
	p := core.NewBase(source(core.StopKey), core.Options{Concurrency: 4, Hooks: []core.Hook{recorder{name: "h", log: log}}})
	resp, err := core.Process(context.Background(), p, records(), goexitOn("m1"))
	require.NoError(t, err)
	require.Equal(t, []string{"m1", "m3"}, reported(resp))
	ends := log.method("RecordEnd")
	require.Len(t, ends, 5, "every record reaches RecordEnd")
	for _, c := range ends {
		if p := c.Record.Position; p == 1 || p == 3 {
			require.ErrorIs(t, c.Record.Outcome.Err, core.ErrAbandoned)
		}
	}
	res := log.method("BatchEnd")[0].Result
	require.Equal(t, 2, res.Failed)
	require.Equal(t, 3, res.Succeeded)
}

// Issue 10 item 1, sequentially: the handler ends the caller's goroutine
// (Run cannot return), and the hooks still see the batch end with an
// UnhandledError (ErrAbandoned).
func TestSequentialGoexitEndsTheInvocationAndTellsHooks(t *testing.T) {
	log := &callLog{}
	p := core.NewBase(source(core.StopNever), core.Options{Hooks: []core.Hook{recorder{name: "h", log: log}}})
	returned := false
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _ = core.Process(context.Background(), p, records(), goexitOn("m2"))
		returned = true
	}()
	wg.Wait()
	require.False(t, returned, "Goexit ends the caller's goroutine")
	ends := log.method("BatchEnd")
	require.Len(t, ends, 1)
	require.ErrorIs(t, ends[0].Result.Err, core.ErrAbandoned)
}

// Issue 10 item 2: a panic in a Source function that runs for a record
// (Key, Identify) fails that record, or the invocation when no record can
// be blamed (EventSource in Prepare, Identify in Response); it never
// crashes the process nor counts as a success.
func TestPanicInSourceFunctionsNeverCrashes(t *testing.T) {
	keyPanics := func(m *msg) string {
		if m.ID == "m1" {
			panic("key bug")
		}
		return m.Group
	}
	identifyPanics := func(m *msg) core.Identifier {
		if m.ID == "m2" {
			panic("identify bug")
		}
		return core.StringID(m.ID)
	}
	hooks := []core.Hook{recorder{name: "h", log: &callLog{}}}
	tests := []struct {
		name    string
		src     func(core.Source[msg]) core.Source[msg]
		opts    core.Options
		fail    []int
		want    []string
		wantErr bool
	}{
		{name: "Key, stop key, concurrent", src: func(s core.Source[msg]) core.Source[msg] { s.Key = keyPanics; s.Stop = core.StopKey; return s },
			opts: core.Options{Concurrency: 3}, want: []string{"m1", "m2", "m3", "m4"}},
		{name: "Key, stop key, sequential", src: func(s core.Source[msg]) core.Source[msg] { s.Key = keyPanics; s.Stop = core.StopKey; return s },
			want: []string{"m1", "m2", "m3", "m4"}},
		{name: "Key, hooks, concurrent", src: func(s core.Source[msg]) core.Source[msg] { s.Key = keyPanics; return s },
			opts: core.Options{Concurrency: 3, Hooks: hooks}, want: []string{"m1"}},
		{name: "Key, hooks, order by key", src: func(s core.Source[msg]) core.Source[msg] { s.Key = keyPanics; s.OrderByKey = true; return s },
			opts: core.Options{Concurrency: 3, Hooks: hooks}, want: []string{"m1"}},
		{name: "Identify, hooks, concurrent, succeeded", src: func(s core.Source[msg]) core.Source[msg] { s.Identify = identifyPanics; return s },
			opts: core.Options{Concurrency: 3, Hooks: hooks}, wantErr: true},
		{name: "Identify in Response", src: func(s core.Source[msg]) core.Source[msg] { s.Identify = identifyPanics; return s },
			fail: []int{2}, wantErr: true},
		{name: "EventSource in Prepare", src: func(s core.Source[msg]) core.Source[msg] {
			s.EventSource = func(*msg) string { panic("event source bug") }
			return s
		}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			ran := map[string]bool{}
			h := func(_ context.Context, m *msg) error {
				mu.Lock()
				ran[m.ID] = true
				mu.Unlock()
				return handle(context.Background(), m)
			}
			p := core.NewBase(tt.src(source(core.StopNever)), tt.opts)
			resp, err := core.Process(context.Background(), p, records(tt.fail...), h)
			if tt.wantErr {
				require.ErrorIs(t, err, core.ErrPanic)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, reported(resp))
			require.False(t, ran["m1"], "the record whose Key panicked does not run")
		})
	}
}

// Issue 10 item 3 (core side): a record failed with an unknown ordering key
// stops, under StopKey, every later record with a key (any may share it),
// and no other.
func TestFailUnknownKeyStopsLaterKeyedRecords(t *testing.T) {
	for _, conc := range []int{1, 3} {
		recs := records()
		recs[4].Group = "" // no group: never stopped
		b := core.NewBatch(recs, handle)
		b.FailUnknownKey(1, errors.New("does not decode"))
		p := core.NewBase(source(core.StopKey), core.Options{Concurrency: conc})
		resp, err := core.Run(context.Background(), p, b)
		require.NoError(t, err)
		require.Equal(t, []string{"m1", "m2", "m3"}, reported(resp), "concurrency %d", conc)
		var sc *core.UnhandledError
		require.ErrorAs(t, b.Outcomes[2].Err, &sc)
		require.ErrorIs(t, sc, core.ErrShortCircuit)
		require.True(t, sc.KeyUnknown)
		require.Equal(t, 1, sc.FailedPosition)
		require.Equal(t, core.StatusSuccess, b.Outcomes[4].Status)
	}
}

// Issue 10 item 8: an invocation refused in Prepare reaches the hooks:
// BatchStart, then BatchEnd with the error and every record failed.
func TestPrepareErrorReachesHooks(t *testing.T) {
	boom := errors.New("cannot prepare")
	log := &callLog{}
	base := core.NewBase(source(core.StopNever), core.Options{Hooks: []core.Hook{recorder{name: "h", log: log}}})
	for _, p := range []core.PartialProcessor[msg]{&counting{Base: base, prepareErr: boom}, base} {
		*log = callLog{}
		recs := records()
		recs[3].Source = "aws:other"
		ctx := context.WithValue(context.Background(), countKey{}, &counts{})
		_, err := core.Process(ctx, p, recs, handle)
		require.Error(t, err)
		require.Equal(t, []string{"h.BatchStart", "h.BatchEnd"}, log.names())
		res := log.method("BatchEnd")[0].Result
		require.Equal(t, err, res.Err)
		require.Equal(t, 5, res.Failed)
	}
	// Refuse does the same for entries that refuse before Run.
	*log = callLog{}
	_, err := core.Refuse(context.Background(), base, records(), boom)
	require.ErrorIs(t, err, boom)
	require.Equal(t, []string{"h.BatchStart", "h.BatchEnd"}, log.names())
}

// backgroundHook returns a context without the invocation's deadline.
type backgroundHook struct{ core.NopHook }

func (backgroundHook) BatchStart(context.Context, core.BatchInfo) context.Context {
	return context.Background()
}

// Issue 10 item 9: the deadline margin comes from the invocation's context,
// whatever context a hook's BatchStart returns.
func TestDeadlineMarginSurvivesAHookWithoutDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	deadline, _ := ctx.Deadline()
	p := core.NewBase(source(core.StopNever), core.Options{DeadlineMargin: 1400 * time.Millisecond, Hooks: []core.Hook{backgroundHook{}}})
	h := func(ctx context.Context, _ *msg) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Second):
			return nil
		}
	}
	resp, err := core.Process(ctx, p, records(), h)
	require.True(t, time.Now().Before(deadline), "records stop at the margin, before the deadline")
	require.ErrorIs(t, err, core.ErrFullBatchFailure)
	require.Len(t, resp.BatchItemFailures, 5)
	require.ErrorIs(t, err, core.ErrDeadline)
}

// Issue 24 §2: the messages are short and name no option or variable
// (docs/outcomes-and-errors.md gives the advice); a deadline already passed
// is said so.
func TestAccountingMessages(t *testing.T) {
	full := (&core.FullBatchFailureError{Errors: []error{errFail}}).Error()
	require.Equal(t, "batchkit: all 1 records in the batch failed, so the whole batch will be retried (first error: "+errFail.Error()+")", full)
	late := (&core.UnhandledError{Reason: core.ErrDeadline, Remaining: -1801 * time.Millisecond, Margin: time.Second}).Error()
	require.Contains(t, late, "deadline had passed (by 1.801s")
	require.NotContains(t, late, "-1.8")
	require.Contains(t, (&core.UnhandledError{Reason: core.ErrDeadline, Remaining: 300 * time.Millisecond, Margin: time.Second}).Error(), "300ms left")
	require.Contains(t, (&core.UnhandledError{Reason: core.ErrAbandoned}).Error(), "goroutine ended without returning")
	for _, err := range []error{
		&core.UnhandledError{Reason: core.ErrShortCircuit, FailedPosition: 3},
		&core.UnhandledError{Reason: core.ErrShortCircuit, FailedPosition: 3, Key: "g"},
		&core.UnhandledError{Reason: core.ErrShortCircuit, FailedPosition: 3, KeyUnknown: true},
		&core.UnhandledError{Reason: core.ErrDeadline, Remaining: time.Millisecond, Margin: time.Second},
		&core.UnhandledError{Reason: core.ErrCanceled, Cause: context.Canceled},
		&core.UnhandledError{Reason: core.ErrStillRunning, Margin: time.Second},
		&core.UnhandledError{Reason: core.ErrAbandoned},
	} {
		require.LessOrEqual(t, len(err.Error()), 110, "a short message: %q", err)
		require.True(t, strings.HasPrefix(err.Error(), "batchkit: "), err.Error())
	}
}

// lying is a custom processor whose Response reports what it is told.
type lying struct {
	*core.Base[msg]
	ids []core.Identifier
}

func (p lying) Response(context.Context, *core.Batch[msg]) (core.Response, error) {
	var r core.Response
	for _, id := range p.ids {
		r.BatchItemFailures = append(r.BatchItemFailures, core.BatchItemFailure{ItemIdentifier: id})
	}
	return r, nil
}

// Issue 10 item 13: whatever Response returns is checked before it leaves:
// an empty identifier, or one that is no record of the batch, is an
// error matching ErrInvalidResponse; the batch's own identifiers, in any order, pass.
func TestResponseGuard(t *testing.T) {
	tests := []struct {
		name    string
		ids     []core.Identifier
		wantErr string
	}{
		{"own, in order", []core.Identifier{core.StringID("m1"), core.StringID("m3")}, ""},
		{"own, other order, repeated", []core.Identifier{core.StringID("m3"), core.StringID("m1"), core.StringID("m3")}, ""},
		{"empty", []core.Identifier{core.StringID("m1"), {}}, "is empty"},
		{"unknown", []core.Identifier{core.StringID("m1"), core.StringID("nope")}, "not the identifier of any record"},
		{"unknown kafka", []core.Identifier{core.KafkaID("t-0", 3)}, "not the identifier of any record"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := lying{Base: core.NewBase(source(core.StopNever), core.Options{}), ids: tt.ids}
			_, err := core.Process(context.Background(), p, records(1), handle)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, core.ErrInvalidResponse)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}
