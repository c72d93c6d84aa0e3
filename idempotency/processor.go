package idempotency

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/batchkit/batchkit/core"
)

// Processor makes a whole partial-batch processor idempotent: every
// record's handler runs as [Handler] would run it, and a skipped duplicate's
// outcome carries a [Duplicate] as its Result. When the store is a
// [BatchStore] (the DynamoDB store is), the keys of a batch are claimed
// together before the first record runs (one TransactWriteItems per 100
// keys instead of one PutItem per record); the claims of records that do
// not run (short-circuited, deadline) are released in Clean. A claim is
// only a reservation: whether a record is skipped is decided when the
// processor schedules it, so stop policies and per-key order are kept.
//
// It wraps processors whose response lists failures (SQS, Kinesis,
// DynamoDB Streams, Kafka, custom ones); for the firehose, s3batch and
// window packages, whose responses carry a value per record, wrap the
// typed handler with [ResultHandler] instead.
type Processor[R any] struct {
	inner core.PartialProcessor[R]
	s     *settings[R]
	batch BatchStore // nil when the store has no batched claims
	// invocations maps each running *core.Batch to its claims, from
	// Prepare to Clean: the one mutable field, safe for concurrent use.
	invocations sync.Map
}

// Duplicate is the [core.Outcome] Result of a record that [Processor]
// skipped because its key was completed.
type Duplicate struct {
	// Key is the record's idempotency key.
	Key string
}

// New returns p made idempotent by c.
func New[R any](p core.PartialProcessor[R], c Config[R]) (*Processor[R], error) {
	if p == nil {
		return nil, &core.ConfigError{Processor: "idempotency", Setting: "processor", Value: "nil", Problem: "required"}
	}
	s, err := c.validate()
	if err != nil {
		return nil, err
	}
	bs, _ := c.Store.(BatchStore)
	return &Processor[R]{inner: p, s: s, batch: bs}, nil
}

// invocation is one batch's claims.
type invocation struct {
	prepared []preparedClaim
	started  []atomic.Bool
	// down is the first store failure of the batch: records claimed in
	// advance do not run after it.
	down atomic.Pointer[error]
}

// preparedClaim is a record's claim built in Prepare, with its state when
// the batched claim settled it (StatusClaimed or StatusCompleted).
type preparedClaim struct {
	claim Claim
	state State
	err   error // the key could not be read
	inv   *invocation
}

// Source returns the wrapped processor's source (see [core.Planner]), so
// that scheduling and the stop policy are unchanged.
func (p *Processor[R]) Source() core.Source[R] {
	if pl, ok := p.inner.(core.Planner[R]); ok {
		return pl.Source()
	}
	return core.Source[R]{}
}

// Options returns the wrapped processor's options (see [core.Planner]), so
// that concurrency, the deadline margin and hooks are unchanged.
func (p *Processor[R]) Options() core.Options {
	if pl, ok := p.inner.(core.Planner[R]); ok {
		return pl.Options()
	}
	return core.Options{}
}

// Prepare runs the wrapped processor's Prepare, reads every record's key
// and, with a [BatchStore], claims the batch's distinct keys together.
func (p *Processor[R]) Prepare(ctx context.Context, b *core.Batch[R]) error {
	if err := p.inner.Prepare(ctx, b); err != nil {
		return err
	}
	n := len(b.Records)
	inv := &invocation{prepared: make([]preparedClaim, n), started: make([]atomic.Bool, n)}
	token := rand.Text()
	seen := make(map[string]bool, n)
	var claims []Claim
	var at []int
	for i := range b.Records {
		pc := &inv.prepared[i]
		pc.inv = inv
		pc.claim, pc.err = p.s.claim(ctx, &b.Records[i], owner(token, i))
		if pc.err != nil || seen[pc.claim.Key] {
			continue // the first record of a key claims it
		}
		seen[pc.claim.Key] = true
		claims, at = append(claims, pc.claim), append(at, i)
	}
	if p.batch != nil && len(claims) > 1 {
		// An error (or a panic of the store) leaves the keys to single
		// claims, which decide.
		states := claimBatch(ctx, p.batch, claims)
		for j, st := range states {
			if st.Status == StatusClaimed || st.Status == StatusCompleted {
				inv.prepared[at[j]].state = st
			}
		}
	}
	p.invocations.Store(b, inv)
	return nil
}

// claimBatch calls the store's ClaimBatch under recover; nil when it
// panicked.
func claimBatch(ctx context.Context, bs BatchStore, claims []Claim) (states []State) {
	defer func() {
		if recover() != nil {
			states = nil
		}
	}()
	states, _ = bs.ClaimBatch(ctx, claims)
	if len(states) != len(claims) {
		return nil
	}
	return states
}

// errFailed stands for a failed outcome without an error.
var errFailed = errors.New("batchkit: record failed")

// ProcessRecord skips record i if its key is completed, fails it if the key
// is in progress elsewhere, or runs the wrapped processor's ProcessRecord
// under the claim and completes or releases it.
func (p *Processor[R]) ProcessRecord(ctx context.Context, b *core.Batch[R], i int) core.Outcome {
	var pc *preparedClaim
	o, ran := core.Outcome{}, false
	if v, ok := p.invocations.Load(b); ok {
		inv := v.(*invocation)
		inv.started[i].Store(true)
		pc = &inv.prepared[i]
	}
	_, dupKey, err := run(ctx, p.s, &b.Records[i], rand.Text(), pc, false, func(ctx context.Context, _ *R) (struct{}, error) {
		o = p.inner.ProcessRecord(ctx, b, i)
		ran = true
		if o.Failed() {
			if o.Err == nil {
				return struct{}{}, errFailed
			}
			return struct{}{}, o.Err
		}
		return struct{}{}, nil
	})
	switch {
	case dupKey != "":
		return core.Success(Duplicate{Key: dupKey})
	case ran && o.Failed():
		if !errors.Is(err, errFailed) {
			o.Err = err // the record's error, with a failed release joined
		}
		return o
	case err != nil:
		return core.Failure(err)
	}
	return o
}

// Clean releases the claims of records that did not run, then runs the
// wrapped processor's Clean.
func (p *Processor[R]) Clean(ctx context.Context, b *core.Batch[R]) error {
	if v, ok := p.invocations.LoadAndDelete(b); ok {
		inv := v.(*invocation)
		for i := range inv.prepared {
			pc := &inv.prepared[i]
			if pc.state.Status != StatusClaimed || inv.started[i].Load() {
				continue
			}
			if err := p.s.finish(ctx, pc.claim, false, nil, nil); err != nil {
				slog.WarnContext(ctx, "batchkit: idempotency: a claim of a record that did not run was not released; it expires with the invocation",
					"key", pc.claim.Key, "error", err)
			}
		}
	}
	return p.inner.Clean(ctx, b)
}

// Response returns the wrapped processor's response.
func (p *Processor[R]) Response(ctx context.Context, b *core.Batch[R]) (core.Response, error) {
	return p.inner.Response(ctx, b)
}
