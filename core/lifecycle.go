package core

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
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
	// successBelow: in a hidden batch, every record before it that is
	// still pending was passed by the sequential fast path after its
	// handler returned nil (see runner.fastLoop): it is a success. Any other
	// pending record has no outcome and is reported failed.
	successBelow int
	// unknownKey is 1 + the position of the first record failed with an
	// unknown ordering key (see [Batch.FailUnknownKey]); 0: none.
	unknownKey int
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

// FailUnknownKey marks record i failed with err before the batch runs, like
// [Batch.Fail], and says that its ordering key (message group, partition
// key) could not be read: under [StopKey], any later record with a
// non-empty key might share it, so every such record is short-circuited
// (with a [ShortCircuitError] of kind [ShortCircuitUnknownKey]) instead of
// running out of order. The raw-bytes entries call it for a record that did
// not decode and whose key cannot be read from its bytes.
func (b *Batch[R]) FailUnknownKey(i int, err error) {
	b.Outcomes[i] = Failure(err)
	if b.unknownKey == 0 || i+1 < b.unknownKey {
		b.unknownKey = i + 1
	}
}

// failed reports whether record i is to be reported failed: anything but a
// success, except a pending record that the hidden fast path passed after
// its handler returned nil.
func (b *Batch[R]) failed(i int) bool {
	switch b.Outcomes[i].Status {
	case StatusSuccess:
		return false
	case StatusPending:
		return i >= b.successBelow
	}
	return true
}

