package sentry_test

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/getsentry/sentry-go"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	batchsentry "github.com/batchkit/batchkit/hooks/sentry"
	"github.com/batchkit/batchkit/processors"
)

// transport captures events: SendEvent queues them, Flush "sends" them, so a
// test can tell whether the flush happened before Process returned.
type transport struct {
	mu       sync.Mutex
	pending  []*sentry.Event
	sent     []*sentry.Event
	flushes  int
	flushErr bool // Flush reports a timeout
}

func (t *transport) SendEvent(e *sentry.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pending = append(t.pending, e)
}

func (t *transport) Flush(time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.flushes++
	if t.flushErr {
		return false
	}
	t.sent = append(t.sent, t.pending...)
	t.pending = nil
	return true
}

func (t *transport) FlushWithContext(context.Context) bool { return t.Flush(0) }
func (t *transport) Configure(sentry.ClientOptions)        {}
func (t *transport) Close()                                {}

func (t *transport) state() (pending, sent []*sentry.Event, flushes int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.pending, t.sent, t.flushes
}

// newHub returns a hub whose client sends to a capturing transport.
func newHub(t *testing.T) (*sentry.Hub, *transport) {
	t.Helper()
	tr := &transport{}
	client, err := sentry.NewClient(sentry.ClientOptions{Dsn: "https://public@sentry.example.com/1", Transport: tr})
	require.NoError(t, err)
	return sentry.NewHub(client, sentry.NewScope()), tr
}

var errBoom = errors.New("boom")

// explode is the function that panics, to find in the stack trace.
func explode() { panic("kaboom") }

func handle(ctx context.Context, m *events.SQSMessage) error {
	if hub := sentry.GetHubFromContext(ctx); hub != nil {
		hub.AddBreadcrumb(&sentry.Breadcrumb{Message: "handling " + m.MessageId}, nil)
	}
	switch m.Body {
	case "fail":
		return fmt.Errorf("order %s: %w", m.MessageId, errBoom)
	case "panic":
		explode()
	}
	return nil
}

// byID indexes events by their identifier tag.
func byID(t *testing.T, evs []*sentry.Event) map[string]*sentry.Event {
	t.Helper()
	out := make(map[string]*sentry.Event)
	for _, e := range evs {
		id := e.Tags[batchsentry.TagIdentifier]
		require.NotContains(t, out, id, "one event per record")
		out[id] = e
	}
	return out
}

