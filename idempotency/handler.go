package idempotency

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/batchkit/batchkit/core"
)

// Defaults of [Config].
const (
	// DefaultTTL is how long a completed key is remembered (Powertools'
	// default too). A duplicate arriving later runs again.
	DefaultTTL = time.Hour
	// MaxInProgressExpiry is a claim's expiry when the context has no
	// deadline: Lambda's longest timeout.
	MaxInProgressExpiry = 15 * time.Minute
	// cleanupTimeout bounds the write that completes or releases a claim
	// once the record's context is done.
	cleanupTimeout = 5 * time.Second
)

// Config configures idempotency for records R: [Handler], [ResultHandler]
// and [New] take one.
type Config[R any] struct {
	// Store keeps the keys' states. Required.
	Store Store
	// Key returns a record's idempotency key: the SQS message id, a field
	// of the typed payload, an order id. Required. An error, a panic or an
	// empty key fails the record with a [*KeyError] before it runs. Keys
	// are shared by everything that uses the same table: prefix them (with
	// the function's name, say) when several functions share one.
	Key func(*R) (string, error)
	// Payload, when set, returns the bytes whose SHA-256 is stored with the
	// key: a record whose key was seen with another payload fails with a
	// [*PayloadMismatchError] instead of being skipped.
	Payload func(*R) ([]byte, error)
	// TTL is how long a completed key is remembered. Default [DefaultTTL].
	TTL time.Duration
	// InProgressExpiry, when positive, is how long a claim lasts. Default:
	// until the context's deadline (the invocation's, which aws-lambda-go
	// sets from the Lambda deadline:
	// https://docs.aws.amazon.com/lambda/latest/dg/golang-context.html), so a crashed or timed-out
	// invocation's claims expire when it would have ended; without a
	// deadline, [MaxInProgressExpiry].
	InProgressExpiry time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// settings is a validated Config.
type settings[R any] struct {
	Config[R]
}

func (c Config[R]) validate() (*settings[R], error) {
	bad := func(setting, value, problem string) error {
		return &core.ConfigError{Processor: "idempotency", Setting: setting, Value: value, Problem: problem}
	}
	switch {
	case c.Store == nil:
		return nil, bad("Store", "nil", "required")
	case c.Key == nil:
		return nil, bad("Key", "nil", "required")
	case c.TTL < 0:
		return nil, bad("TTL", c.TTL.String(), "negative")
	case c.InProgressExpiry < 0:
		return nil, bad("InProgressExpiry", c.InProgressExpiry.String(), "negative")
	}
	if c.TTL == 0 {
		c.TTL = DefaultTTL
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return &settings[R]{c}, nil
}

// claim builds record r's claim for owner, calling the user's Key and
// Payload functions under recover.
func (s *settings[R]) claim(ctx context.Context, r *R, owner string) (c Claim, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &KeyError{Err: core.NewPanicError(v)}
		}
	}()
	key, err := s.Key(r)
	if err == nil && key == "" {
		err = errors.New("empty key")
	}
	if err != nil {
		return c, &KeyError{Err: err}
	}
	c = Claim{Key: key, Owner: owner, Now: s.Now()}
	if s.Payload != nil {
		p, err := s.Payload(r)
		if err != nil {
			return c, &KeyError{Err: err}
		}
		sum := sha256.Sum256(p)
		c.Hash = hex.EncodeToString(sum[:])
	}
	c.Until = c.Now.Add(MaxInProgressExpiry)
	switch d, ok := ctx.Deadline(); {
	case s.InProgressExpiry > 0:
		c.Until = c.Now.Add(s.InProgressExpiry)
	case ok:
		c.Until = d
	}
	return c, nil
}

// decide turns a claim's state into: run (nil, false), skip as a duplicate
// (nil, true), or fail (err).
func decide(c Claim, st State) (duplicate bool, err error) {
	if st.Status != StatusClaimed && c.Hash != "" && st.Hash != "" && st.Hash != c.Hash {
		return false, &PayloadMismatchError{Key: c.Key}
	}
	switch st.Status {
	case StatusClaimed:
		return false, nil
	case StatusCompleted:
		return true, nil
	}
	return false, &InProgressError{Key: c.Key, Until: st.Until}
}

// finish completes (the record succeeded) or releases (it failed) the
// claim, even when ctx is done. A failed release is returned; a failed
// completion is logged: the record succeeded and its work is done.
func (s *settings[R]) finish(ctx context.Context, c Claim, ok bool, result []byte, down *atomic.Pointer[error]) error {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if !ok {
		if err := s.Store.Release(wctx, c); err != nil {
			return &StoreError{Op: "release", Key: c.Key, Err: err}
		}
		return nil
	}
	if err := s.Store.Complete(wctx, c, s.Now().Add(s.TTL), result); err != nil {
		markDown(down, err)
		slog.WarnContext(ctx, "batchkit: idempotency: the record succeeded but its completion was not stored; a duplicate may run once its claim expires",
			"key", c.Key, "error", err)
	}
	return nil
}

