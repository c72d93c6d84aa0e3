package core_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

// call is one hook call seen by a recorder.
type call struct {
	Hook   string
	Method string
	Record core.RecordInfo // RecordStart, RecordEnd
	Batch  core.BatchInfo  // BatchStart
	Result core.BatchResult
}

// recorder is a hook that records every call, safe for concurrent use.
type recorder struct {
	name string
	log  *callLog
}

type callLog struct {
	mu    sync.Mutex
	calls []call
}

func (l *callLog) add(c call) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, c)
}

func (l *callLog) names() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, len(l.calls))
	for i, c := range l.calls {
		out[i] = c.Hook + "." + c.Method
		if c.Method == "RecordStart" || c.Method == "RecordEnd" {
			out[i] += fmt.Sprint(c.Record.Position)
		}
	}
	return out
}

func (l *callLog) method(m string) []call {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []call
	for _, c := range l.calls {
		if c.Method == m {
			out = append(out, c)
		}
	}
	return out
}

func (r recorder) BatchStart(ctx context.Context, info core.BatchInfo) context.Context {
	r.log.add(call{Hook: r.name, Method: "BatchStart", Batch: info})
	return ctx
}

func (r recorder) RecordStart(ctx context.Context, info core.RecordInfo) context.Context {
	r.log.add(call{Hook: r.name, Method: "RecordStart", Record: info})
	return ctx
}

func (r recorder) RecordEnd(_ context.Context, info core.RecordInfo) {
	r.log.add(call{Hook: r.name, Method: "RecordEnd", Record: info})
}

func (r recorder) BatchEnd(_ context.Context, res core.BatchResult) error {
	r.log.add(call{Hook: r.name, Method: "BatchEnd", Result: res})
	return nil
}

// failOn returns a handler that fails the messages whose body is "fail" and
// panics on "panic"; every handled message takes at least a millisecond.
func failOn() core.Handler[events.SQSMessage] {
	return func(_ context.Context, m *events.SQSMessage) error {
		time.Sleep(time.Millisecond)
		switch m.Body {
		case "fail":
			return errors.New("boom")
		case "panic":
			panic("kaboom")
		}
		return nil
	}
}

func TestHooksCallOrder(t *testing.T) {
	log := &callLog{}
	p := core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{recorder{"a", log}, recorder{"b", log}}}}))
	event := batchtest.SQSEvent("ok", "fail", "ok")

	resp, err := core.Process(context.Background(), p, event.Records, failOn())
	require.NoError(t, err)
	require.Equal(t, []string{event.Records[1].MessageId}, batchtest.FailedIDs(resp))
	// Starts run in the order the hooks were given, ends in reverse order,
	// like nested middleware.
	require.Equal(t, []string{
		"a.BatchStart", "b.BatchStart",
		"a.RecordStart0", "b.RecordStart0", "b.RecordEnd0", "a.RecordEnd0",
		"a.RecordStart1", "b.RecordStart1", "b.RecordEnd1", "a.RecordEnd1",
		"a.RecordStart2", "b.RecordStart2", "b.RecordEnd2", "a.RecordEnd2",
		"b.BatchEnd", "a.BatchEnd",
	}, log.names())

	start := log.method("BatchStart")[0].Batch
	require.Equal(t, processors.EventSourceSQS, start.EventSource)
	require.Equal(t, 3, start.Size)
	require.False(t, start.Start.IsZero())
	require.Equal(t, event.Records, start.Records)

	res := log.method("BatchEnd")[0].Result
	require.Equal(t, start, res.BatchInfo)
	require.Equal(t, 2, res.Succeeded)
	require.Equal(t, 1, res.Failed)
	require.Equal(t, resp, res.Response)
	require.NoError(t, res.Err)
	require.GreaterOrEqual(t, res.Duration, 3*time.Millisecond)
}

