package core

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// Batch is the state of one invocation: the records, the handler, and one
// [Outcome] per record, indexed by position. It is created per invocation
// (by [Process], or by [NewBatch] for [Run]) and handed to every
// [PartialProcessor] method, so the processor itself keeps no state.
type Batch[R any] struct {
	// Records are the batch's records, in input order.
	Records []R
	// Outcomes holds one outcome per record, in input order. After Run
	// returns, every outcome is set: Powertools' "processed messages".
	Outcomes []Outcome

	handler Handler[R]
	// hidden: the outcomes are seen by no one but the processor's Response
	// (a [Process] batch), so a successful record without a result may be
	// left pending: BuildResponse only looks for failures.
	hidden bool
	// untouched: after Run, no outcome was written (every record of a
	// hidden batch succeeded on the fast path), so nothing needs clearing.
	untouched bool
}

// NewBatch returns the batch of one invocation. Run it with [Run]; read
// b.Outcomes afterwards.
func NewBatch[R any](records []R, handler Handler[R]) *Batch[R] {
	return &Batch[R]{Records: records, Outcomes: make([]Outcome, len(records)), handler: handler}
}

// Fail marks record i failed with err before the batch runs, so that its
// handler is not called: for example a record that could not be decoded. The
// record is then reported like any other failure (and, under an ordering
// policy, stops the records after it like any other failure).
func (b *Batch[R]) Fail(i int, err error) {
	b.Outcomes[i] = Failure(err)
}

// Handle calls the handler for record i and returns its outcome. A panic in
// the handler is recovered as a failure with a [*PanicError] that keeps the
// stack. Custom processors call it from ProcessRecord.
func (b *Batch[R]) Handle(ctx context.Context, i int) (o Outcome) {
	defer func() {
		if v := recover(); v != nil {
			o = Failure(NewPanicError(v))
		}
	}()
	result, err := b.handler(ctx, &b.Records[i])
	if err != nil {
		return Failure(err)
	}
	return Success(result)
}

// Process runs processor p over records with handler and returns the partial
// batch response: the one entry point for every processor, built-in or
// custom. It is the counterpart of Powertools' process_partial_response.
//
//	resp, err := core.Process(ctx, processors.NewSQS(), event.Records, core.Func(handle))
//	return resp, err // or resp.SQS(), err
//
// To read each record's outcome afterwards, use [NewBatch] and [Run]: Process
// reuses the memory of the outcomes in later invocations once it returns.
func Process[R any](ctx context.Context, p PartialProcessor[R], records []R, handler Handler[R]) (Response, error) {
	outs := getOutcomes(len(records))
	b := &Batch[R]{Records: records, Outcomes: *outs, handler: handler, hidden: true}
	resp, err := Run(ctx, p, b)
	if !b.untouched {
		clear(*outs) // drop the errors and results it references
	}
	outcomePool.Put(outs)
	return resp, err
}

// outcomePool keeps the outcome slices of finished [Process] calls (as
// *[]Outcome), so that a warm function does not allocate and zero one per
// invocation, nor make the garbage collector scan it.
var outcomePool sync.Pool

// getOutcomes returns n pending outcomes.
func getOutcomes(n int) *[]Outcome {
	if v, ok := outcomePool.Get().(*[]Outcome); ok && cap(*v) >= n {
		*v = (*v)[:n]
		return v
	}
	outs := make([]Outcome, n)
	return &outs
}

