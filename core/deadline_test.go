package core_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
)

// blockUntilDone is a handler for records that never finish on their own:
// it waits for its context and returns the context's error.
func blockUntilDone(ctx context.Context) error {
	<-ctx.Done()
	return fmt.Errorf("gave up: %w", ctx.Err())
}

// TestDeadlineReturnsBeforeTheDeadline: a batch too long for its deadline
// returns before the deadline; the records still running are cancelled at
// the margin and fail with their context's error, the records never started
// fail with an UnhandledError (ErrDeadline), and every record is accounted for.
func TestDeadlineReturnsBeforeTheDeadline(t *testing.T) {
	defer goleak.VerifyNone(t)
	// The margin is generous so that a loaded machine (-race, other tests)
	// still returns before the deadline: records are cancelled after 500 ms.
	const (
		timeout = 2500 * time.Millisecond
		margin  = 2000 * time.Millisecond
	)
	// Records 0-3 succeed at once if they run; the others block until
	// cancelled.
	keys := []string{"a", "b", "c", "d", "a", "b", "c", "d", "a", "", "b", "", "c", "a", "d", "b"}
	tests := []struct {
		name        string
		stop        core.StopPolicy
		orderByKey  bool
		concurrency int
	}{
		{"sequential", core.StopNever, false, 1},
		{"bound 3", core.StopNever, false, 3},
		{"bound 3 by key", core.StopNever, true, 3},
		{"stop key, bound 2", core.StopKey, true, 2},
		{"stop batch", core.StopBatch, false, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs := items(keys...)
			ctx, cancel := batchtest.LambdaContext(context.Background(), timeout)
			defer cancel()
			deadline, _ := ctx.Deadline()
			var started atomic.Int32
			ran := make([]atomic.Bool, len(recs))
			p := core.NewBase(itemSource(tt.stop, tt.orderByKey), core.Options{Concurrency: tt.concurrency, DeadlineMargin: margin})
			b := core.NewBatch(recs, func(ctx context.Context, r *item) error {
				var pos int
				fmt.Sscan(r.ID, &pos)
				ran[pos].Store(true)
				started.Add(1)
				if pos < 4 {
					return nil
				}
				return blockUntilDone(ctx)
			})
			resp, err := core.Run(ctx, p, b)
			require.True(t, time.Now().Before(deadline), "Run returned after the invocation deadline")
			require.NoError(t, err)

			var wantFailed []string
			deadlined := 0
			for i, o := range b.Outcomes {
				switch {
				case ran[i].Load() && i < 4:
					require.Equal(t, core.StatusSuccess, o.Status, "record %d", i)
					continue
				case ran[i].Load():
					require.Equal(t, core.StatusFailure, o.Status, "record %d", i)
					require.ErrorIs(t, o.Err, context.DeadlineExceeded, "record %d", i)
				default:
					require.Equal(t, core.StatusNotStarted, o.Status, "record %d", i)
					var de *core.UnhandledError
					require.ErrorAs(t, o.Err, &de, "record %d", i)
					require.ErrorIs(t, o.Err, core.ErrDeadline)
					require.Equal(t, margin, de.Margin)
					require.Less(t, de.Remaining, margin)
					deadlined++
				}
				wantFailed = append(wantFailed, recs[i].ID)
			}
			require.Equal(t, wantFailed, batchtest.FailedIDs(resp), "every record not succeeded is reported, in order")
			require.Positive(t, deadlined, "some records never started")
			require.LessOrEqual(t, int(started.Load()), 4+max(tt.concurrency, 1))
		})
	}
}

// TestDeadlineAlreadyWithinMargin: when less than the margin is left at the
// start, no handler runs and every record fails with an UnhandledError (ErrDeadline).
func TestDeadlineAlreadyWithinMargin(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, conc := range []int{1, 4} {
		ctx, cancel := batchtest.LambdaContext(context.Background(), 50*time.Millisecond)
		p := core.NewBase(itemSource(core.StopNever, false), core.Options{Concurrency: conc, DeadlineMargin: time.Second, SuppressFullBatchError: true})
		b := core.NewBatch(items("a", "b", "c"), func(context.Context, *item) error {
			t.Error("no handler may run within the margin")
			return nil
		})
		resp, err := core.Run(ctx, p, b)
		cancel()
		require.NoError(t, err)
		require.Equal(t, []string{"0", "1", "2"}, batchtest.FailedIDs(resp))
		for _, o := range b.Outcomes {
			require.ErrorIs(t, o.Err, core.ErrDeadline)
		}
	}
}

