package core

import (
	"context"
	"fmt"
	"time"
)

// process calls ProcessRecord, recovering a panic of the processor itself.
// When the goroutine ends inside it (runtime.Goexit in the handler), the
// record gets an [*UnhandledError] (ErrAbandoned) on the way out. With records detached
// (Options.ReturnAtMargin), ProcessRecord runs on a goroutine of its own
// (see detach).
func (r *runner[R]) process(ctx context.Context, i int) (o Outcome) {
	if r.detached != nil {
		return r.detach(ctx, i)
	}
	returned := false
	defer func() {
		if v := recover(); v != nil {
			o = Failure(newPanicErrorAt("ProcessRecord", v))
			return
		}
		if !returned { // runtime.Goexit: nobody receives o
			r.b.Outcomes[i] = abandoned(i)
		}
	}()
	o = r.p.ProcessRecord(ctx, r.b, i)
	returned = true
	return checked(r.p, o, i)
}

// checked turns a pending outcome returned by ProcessRecord into a failure.
func checked[R any](p PartialProcessor[R], o Outcome, i int) Outcome {
	if o.Status == StatusPending {
		return Failure(fmt.Errorf("batchkit: %T.ProcessRecord returned no outcome for record %d; it is reported failed", p, i))
	}
	return o
}

// detach runs ProcessRecord for record i on a goroutine of its own and
// returns its outcome, or, when the records' context is done first (the
// deadline margin is reached, or the invocation's context is done), a
// failure with an [*UnhandledError] (ErrStillRunning), leaving the goroutine to finish. A
// panic or runtime.Goexit on that goroutine gives the outcome process would
// give. The goroutine writes nothing but its own buffered channel, so a late
// handler never touches the outcomes; it still holds the batch, which
// [Process] then does not reuse.
func (r *runner[R]) detach(ctx context.Context, i int) Outcome {
	ch := make(chan Outcome, 1)
	go processDetached(ctx, r.p, r.b, i, ch)
	select {
	case o := <-ch:
		return o
	case <-r.done:
		select {
		case o := <-ch: // it returned at the margin: keep its outcome
			return o
		default:
		}
		r.detached.Store(true)
		return Failure(&UnhandledError{Reason: ErrStillRunning, Margin: r.plan.Options.DeadlineMargin})
	}
}

// processDetached is process on a goroutine of its own: it sends record i's
// outcome on ch, however ProcessRecord ends.
func processDetached[R any](ctx context.Context, p PartialProcessor[R], b *Batch[R], i int, ch chan<- Outcome) {
	returned := false
	var o Outcome
	defer func() {
		if v := recover(); v != nil {
			o = Failure(newPanicErrorAt("ProcessRecord", v))
		} else if !returned {
			o = abandoned(i)
		}
		ch <- o
	}()
	o = p.ProcessRecord(ctx, b, i)
	returned = true
	o = checked(p, o, i)
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
// (runtime.Goexit), with an [*UnhandledError] (ErrAbandoned).
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