// Run drives p through its lifecycle over batch b: Prepare, ProcessRecord for
// every record that is due (scheduled by the processor's [Plan]), Clean and
// Response. It returns the response and the error the Lambda function must
// return; with a [*FullBatchFailureError] the response is still complete.
//
// A Prepare error is returned at once, with an empty response, before any
// handler runs. A Clean error is joined to the response's error.
//
// With a deadline margin (see [Options.DeadlineMargin]), records run under a
// context cancelled when only the margin is left; Clean, Response and the
// hooks' BatchEnd get ctx itself, still live, since the margin is their time.
func Run[R any](ctx context.Context, p PartialProcessor[R], b *Batch[R]) (Response, error) {
	if p == nil {
		return Response{}, errors.New("batchkit: Run needs a processor, got nil")
	}
	if b == nil || b.handler == nil {
		return Response{}, errors.New("batchkit: Run needs a batch with a handler (use core.NewBatch with a non-nil handler)")
	}
	if len(b.Outcomes) != len(b.Records) {
		return Response{}, fmt.Errorf("batchkit: batch has %d records but %d outcomes; create it with core.NewBatch", len(b.Records), len(b.Outcomes))
	}
	if err := p.Prepare(ctx, b); err != nil {
		return Response{}, err
	}
	r := runner[R]{p: p, b: b}
	if pl, ok := p.(Planner[R]); ok {
		r.plan = pl.Plan()
	}
	// A plain *Base handles a record with b.Handle and nothing else: the
	// sequential loop may then call the handler itself (see fastLoop).
	_, r.plain = p.(*Base[R])
	r.hooks = hookSet(r.plan.Options.Hooks)

	var batchInfo BatchInfo
	var hookCtxs []context.Context
	if len(r.hooks) > 0 {
		batchInfo = BatchInfo{EventSource: r.plan.Source.Name, Size: len(b.Records), Start: time.Now(), Records: b.Records}
		hookCtxs = r.hooks.batchStart(ctx, batchInfo)
		ctx = hookCtxs[len(hookCtxs)-1]
	}

	// Records run under a context cancelled at the deadline margin; Clean,
	// Response and hooks keep the invocation's context, since the margin is
	// the time kept for them.
	rctx, cancel := r.setDeadline(ctx)
	r.schedule(rctx)
	cancel()

	cleanErr := p.Clean(ctx, b)
	var resp Response
	var err error
	if r.untouched {
		// A plain Base whose records all succeeded: BuildResponse would
		// scan the outcomes to find no failure.
		b.untouched = true
	} else {
		resp, err = p.Response(ctx, b)
	}
	if cleanErr != nil {
		err = errors.Join(err, fmt.Errorf("batchkit: processor Clean failed: %w", cleanErr))
	}
	if len(r.hooks) > 0 {
		res := BatchResult{BatchInfo: batchInfo, Response: resp, Err: err}
		for i := range b.Outcomes {
			if b.Outcomes[i].Failed() {
				res.Failed++
			} else {
				res.Succeeded++
			}
		}
		res.Duration = time.Since(batchInfo.Start)
		r.hooks.batchEnd(hookCtxs, res)
	}
	return resp, err
}

// runner schedules one batch.
type runner[R any] struct {
	p     PartialProcessor[R]
	b     *Batch[R]
	plan  Plan[R]
	hooks hookSet

	// deadline is the invocation's deadline when a margin applies.
	deadline time.Time
	margin   time.Duration
	// ctx is the context records run under; done is its Done channel (nil
	// when it can never be done), checked before each record starts.
	ctx  context.Context
	done <-chan struct{}
	// plain: p is a *Base, whose ProcessRecord is b.Handle.
	plain bool
	// untouched: every record of a hidden batch succeeded on the fast path,
	// which wrote no outcome.
	untouched bool
	// wrote: the fast path wrote an outcome.
	wrote bool
}

// setDeadline derives the context records run under: when a deadline margin
// applies, it is cancelled once only the margin is left.
func (r *runner[R]) setDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	cancel := context.CancelFunc(func() {})
	if m := r.plan.Options.DeadlineMargin; m > 0 {
		if d, ok := ctx.Deadline(); ok {
			r.deadline, r.margin = d, m
			ctx, cancel = context.WithDeadline(ctx, d.Add(-m))
		}
	}
	r.ctx, r.done = ctx, ctx.Done()
	return ctx, cancel
}

