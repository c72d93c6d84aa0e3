package core

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"
)

// Hook observes a batch as the lifecycle runs it: its start and end, and the
// start and end of every record (including records that were not started,
// whose outcome says so). Hooks are how metrics, tracing and error reporting
// plug in without the processor knowing (see the modules under hooks/).
//
// A hook never changes an outcome or the response: a panic in a hook is
// recovered and logged with log/slog, and an error from BatchEnd is logged.
// With concurrent processing, RecordStart and RecordEnd are called from
// several goroutines at once: a hook must be safe for concurrent use.
//
// Embed [NopHook] to implement only some of the methods.
type Hook interface {
	// BatchStart is called before the first record. The returned context
	// is the parent of every record's context (return ctx to keep it).
	BatchStart(ctx context.Context, info BatchInfo) context.Context
	// RecordStart is called before a record is handled. The returned
	// context is the one the handler receives (return ctx to keep it).
	RecordStart(ctx context.Context, info RecordInfo) context.Context
	// RecordEnd is called when the record has its outcome, with the
	// context RecordStart returned.
	RecordEnd(ctx context.Context, info RecordInfo)
	// BatchEnd is called after the response is built, before it is
	// returned, with the context BatchStart returned.
	BatchEnd(ctx context.Context, info BatchResult) error
}

// BatchInfo describes a batch to hooks.
type BatchInfo struct {
	// EventSource is the processor's source name, for example "aws:sqs".
	EventSource string
	// Size is the number of records.
	Size int
	// Start is when processing began.
	Start time.Time
	// Records is the batch's record slice, for example []events.SQSMessage,
	// for hooks that need more than the counts (the event source ARN of a
	// tracing span, say). Hooks must not modify it.
	Records any
}

// RecordInfo describes one record to hooks.
type RecordInfo struct {
	// Position is the record's index in the batch.
	Position int
	// Identifier is what would be reported if the record failed.
	Identifier Identifier
	// EventSource is the processor's source name, for example "aws:sqs".
	EventSource string
	// Key is the ordering key: message group, partition key or Kafka
	// topic-partition ("" when none).
	Key string
	// Record points to the record (for example *events.SQSMessage).
	Record any
	// Outcome is the record's outcome (in RecordEnd only).
	Outcome Outcome
	// Duration is how long the handler ran (in RecordEnd only; zero for a
	// record that was not started).
	Duration time.Duration
}

// BatchResult describes a finished batch to hooks.
type BatchResult struct {
	BatchInfo
	// Succeeded and Failed count the records; not-started records count as
	// failed.
	Succeeded, Failed int
	// Response is the response about to be returned.
	Response Response
	// Err is the error about to be returned, if any.
	Err error
	// Duration is the time from the batch start to the response.
	Duration time.Duration
}

// NopHook implements every [Hook] method by doing nothing. Embed it in a hook
// that needs only some of them.
type NopHook struct{}

// BatchStart returns ctx.
func (NopHook) BatchStart(ctx context.Context, _ BatchInfo) context.Context { return ctx }

// RecordStart returns ctx.
func (NopHook) RecordStart(ctx context.Context, _ RecordInfo) context.Context { return ctx }

// RecordEnd does nothing.
func (NopHook) RecordEnd(context.Context, RecordInfo) {}

// BatchEnd does nothing.
func (NopHook) BatchEnd(context.Context, BatchResult) error { return nil }

// hookSet calls several hooks, shielding the batch from their panics.
type hookSet []Hook

// batchStart chains the hooks' contexts: each BatchStart receives the
// context the previous one returned. It returns each hook's context, the last
// of which is the parent of the records' contexts.
func (hs hookSet) batchStart(ctx context.Context, info BatchInfo) []context.Context {
	ctxs := make([]context.Context, len(hs))
	for i, h := range hs {
		func() {
			defer recoverHook(h, "BatchStart")
			if c := h.BatchStart(ctx, info); c != nil {
				ctx = c
			}
		}()
		ctxs[i] = ctx
	}
	return ctxs
}

// recordStart chains the hooks' contexts: each hook's RecordStart receives
// the context the previous one returned, starting from the last batch context.
func (hs hookSet) recordStart(ctx context.Context, info RecordInfo) context.Context {
	for _, h := range hs {
		func() {
			defer recoverHook(h, "RecordStart")
			if c := h.RecordStart(ctx, info); c != nil {
				ctx = c
			}
		}()
	}
	return ctx
}

func (hs hookSet) recordEnd(ctx context.Context, info RecordInfo) {
	for i := len(hs) - 1; i >= 0; i-- {
		func() {
			defer recoverHook(hs[i], "RecordEnd")
			hs[i].RecordEnd(ctx, info)
		}()
	}
}

func (hs hookSet) batchEnd(ctxs []context.Context, res BatchResult) {
	for i := len(hs) - 1; i >= 0; i-- {
		func() {
			defer recoverHook(hs[i], "BatchEnd")
			if err := hs[i].BatchEnd(ctxs[i], res); err != nil {
				slog.Error("batchkit: hook BatchEnd failed; the response is unchanged", "hook", fmt.Sprintf("%T", hs[i]), "error", err)
			}
		}()
	}
}

func recoverHook(h Hook, method string) {
	if v := recover(); v != nil {
		slog.Error("batchkit: hook panicked; the outcome and response are unchanged",
			"hook", fmt.Sprintf("%T", h), "method", method, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	}
}
