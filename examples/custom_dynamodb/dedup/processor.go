package dedup

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
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

// ProcessRecord claims record i's key, then runs the handler (see the
// package documentation for the claim states).
func (p *Processor[R]) ProcessRecord(ctx context.Context, b *core.Batch[R], i int) core.Outcome {
	key, err := p.key(&b.Records[i])
	if err == nil && key == "" {
		err = errors.New("the key is empty")
	}
	if err != nil {
		return core.Failure(&KeyError{Position: i, Err: err})
	}
	owner := rand.Text()
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

	// Complete or release even when the record's context is done: a claim
	// left behind would block retries until it expires.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if o.Failed() {
		if err := p.store.release(wctx, key, owner); err != nil {
			o.Err = errors.Join(o.Err, &StoreError{Op: "release", Key: key, Table: p.store.table, Err: err})
		}
		return o
	}
	if err := p.store.complete(wctx, key, owner, p.now(), p.ttl); err != nil {
		slog.WarnContext(ctx, "dedup: the record succeeded but marking its key completed failed; a duplicate delivered after the claim expires will run again",
			"key", key, "table", p.store.table, "error", err)
	}
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
