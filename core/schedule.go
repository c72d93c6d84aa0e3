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
	src := &r.plan.Source // normalised (NewBase, or Run's copy): read only
	concurrent := r.plan.Options.Concurrency > 1 && src.Stop != StopBatch && n > 1
	if src.Key != nil && n > 0 && (src.Stop == StopKey || (concurrent && src.OrderByKey)) {
		r.readKeys()
		r.stopAfterUnknownKey()
	}
	if concurrent {
		r.runWorkers(ctx, src.OrderByKey && src.Key != nil)
		return
	}
	var st stopState
	i := 0
	if r.fast {
		// The fast loop runs records until one fails under a stop policy
		// or the context is done; step, the general path, takes the rest.
		for i < n {
			var stop bool
			i, stop = r.fastLoop(ctx, i, &st)
			if stop {
				break
			}
		}
	}
	// Every record ran on the fast loop and none failed: the response of a
	// plain Base is empty, with no error (see Run).
	r.allSucceeded = r.fast && i == n && !r.failed
	for ; i < n; i++ {
		r.step(ctx, i, &st)
	}
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

// noteFailure tells st that record i failed, for the stop policy.
func (r *runner[R]) noteFailure(i int, st *stopState) {
	var key string
	if r.plan.Source.Stop == StopKey {
		key = r.key(i)
	}
	st.fail(r.plan.Source.Stop, key, i)
}

// fastLoop is the sequential hot path of a plain [*Base] without hooks: it
// gives records from, from+1, ... the outcome step would give them, calling
// the handler itself under a single deferred recover instead of two frames
// and two deferred calls per record (runner.process and Batch.Handle). What
// it writes is what step writes: a preset outcome is kept, a record not
// started once the context is done is left to step (which reports it), and
// the handler's outcome is [handled] (returned) or [panicked]; a handler
// that ends the goroutine (runtime.Goexit) leaves [abandoned] (as
// runner.process does), and neither the loop nor Run returns.
//
// It returns where to go on and whether to stop: stop=true when every
// record is done (next == len(records)), when the context is done (step
// reports record next not started), or after a failure under a stop policy
// (noted in st: step stops the records it must). After a panic without a
// stop policy it returns the next record with stop=false, and the caller
// calls it again.
func (r *runner[R]) fastLoop(ctx context.Context, from int, st *stopState) (next int, stop bool) {
	b := r.b
	recs, outs, h := b.Records, b.Outcomes, b.handler
	stopOnFailure := r.plan.Source.Stop != StopNever
	done, rctx := r.done, r.ctx
	i := from
	returned := false
	defer func() {
		if returned {
			return
		}
		v := recover()
		if v == nil { // runtime.Goexit: nobody will read the outcome but hooks and tests
			outs[i] = abandoned(i)
			return
		}
		r.failed = true
		outs[i] = panicked(v)
		next, stop = i+1, false
		if stopOnFailure {
			r.noteFailure(i, st)
			stop = true
		}
	}()
	for ; i < len(recs); i++ {
		o := &outs[i]
		if o.Status != StatusPending { // preset ([Batch.Fail], Source.Key)
			r.failed = r.failed || o.Failed()
			if stopOnFailure && o.Failed() {
				r.noteFailure(i, st)
				returned = true
				return i + 1, true
			}
			continue
		}
		// ctx.Err is an atomic load for the standard contexts (cheaper
		// than a select on Done), set before Done is closed and, for a
		// child context, synchronously with its parent's cancellation.
		if done != nil && rctx.Err() != nil {
			returned = true
			return i, true
		}
		if err := h(ctx, &recs[i]); err != nil {
			r.failed = true
			*o = handled(err)
			if stopOnFailure {
				r.noteFailure(i, st)
				returned = true
				return i + 1, true
			}
		} else if o.Err == nil && o.Result == nil {
			o.Status = StatusSuccess // the rest of a pending outcome is zero: handled(nil)
		} else {
			*o = handled(nil)
		}
	}
	returned = true
	return i, true
}

// blocked returns why record i must not start, or nil. The deadline and the
// invocation's context come first: a record not started once the margin is
// reached reports an [*UnhandledError] with ErrDeadline (or ErrCanceled) even after
// an earlier failure of its key, so that the deadline's cut is visible; any
// earlier failure still stops it.
// isDone reports whether the records' context is done.
// notStarted is the error of a record not started because the records'
// context is done: an [*UnhandledError] with ErrDeadline when the deadline
// margin was reached (the context's own deadline is the margin's, so no record pays for a clock
// reading before it starts), with ErrCanceled otherwise.
// fail records that record i, with ordering key key, failed.
