package dedup

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/batchkit/batchkit/core"
)

// Defaults of [Config].
const (
	// DefaultTTL is how long a completed key is remembered: duplicates
	// arriving later run again. Powertools' idempotency default.
	DefaultTTL = time.Hour
	// DefaultKeyAttribute is the table's partition key attribute.
	DefaultKeyAttribute = "id"
	// MaxInProgressExpiry is the in-progress expiry when the invocation's
	// context has no deadline: Lambda's longest timeout.
	MaxInProgressExpiry = 15 * time.Minute
	// cleanupTimeout bounds the write that completes or releases a claim
	// after the record's context is done (deadline margin, cancellation).
	cleanupTimeout = 5 * time.Second
)

// Config configures a [Processor] of records R.
type Config[R any] struct {
	// Client is the DynamoDB client, usually a *dynamodb.Client. Required.
	Client Client
	// Table is the table's name. Required.
	Table string
	// KeyAttribute is the table's partition key attribute, a string.
	// Default [DefaultKeyAttribute].
	KeyAttribute string
	// Key returns a record's deduplication key. Default: the record's
	// identifier (SQS message id, stream sequence number). An error, or an
	// empty key, fails the record with a [*KeyError] before the handler
	// runs.
	Key func(*R) (string, error)
	// TTL is how long a completed key is remembered. Default [DefaultTTL].
	TTL time.Duration
	// InProgressExpiry is how long a claim blocks other invocations before
	// it is considered abandoned. Default: the invocation's remaining time
	// (its context deadline), or [MaxInProgressExpiry] without a deadline.
	// Set it longer than the handler can run.
	InProgressExpiry time.Duration
	// Now is the clock; default time.Now. Tests move it.
	Now func() time.Time
}

// Processor deduplicates records of type R against a DynamoDB table, then
// processes them like the [core.Base] it embeds (event source check,
// scheduling, stop policy, response). See the package documentation for the
// claim states. Like every processor it keeps no per-invocation state and is
// safe for concurrent invocations.
type Processor[R any] struct {
	*core.Base[R]
	store            store
	key              func(*R) (string, error)
	ttl              time.Duration
	inProgressExpiry time.Duration
	now              func() time.Time
}

// New returns a deduplicating processor that behaves like base for
// everything but ProcessRecord. Build base with the processors package (for
// example processors.SQSFrom) or core.NewBase.
func New[R any](base *core.Base[R], c Config[R]) (*Processor[R], error) {
	switch {
	case base == nil:
		return nil, errors.New("dedup: New needs a base processor, got nil (build one with processors.SQSFrom or core.NewBase)")
	case c.Client == nil:
		return nil, errors.New("dedup: Config.Client is nil; pass a *dynamodb.Client")
	case c.Table == "":
		return nil, errors.New("dedup: Config.Table is empty; name the DynamoDB table that holds the claims")
	case c.TTL < 0 || c.InProgressExpiry < 0:
		return nil, fmt.Errorf("dedup: Config.TTL (%v) and Config.InProgressExpiry (%v) must be 0 (default) or positive", c.TTL, c.InProgressExpiry)
	}
	p := &Processor[R]{
		Base:             base,
		store:            store{client: c.Client, table: c.Table, keyAttr: c.KeyAttribute},
		key:              c.Key,
		ttl:              c.TTL,
		inProgressExpiry: c.InProgressExpiry,
		now:              c.Now,
	}
	if p.store.keyAttr == "" {
		p.store.keyAttr = DefaultKeyAttribute
	}
	if p.key == nil {
		p.key = func(r *R) (string, error) { return base.Identify(r).String(), nil }
	}
	if p.ttl == 0 {
		p.ttl = DefaultTTL
	}
	if p.now == nil {
		p.now = time.Now
	}
	return p, nil
}

// Duplicate is the [core.Outcome] Result of a record that was not handled
// because its key was already completed.
type Duplicate struct {
	// Key is the record's deduplication key.
	Key string
}

// IsDuplicate reports whether an outcome is that of a duplicate record.
func IsDuplicate(o core.Outcome) bool {
	_, ok := o.Result.(Duplicate)
	return ok
}