// outcomeErr is record i's error, an [*AbandonedError] for a record that
// has no outcome.
func (b *Batch[R]) outcomeErr(i int) error {
	if o := &b.Outcomes[i]; o.Status != StatusPending || o.Err != nil {
		return o.Err
	}
	return &AbandonedError{Position: i}
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
// reuses its batch and the memory of the outcomes in later invocations once
// it returns (a processor must not keep the *Batch past Response).
func Process[R any](ctx context.Context, p PartialProcessor[R], records []R, handler Handler[R]) (Response, error) {
	b := getBatch(records, handler)
	resp, err := Run(ctx, p, b)
	if !b.untouched {
		clear(b.Outcomes) // drop the errors and results it references
	}
	*b = Batch[R]{Outcomes: b.Outcomes} // drop the records and the handler
	batchPool.Put(b)
	return resp, err
}

// batchPool keeps the batches of finished [Process] calls (a *Batch[R] of
// any R), with their outcomes, so that a warm function allocates neither
// per invocation, nor makes the garbage collector scan them.
var batchPool sync.Pool

// getBatch returns a hidden batch of records with pending outcomes, from the
// pool when it holds one of this record type and large enough.
func getBatch[R any](records []R, handler Handler[R]) *Batch[R] {
	n := len(records)
	if b, ok := batchPool.Get().(*Batch[R]); ok && cap(b.Outcomes) >= n {
		*b = Batch[R]{Records: records, Outcomes: b.Outcomes[:n], handler: handler, hidden: true}
		return b
	}
	return &Batch[R]{Records: records, Outcomes: make([]Outcome, n), handler: handler, hidden: true}
}

// Run drives p through its lifecycle over batch b: Prepare, ProcessRecord for
// every record that is due (scheduled by the processor's [Plan]), Clean and
// Response. It returns the response and the error the Lambda function must
// return; with a [*FullBatchFailureError] the response is still complete.
//
// Every record is accounted for: a record counts as succeeded only when its
// handler returned nil (or a custom ProcessRecord returned a success). After
// Run returns, every outcome is set: a record that was still pending when
// the batch ended (its handler's goroutine ended with runtime.Goexit, or an
// earlier record of its ordering chain's did) is failed with an
// [*AbandonedError]. Nothing Run runs on a goroutine of its own can crash the
// process: a panic in a [Source] function, ProcessRecord or batchkit itself
// fails the record (a [*PanicError] naming what panicked), and a panic where
// no record can be blamed (Prepare, Clean, Response) fails the invocation.
// Sequentially the handler runs on the caller's goroutine: runtime.Goexit in
// it ends the caller's goroutine, and the invocation with it (Lambda times it
// out and retries the whole batch); hooks still see BatchEnd with an
// [*AbandonedError].
//
// A Prepare error is returned at once, with an empty response, before any
// handler runs (hooks see BatchStart and BatchEnd with the error). A Clean
// error is joined to the response's error. The response is checked before it
// leaves: an empty identifier, or one that is not a record of the batch, is
// an [*InvalidResponseError].
//
// With a deadline margin (see [Options.DeadlineMargin]), records run under a
// context cancelled when only the margin is left of the deadline of ctx (the
// invocation's, whatever context a hook's BatchStart returns); Clean,
// Response and the hooks' BatchEnd get the batch context, still live, since
// the margin is their time.
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
		// Its plan is immutable and already follows NewBase's rules.
		r.plan, r.plain = &pl.plan, true
	case Planner[R]:
		plan := pl.Plan()
		r.plan = &plan
	default:
		r.plan = new(Plan[R])
	}
	r.hooks = hookSet(r.plan.Options.Hooks)
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
		r.batchEnd(Response{}, &AbandonedError{Position: -1})
	}()

	if err := p.Prepare(ctx, b); err != nil {
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
	r.sweep(rctx)
	cancel()

	var cleanErr error
	if !r.plain { // a plain Base's Clean does nothing
		cleanErr = r.call("Clean", func() error { return p.Clean(bctx, b) })
	}
	if r.untouched {
		// A plain Base whose records all succeeded: BuildResponse would
		// scan the outcomes to find no failure.
		b.untouched = true
	} else {
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
	plan := pl.Plan()
	if len(plan.Options.Hooks) == 0 {
		return Response{}, err
	}
	r := runner[R]{p: p, b: &Batch[R]{Records: records}, plan: &plan, hooks: hookSet(plan.Options.Hooks)}
	r.batchInfo = BatchInfo{EventSource: plan.Source.Name, Size: len(records), Start: time.Now(), Records: records}
	r.hookCtxs = r.hooks.batchStart(ctx, r.batchInfo)
	r.batchEnd(Response{}, err)
	return Response{}, err
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
	plan  *Plan[R]
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
	// preset: Run itself decided outcomes before scheduling (a Source.Key
	// panic, records stopped by an unknown key), so even a hidden batch
	// may hold outcomes that are not pending.
	preset bool

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
	return ctx, cancel
}

// sweep fails, with an [*AbandonedError], every record still pending once
// the schedule returned (but the hidden fast path's successes): a record
// counts as succeeded only when its handler returned nil.
func (r *runner[R]) sweep(ctx context.Context) {
	r.ran = true
	outs := r.b.Outcomes
	for i := r.b.successBelow; i < len(outs); i++ {
		if outs[i].Status == StatusPending {
			outs[i] = Outcome{Status: StatusFailure, Err: &AbandonedError{Position: i}}
			if len(r.hooks) > 0 {
				r.report(ctx, i)
			}
		}
	}
}

// readKeys reads every record's ordering key once, on the caller's
// goroutine. A Source.Key that panics fails its record (a [*PanicError]) and
// makes its key unknown.
func (r *runner[R]) readKeys() {
	n := len(r.b.Records)
	r.keys = make([]string, n)
	key := r.plan.Source.Key
	for i := 0; i < n; i++ {
		i = r.readKeysFrom(key, i)
	}
}

// readKeysFrom reads the keys from i on until one panics; it returns the
// position of the record whose key panicked (or the last one).
func (r *runner[R]) readKeysFrom(key func(*R) string, i int) (last int) {
	defer func() {
		if v := recover(); v != nil {
			last = i
			r.failUnknownKey(i, newPanicErrorAt("Source.Key", v))
		}
	}()
	recs, keys := r.b.Records, r.keys
	for ; i < len(recs); i++ {
		keys[i] = key(&recs[i])
	}
	return i
}

// failUnknownKey fails record i (unless it already has an outcome) and
// makes its key unknown.
func (r *runner[R]) failUnknownKey(i int, err error) {
	r.preset = true
	if r.b.Outcomes[i].Status == StatusPending {
		r.b.Outcomes[i] = Failure(err)
	}
	if r.b.unknownKey == 0 || i+1 < r.b.unknownKey {
		r.b.unknownKey = i + 1
	}
}

// stopAfterUnknownKey short-circuits, under [StopKey], every record with a
// non-empty key after the first failed record whose key is unknown: any of
// them may share it.
func (r *runner[R]) stopAfterUnknownKey() {
	if r.b.unknownKey == 0 || r.plan.Source.Stop != StopKey {
		return
	}
	u := r.b.unknownKey - 1
	var err *ShortCircuitError
	outs := r.b.Outcomes
	for j := u + 1; j < len(outs); j++ {
		if outs[j].Status == StatusPending && r.keys[j] != "" {
			if err == nil {
				err = &ShortCircuitError{Kind: ShortCircuitUnknownKey, FailedPosition: u}
			}
			outs[j] = Outcome{Status: StatusNotStarted, Err: err}
			r.preset = true
		}
	}
}

// key returns record i's ordering key, or "" when the source has none.
func (r *runner[R]) key(i int) string {
	if r.keys != nil {
		return r.keys[i]
	}
	if r.plan.Source.Key == nil {
		return ""
	}
	return r.plan.Source.Key(&r.b.Records[i])
}

// schedule gives every record an outcome, in one of two ways:
//   - one after another, in input order: no concurrency, a single record, or
//     [StopBatch] (stopping the batch at its first failure needs that order);
//   - on a fixed set of at most Concurrency workers (see pool) pulling
//     positions in input order; with OrderByKey (always with [StopKey]) the
//     records of one non-empty key run one after another in input order.
//
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
		res, err := h(ctx, &recs[i])
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
	if r.done != nil && r.ctx.Err() != nil {
		return r.notStarted()
	}
	if st != nil {
		switch r.plan.Source.Stop {
		case StopBatch:
			if st.failed {
				return &ShortCircuitError{Kind: ShortCircuitBatch, FailedPosition: st.failedAt}
			}
		case StopKey:
			if st.keyFailure != nil {
				if k := r.key(i); k != "" {
					if at, ok := st.keyFailure[k]; ok {
						return &ShortCircuitError{Kind: ShortCircuitGroup, Key: k, FailedPosition: at}
					}
				}
			}
		}
	}
	return nil
}