// TestNoMarginWithoutDeadline: a margin without a context deadline changes
// nothing.
func TestNoMarginWithoutDeadline(t *testing.T) {
	p := core.NewBase(itemSource(core.StopNever, false), core.Options{Concurrency: 2, DeadlineMargin: time.Hour})
	resp, err := core.Process(context.Background(), p, items("a", "b"), func(ctx context.Context, _ *item) error {
		_, ok := ctx.Deadline()
		require.False(t, ok)
		return nil
	})
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
}

// TestCanceledContextStopsStarting: once the invocation's context is
// cancelled, records not started fail with an UnhandledError (ErrCanceled) carrying the
// cause.
func TestCanceledContextStopsStarting(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, conc := range []int{1, 3} {
		cause := errors.New("shutting down")
		ctx, cancel := context.WithCancelCause(context.Background())
		p := core.NewBase(itemSource(core.StopNever, false), core.Options{Concurrency: conc})
		b := core.NewBatch(items("a", "b", "c", "d", "e", "f"), func(ctx context.Context, r *item) error {
			if r.ID == "0" {
				cancel(cause)
				return nil
			}
			return blockUntilDone(ctx)
		})
		resp, err := core.Run(ctx, p, b)
		require.NoError(t, err)
		require.Equal(t, []string{"1", "2", "3", "4", "5"}, batchtest.FailedIDs(resp))
		notStarted := 0
		for _, o := range b.Outcomes[1:] {
			if o.Status == core.StatusNotStarted {
				notStarted++
				require.ErrorIs(t, o.Err, core.ErrCanceled)
				require.ErrorIs(t, o.Err, cause)
			} else {
				require.ErrorIs(t, o.Err, context.Canceled)
			}
		}
		require.GreaterOrEqual(t, notStarted, 5-conc)
	}
}

// cleanRecorder records the state of the context Clean and Response get.
type cleanRecorder struct {
	*core.Base[item]
	cleanErr, responseErr error
}

func (p *cleanRecorder) Clean(ctx context.Context, _ *core.Batch[item]) error {
	p.cleanErr = ctx.Err()
	return nil
}

func (p *cleanRecorder) Response(ctx context.Context, b *core.Batch[item]) (core.Response, error) {
	p.responseErr = ctx.Err()
	return p.Base.Response(ctx, b)
}

// TestCleanGetsTheInvocationContext: the records' context is cancelled at
// the margin, but Clean and Response run with the invocation's context,
// which is still live: the margin is the time kept for them.
func TestCleanGetsTheInvocationContext(t *testing.T) {
	defer goleak.VerifyNone(t)
	ctx, cancel := batchtest.LambdaContext(context.Background(), 2*time.Second)
	defer cancel()
	p := &cleanRecorder{Base: core.NewBase(itemSource(core.StopNever, false), core.Options{Concurrency: 2, DeadlineMargin: 1900 * time.Millisecond})}
	resp, err := core.Process(ctx, p, items("a", "b", "c"), func(ctx context.Context, r *item) error {
		if r.ID == "0" {
			return nil
		}
		return blockUntilDone(ctx)
	})
	require.NoError(t, err)
	require.Equal(t, []string{"1", "2"}, batchtest.FailedIDs(resp))
	require.NoError(t, p.cleanErr)
	require.NoError(t, p.responseErr)
}

// ExampleOptions_deadlineMargin keeps 1.5 s to return the response: the
// record that never finishes is cancelled, the ones after it are not
// started, and all of them are reported failed instead of the whole batch
// timing out.
func ExampleOptions_deadlineMargin() {
	ctx, cancel := batchtest.LambdaContext(context.Background(), 2*time.Second)
	defer cancel()
	p := core.NewBase(itemSource(core.StopNever, false), core.Options{DeadlineMargin: 1500 * time.Millisecond})
	b := core.NewBatch(items("a", "b", "c"), func(ctx context.Context, r *item) error {
		if r.ID == "0" {
			return nil
		}
		return blockUntilDone(ctx) // a stuck call
	})
	resp, err := core.Run(ctx, p, b)
	fmt.Println(batchtest.FailedIDs(resp), err)
	fmt.Println(errors.Is(b.Outcomes[1].Err, context.DeadlineExceeded), errors.Is(b.Outcomes[2].Err, core.ErrDeadline))
	// Output:
	// [1 2] <nil>
	// true true
}
