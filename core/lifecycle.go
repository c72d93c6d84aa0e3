package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/batchkit/batchkit/internal/invocationhook"
)

// Process runs processor p over records with handler and returns the partial
// batch response: the one entry point for every processor, built-in or
// custom. It is the counterpart of Powertools' process_partial_response.
//
//	resp, err := core.Process(ctx, core.Must(processors.NewSQS(processors.Config{})), event.Records, handle)
//	return resp, err // or resp.SQS(), err
//
// To read each record's outcome afterwards, use [NewBatch] and [Run]: Process
// reuses its batch and the memory of the outcomes in later invocations once
// it returns (a processor must not keep the *Batch past Response).
func Process[R any](ctx context.Context, p PartialProcessor[R], records []R, handler Handler[R]) (Response, error) {
	b := getBatch(records, handler)
	resp, err := Run(ctx, p, b)
	if b.detached {
		// A handler still runs on the batch (Options.ReturnAtMargin):
		// leave it to the garbage collector.
		return resp, err
	}
	clear(b.Outcomes)                   // drop the errors and results it references
	*b = Batch[R]{Outcomes: b.Outcomes} // drop the records and the handler
	batchPool.Put(b)
	return resp, err
}

// batchPool keeps the batches of finished [Process] calls (a *Batch[R] of
// any R), with their outcomes, so that a warm function allocates neither
// per invocation, nor makes the garbage collector scan them.
var batchPool sync.Pool

// getBatch returns a batch of records with pending outcomes, from the pool
// when it holds one of this record type and large enough.
func getBatch[R any](records []R, handler Handler[R]) *Batch[R] {
	n := len(records)
	if b, ok := batchPool.Get().(*Batch[R]); ok && cap(b.Outcomes) >= n {
		*b = Batch[R]{Records: records, Outcomes: b.Outcomes[:n], handler: handler}
		return b
	}
	return &Batch[R]{Records: records, Outcomes: make([]Outcome, n), handler: handler}
}