func TestOneEventPerFailedRecord(t *testing.T) {
	tests := []struct {
		name        string
		event       events.SQSEvent
		proc        func(processors.Config) (*processors.SQSProcessor, error)
		config      processors.Config
		hookOpts    []batchsentry.Option
		wantFailed  []int // positions with an event
		wantGroup   bool
		wantFlushes int
	}{
		{
			name:        "standard queue",
			event:       batchtest.SQSEvent("ok", "fail", "panic", "ok"),
			proc:        processors.NewSQS,
			wantFailed:  []int{1, 2},
			wantFlushes: 1,
		},
		{
			name:  "no failure: no event, no flush",
			event: batchtest.SQSEvent("ok", "ok"),
			proc:  processors.NewSQS,
		},
		{
			name: "FIFO: short-circuited records are not captured",
			event: batchtest.FIFOEvent(
				batchtest.FIFOMessage{Group: "g1", Body: "ok"},
				batchtest.FIFOMessage{Group: "g2", Body: "fail"},
				batchtest.FIFOMessage{Group: "g1", Body: "ok"},
			),
			proc:        processors.NewSQSFIFO,
			wantFailed:  []int{1},
			wantGroup:   true,
			wantFlushes: 1,
		},
		{
			name: "FIFO: short-circuited records captured on request",
			event: batchtest.FIFOEvent(
				batchtest.FIFOMessage{Group: "g1", Body: "ok"},
				batchtest.FIFOMessage{Group: "g2", Body: "fail"},
				batchtest.FIFOMessage{Group: "g1", Body: "ok"},
			),
			proc:        processors.NewSQSFIFO,
			hookOpts:    []batchsentry.Option{batchsentry.WithCaptureNotStarted()},
			wantFailed:  []int{1, 2},
			wantGroup:   true,
			wantFlushes: 1,
		},
		{
			name:        "concurrent records",
			event:       batchtest.SQSEvent(strings.Split(strings.Repeat("ok,fail,panic,", 20), ",")[:60]...),
			proc:        processors.NewSQS,
			config:      processors.Config{Options: core.Options{Concurrency: 8}},
			wantFailed:  positions(60, func(i int) bool { return i%3 != 0 }),
			wantFlushes: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub, tr := newHub(t)
			tt.event.Records[0].Attributes["ApproximateReceiveCount"] = "3"
			for i := 1; i < len(tt.event.Records); i++ {
				tt.event.Records[i].Attributes["ApproximateReceiveCount"] = "1"
			}
			c := tt.config
			c.Hooks = []core.Hook{batchsentry.New(append(tt.hookOpts, batchsentry.WithHub(hub))...)}
			p := core.Must(tt.proc(c))
			resp, err := core.Process(context.Background(), p, tt.event.Records, handle)
			require.NoError(t, err)
			require.Len(t, resp.BatchItemFailures, len(tt.wantFailed)+countNotCaptured(tt.name))

			pending, sent, flushes := tr.state()
			require.Empty(t, pending, "every event is flushed before Process returns")
			require.Equal(t, tt.wantFlushes, flushes)
			got := byID(t, sent)
			require.Len(t, got, len(tt.wantFailed))
			for _, i := range tt.wantFailed {
				m := tt.event.Records[i]
				ev, ok := got[m.MessageId]
				require.True(t, ok, "record %d has an event", i)
				require.Equal(t, sentry.LevelError, ev.Level)
				require.Equal(t, "aws:sqs", ev.Tags[batchsentry.TagEventSource])
				require.Equal(t, fmt.Sprint(i), ev.Tags[batchsentry.TagPosition])
				require.Equal(t, m.Attributes["ApproximateReceiveCount"], ev.Tags[batchsentry.TagReceiveCount])
				if tt.wantGroup {
					require.Equal(t, m.Attributes["MessageGroupId"], ev.Tags[batchsentry.TagMessageGroup])
					require.Equal(t, m.Attributes["MessageGroupId"], ev.Tags[batchsentry.TagKey])
				} else {
					require.NotContains(t, ev.Tags, batchsentry.TagMessageGroup)
					require.NotContains(t, ev.Tags, batchsentry.TagKey)
				}
				require.NotEmpty(t, ev.Exception)
				main := ev.Exception[len(ev.Exception)-1]
				switch m.Body {
				case "fail":
					require.Contains(t, main.Value, "boom")
					require.Nil(t, main.Stacktrace, "the reporting stack is not the failure's")
					// The breadcrumb the handler added is on its own
					// record's event only.
					require.Len(t, ev.Breadcrumbs, 1)
					require.Equal(t, "handling "+m.MessageId, ev.Breadcrumbs[0].Message)
				case "panic":
					require.Equal(t, "*core.PanicError", main.Type)
					require.Contains(t, main.Value, "kaboom")
					require.NotNil(t, main.Stacktrace)
					frames := main.Stacktrace.Frames
					require.Equal(t, "explode", frames[len(frames)-1].Function, "the innermost frame is the panicking function")
					require.Equal(t, "handle", frames[len(frames)-2].Function)
					require.NotNil(t, main.Mechanism)
					require.False(t, *main.Mechanism.Handled)
					require.Contains(t, ev.Contexts["panic"]["stack"], "explode")
				case "ok": // reported without running: short-circuited
					require.Equal(t, "*core.UnhandledError", main.Type)
				}
			}
		})
	}
}

// countNotCaptured is the number of failures a case reports without events.
func countNotCaptured(name string) int {
	if name == "FIFO: short-circuited records are not captured" {
		return 1
	}
	return 0
}

func positions(n int, keep func(int) bool) []int {
	var out []int
	for i := range n {
		if keep(i) {
			out = append(out, i)
		}
	}
	return out
}

func TestHubFromContext(t *testing.T) {
	hub, tr := newHub(t)
	other, otherTr := newHub(t)
	tests := []struct {
		name string
		ctx  context.Context
		opts []batchsentry.Option
		want *transport
	}{
		{name: "hub in the context", ctx: sentry.SetHubOnContext(context.Background(), hub), want: tr},
		{name: "WithHub wins", ctx: sentry.SetHubOnContext(context.Background(), hub), opts: []batchsentry.Option{batchsentry.WithHub(other)}, want: otherTr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, before, _ := tt.want.state()
			event := batchtest.SQSEvent("fail", "ok")
			_, err := core.Process(tt.ctx, core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{batchsentry.New(tt.opts...)}}})), event.Records, handle)
			require.NoError(t, err)
			_, after, _ := tt.want.state()
			require.Len(t, after, len(before)+1)
		})
	}
	// The batch's hub is cloned, never changed: an event captured on it
	// afterwards has no record tags.
	hub.CaptureMessage("after the batch")
	pending, _, _ := tr.state()
	require.Len(t, pending, 1)
	require.NotContains(t, pending[0].Tags, batchsentry.TagIdentifier)
}

