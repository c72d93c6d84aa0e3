package idempotency_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/idempotency"
	"github.com/batchkit/batchkit/processors"
)

func bodyKey(m *events.SQSMessage) (string, error) { return m.Body, nil }

func sqsConfig(s idempotency.Store) idempotency.Config[events.SQSMessage] {
	return idempotency.Config[events.SQSMessage]{Store: s, Key: bodyKey}
}

// wrapped returns the processor p made idempotent.
func wrapped(t *testing.T, p core.PartialProcessor[events.SQSMessage], c idempotency.Config[events.SQSMessage]) *idempotency.Processor[events.SQSMessage] {
	t.Helper()
	ip, err := idempotency.New(p, c)
	require.NoError(t, err)
	return ip
}

func sqs(t *testing.T, c processors.Config) *processors.SQSProcessor {
	t.Helper()
	p, err := processors.NewSQS(c)
	require.NoError(t, err)
	return p
}

func run[R any](t *testing.T, ctx context.Context, p core.PartialProcessor[R], records []R, h core.Handler[R]) (*core.Batch[R], core.Response, error) {
	t.Helper()
	b := core.NewBatch(records, h)
	resp, err := core.Run(ctx, p, b)
	return b, resp, err
}

func (c *calls) handler(_ context.Context, m *events.SQSMessage) error { return c.add(m.Body) }

// Duplicates inside one batch run once, with the handler wrapper and with
// the processor wrapper.
func TestDuplicatesWithinBatch(t *testing.T) {
	eachStore(t, func(t *testing.T, s idempotency.Store) {
		ev := batchtest.SQSEvent("a", "b", "a", "a")
		t.Run("handler", func(t *testing.T) {
			c := newCalls()
			cfg := sqsConfig(s)
			cfg.Key = func(m *events.SQSMessage) (string, error) { return "h-" + m.Body, nil }
			h, err := idempotency.Handler(cfg, c.handler)
			require.NoError(t, err)
			resp, err := core.Process(t.Context(), sqs(t, processors.Config{}), ev.Records, h)
			require.NoError(t, err)
			require.Empty(t, resp.BatchItemFailures)
			require.Equal(t, 1, c.count("a"))
			require.Equal(t, 1, c.count("b"))
		})
		t.Run("processor", func(t *testing.T) {
			c := newCalls()
			p := wrapped(t, sqs(t, processors.Config{}), sqsConfig(s))
			b, resp, err := run(t, t.Context(), p, ev.Records, c.handler)
			require.NoError(t, err)
			require.Empty(t, resp.BatchItemFailures)
			require.Equal(t, 1, c.count("a"))
			require.Nil(t, b.Outcomes[0].Result)
			require.Equal(t, idempotency.Duplicate{Key: "a"}, b.Outcomes[2].Result)
			require.Equal(t, idempotency.Duplicate{Key: "a"}, b.Outcomes[3].Result)
		})
	})
}