// Run drives p through its lifecycle over batch b: Prepare, ProcessRecord for
// every record that is due (scheduled by the processor's [Source] and [Options]), Clean and
// Response. It returns the response and the error the Lambda function must
// return; with a [*FullBatchFailureError] the response is still complete.
//
// Every record is accounted for: a record counts as succeeded only when its
// handler returned nil (or a custom ProcessRecord returned a success). After
// Run returns, every outcome is set: a record that was still pending when
// the batch ended (its handler's goroutine ended with runtime.Goexit, or an
// earlier record of its ordering chain's did) is failed with an
// [*UnhandledError] (ErrAbandoned). Nothing Run runs on a goroutine of its own can crash the
// process: a panic in a [Source] function, ProcessRecord or batchkit itself
// fails the record (a [*PanicError] naming what panicked), and a panic where
// no record can be blamed (Prepare, Clean, Response) fails the invocation.
// Sequentially the handler runs on the caller's goroutine: runtime.Goexit in
// it ends the caller's goroutine, and the invocation with it (Lambda times it
// out and retries the whole batch); hooks still see BatchEnd with an
// [*UnhandledError] (ErrAbandoned). (With [Options.ReturnAtMargin] in effect every handler
// runs on a goroutine of its own, so a Goexit fails its record alone.)
//
// A Prepare error is returned at once, with an empty response, before any
// handler runs (hooks see BatchStart and BatchEnd with the error). A Clean
// error is joined to the response's error. The response is checked before it
// leaves: an empty identifier, or one that is not a record of the batch, is
// an error matching [ErrInvalidResponse].
//
// Prepare, ProcessRecord, Clean and Response all get the batch context: ctx,
// or the context the hooks' BatchStart returned. ProcessRecord gets it
// narrowed for its record: with a deadline margin (see
// [Options.DeadlineMargin]) it is cancelled when only the margin is left of
// the deadline of ctx (the invocation's, whatever context a hook's BatchStart
// returns), and hooks' RecordStart may derive it further. Clean, Response and
// the hooks' BatchEnd get the batch context still live, since the margin is
// their time. With [Options.ReturnAtMargin], Run returns at the margin
// without waiting for handlers that have not returned.
//
// Hooks observe; they change no outcome: the same batch gives the same
// outcomes, response and error with hooks and without. Every record takes
// the same path (its stop rule, the margin, ProcessRecord or, for a plain
// [*Base], the handler, recovered the same way); the loops that serve a
// plain Base without hooks call the handler without the per-record frames
// and write exactly what [Batch.Handle] would return.
func Run[R any](ctx context.Context, p PartialProcessor[R], b *Batch[R]) (resp Response, err error) {
	if p == nil {
		return Response{}, errors.New("batchkit: Run needs a processor, got nil")
	}
	if b == nil || b.handler == nil {
		return Response{}, errors.New("batchkit: Run needs a batch with a handler (use core.NewBatch with a non-nil handler)")
	}
	if len(b.Outcomes) != len(b.Records) {
		return Response{}, fmt.Errorf("batchkit: batch has %d records but %d outcomes; create it with core.NewBatch", len(b.Records), len(b.Outcomes))
	}
	r := runner[R]{p: p, b: b, invocation: ctx}
	switch pl := p.(type) {
	case *Base[R]:
		// A plain *Base handles a record with b.Handle and nothing else:
		// the loops may then call the handler themselves (see fastLoop).
		// Its plan is immutable, normalised by NewBase, read in place and
		// never written.
		r.plan, r.plain = &pl.plan, true
	case Planner[R]:
		plan := sourcePlan[R]{Source: normalize(pl.Source()), Options: pl.Options()} // Run's own copy
		r.plan = &plan
	default:
		r.plan = new(sourcePlan[R])
	}
	r.hooks = invocationHooks(ctx, r.plan.Options.Hooks)
	bctx := ctx
	if len(r.hooks) > 0 {
		r.batchInfo = BatchInfo{EventSource: r.plan.Source.Name, Size: len(b.Records), Start: time.Now(), Records: b.Records}
		r.hookCtxs = r.hooks.batchStart(ctx, r.batchInfo)
		bctx = r.hookCtxs[len(r.hookCtxs)-1]
	}
	finished := false
	// stage names what runs on the caller's goroutine, for a panic: this
	// one deferred recover serves Prepare too (no closure, no second defer).
	stage := "Prepare"
	defer func() {
		if finished {
			return
		}
		// Either Prepare, batchkit's own code (or a Source function)
		// panicked on the caller's goroutine, or a handler ended it
		// (runtime.Goexit).
		if v := recover(); v != nil {
			resp, err = Response{}, newPanicErrorAt(stage, v)
			r.batchEnd(resp, err)
			return
		}
		r.batchEnd(Response{}, errInvocationAbandoned)
	}()

	if err := p.Prepare(bctx, b); err != nil {
		finished = true
		r.batchEnd(Response{}, err)
		return Response{}, err
	}
	stage = "batchkit (processing the batch)"

	// Records run under a context cancelled at the deadline margin; Clean,
	// Response and hooks keep the batch context, since the margin is the
	// time kept for them.
	rctx, cancel := r.setDeadline(bctx)
	r.schedule(rctx)
	if r.allSucceeded {
		r.ran = true // the fast loop gave every record its outcome: nothing to sweep
	} else {
		r.sweep(rctx)
	}
	cancel()
	if r.detached != nil && r.detached.Load() {
		b.detached = true
	}

	var cleanErr error
	if !r.plain { // a plain Base's Clean does nothing
		cleanErr = r.call("Clean", func() error { return p.Clean(bctx, b) })
	}
	if !(r.plain && r.allSucceeded) {
		err = r.call("Response", func() error {
			var rerr error
			resp, rerr = p.Response(bctx, b)
			return rerr
		})
		if _, isPanic := err.(*PanicError); !isPanic {
			if gerr := r.call("checking the response", func() error { return r.checkResponse(resp) }); gerr != nil {
				err = errors.Join(err, gerr)
			}
		}
	}
	if cleanErr != nil {
		err = errors.Join(err, fmt.Errorf("batchkit: processor Clean failed: %w", cleanErr))
	}
	finished = true
	r.batchEnd(resp, err)
	return resp, err
}

// Refuse reports to p's hooks an invocation refused before [Run] could
// start it (for example a raw event without a records array, or a Kafka
// event from another source): BatchStart, then BatchEnd with err and every
// record counted failed, so that metrics, traces and error reports see every
// invocation. It returns an empty response and err. Entries that check the
// event themselves call it instead of returning err directly.
func Refuse[R any](ctx context.Context, p PartialProcessor[R], records []R, err error) (Response, error) {
	pl, ok := p.(Planner[R])
	if !ok {
		return Response{}, err
	}
	plan := sourcePlan[R]{Source: pl.Source(), Options: pl.Options()}
	hooks := invocationHooks(ctx, plan.Options.Hooks)
	if len(hooks) == 0 {
		return Response{}, err
	}
	r := runner[R]{p: p, b: &Batch[R]{Records: records}, plan: &plan, hooks: hooks}
	r.batchInfo = BatchInfo{EventSource: plan.Source.Name, Size: len(records), Start: time.Now(), Records: records}
	r.hookCtxs = r.hooks.batchStart(ctx, r.batchInfo)
	r.batchEnd(Response{}, err)
	return Response{}, err
}