func TestCurrentHubWithoutClient(t *testing.T) {
	hub := sentry.NewHub(nil, sentry.NewScope())
	var sawHub bool
	event := batchtest.SQSEvent("fail", "ok")
	resp, err := core.Process(context.Background(), core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{batchsentry.New(batchsentry.WithHub(hub))}}})), event.Records,
		func(ctx context.Context, m *events.SQSMessage) error {
			if sentry.GetHubFromContext(ctx) != nil {
				sawHub = true
			}
			return handle(ctx, m)
		})
	require.NoError(t, err)
	require.Equal(t, []string{event.Records[0].MessageId}, batchtest.FailedIDs(resp))
	require.False(t, sawHub, "without a client, records get no hub")

	// A hub in the context is not used when WithHub names one without a
	// client.
	ctxHub, tr := newHub(t)
	_, err = core.Process(sentry.SetHubOnContext(context.Background(), ctxHub),
		core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{batchsentry.New(batchsentry.WithHub(hub))}}})), event.Records, handle)
	require.NoError(t, err)
	pending, sent, _ := tr.state()
	require.Empty(t, pending)
	require.Empty(t, sent)
}

func TestFlushTimeout(t *testing.T) {
	hub, tr := newHub(t)
	tr.flushErr = true
	hook := batchsentry.New(batchsentry.WithHub(hub), batchsentry.WithFlushTimeout(10*time.Millisecond))
	event := batchtest.SQSEvent("fail", "ok")
	info := core.RecordInfo{Identifier: core.StringID(event.Records[0].MessageId), EventSource: "aws:sqs", Record: &event.Records[0]}

	ctx := hook.BatchStart(context.Background(), core.BatchInfo{EventSource: "aws:sqs", Size: 2})
	rctx := hook.RecordStart(ctx, info)
	info.Outcome = core.Failure(errBoom)
	hook.RecordEnd(rctx, info)
	err := hook.BatchEnd(ctx, core.BatchResult{})
	var fte *batchsentry.FlushTimeoutError
	require.ErrorAs(t, err, &fte)
	require.Equal(t, 10*time.Millisecond, fte.Timeout)
	require.Equal(t, 1, fte.Events)

	// Through the lifecycle, the error changes nothing.
	resp, err := core.Process(context.Background(), core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{hook}}})), event.Records, handle)
	require.NoError(t, err)
	require.Equal(t, []string{event.Records[0].MessageId}, batchtest.FailedIDs(resp))
}

func TestNoFlushWhenDisabled(t *testing.T) {
	hub, tr := newHub(t)
	event := batchtest.SQSEvent("fail")
	_, _ = core.Process(context.Background(), core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{batchsentry.New(batchsentry.WithHub(hub), batchsentry.WithFlushTimeout(0))}}})), event.Records, handle)
	pending, _, flushes := tr.state()
	require.Len(t, pending, 1)
	require.Zero(t, flushes)
}

func TestTags(t *testing.T) {
	kin := batchtest.KinesisEvent(batchtest.KinesisRecord{PartitionKey: "user-7", Data: "x"})
	fifo := batchtest.FIFOEvent(batchtest.FIFOMessage{Group: "g", Body: "x"})
	tests := []struct {
		name string
		info core.RecordInfo
		want map[string]string
	}{
		{
			name: "SQS FIFO",
			info: core.RecordInfo{Position: 4, Identifier: core.StringID("m-1"), EventSource: "aws:sqs", Key: "g", Record: &fifo.Records[0]},
			want: map[string]string{
				batchsentry.TagIdentifier: "m-1", batchsentry.TagEventSource: "aws:sqs", batchsentry.TagPosition: "4",
				batchsentry.TagKey: "g", batchsentry.TagMessageGroup: "g", batchsentry.TagReceiveCount: "1",
			},
		},
		{
			name: "Kinesis",
			info: core.RecordInfo{Identifier: core.StringID("495"), EventSource: "aws:kinesis", Key: "user-7", Record: &kin.Records[0]},
			want: map[string]string{
				batchsentry.TagIdentifier: "495", batchsentry.TagEventSource: "aws:kinesis", batchsentry.TagPosition: "0", batchsentry.TagKey: "user-7",
			},
		},
		{
			name: "no record",
			info: core.RecordInfo{Identifier: core.StringID("x"), EventSource: "custom"},
			want: map[string]string{batchsentry.TagIdentifier: "x", batchsentry.TagEventSource: "custom", batchsentry.TagPosition: "0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, batchsentry.Tags(tt.info))
		})
	}
}