// Across batches: a completed key is skipped; a failed, panicked or
// abandoned (runtime.Goexit) one is released and runs again.
func TestDuplicatesAcrossBatches(t *testing.T) {
	eachStore(t, func(t *testing.T, s idempotency.Store) {
		c := newCalls("bad")
		p := wrapped(t, sqs(t, processors.Config{}), sqsConfig(s))
		ev := batchtest.SQSEvent("ok1", "bad", "ok2")
		for range 2 {
			_, resp, err := run(t, t.Context(), p, ev.Records, c.handler)
			require.NoError(t, err)
			require.Equal(t, []string{ev.Records[1].MessageId}, batchtest.FailedIDs(resp))
		}
		require.Equal(t, 1, c.count("ok1"))
		require.Equal(t, 1, c.count("ok2"))
		require.Equal(t, 2, c.count("bad"), "a failed record's key is released and runs again")
		delete(c.fail, "bad")
		_, resp, err := run(t, t.Context(), p, ev.Records, c.handler)
		require.NoError(t, err)
		require.Empty(t, resp.BatchItemFailures)
		require.Equal(t, 3, c.count("bad"))

		h, err := idempotency.Handler(sqsConfig(s), func(_ context.Context, m *events.SQSMessage) error {
			if err := c.add(m.Body); err != nil {
				return err
			}
			switch m.Body {
			case "panic":
				panic("boom")
			case "goexit":
				runtime.Goexit()
			}
			return nil
		})
		require.NoError(t, err)
		for range 2 {
			_, err = core.Process(t.Context(), sqs(t, processors.Config{}), batchtest.SQSEvent("panic").Records, h)
			require.ErrorIs(t, err, core.ErrPanic)
			// Under concurrency, on a worker goroutine (the sequential loop
			// runs on the caller's, which Goexit would end).
			_, err = core.Process(t.Context(), sqs(t, processors.Config{Options: core.Options{Concurrency: 2}}), batchtest.SQSEvent("goexit", "x").Records, h)
			require.NoError(t, err)
		}
		require.Equal(t, 2, c.count("panic"), "a panic releases the key")
		require.Equal(t, 2, c.count("goexit"), "runtime.Goexit releases the key")
	})
}

// Concurrent invocations in one process (Lambda Managed Instances) racing
// for one key: exactly one runs it; the others fail in progress, and their
// retries are duplicates.
func TestConcurrentInvocations(t *testing.T) {
	eachStore(t, func(t *testing.T, s idempotency.Store) {
		const n = 8
		var handled atomic.Int64
		release := make(chan struct{})
		h, err := idempotency.Handler(sqsConfig(s), func(context.Context, *events.SQSMessage) error {
			handled.Add(1)
			<-release
			return nil
		})
		require.NoError(t, err)
		p := wrapped(t, sqs(t, processors.Config{}), sqsConfig(s)) // one processor for every invocation
		msg := batchtest.SQSEvent("race").Records[0]
		outcomes := make([]core.Outcome, n)
		var wg sync.WaitGroup
		returned := make(chan struct{}, n)
		for g := range n {
			wg.Go(func() {
				pp := core.PartialProcessor[events.SQSMessage](p)
				if g%2 == 0 {
					pp = sqs(t, processors.Config{}) // half with the handler wrapper
				}
				b, _, _ := run(t, t.Context(), pp, []events.SQSMessage{msg}, h)
				outcomes[g] = b.Outcomes[0]
				returned <- struct{}{}
			})
		}
		for range n - 1 {
			<-returned
		}
		close(release)
		wg.Wait()
		require.Equal(t, int64(1), handled.Load())
		var ok, inProgress int
		for _, o := range outcomes {
			switch {
			case o.Status == core.StatusSuccess:
				ok++
			case errors.Is(o.Err, idempotency.ErrInProgress):
				inProgress++
			default:
				t.Fatalf("unexpected outcome %+v", o)
			}
		}
		require.Equal(t, 1, ok)
		require.Equal(t, n-1, inProgress)
		b, resp, err := run(t, t.Context(), p, []events.SQSMessage{msg}, h)
		require.NoError(t, err)
		require.Empty(t, resp.BatchItemFailures)
		require.Equal(t, idempotency.Duplicate{Key: "race"}, b.Outcomes[0].Result)
		require.Equal(t, int64(1), handled.Load())
	})
}

// Records of one batch running concurrently with the same key: the handler
// runs once; a copy that overlaps fails in progress (to be retried).
func TestDuplicatesWithinConcurrentBatch(t *testing.T) {
	eachStore(t, func(t *testing.T, s idempotency.Store) {
		c := newCalls()
		p := wrapped(t, sqs(t, processors.Config{Options: core.Options{Concurrency: 4}}), sqsConfig(s))
		ev := batchtest.SQSEvent("k", "k", "k", "k", "other")
		b, resp, err := run(t, t.Context(), p, ev.Records, c.handler)
		require.NoError(t, err)
		require.Equal(t, 1, c.count("k"))
		var failed int
		for _, o := range b.Outcomes {
			if o.Failed() {
				failed++
				require.ErrorIs(t, o.Err, idempotency.ErrInProgress)
			}
		}
		require.Len(t, resp.BatchItemFailures, failed)
	})
}