// invocationHooks returns the processor's hooks plus the one the
// invocation's context carries (internal/invocationhook: the local runner's
// failure reasons), never appending to the processor's slice.
func invocationHooks(ctx context.Context, hooks []Hook) hookSet {
	if h, ok := invocationhook.From(ctx).(Hook); ok {
		return append(hookSet(slices.Clip(hooks)), h)
	}
	return hookSet(hooks)
}

// call runs f, one of the processor's batch methods, turning a panic into a
// [*PanicError] naming it: no record can be blamed, the invocation fails.
func (r *runner[R]) call(where string, f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = newPanicErrorAt(where, v)
		}
	}()
	return f()
}

// batchEnd tells the hooks the batch ended with resp and err. Records
// without a success count failed; a refused batch (Prepare error, no
// outcomes) counts every record failed.
func (r *runner[R]) batchEnd(resp Response, err error) {
	if len(r.hooks) == 0 {
		return
	}
	res := BatchResult{BatchInfo: r.batchInfo, Response: resp, Err: err}
	b := r.b
	if len(b.Outcomes) != len(b.Records) || (err != nil && !r.ran) {
		res.Failed = len(b.Records)
	} else {
		for i := range b.Outcomes {
			if b.failed(i) {
				res.Failed++
			} else {
				res.Succeeded++
			}
		}
	}
	res.Duration = time.Since(r.batchInfo.Start)
	r.hooks.batchEnd(r.hookCtxs, res)
}

// runner schedules one batch.
type runner[R any] struct {
	p     PartialProcessor[R]
	b     *Batch[R]
	plan  *sourcePlan[R]
	hooks hookSet

	// invocation is the context Run was given: its deadline is the
	// invocation's, whatever a hook's BatchStart returns.
	invocation context.Context
	batchInfo  BatchInfo
	hookCtxs   []context.Context
	// ran: the records were scheduled (Prepare succeeded).
	ran bool

	// keys holds each record's ordering key when the schedule needs them
	// (read once, panics recovered); nil otherwise.
	keys []string

	// deadline is the invocation's deadline when a margin applies.
	deadline time.Time
	margin   time.Duration
	// ctx is the context records run under; done is its Done channel (nil
	// when it can never be done), checked before each record starts.
	ctx  context.Context
	done <-chan struct{}
	// plain: p is a *Base, whose ProcessRecord is b.Handle.
	plain bool
	// fast: the loops call the handler themselves (a plain Base, no hooks,
	// records not detached).
	fast bool
	// detached is set when records run detached (Options.ReturnAtMargin
	// with a deadline): each record's ProcessRecord runs on a goroutine of
	// its own; it becomes true when Run returns without one of them.
	detached *atomic.Bool
	// failed: the fast loop wrote or met a failure. allSucceeded: the
	// sequential fast loop ran every record and each succeeded, so a plain
	// Base's Response (BuildResponse) would scan the outcomes to return an
	// empty response and no error: Run returns that without the scan.
	failed, allSucceeded bool
}

// noCancel is the cancel function of a context that setDeadline did not
// derive (a function, not a literal: in a generic method a literal would be
// allocated for every batch).
func noCancel() {}

// setDeadline derives the context records run under from ctx (the batch
// context): when a deadline margin applies to the invocation's deadline, it
// is cancelled once only the margin is left.
func (r *runner[R]) setDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	cancel := context.CancelFunc(noCancel)
	if m := r.plan.Options.DeadlineMargin; m > 0 {
		if d, ok := r.invocation.Deadline(); ok {
			r.deadline, r.margin = d, m
			ctx, cancel = context.WithDeadline(ctx, d.Add(-m))
		}
	}
	r.ctx, r.done = ctx, ctx.Done()
	if r.plan.Options.ReturnAtMargin && r.margin > 0 {
		r.detached = new(atomic.Bool)
	}
	r.fast = r.plain && len(r.hooks) == 0 && r.detached == nil
	return ctx, cancel
}

// sweep fails, with an [*UnhandledError] (ErrAbandoned), every record still pending once
// the schedule returned: a record counts as succeeded only when its handler
// returned nil.
func (r *runner[R]) sweep(ctx context.Context) {
	r.ran = true
	outs := r.b.Outcomes
	for i := range outs {
		if outs[i].Status == StatusPending {
			outs[i] = abandoned(i)
			if len(r.hooks) > 0 {
				r.report(ctx, i)
			}
		}
	}
}
