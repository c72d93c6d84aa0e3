// Package sentry is a batchkit hook that reports every failed record to
// Sentry (github.com/getsentry/sentry-go): the Go counterpart of Powertools'
// Sentry recipe, without overriding a failure handler.
//
//	sentry.Init(sentry.ClientOptions{Dsn: os.Getenv("SENTRY_DSN")})
//	var processor = core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{batchsentry.New()}}}))
//
// For each record the hook clones the Sentry hub (the one in the batch's
// context, else the current hub) and puts the clone in the context the
// handler receives, tagged with the record's identifier, event source,
// position, ordering key, and for SQS its message group and receive count.
// Breadcrumbs and tags the handler adds with sentry.GetHubFromContext(ctx)
// therefore land on that record's event only, even under concurrent
// processing. A failed record is captured as one error event; a record whose
// handler panicked keeps the panic's stack trace. Before the response is
// returned, the hook flushes the client with a bounded timeout, since a Lambda
// function may be frozen as soon as it returns.
package sentry

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/getsentry/sentry-go"

	"github.com/batchkit/batchkit/core"
)

// DefaultFlushTimeout is how long BatchEnd waits for Sentry to send the
// batch's events, unless [WithFlushTimeout] says otherwise.
const DefaultFlushTimeout = 2 * time.Second

// Tag names set on every record's scope.
const (
	TagIdentifier  = "batchkit.identifier"
	TagEventSource = "batchkit.event_source"
	TagPosition    = "batchkit.position"
	// TagKey is the record's ordering key: the message group of an SQS
	// FIFO message, the partition key of a Kinesis record.
	TagKey = "batchkit.key"
	// TagMessageGroup is the SQS FIFO MessageGroupId.
	TagMessageGroup = "sqs.message_group_id"
	// TagReceiveCount is the SQS ApproximateReceiveCount: how many times
	// the message was delivered, this time included.
	TagReceiveCount = "sqs.receive_count"
)

// FlushTimeoutError is returned by BatchEnd when Sentry did not send every
// event within the flush timeout. The lifecycle logs it; the response is
// unchanged.
type FlushTimeoutError struct {
	// Timeout is the flush timeout that expired.
	Timeout time.Duration
	// Events is how many events the batch captured.
	Events int
}

func (e *FlushTimeoutError) Error() string {
	return fmt.Sprintf("batchkit/hooks/sentry: %d event(s) captured but not all sent within %v; raise the timeout with WithFlushTimeout or check the network path to Sentry", e.Events, e.Timeout)
}

// Hook reports failed records to Sentry. Create it with [New]; it is safe for
// concurrent invocations and concurrent records.
type Hook struct {
	hub               *sentry.Hub
	flushTimeout      time.Duration
	captureNotStarted bool
}

// Option configures a [Hook].
type Option func(*Hook)

// WithHub makes the hook clone hub for every record instead of the hub in the
// batch's context or the current hub.
func WithHub(hub *sentry.Hub) Option { return func(h *Hook) { h.hub = hub } }

// WithFlushTimeout bounds the flush at the end of each batch that captured an
// event (default [DefaultFlushTimeout]; 0 or less: do not flush).
func WithFlushTimeout(d time.Duration) Option { return func(h *Hook) { h.flushTimeout = d } }

// WithCaptureNotStarted also captures records that were reported failed
// without being handled (short-circuited after an earlier failure of an SQS
// FIFO batch, or refused near the deadline). By default only records whose
// handler failed or panicked are captured: the others repeat an error that is
// already reported.
func WithCaptureNotStarted() Option { return func(h *Hook) { h.captureNotStarted = true } }

// New returns a Sentry hook.
func New(opts ...Option) *Hook {
	h := &Hook{flushTimeout: DefaultFlushTimeout}
	for _, o := range opts {
		o(h)
	}
	return h
}

type batchKey struct{}

// recordKey holds the record's cloned hub.
type recordKey struct{}