// A crashed invocation's claim blocks its key until the claim expires,
// then the record runs; a claim expires with the invocation's deadline.
func TestInProgressExpiry(t *testing.T) {
	eachStore(t, func(t *testing.T, s idempotency.Store) {
		now := time.Now()
		crashed := idempotency.Claim{Key: "k", Owner: "crashed", Now: now, Until: now.Add(time.Minute)}
		st, err := s.Claim(t.Context(), crashed)
		require.NoError(t, err)
		require.Equal(t, idempotency.StatusClaimed, st.Status)

		c := newCalls()
		p := wrapped(t, sqs(t, processors.Config{}), sqsConfig(s))
		ev := batchtest.SQSEvent("k", "other")
		b, resp, err := run(t, t.Context(), p, ev.Records, c.handler)
		require.NoError(t, err)
		require.Equal(t, []string{ev.Records[0].MessageId}, batchtest.FailedIDs(resp))
		var ipe *idempotency.InProgressError
		require.ErrorAs(t, b.Outcomes[0].Err, &ipe)
		require.Equal(t, crashed.Until.UnixMilli(), ipe.Until.UnixMilli())
		require.Equal(t, 0, c.count("k"))

		cfg := sqsConfig(s)
		cfg.Now = func() time.Time { return crashed.Until.Add(time.Second) }
		later := wrapped(t, sqs(t, processors.Config{}), cfg)
		b, resp, err = run(t, t.Context(), later, ev.Records, c.handler)
		require.NoError(t, err)
		require.Empty(t, resp.BatchItemFailures)
		require.Equal(t, 1, c.count("k"), "the expired claim is taken over")
		require.Equal(t, idempotency.Duplicate{Key: "other"}, b.Outcomes[1].Result)

		// The claim a handler holds expires with the context's deadline.
		ctx, cancel := batchtest.LambdaContext(t.Context(), 3*time.Minute)
		defer cancel()
		deadline, _ := ctx.Deadline()
		var seen idempotency.State
		h, err := idempotency.Handler(sqsConfig(s), func(ctx context.Context, m *events.SQSMessage) error {
			seen, err = s.Claim(ctx, idempotency.Claim{Key: m.Body, Owner: "other", Now: time.Now(), Until: time.Now().Add(time.Second)})
			return err
		})
		require.NoError(t, err)
		_, err = core.Process(ctx, sqs(t, processors.Config{}), batchtest.SQSEvent("d").Records, h)
		require.NoError(t, err)
		require.Equal(t, idempotency.StatusInProgress, seen.Status)
		require.Equal(t, deadline.UnixMilli(), seen.Until.UnixMilli())
	})
}

// The same key with another payload is a typed error, never a silent skip.
func TestPayloadMismatch(t *testing.T) {
	eachStore(t, func(t *testing.T, s idempotency.Store) {
		type order struct{ ID, Amount string }
		orders := map[string]order{}
		cfg := idempotency.Config[order]{
			Store:   s,
			Key:     func(o *order) (string, error) { return o.ID, nil },
			Payload: func(o *order) ([]byte, error) { return []byte(o.Amount), nil },
		}
		var mu sync.Mutex
		h, err := idempotency.Handler(cfg, func(_ context.Context, o *order) error {
			mu.Lock()
			defer mu.Unlock()
			orders[o.ID] = *o
			return nil
		})
		require.NoError(t, err)
		ctx := t.Context()
		require.NoError(t, h(ctx, &order{"o-1", "10"}))
		require.NoError(t, h(ctx, &order{"o-1", "10"}), "the same payload: a duplicate")
		err = h(ctx, &order{"o-1", "99"})
		var pme *idempotency.PayloadMismatchError
		require.ErrorAs(t, err, &pme)
		require.ErrorIs(t, err, idempotency.ErrPayloadMismatch)
		require.Equal(t, "o-1", pme.Key)
		require.Equal(t, `batchkit: idempotency key "o-1" seen with another payload`, err.Error())
		require.Equal(t, order{"o-1", "10"}, orders["o-1"])

		cfg.Payload = func(*order) ([]byte, error) { return nil, errors.New("no payload") }
		h2, err := idempotency.Handler(cfg, func(context.Context, *order) error { return nil })
		require.NoError(t, err)
		require.ErrorIs(t, h2(ctx, &order{"o-2", "1"}), idempotency.ErrKey)
	})
}