// Handler returns h made idempotent: a record whose key was completed is
// skipped (h is not called, the record succeeds); one whose key is in
// progress elsewhere fails with an [*InProgressError] (to be retried);
// otherwise the key is claimed, h runs, and the key is completed when h
// returns nil or released when it fails or panics. It works with every
// source and adapter, because they all take a [core.Handler]: raw records,
// typed payloads (processors.SQSJSON...), envelopes.
//
// The wrapped handler runs only where the processor schedules the record,
// so the ordering rules hold: a duplicate is skipped only in its turn, after
// the records before it in its FIFO group or stream key, and never after a
// failure that stopped its group.
func Handler[R any](c Config[R], h core.Handler[R]) (core.Handler[R], error) {
	s, err := c.validate()
	if err != nil {
		return nil, err
	}
	if h == nil {
		return nil, &core.ConfigError{Processor: "idempotency", Setting: "handler", Value: "nil", Problem: "required"}
	}
	return func(ctx context.Context, r *R) error {
		_, _, err := run(ctx, s, r, rand.Text(), nil, false, func(ctx context.Context, r *R) (struct{}, error) {
			return struct{}{}, h(ctx, r)
		})
		return err
	}, nil
}

// ResultHandler is [Handler] for a handler that returns a value, such as
// the typed handlers of the firehose, s3batch and window packages: the
// value is stored (JSON-encoded) with the completed key, and a duplicate
// returns the stored value without calling h. A value that does not encode
// fails the record (and releases the key); a stored one that does not
// decode fails it with a [*ResultDecodeError].
func ResultHandler[R, T any](c Config[R], h func(context.Context, *R) (T, error)) (func(context.Context, *R) (T, error), error) {
	s, err := c.validate()
	if err != nil {
		return nil, err
	}
	if h == nil {
		return nil, &core.ConfigError{Processor: "idempotency", Setting: "handler", Value: "nil", Problem: "required"}
	}
	return func(ctx context.Context, r *R) (T, error) {
		res, _, err := run(ctx, s, r, rand.Text(), nil, true, h)
		return res, err
	}, nil
}

// run claims r's key (or takes the prepared state), then runs h and
// completes or releases the claim. dupKey is the key of a skipped
// duplicate, "" otherwise.
func run[R, T any](ctx context.Context, s *settings[R], r *R, owner string, prepared *preparedClaim, keep bool, h func(context.Context, *R) (T, error)) (res T, dupKey string, err error) {
	var c Claim
	var st State
	if prepared != nil && prepared.err != nil {
		return res, "", prepared.err
	}
	if prepared != nil {
		c, st = prepared.claim, prepared.state
	} else if c, err = s.claim(ctx, r, owner); err != nil {
		return res, "", err
	}
	var down *atomic.Pointer[error]
	if prepared != nil && prepared.inv != nil {
		down = &prepared.inv.down
	}
	if held, ok := ctx.Value(heldKey{}).(*heldClaim); ok && held.key == c.Key && sameStore(held.store, s.Store) {
		// An enclosing wrapper (a Processor around this Handler) holds
		// this key's claim on this store: it completes or releases it.
		res, err = h(ctx, r)
		return res, "", err
	}
	if st.Status == StatusNone {
		c.Now = s.Now()
		if st, err = s.Store.Claim(ctx, c); err != nil {
			markDown(down, err)
			return res, "", &StoreError{Op: "claim", Key: c.Key, Err: err}
		}
	} else if e := loadDown(down); e != nil && st.Status == StatusClaimed {
		// The store failed during this batch: a record claimed in advance
		// does not run, since its completion could not be stored either.
		// Its claim expires with the invocation if it cannot be released.
		_ = s.finish(ctx, c, false, nil, nil)
		return res, "", &StoreError{Op: "claim", Key: c.Key, Err: e}
	}
	if dup, err := decide(c, st); err != nil {
		return res, "", err
	} else if dup {
		if keep && st.Result != nil {
			if uerr := decodeResult(st.Result, &res); uerr != nil {
				return res, "", &ResultDecodeError{Key: c.Key, Err: uerr}
			}
		}
		return res, c.Key, nil
	}

	returned := false
	defer func() {
		if returned {
			return
		}
		// A panic or runtime.Goexit: release the claim, fail the record.
		v := recover()
		if rerr := s.finish(ctx, c, false, nil, down); rerr != nil && v == nil {
			slog.WarnContext(ctx, "batchkit: idempotency: release failed", "key", c.Key, "error", rerr)
		}
		if v != nil {
			err = core.NewPanicError(v)
		}
	}()
	res, err = h(context.WithValue(ctx, heldKey{}, &heldClaim{store: s.Store, key: c.Key}), r)
	var stored []byte
	if err == nil && keep {
		stored, err = json.Marshal(res)
	}
	returned = true
	if ferr := s.finish(ctx, c, err == nil, stored, down); ferr != nil {
		err = errors.Join(err, ferr)
	}
	return res, "", err
}

// heldKey is the context key of the claim a wrapper holds while its handler
// runs, so that a wrapper nested inside it on the same store and key (a
// Handler inside a Processor) does not claim the key a second time.
type heldKey struct{}

type heldClaim struct {
	store Store
	key   string
}

// sameStore reports whether a and b are the same store (false when their
// type cannot be compared).
func sameStore(a, b Store) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
}

// decodeResult decodes a stored result, recovering a panic of the
// result type's UnmarshalJSON.
func decodeResult[T any](data []byte, res *T) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = core.NewPanicError(v)
		}
	}()
	return json.Unmarshal(data, res)
}

// markDown records the first store failure of a batch (a lost claim is
// not one).
func markDown(down *atomic.Pointer[error], err error) {
	if down != nil && !errors.Is(err, ErrClaimLost) {
		down.CompareAndSwap(nil, &err)
	}
}

func loadDown(down *atomic.Pointer[error]) error {
	if down == nil {
		return nil
	}
	if e := down.Load(); e != nil {
		return *e
	}
	return nil
}

// owner is the claim owner of record i in an invocation with token.
func owner(token string, i int) string { return token + "/" + strconv.Itoa(i) }