func TestHooksRecordInfo(t *testing.T) {
	event := batchtest.FIFOEvent(
		batchtest.FIFOMessage{Group: "g1", Body: "ok"},
		batchtest.FIFOMessage{Group: "g2", Body: "fail"},
		batchtest.FIFOMessage{Group: "g2", Body: "ok"},
		batchtest.FIFOMessage{Body: "ok"},
	)
	log := &callLog{}
	p := core.Must(processors.NewSQSFIFO(processors.Config{Options: core.Options{Hooks: []core.Hook{recorder{"a", log}}}, SkipGroupOnError: true}))
	_, err := core.Process(context.Background(), p, event.Records, failOn())
	require.NoError(t, err)

	ends := log.method("RecordEnd")
	require.Len(t, ends, 4)
	tests := []struct {
		key     string
		status  core.Status
		errIs   error
		handled bool
	}{
		{key: "g1", status: core.StatusSuccess, handled: true},
		{key: "g2", status: core.StatusFailure, handled: true},
		{key: "g2", status: core.StatusNotStarted, errIs: core.ErrShortCircuit},
		{key: "", status: core.StatusSuccess, handled: true},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			info := ends[i].Record
			require.Equal(t, i, info.Position)
			require.Equal(t, core.StringID(event.Records[i].MessageId), info.Identifier)
			require.Equal(t, processors.EventSourceSQS, info.EventSource)
			require.Equal(t, tt.key, info.Key)
			require.Same(t, &event.Records[i], info.Record.(*events.SQSMessage))
			require.Equal(t, tt.status, info.Outcome.Status)
			if tt.errIs != nil {
				require.ErrorIs(t, info.Outcome.Err, tt.errIs)
			}
			if tt.handled {
				require.GreaterOrEqual(t, info.Duration, time.Millisecond)
			} else {
				require.Zero(t, info.Duration)
			}
			// RecordStart saw the same description, without the outcome.
			start := log.method("RecordStart")[i].Record
			require.Equal(t, info.Identifier, start.Identifier)
			require.Equal(t, info.Key, start.Key)
			require.Equal(t, core.StatusPending, start.Outcome.Status)
		})
	}
}

type ctxKey string

// ctxHook adds its name to the batch and record contexts and checks that its
// end methods get back the contexts its start methods returned.
type ctxHook struct {
	name string
	mu   *sync.Mutex
	errs *[]string
}

func (h ctxHook) fail(format string, args ...any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	*h.errs = append(*h.errs, fmt.Sprintf(h.name+": "+format, args...))
}

func (h ctxHook) BatchStart(ctx context.Context, _ core.BatchInfo) context.Context {
	return context.WithValue(ctx, ctxKey("batch-"+h.name), h.name)
}

func (h ctxHook) RecordStart(ctx context.Context, info core.RecordInfo) context.Context {
	if ctx.Value(ctxKey("batch-"+h.name)) == nil {
		h.fail("RecordStart %d lacks the batch context", info.Position)
	}
	return context.WithValue(ctx, ctxKey("record-"+h.name), info.Position)
}

func (h ctxHook) RecordEnd(ctx context.Context, info core.RecordInfo) {
	if got := ctx.Value(ctxKey("record-" + h.name)); got != info.Position {
		h.fail("RecordEnd %d got the record context of %v", info.Position, got)
	}
}

func (h ctxHook) BatchEnd(ctx context.Context, _ core.BatchResult) error {
	if ctx.Value(ctxKey("batch-"+h.name)) == nil {
		h.fail("BatchEnd lacks the batch context")
	}
	return nil
}

func TestHooksChainContexts(t *testing.T) {
	for _, concurrency := range []int{1, 8} {
		t.Run(fmt.Sprint("concurrency ", concurrency), func(t *testing.T) {
			var mu sync.Mutex
			var errs []string
			p := core.Must(processors.NewSQS(processors.Config{Options: core.Options{Concurrency: concurrency, Hooks: []core.Hook{ctxHook{"a", &mu, &errs}, ctxHook{"b", &mu, &errs}}}}))
			bodies := make([]string, 50)
			for i := range bodies {
				bodies[i] = []string{"ok", "fail", "panic"}[i%3]
			}
			event := batchtest.SQSEvent(bodies...)
			handler := func(ctx context.Context, m *events.SQSMessage) error {
				for _, k := range []string{"batch-a", "batch-b", "record-a", "record-b"} {
					if ctx.Value(ctxKey(k)) == nil {
						return fmt.Errorf("handler context lacks %s", k)
					}
				}
				return failOn()(ctx, m)
			}
			resp, err := core.Process(context.Background(), p, event.Records, handler)
			require.NoError(t, err)
			require.Empty(t, errs)
			require.Len(t, resp.BatchItemFailures, 33)
			for _, f := range resp.BatchItemFailures {
				require.NotEqual(t, "ok", bodyOf(event, f.ItemIdentifier.ID))
			}
		})
	}
}