// ResultHandler stores the result; a duplicate returns it without running.
func TestStoredResult(t *testing.T) {
	eachStore(t, func(t *testing.T, s idempotency.Store) {
		type receipt struct{ Charged int }
		var n atomic.Int64
		h, err := idempotency.ResultHandler(sqsConfig(s), func(_ context.Context, m *events.SQSMessage) (receipt, error) {
			return receipt{Charged: int(n.Add(1))}, nil
		})
		require.NoError(t, err)
		m := batchtest.SQSEvent("pay").Records[0]
		r1, err := h(t.Context(), &m)
		require.NoError(t, err)
		r2, err := h(t.Context(), &m)
		require.NoError(t, err)
		require.Equal(t, receipt{1}, r1)
		require.Equal(t, receipt{1}, r2, "the stored result")
		require.Equal(t, int64(1), n.Load())

		// A stored result that does not decode into the type is an error
		// of the decode family.
		h3, err := idempotency.ResultHandler(sqsConfig(s), func(context.Context, *events.SQSMessage) (int, error) { return 0, nil })
		require.NoError(t, err)
		_, err = h3(t.Context(), &m)
		require.ErrorIs(t, err, core.ErrDecode)
	})
}

// The key function's failures fail the record before it runs.
func TestKeyErrors(t *testing.T) {
	s := idempotency.NewMemoryStore()
	c := newCalls()
	cfg := sqsConfig(s)
	cfg.Key = func(m *events.SQSMessage) (string, error) {
		switch m.Body {
		case "panic":
			panic("no key")
		case "err":
			return "", errors.New("bad body")
		case "empty":
			return "", nil
		}
		return m.Body, nil
	}
	for _, wrap := range []string{"handler", "processor"} {
		t.Run(wrap, func(t *testing.T) {
			ev := batchtest.SQSEvent("panic", "err", "empty", "fine-"+wrap)
			var b *core.Batch[events.SQSMessage]
			var resp core.Response
			var err error
			if wrap == "handler" {
				h, herr := idempotency.Handler(cfg, c.handler)
				require.NoError(t, herr)
				b, resp, err = run(t, t.Context(), core.PartialProcessor[events.SQSMessage](sqs(t, processors.Config{})), ev.Records, h)
			} else {
				b, resp, err = run(t, t.Context(), core.PartialProcessor[events.SQSMessage](wrapped(t, sqs(t, processors.Config{}), cfg)), ev.Records, c.handler)
			}
			require.NoError(t, err)
			require.Len(t, resp.BatchItemFailures, 3)
			for i := range 3 {
				require.ErrorIs(t, b.Outcomes[i].Err, idempotency.ErrKey, "record %d", i)
			}
			require.ErrorIs(t, b.Outcomes[0].Err, core.ErrPanic)
			require.Equal(t, 1, c.count("fine-"+wrap))
			require.Zero(t, c.count("panic")+c.count("err")+c.count("empty"))
		})
	}
}