// batchState is one batch's hub and count of captured events.
type batchState struct {
	hub      *sentry.Hub
	captured atomic.Int64
}

// BatchStart remembers the hub records will clone.
func (h *Hook) BatchStart(ctx context.Context, _ core.BatchInfo) context.Context {
	hub := h.hub
	if hub == nil {
		hub = sentry.GetHubFromContext(ctx)
	}
	if hub == nil {
		hub = sentry.CurrentHub()
	}
	return context.WithValue(ctx, batchKey{}, &batchState{hub: hub})
}

// RecordStart clones the hub, tags its scope with the record and puts it in
// the handler's context.
func (h *Hook) RecordStart(ctx context.Context, info core.RecordInfo) context.Context {
	st, _ := ctx.Value(batchKey{}).(*batchState)
	if st == nil || !st.hub.Client().IsEnabled() {
		return ctx
	}
	hub := st.hub.Clone()
	hub.ConfigureScope(func(scope *sentry.Scope) {
		scope.SetTags(Tags(info))
	})
	return context.WithValue(sentry.SetHubOnContext(ctx, hub), recordKey{}, hub)
}

// RecordEnd captures the record's failure on the record's hub.
func (h *Hook) RecordEnd(ctx context.Context, info core.RecordInfo) {
	o := info.Outcome
	if !o.Failed() || (o.Status == core.StatusNotStarted && !h.captureNotStarted) {
		return
	}
	st, _ := ctx.Value(batchKey{}).(*batchState)
	hub, _ := ctx.Value(recordKey{}).(*sentry.Hub)
	if st == nil || hub == nil { // no client at RecordStart
		return
	}
	event := Event(o.Err, hub.Client())
	if hub.CaptureEvent(event) != nil {
		st.captured.Add(1)
	}
}

// BatchEnd flushes the client when the batch captured events, waiting at most
// the flush timeout, so that the events leave before Lambda freezes the
// function.
func (h *Hook) BatchEnd(ctx context.Context, _ core.BatchResult) error {
	st, _ := ctx.Value(batchKey{}).(*batchState)
	if st == nil || h.flushTimeout <= 0 {
		return nil
	}
	n := st.captured.Load()
	if n == 0 {
		return nil
	}
	if !st.hub.Flush(h.flushTimeout) {
		return &FlushTimeoutError{Timeout: h.flushTimeout, Events: int(n)}
	}
	return nil
}

// Tags returns the tags of a record: identifier, event source, position,
// ordering key, and for an SQS message its group id and receive count.
func Tags(info core.RecordInfo) map[string]string {
	tags := map[string]string{
		TagIdentifier:  info.Identifier.String(),
		TagEventSource: info.EventSource,
		TagPosition:    strconv.Itoa(info.Position),
	}
	if info.Key != "" {
		tags[TagKey] = info.Key
	}
	if m, ok := info.Record.(*events.SQSMessage); ok && m != nil {
		if g := m.Attributes["MessageGroupId"]; g != "" {
			tags[TagMessageGroup] = g
		}
		if c := m.Attributes["ApproximateReceiveCount"]; c != "" {
			tags[TagReceiveCount] = c
		}
	}
	return tags
}

// defaultMaxErrorDepth is sentry-go's default depth of an error chain.
const defaultMaxErrorDepth = 100