func TestPanicStacktrace(t *testing.T) {
	var stack []byte
	func() {
		defer func() {
			if recover() != nil {
				stack = debug.Stack()
			}
		}()
		explode()
	}()
	st := batchsentry.PanicStacktrace(stack)
	require.NotNil(t, st)
	last := st.Frames[len(st.Frames)-1]
	require.Equal(t, "explode", last.Function)
	require.Equal(t, "github.com/batchkit/batchkit/hooks/sentry_test", last.Module)
	require.True(t, strings.HasSuffix(last.AbsPath, "sentry_test.go"), last.AbsPath)
	require.Positive(t, last.Lineno)
	for _, f := range st.Frames {
		require.NotEqual(t, "Stack", f.Function, "the recovery's frames are dropped")
		require.NotEqual(t, "panic", f.Function)
	}
	require.Nil(t, batchsentry.PanicStacktrace(nil))
	require.Nil(t, batchsentry.PanicStacktrace([]byte("goroutine 1 [running]:\n")))
}

// The stack trace comes from the panic's program counters, not from the
// text: with the text gone, the frames are still the panicking function and
// its callers, innermost last, without the runtime's panic frames.
func TestPanicFramesStacktrace(t *testing.T) {
	var pe *core.PanicError
	func() {
		defer func() {
			if v := recover(); v != nil {
				pe = core.NewPanicError(v)
			}
		}()
		explode()
	}()
	pe.Stack = nil
	for name, st := range map[string]*sentry.Stacktrace{
		"PanicFramesStacktrace": batchsentry.PanicFramesStacktrace(pe),
		"Event":                 batchsentry.Event(pe, nil).Exception[0].Stacktrace,
	} {
		require.NotNil(t, st, name)
		last := st.Frames[len(st.Frames)-1]
		require.Equal(t, "explode", last.Function, name)
		require.Equal(t, "github.com/batchkit/batchkit/hooks/sentry_test", last.Module, name)
		require.True(t, strings.HasSuffix(last.AbsPath, "sentry_test.go"), last.AbsPath)
		require.Positive(t, last.Lineno)
		require.Equal(t, "TestPanicFramesStacktrace.func1", st.Frames[len(st.Frames)-2].Function, name)
		for _, f := range st.Frames {
			require.NotEqual(t, "gopanic", f.Function, name)
			require.NotEqual(t, "NewPanicError", f.Function, name)
		}
	}
	require.Nil(t, batchsentry.PanicFramesStacktrace(&core.PanicError{Value: 1}))
	require.Nil(t, batchsentry.PanicFramesStacktrace(nil))
}

func TestEventOfWrappedPanic(t *testing.T) {
	var pe *core.PanicError
	func() {
		defer func() {
			if v := recover(); v != nil {
				pe = &core.PanicError{Value: v, Stack: debug.Stack()}
			}
		}()
		explode()
	}()
	ev := batchsentry.Event(fmt.Errorf("processor: %w", pe), nil)
	var found bool
	for _, ex := range ev.Exception {
		if ex.Type == "*core.PanicError" {
			found = true
			require.Equal(t, "explode", ex.Stacktrace.Frames[len(ex.Stacktrace.Frames)-1].Function)
		}
	}
	require.True(t, found, "the panic is one of the exceptions: %+v", ev.Exception)
	require.NotNil(t, ev.Exception[len(ev.Exception)-1].Stacktrace)
}

// printTransport prints each event's tags: a stand-in for Sentry.
type printTransport struct{ transport }

func (p *printTransport) SendEvent(e *sentry.Event) {
	fmt.Println("event:", e.Exception[len(e.Exception)-1].Value)
	fmt.Println("  receive count:", e.Tags[batchsentry.TagReceiveCount], "group:", e.Tags[batchsentry.TagMessageGroup])
}

// Example reports the failed records of an SQS FIFO batch to Sentry. In a
// function, call sentry.Init with the DSN once and leave WithHub out.
func Example() {
	client, _ := sentry.NewClient(sentry.ClientOptions{Dsn: "https://public@sentry.example.com/1", Transport: &printTransport{}})
	hub := sentry.NewHub(client, sentry.NewScope())

	processor := core.Must(processors.NewSQSFIFO(processors.Config{Options: core.Options{Hooks: []core.Hook{batchsentry.New(batchsentry.WithHub(hub))}}, SkipGroupOnError: true}))
	event := batchtest.FIFOEvent(
		batchtest.FIFOMessage{Group: "customer-1", Body: "ok"},
		batchtest.FIFOMessage{Group: "customer-2", Body: "fail"},
	)
	resp, _ := core.Process(context.Background(), processor, event.Records,
		func(_ context.Context, m *events.SQSMessage) error {
			if m.Body == "fail" {
				return errors.New("payment declined")
			}
			return nil
		})
	fmt.Println("failed:", len(resp.BatchItemFailures))
	// Output:
	// event: payment declined
	//   receive count: 1 group: customer-2
	// failed: 1
}
