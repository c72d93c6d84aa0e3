package core

import (
	"context"
)

// Outcomes are written by position, so the response keeps input order
// whatever order handlers finish in. Every worker is guarded: a panic that
// escapes a record fails that record instead of the process, and a worker
// ended by runtime.Goexit leaves its chain's rest failed and is replaced.
func (r *runner[R]) schedule(ctx context.Context) {
	n := len(r.b.Records)
	src := &r.plan.Source
	switch { // the rules of NewBase, for a Planner that did not use it
	case src.Stop == StopKey && src.Key == nil:
		src.Stop = StopBatch
	case src.Stop == StopKey && !src.OrderByKey:
		// Never written for a *Base (whose plan is shared, read in place):
		// NewBase set it.
		src.OrderByKey = true
	}
	concurrent := r.plan.Options.Concurrency > 1 && src.Stop != StopBatch && n > 1
	if src.Key != nil && n > 0 && (src.Stop == StopKey || (concurrent && src.OrderByKey)) {
		r.readKeys()
		r.stopAfterUnknownKey()
	}
	if !concurrent {
		var st stopState
		i := 0
		if r.plain && len(r.hooks) == 0 {
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
			if r.b.hidden {
				// Every pending record before i was passed after its
				// handler returned nil.
				r.b.successBelow = i
			}
			r.untouched = r.b.hidden && i == n && !r.wrote && !r.preset
			if i < n && r.b.Outcomes[i].Status != StatusPending {
				r.noteFailure(i, &st) // the failure that ended the fast loop
				i++
				if src.Stop == StopBatch && !r.isDone() {
					// Every later record is short-circuited by this one
					// failure: one error value serves them all. (Once the
					// context is done, step reports the deadline's cut
					// instead.)
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
	r.runWorkers(ctx, src.OrderByKey && src.Key != nil)
}

// stopState remembers the failures that stop later records of a chain.
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
		key = r.key(i)
	}
	st.fail(r.plan.Source.Stop, key, i)
}

// fastLoop is the sequential hot path of a plain [*Base] without hooks: it
// calls the handler of records from, from+1, ... itself,
// under a single deferred recover instead of two per record (runner.process
// and Batch.Handle), and stores only the status of a successful record
// without a result (the outcome's other fields are already zero), or nothing
// at all for a successful record of a hidden batch.
//
// That last case is what keeps a pending outcome from ever being mistaken
// for a success: the loop moves past record i only after its handler
// returned (nil: nothing written; an error: written) or panicked (written by
// the deferred recover), and schedule records how far it went
// (Batch.successBelow). A handler that ends the goroutine (runtime.Goexit)
// never lets the loop move past its record, nor Run return.
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
	// A hidden batch has no preset outcome, unless Run set one.
	checkPreset := !hidden || r.preset
	stopOnFailure := r.plan.Source.Stop != StopNever
	done, rctx := r.done, r.ctx
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
		if checkPreset && o.Status != StatusPending {
			if stopOnFailure && o.Failed() {
				return i, true
			}
			continue
		}
		// ctx.Err is an atomic load for the standard contexts (cheaper
		// than a select on Done), set before Done is closed and, for a
		// child context, synchronously with its parent's cancellation.
		if done != nil && rctx.Err() != nil {
			return i, true
		}
		err := h(ctx, &recs[i])
		switch {
		case err != nil:
			r.wrote = true
			*o = Outcome{Status: StatusFailure, Err: err}
			if stopOnFailure {
				return i, true
			}
		case hidden:
			// Nobody reads a hidden success: leave it pending, below
			// successBelow once the loop is done.
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
// isDone reports whether the records' context is done.
// notStarted is the error of a record not started because the records'
// context is done: a [DeadlineError] when the deadline margin was reached
// (the context's own deadline is the margin's, so no record pays for a clock
// reading before it starts), a [CanceledError] otherwise.
// fail records that record i, with ordering key key, failed.