func TestConfigErrors(t *testing.T) {
	s := idempotency.NewMemoryStore()
	h := func(context.Context, *events.SQSMessage) error { return nil }
	for _, tt := range []struct {
		cfg     idempotency.Config[events.SQSMessage]
		setting string
	}{
		{idempotency.Config[events.SQSMessage]{Key: bodyKey}, "Store"},
		{idempotency.Config[events.SQSMessage]{Store: s}, "Key"},
		{idempotency.Config[events.SQSMessage]{Store: s, Key: bodyKey, TTL: -1}, "TTL"},
		{idempotency.Config[events.SQSMessage]{Store: s, Key: bodyKey, InProgressExpiry: -1}, "InProgressExpiry"},
	} {
		_, err := idempotency.Handler(tt.cfg, h)
		var ce *core.ConfigError
		require.ErrorAs(t, err, &ce)
		require.ErrorIs(t, err, core.ErrInvalidConfig)
		require.Equal(t, tt.setting, ce.Setting)
		_, err = idempotency.New(sqs(t, processors.Config{}), tt.cfg)
		require.ErrorIs(t, err, core.ErrInvalidConfig)
	}
	_, err := idempotency.NewDynamoDBStore(idempotency.DynamoDBConfig{})
	require.ErrorIs(t, err, core.ErrInvalidConfig)
	_, err = idempotency.Handler(sqsConfig(s), nil)
	require.ErrorIs(t, err, core.ErrInvalidConfig)
	_, err = idempotency.New[events.SQSMessage](nil, sqsConfig(s))
	require.ErrorIs(t, err, core.ErrInvalidConfig)
}

// panicky is a result type whose decoding panics.
type panicky struct{}

func (*panicky) UnmarshalJSON([]byte) error { panic("bad decoder") }

// panicStore is a BatchStore whose ClaimBatch panics: the processor falls
// back to single claims.
type panicStore struct{ *idempotency.MemoryStore }

func (panicStore) ClaimBatch(context.Context, []idempotency.Claim) ([]idempotency.State, error) {
	panic("store bug")
}

// User code the package calls runs under recover: a stored result's
// UnmarshalJSON fails the record (decode family); a BatchStore's panic
// leaves the claims to single ones.
func TestUserCodePanics(t *testing.T) {
	s := idempotency.NewMemoryStore()
	h, err := idempotency.ResultHandler(sqsConfig(s), func(context.Context, *events.SQSMessage) (panicky, error) { return panicky{}, nil })
	require.NoError(t, err)
	m := batchtest.SQSEvent("p").Records[0]
	_, err = h(t.Context(), &m)
	require.NoError(t, err)
	_, err = h(t.Context(), &m)
	require.ErrorIs(t, err, core.ErrDecode)
	require.ErrorIs(t, err, core.ErrPanic)

	c := newCalls()
	p := wrapped(t, sqs(t, processors.Config{}), sqsConfig(panicStore{idempotency.NewMemoryStore()}))
	b, resp, err := run(t, t.Context(), p, batchtest.SQSEvent("x", "y", "x").Records, c.handler)
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	require.Equal(t, 1, c.count("x"))
	require.Equal(t, idempotency.Duplicate{Key: "x"}, b.Outcomes[2].Result)
}

// A Handler nested in a Processor on the same store does not claim the key
// a second time (it would find the Processor's claim and never run): the
// record runs once and its key is completed once.
func TestNestedWrappers(t *testing.T) {
	eachStore(t, func(t *testing.T, s idempotency.Store) {
		c := newCalls()
		h, err := idempotency.Handler(sqsConfig(s), c.handler)
		require.NoError(t, err)
		p := wrapped(t, sqs(t, processors.Config{}), sqsConfig(s))
		ev := batchtest.SQSEvent("a", "b", "a")
		for range 2 {
			b, resp, err := run(t, t.Context(), p, ev.Records, h)
			require.NoError(t, err)
			require.Empty(t, resp.BatchItemFailures)
			require.Equal(t, idempotency.Duplicate{Key: "a"}, b.Outcomes[2].Result)
		}
		require.Equal(t, 1, c.count("a"))
		require.Equal(t, 1, c.count("b"))
	})
}