// isDone reports whether the records' context is done.
func (r *runner[R]) isDone() bool {
	return r.done != nil && r.ctx.Err() != nil
}

// notStarted is the error of a record not started because the records'
// context is done: a [DeadlineError] when the deadline margin was reached
// (the context's own deadline is the margin's, so no record pays for a clock
// reading before it starts), a [CanceledError] otherwise.
func (r *runner[R]) notStarted() error {
	if r.margin > 0 {
		if left := time.Until(r.deadline); left < r.margin {
			return &DeadlineError{Remaining: left, Margin: r.margin}
		}
	}
	return &CanceledError{Cause: context.Cause(r.ctx)}
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
// When the goroutine ends inside it (runtime.Goexit in the handler), the
// record gets an [*AbandonedError] on the way out.
func (r *runner[R]) process(ctx context.Context, i int) (o Outcome) {
	returned := false
	defer func() {
		if v := recover(); v != nil {
			o = Failure(newPanicErrorAt("ProcessRecord", v))
			return
		}
		if !returned { // runtime.Goexit: nobody receives o
			r.b.Outcomes[i] = Outcome{Status: StatusFailure, Err: &AbandonedError{Position: i}}
		}
	}()
	o = r.p.ProcessRecord(ctx, r.b, i)
	returned = true
	if o.Status == StatusPending {
		o = Failure(fmt.Errorf("batchkit: %T.ProcessRecord returned no outcome for record %d; it is reported failed", r.p, i))
	}
	return o
}

// info describes record i to hooks. A Source function that panics leaves
// its field empty and returns the panic as err.
func (r *runner[R]) info(i int) (info RecordInfo, err error) {
	rec := &r.b.Records[i]
	info = RecordInfo{Position: i, EventSource: r.plan.Source.Name, Record: rec}
	where := "Source.Identify"
	defer func() {
		if v := recover(); v != nil {
			err = newPanicErrorAt(where, v)
		}
	}()
	if r.plan.Source.Identify != nil {
		info.Identifier = r.plan.Source.Identify(rec)
	}
	where = "Source.Key"
	if r.keys != nil {
		info.Key = r.keys[i]
	} else if r.plan.Source.Key != nil {
		info.Key = r.plan.Source.Key(rec)
	}
	return info, nil
}

// handleWithHooks runs record i between its hooks' RecordStart and
// RecordEnd. RecordEnd is called even when the handler's goroutine ends
// (runtime.Goexit), with the record's [*AbandonedError].
func (r *runner[R]) handleWithHooks(ctx context.Context, i int) {
	info, err := r.info(i)
	if err != nil {
		// The record cannot be described: it fails without running.
		r.b.Outcomes[i] = Failure(err)
		info.Outcome = r.b.Outcomes[i]
		rctx := r.hooks.recordStart(ctx, info)
		r.hooks.recordEnd(rctx, info)
		return
	}
	rctx := r.hooks.recordStart(ctx, info)
	start := time.Now()
	ended := false
	defer func() {
		if !ended {
			info.Duration = time.Since(start)
			info.Outcome = r.b.Outcomes[i]
			r.hooks.recordEnd(rctx, info)
		}
	}()
	o := r.process(rctx, i)
	info.Duration = time.Since(start)
	info.Outcome = o
	r.b.Outcomes[i] = o
	ended = true
	r.hooks.recordEnd(rctx, info)
}

// report tells hooks about a record that was decided without running.
func (r *runner[R]) report(ctx context.Context, i int) {
	info, _ := r.info(i) // the outcome is decided: a panic only empties a field
	rctx := r.hooks.recordStart(ctx, info)
	info.Outcome = r.b.Outcomes[i]
	r.hooks.recordEnd(rctx, info)
}
