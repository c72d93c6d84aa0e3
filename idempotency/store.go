package idempotency

import (
	"context"
	"time"
)

// Store keeps the state of idempotency keys. Every method must be safe for
// concurrent use, and every write must be atomic on its key: two claims of
// one key never both succeed. [*DynamoDBStore] is the production store,
// [*MemoryStore] the one for unit tests.
//
// A key moves through these states:
//
//	absent ──Claim──▶ in progress ──Complete──▶ completed ──Expires──▶ absent
//	                       │
//	                       ├─ Release (the handler failed) ──▶ absent
//	                       └─ Claim.Until passes (crash, timeout) ──▶ claimable
type Store interface {
	// Claim takes key c.Key for c.Owner until c.Until, and returns
	// StatusClaimed, when the key is absent, its completion expired, its
	// claim expired, or c.Owner already holds it. Otherwise it changes
	// nothing and returns the key's state: StatusCompleted or
	// StatusInProgress. An error means the claim's outcome is unknown.
	Claim(ctx context.Context, c Claim) (State, error)
	// Complete marks the key completed until expires, with an optional
	// result, if c.Owner still holds it.
	Complete(ctx context.Context, c Claim, expires time.Time, result []byte) error
	// Release deletes the key's claim, if c.Owner still holds it.
	Release(ctx context.Context, c Claim) error
}

// BatchStore is an optional interface of a [Store]: claiming many keys in
// fewer round trips. A [Processor] uses it before the first record runs.
type BatchStore interface {
	Store
	// ClaimBatch is [Store.Claim] for several distinct keys, returning one
	// State per claim in order. A State with StatusNone (or an error) says
	// nothing about that key: the processor claims it alone later.
	ClaimBatch(ctx context.Context, claims []Claim) ([]State, error)
}

// Claim is one claim of a key.
type Claim struct {
	// Key is the idempotency key.
	Key string
	// Owner identifies the claimant: random per record and invocation.
	Owner string
	// Hash is the payload hash, "" when payloads are not checked.
	Hash string
	// Now is the claimant's clock, used for every expiry comparison.
	Now time.Time
	// Until is when the claim expires: the invocation's deadline.
	Until time.Time
}

// Status is what a claim found.
type Status uint8

const (
	// StatusNone: nothing is known (a BatchStore left the key out).
	StatusNone Status = iota
	// StatusClaimed: the claim is the caller's; the handler may run.
	StatusClaimed
	// StatusInProgress: another owner holds an unexpired claim.
	StatusInProgress
	// StatusCompleted: the key was handled and has not expired.
	StatusCompleted
)

// State is a key's state as a claim found it.
type State struct {
	// Status is the claim's result.
	Status Status
	// Hash is the stored payload hash ("" if none).
	Hash string
	// Until is the other claim's expiry (StatusInProgress).
	Until time.Time
	// Result is the stored result (StatusCompleted), nil if none.
	Result []byte
}