// schedule gives every record an outcome, in one of three ways:
//   - one after another, in input order: no concurrency, a single record, or
//     [StopBatch] (stopping the batch at its first failure needs that order);
//   - with bounded concurrency and no ordering key: one goroutine per record;
//   - with bounded concurrency and OrderByKey (always with [StopKey]): one
//     goroutine per chain, the records of one non-empty key in input order;
//     a record without a key is a chain of its own.
//
// errgroup.SetLimit bounds the goroutines: Go blocks while the bound is
// reached, so records (or chains, by their first record) start in input
// order, and schedule returns only when every goroutine it started has
// returned. Outcomes are written by position, so the response keeps input
// order whatever order handlers finish in.
func (r *runner[R]) schedule(ctx context.Context) {
	n := len(r.b.Records)
	src := &r.plan.Source
	switch { // the rules of NewBase, for a Planner that did not use it
	case src.Stop == StopKey && src.Key == nil:
		src.Stop = StopBatch
	case src.Stop == StopKey:
		src.OrderByKey = true
	}
	if r.plan.Options.Concurrency <= 1 || src.Stop == StopBatch || n <= 1 {
		var st stopState
		i := 0
		if r.plain && len(r.hooks) == 0 && r.margin == 0 {
			// Fast path: run the handler directly until the first record
			// that needs the general step (a failure under a stop policy,
			// a cancelled context); then go on record by record.
			for i < n {
				var stop bool
				i, stop = r.fastLoop(ctx, i)
				if stop {
					break
				}
			}
			r.untouched = r.b.hidden && i == n && !r.wrote
			if i < n && r.b.Outcomes[i].Status != StatusPending {
				r.noteFailure(i, &st) // the failure that ended the fast loop
				i++
				if src.Stop == StopBatch {
					// Every later record is short-circuited by this one
					// failure: one error value serves them all.
					r.shortCircuitRest(i, &ShortCircuitError{Kind: ShortCircuitBatch, FailedPosition: i - 1})
					return
				}
			}
		}
		for ; i < n; i++ {
			r.step(ctx, i, &st)
		}
		return
	}
	var g errgroup.Group
	g.SetLimit(r.plan.Options.Concurrency)
	if !src.OrderByKey || src.Key == nil {
		for i := range n {
			if r.b.Outcomes[i].Status != StatusPending {
				r.step(ctx, i, nil) // already decided: report it, nothing to run
				continue
			}
			g.Go(func() error {
				r.step(ctx, i, nil)
				return nil
			})
		}
		_ = g.Wait()
		return
	}
	// Chains as linked lists: heads in order of their first record, next[i]
	// the following record with the same key (-1: none).
	next := make([]int, n)
	heads := make([]int, 0, n)
	last := make(map[string]int)
	for i := range n {
		next[i] = -1
		k := src.Key(&r.b.Records[i])
		if k == "" {
			heads = append(heads, i)
			continue
		}
		if j, ok := last[k]; ok {
			next[j] = i
		} else {
			heads = append(heads, i)
		}
		last[k] = i
	}
	for _, h := range heads {
		if next[h] < 0 && r.b.Outcomes[h].Status != StatusPending {
			r.step(ctx, h, nil) // a lone decided record: nothing to run
			continue
		}
		g.Go(func() error {
			var st stopState
			for i := h; i >= 0; i = next[i] {
				r.step(ctx, i, &st)
			}
			return nil
		})
	}
	_ = g.Wait()
}

// stopState remembers the failures that stop later records of a chain.
type stopState struct {
	failed     bool
	failedAt   int
	keyFailure map[string]int
}

// step gives record i its outcome: the one set before the batch ran, a
// not-started one (stop policy, deadline, cancelled context), or the
// processor's. st is nil for records that no other record can stop.
func (r *runner[R]) step(ctx context.Context, i int, st *stopState) {
	o := &r.b.Outcomes[i]
	if o.Status != StatusPending {
		if len(r.hooks) > 0 {
			r.report(ctx, i)
		}
	} else if err := r.blocked(i, st); err != nil {
		*o = Outcome{Status: StatusNotStarted, Err: err}
		if len(r.hooks) > 0 {
			r.report(ctx, i)
		}
	} else if len(r.hooks) == 0 {
		*o = r.process(ctx, i)
	} else {
		r.handleWithHooks(ctx, i)
	}
	if st != nil && o.Failed() && r.plan.Source.Stop != StopNever {
		r.noteFailure(i, st)
	}
}

// shortCircuitRest gives every pending record from i on the not-started
// outcome err (what step gives them after a failure under [StopBatch]),
// keeping the outcomes set before the batch ran.
func (r *runner[R]) shortCircuitRest(i int, err *ShortCircuitError) {
	outs := r.b.Outcomes
	for ; i < len(outs); i++ {
		if outs[i].Status == StatusPending {
			outs[i] = Outcome{Status: StatusNotStarted, Err: err}
		}
	}
}

// noteFailure tells st that record i failed, for the stop policy.
func (r *runner[R]) noteFailure(i int, st *stopState) {
	var key string
	if r.plan.Source.Stop == StopKey {
		key = r.plan.Source.Key(&r.b.Records[i])
	}
	st.fail(r.plan.Source.Stop, key, i)
}