// Event returns the Sentry error event of a record's error. The error chain
// becomes the event's exceptions. A [*core.PanicError] gets the stack trace of
// the panic (the handler's frames, not the hook's); another error keeps a
// stack trace only when it carries one (pkg/errors and similar), since the
// stack at the time of reporting says nothing about the failure.
func Event(err error, client *sentry.Client) *sentry.Event {
	if err == nil {
		err = errors.New("batchkit: record failed with no error")
	}
	event := sentry.NewEvent()
	event.Level = sentry.LevelError
	depth := defaultMaxErrorDepth
	if client != nil && client.Options().MaxErrorDepth > 0 {
		depth = client.Options().MaxErrorDepth
	}
	event.SetException(err, depth)
	if len(event.Exception) == 0 {
		return event
	}
	last := &event.Exception[len(event.Exception)-1]
	if sentry.ExtractStacktrace(err) == nil {
		last.Stacktrace = nil
	}
	var pe *core.PanicError
	if errors.As(err, &pe) {
		st := PanicFramesStacktrace(pe)
		if st == nil {
			st = PanicStacktrace(pe.Stack) // a PanicError built without PCs
		}
		for i := range event.Exception {
			if event.Exception[i].Type == fmt.Sprintf("%T", pe) {
				event.Exception[i].Stacktrace = st
			}
		}
		if last.Stacktrace == nil {
			last.Stacktrace = st
		}
		handled := false
		if last.Mechanism == nil {
			last.Mechanism = &sentry.Mechanism{}
		}
		last.Mechanism.Type = "panic"
		last.Mechanism.Handled = &handled
		event.Contexts["panic"] = sentry.Context{"value": fmt.Sprint(pe.Value), "stack": string(pe.Stack)}
	}
	return event
}

// PanicFramesStacktrace builds the Sentry stack trace of a recovered panic
// from its program counters ([core.PanicError.Frames], taken with
// runtime.Callers when the panic was recovered): the panicking function and
// its callers, oldest call first as Sentry expects, each frame built by
// sentry.NewFrame (module, function, file, line, in-app). No text is parsed.
// It returns nil when pe has no program counters.
func PanicFramesStacktrace(pe *core.PanicError) *sentry.Stacktrace {
	if pe == nil || len(pe.PCs) == 0 {
		return nil
	}
	var frames []sentry.Frame
	it := pe.Frames()
	for {
		f, more := it.Next()
		if f.Function != "" || f.File != "" {
			frames = append(frames, sentry.NewFrame(f))
		}
		if !more {
			break
		}
	}
	if len(frames) == 0 {
		return nil
	}
	slices.Reverse(frames)
	return &sentry.Stacktrace{Frames: frames}
}

// PanicStacktrace turns the text of runtime/debug.Stack, taken while
// recovering a panic, into a Sentry stack trace of the frames that led to the
// panic (the recovery's own frames are dropped), oldest call first as Sentry
// expects. It returns nil when the text has no frames. [Event] uses it only
// for a [core.PanicError] without program counters (one built by hand);
// [PanicFramesStacktrace] reads the counters instead of parsing text.
func PanicStacktrace(stack []byte) *sentry.Stacktrace {
	var frames []runtime.Frame
	lines := strings.Split(string(stack), "\n")
	for i := 0; i+1 < len(lines); i++ {
		fn := lines[i]
		loc, ok := strings.CutPrefix(lines[i+1], "\t")
		if !ok || strings.HasPrefix(fn, "goroutine ") || strings.HasPrefix(fn, "\t") {
			continue
		}
		i++
		fn = strings.TrimPrefix(fn, "created by ")
		if j := strings.Index(fn, " in goroutine "); j >= 0 {
			fn = fn[:j]
		}
		if strings.HasSuffix(fn, ")") {
			if j := strings.LastIndex(fn, "("); j > 0 {
				fn = fn[:j]
			}
		}
		if j := strings.LastIndex(loc, " +0x"); j >= 0 {
			loc = loc[:j]
		}
		file, line := loc, 0
		if j := strings.LastIndex(loc, ":"); j >= 0 {
			file = loc[:j]
			line, _ = strconv.Atoi(loc[j+1:])
		}
		frames = append(frames, runtime.Frame{Function: fn, File: file, Line: line})
	}
	// Keep what is below the panic: the panicking function and its callers.
	for i, f := range frames {
		if f.Function == "panic" {
			frames = frames[i+1:]
			break
		}
	}
	if len(frames) == 0 {
		return nil
	}
	st := &sentry.Stacktrace{Frames: make([]sentry.Frame, len(frames))}
	for i, f := range frames {
		st.Frames[len(frames)-1-i] = sentry.NewFrame(f)
	}
	return st
}