func bodyOf(event events.SQSEvent, id string) string {
	for _, m := range event.Records {
		if m.MessageId == id {
			return m.Body
		}
	}
	return ""
}

func TestHooksUnderConcurrency(t *testing.T) {
	const n = 200
	log := &callLog{}
	p := core.Must(processors.NewSQS(processors.Config{Options: core.Options{Concurrency: 8, Hooks: []core.Hook{recorder{"a", log}, recorder{"b", log}}}}))
	bodies := make([]string, n)
	for i := range bodies {
		bodies[i] = "ok"
		if i%4 == 0 {
			bodies[i] = "fail"
		}
	}
	event := batchtest.SQSEvent(bodies...)
	resp, err := core.Process(context.Background(), p, event.Records, failOn())
	require.NoError(t, err)
	require.Len(t, resp.BatchItemFailures, n/4)

	for _, method := range []string{"RecordStart", "RecordEnd"} {
		seen := make(map[string]int)
		for _, c := range log.method(method) {
			seen[fmt.Sprint(c.Hook, c.Record.Position)]++
			if method == "RecordEnd" {
				require.Equal(t, bodies[c.Record.Position] == "fail", c.Record.Outcome.Failed())
			}
		}
		require.Len(t, seen, 2*n, method)
		for k, v := range seen {
			require.Equal(t, 1, v, "%s %s", method, k)
		}
	}
	names := log.names()
	require.Equal(t, []string{"a.BatchStart", "b.BatchStart"}, names[:2])
	require.Equal(t, []string{"b.BatchEnd", "a.BatchEnd"}, names[len(names)-2:])
	res := log.method("BatchEnd")[0].Result
	require.Equal(t, n-n/4, res.Succeeded)
	require.Equal(t, n/4, res.Failed)
}

// panicHook panics in the methods named in its set.
type panicHook map[string]bool

func (h panicHook) maybe(m string) {
	if h[m] {
		panic("hook " + m + " exploded")
	}
}

func (h panicHook) BatchStart(ctx context.Context, _ core.BatchInfo) context.Context {
	h.maybe("BatchStart")
	return ctx
}

func (h panicHook) RecordStart(ctx context.Context, _ core.RecordInfo) context.Context {
	h.maybe("RecordStart")
	return ctx
}

func (h panicHook) RecordEnd(context.Context, core.RecordInfo) { h.maybe("RecordEnd") }

func (h panicHook) BatchEnd(context.Context, core.BatchResult) error {
	h.maybe("BatchEnd")
	return nil
}

// errHook returns an error from BatchEnd.
type errHook struct{ core.NopHook }

func (errHook) BatchEnd(context.Context, core.BatchResult) error {
	return errors.New("metrics backend unavailable")
}

// captureLog sends slog's default logger to a buffer for the test.
func captureLog(t *testing.T) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	return &buf
}