// invocation is the per-invocation state of a batch, kept in
// [core.Batch.State]: opened in Prepare, read by every ProcessRecord (which
// may run concurrently, hence the mutex) and committed in Clean. The
// processor itself stays immutable and shared by concurrent invocations.
type invocation struct {
	// owner is the invocation's claim token: every claim it makes carries it.
	owner string
	mu    sync.Mutex
	// done are the keys whose handler succeeded in this invocation, in
	// order, to mark COMPLETED in Clean; seen indexes them.
	done []string
	seen map[string]bool
}

// Prepare opens the invocation's state (after the base's checks): its
// claim token and the list of completions that Clean commits.
func (p *Processor[R]) Prepare(ctx context.Context, b *core.Batch[R]) error {
	if err := p.Base.Prepare(ctx, b); err != nil {
		return err
	}
	b.State = &invocation{owner: rand.Text(), seen: map[string]bool{}}
	return nil
}

// Clean commits the invocation's completions, up to 100 keys per DynamoDB
// transaction; a transaction that fails (a claim that expired and was taken
// over, throttling) is retried key by key, so one lost claim does not cost
// the others. A completion that cannot be written is logged, not returned:
// its record succeeded (see the package documentation).
func (p *Processor[R]) Clean(ctx context.Context, b *core.Batch[R]) error {
	err := p.Base.Clean(ctx, b)
	inv, ok := b.State.(*invocation)
	if !ok || len(inv.done) == 0 {
		return err
	}
	// Commit even when the invocation's context is done: a claim left
	// behind would block retries until it expires.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	now := p.now()
	for keys := range slices.Chunk(inv.done, maxTransactItems) {
		if p.store.completeAll(wctx, keys, inv.owner, now, p.ttl) == nil {
			continue
		}
		for _, key := range keys {
			if err := p.store.complete(wctx, key, inv.owner, now, p.ttl); err != nil {
				slog.WarnContext(ctx, "dedup: the record succeeded but marking its key completed failed; a duplicate delivered after the claim expires will run again",
					"key", key, "table", p.store.table, "error", err)
			}
		}
	}
	return err
}

// ProcessRecord claims record i's key, then runs the handler (see the
// package documentation for the claim states). A success is committed with
// the others in Clean.
func (p *Processor[R]) ProcessRecord(ctx context.Context, b *core.Batch[R], i int) core.Outcome {
	key, err := p.key(&b.Records[i])
	if err == nil && key == "" {
		err = errors.New("the key is empty")
	}
	if err != nil {
		return core.Failure(&KeyError{Position: i, Err: err})
	}
	inv, ok := b.State.(*invocation)
	if !ok {
		return core.Failure(errors.New("dedup: the batch has no invocation state: run the processor with core.Process or core.Run"))
	}
	inv.mu.Lock()
	dup := inv.seen[key]
	inv.mu.Unlock()
	if dup {
		// Handled earlier in this invocation, its completion not yet
		// committed: a duplicate as much as a committed one.
		return core.Success(Duplicate{Key: key})
	}
	owner := inv.owner
	now := p.now()
	res, until, err := p.store.claim(ctx, key, owner, now, p.expiry(ctx))
	switch {
	case err != nil:
		return core.Failure(&StoreError{Op: "claim", Key: key, Table: p.store.table, Err: err})
	case res == completed:
		return core.Success(Duplicate{Key: key})
	case res == inProgress:
		return core.Failure(&InProgressError{Key: key, Until: until})
	}

	o := b.Handle(ctx, i)

	if o.Failed() {
		// Release even when the record's context is done: a claim left
		// behind would block retries until it expires.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		if err := p.store.release(wctx, key, owner); err != nil {
			o.Err = errors.Join(o.Err, &StoreError{Op: "release", Key: key, Table: p.store.table, Err: err})
		}
		return o
	}
	inv.mu.Lock()
	inv.done = append(inv.done, key)
	inv.seen[key] = true
	inv.mu.Unlock()
	return o
}

// expiry is the in-progress expiry of a claim made under ctx.
func (p *Processor[R]) expiry(ctx context.Context) time.Duration {
	if p.inProgressExpiry > 0 {
		return p.inProgressExpiry
	}
	if d, ok := ctx.Deadline(); ok {
		if left := time.Until(d); left > 0 {
			return left
		}
	}
	return MaxInProgressExpiry
}