// fastLoop is the sequential hot path of a plain [*Base] without hooks or
// deadline margin: it calls the handler of records from, from+1, ... itself,
// under a single deferred recover instead of two per record (runner.process
// and Batch.Handle), and stores only the status of a successful record
// without a result (the outcome's other fields are already zero), or nothing
// at all for a successful record of a hidden batch.
//
// It returns where to go on and whether the general step must take over
// there: stop=true with next == len(records) when every record is done; with
// record next still pending when the context is done (step then reports it
// not started); with record next failed (here or preset with [Batch.Fail])
// under a stop policy. A panic fails the record with a [*PanicError], as
// Batch.Handle does; without a stop policy fastLoop then returns the record
// after it with stop=false, and the caller calls it again.
func (r *runner[R]) fastLoop(ctx context.Context, from int) (next int, stop bool) {
	b := r.b
	recs, outs, h, hidden := b.Records, b.Outcomes, b.handler, b.hidden
	stopOnFailure := r.plan.Source.Stop != StopNever
	done := r.done
	i := from
	defer func() {
		if v := recover(); v != nil {
			r.wrote = true
			outs[i] = Failure(NewPanicError(v))
			if stopOnFailure {
				next, stop = i, true
			} else {
				next, stop = i+1, false
			}
		}
	}()
	for ; i < len(recs); i++ {
		o := &outs[i]
		if !hidden && o.Status != StatusPending { // a hidden batch has no preset outcome
			if stopOnFailure && o.Failed() {
				return i, true
			}
			continue
		}
		if done != nil {
			select {
			case <-done:
				return i, true
			default:
			}
		}
		res, err := h(ctx, &recs[i])
		switch {
		case err != nil:
			r.wrote = true
			*o = Outcome{Status: StatusFailure, Err: err}
			if stopOnFailure {
				return i, true
			}
		case hidden:
			// Nobody reads a hidden success: leave it pending.
		case res != nil:
			*o = Outcome{Status: StatusSuccess, Result: res}
		default:
			o.Status = StatusSuccess
		}
	}
	return i, true
}

// blocked returns why record i must not start, or nil. The deadline and the
// invocation's context come first: a record not started once the margin is
// reached reports a [DeadlineError] (or a [CanceledError]) even after an
// earlier failure of its key, so that the deadline's cut is visible; any
// earlier failure still stops it.
func (r *runner[R]) blocked(i int, st *stopState) error {
	if r.margin > 0 {
		if left := time.Until(r.deadline); left < r.margin {
			return &DeadlineError{Remaining: left, Margin: r.margin}
		}
	}
	if r.done != nil {
		select {
		case <-r.done:
			return &CanceledError{Cause: context.Cause(r.ctx)}
		default:
		}
	}
	if st != nil {
		switch r.plan.Source.Stop {
		case StopBatch:
			if st.failed {
				return &ShortCircuitError{Kind: ShortCircuitBatch, FailedPosition: st.failedAt}
			}
		case StopKey:
			if st.keyFailure != nil {
				if k := r.plan.Source.Key(&r.b.Records[i]); k != "" {
					if at, ok := st.keyFailure[k]; ok {
						return &ShortCircuitError{Kind: ShortCircuitGroup, Key: k, FailedPosition: at}
					}
				}
			}
		}
	}
	return nil
}

// fail records that record i, with ordering key key, failed.
func (st *stopState) fail(stop StopPolicy, key string, i int) {
	switch stop {
	case StopBatch:
		if !st.failed {
			st.failed, st.failedAt = true, i
		}
	case StopKey:
		if key == "" {
			return
		}
		if st.keyFailure == nil {
			st.keyFailure = make(map[string]int)
		}
		if _, ok := st.keyFailure[key]; !ok {
			st.keyFailure[key] = i
		}
	}
}

// process calls ProcessRecord, recovering a panic of the processor itself.
func (r *runner[R]) process(ctx context.Context, i int) (o Outcome) {
	defer func() {
		if v := recover(); v != nil {
			o = Failure(NewPanicError(v))
		}
	}()
	o = r.p.ProcessRecord(ctx, r.b, i)
	if o.Status == StatusPending {
		o = Failure(fmt.Errorf("batchkit: %T.ProcessRecord returned no outcome for record %d; it is reported failed", r.p, i))
	}
	return o
}

func (r *runner[R]) info(i int) RecordInfo {
	rec := &r.b.Records[i]
	info := RecordInfo{Position: i, EventSource: r.plan.Source.Name, Record: rec}
	if r.plan.Source.Identify != nil {
		info.Identifier = r.plan.Source.Identify(rec)
	}
	if r.plan.Source.Key != nil {
		info.Key = r.plan.Source.Key(rec)
	}
	return info
}

func (r *runner[R]) handleWithHooks(ctx context.Context, i int) {
	info := r.info(i)
	rctx := r.hooks.recordStart(ctx, info)
	start := time.Now()
	o := r.process(rctx, i)
	info.Duration = time.Since(start)
	info.Outcome = o
	r.b.Outcomes[i] = o
	r.hooks.recordEnd(rctx, info)
}

// report tells hooks about a record that was decided without running.
func (r *runner[R]) report(ctx context.Context, i int) {
	info := r.info(i)
	rctx := r.hooks.recordStart(ctx, info)
	info.Outcome = r.b.Outcomes[i]
	r.hooks.recordEnd(rctx, info)
}