func TestMisbehavingHooksChangeNothing(t *testing.T) {
	all := panicHook{"BatchStart": true, "RecordStart": true, "RecordEnd": true, "BatchEnd": true}
	tests := []struct {
		name    string
		hooks   []core.Hook
		bodies  []string
		wantLog string
	}{
		{name: "panics everywhere", hooks: []core.Hook{all}, bodies: []string{"ok", "fail", "panic", "ok"}, wantLog: "hook panicked"},
		{name: "panics in BatchStart", hooks: []core.Hook{panicHook{"BatchStart": true}}, bodies: []string{"ok", "fail"}, wantLog: "BatchStart"},
		{name: "panics in RecordStart", hooks: []core.Hook{panicHook{"RecordStart": true}}, bodies: []string{"ok", "fail"}, wantLog: "RecordStart"},
		{name: "panics in RecordEnd", hooks: []core.Hook{panicHook{"RecordEnd": true}}, bodies: []string{"ok", "fail"}, wantLog: "RecordEnd"},
		{name: "panics in BatchEnd", hooks: []core.Hook{panicHook{"BatchEnd": true}}, bodies: []string{"ok", "fail"}, wantLog: "BatchEnd"},
		{name: "panics around a working hook", hooks: []core.Hook{all, recorder{"a", &callLog{}}, all}, bodies: []string{"fail", "ok"}, wantLog: "hook panicked"},
		{name: "panics on a full batch failure", hooks: []core.Hook{all}, bodies: []string{"fail", "panic"}, wantLog: "hook panicked"},
		{name: "BatchEnd error", hooks: []core.Hook{errHook{}}, bodies: []string{"ok", "fail"}, wantLog: "metrics backend unavailable"},
		{name: "BatchEnd error on a full batch failure", hooks: []core.Hook{errHook{}}, bodies: []string{"fail"}, wantLog: "hook BatchEnd failed"},
	}
	for _, tt := range tests {
		for _, concurrency := range []int{1, 4} {
			t.Run(fmt.Sprint(tt.name, "/concurrency ", concurrency), func(t *testing.T) {
				event := batchtest.SQSEvent(tt.bodies...)
				plainBatch := core.NewBatch(event.Records, failOn())
				wantResp, wantErr := core.Run(context.Background(), core.Must(processors.NewSQS(processors.Config{Options: core.Options{Concurrency: concurrency}})), plainBatch)

				logs := captureLog(t)
				p := core.Must(processors.NewSQS(processors.Config{Options: core.Options{Concurrency: concurrency, Hooks: tt.hooks}}))
				b := core.NewBatch(event.Records, failOn())
				resp, err := core.Run(context.Background(), p, b)

				require.Equal(t, wantResp, resp)
				if wantErr == nil {
					require.NoError(t, err)
				} else {
					require.ErrorIs(t, err, core.ErrFullBatchFailure)
					require.Equal(t, wantErr.Error(), err.Error())
				}
				require.Len(t, b.Outcomes, len(plainBatch.Outcomes))
				for i := range b.Outcomes {
					require.Equal(t, plainBatch.Outcomes[i].Status, b.Outcomes[i].Status, "record %d", i)
				}
				require.Contains(t, logs.String(), tt.wantLog)
			})
		}
	}
}

// A hook that returns a nil context keeps the context it was given.
type nilCtxHook struct{ core.NopHook }

func (nilCtxHook) BatchStart(context.Context, core.BatchInfo) context.Context   { return nil }
func (nilCtxHook) RecordStart(context.Context, core.RecordInfo) context.Context { return nil }

func TestHookNilContextKeepsContext(t *testing.T) {
	ctx := context.WithValue(context.Background(), ctxKey("caller"), "x")
	p := core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{nilCtxHook{}}}}))
	event := batchtest.SQSEvent("ok")
	resp, err := core.Process(ctx, p, event.Records, func(ctx context.Context, _ *events.SQSMessage) error {
		if ctx.Value(ctxKey("caller")) != "x" {
			return errors.New("handler lost the caller's context")
		}
		return nil
	})
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
}

// ExampleHook shows a hook that counts failed records, enabled on an SQS
// processor. Embedding core.NopHook, it implements only RecordEnd.
func ExampleHook() {
	var failures failureCounter
	p := core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{&failures}}}))
	event := batchtest.SQSEvent("ok", "fail", "fail")
	_, _ = core.Process(context.Background(), p, event.Records, failOn())
	fmt.Println("failed records:", failures.n)
	// Output: failed records: 2
}

// failureCounter counts failed records; the mutex makes it safe under
// concurrent processing.
type failureCounter struct {
	core.NopHook
	mu sync.Mutex
	n  int
}

func (c *failureCounter) RecordEnd(_ context.Context, info core.RecordInfo) {
	if info.Outcome.Failed() {
		c.mu.Lock()
		c.n++
		c.mu.Unlock()
	}
}

// BenchmarkHooks measures what hooks add to a 100-message SQS batch: none
// (the lifecycle skips all hook work), one NopHook, and three.
func BenchmarkHooks(b *testing.B) {
	event := batchtest.SQSEvent(make([]string, 100)...)
	ok := func(context.Context, *events.SQSMessage) error { return nil }
	for _, n := range []int{0, 1, 3} {
		hooks := make([]core.Hook, n)
		for i := range hooks {
			hooks[i] = core.NopHook{}
		}
		p := core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: hooks}}))
		b.Run(fmt.Sprint("hooks=", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := core.Process(context.Background(), p, event.Records, ok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
