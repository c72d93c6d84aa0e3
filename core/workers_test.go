package core_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/batchkit/batchkit/core"
)

// Workers start lazily, each starting the next: blocking handlers must
// still reach a large bound (every record waits for all the others).
func TestLazyWorkersReachLargeBound(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, bound := range []int{2, 64, 300} {
		t.Run(fmt.Sprint(bound), func(t *testing.T) {
			recs := items(make([]string, bound)...)
			bar := newBarrier(bound)
			var inflight, peak atomic.Int32
			p := core.NewBase(itemSource(core.StopNever, false), core.Options{Concurrency: bound})
			resp, err := core.Process(context.Background(), p, recs, func(context.Context, *item) error {
				n := inflight.Add(1)
				for {
					old := peak.Load()
					if n <= old || peak.CompareAndSwap(old, n) {
						break
					}
				}
				defer inflight.Add(-1)
				return bar.wait()
			})
			require.NoError(t, err)
			require.Empty(t, resp.BatchItemFailures)
			require.Equal(t, int32(bound), peak.Load())
		})
	}
}

// The direct path (a plain Base without hooks, under concurrency) calls
// the handler from the worker's loop: a panic fails its record with the
// handler's *PanicError (its frames start in the handler), a Goexit leaves
// its record failed with an *UnhandledError (ErrAbandoned), and every other record still
// runs, on replacement workers.
func TestDirectWorkerPathPanicAndGoexit(t *testing.T) {
	defer goleak.VerifyNone(t)
	const n = 40
	recs := items(make([]string, n)...)
	var ran sync.Map
	h := func(_ context.Context, r *item) error {
		ran.Store(r.ID, true)
		switch r.ID {
		case "3", "17":
			panic("boom " + r.ID)
		case "5", "30":
			runtime.Goexit()
		case "8":
			return errors.New("plain failure")
		}
		return nil
	}
	for _, bound := range []int{2, 7, n} {
		t.Run(fmt.Sprint(bound), func(t *testing.T) {
			p := core.NewBase(itemSource(core.StopNever, false), core.Options{Concurrency: bound})
			b := core.NewBatch(recs, h)
			resp, err := core.Run(context.Background(), p, b)
			require.NoError(t, err)
			var failed []string
			for _, f := range resp.BatchItemFailures {
				failed = append(failed, f.ItemIdentifier.ID)
			}
			require.Equal(t, []string{"3", "5", "8", "17", "30"}, failed)
			for i := range n {
				_, ok := ran.Load(fmt.Sprint(i))
				require.True(t, ok, "record %d never ran", i)
				require.NotEqual(t, core.StatusPending, b.Outcomes[i].Status)
			}
			for _, i := range []int{3, 17} {
				var pe *core.PanicError
				require.ErrorAs(t, b.Outcomes[i].Err, &pe)
				require.Equal(t, "boom "+fmt.Sprint(i), pe.Value)
				f, _ := pe.Frames().Next()
				require.True(t, strings.Contains(f.Function, "TestDirectWorkerPathPanicAndGoexit"), "first frame %q is not the handler", f.Function)
			}
			for _, i := range []int{5, 30} {
				require.ErrorIs(t, b.Outcomes[i].Err, core.ErrAbandoned)
			}
		})
	}
}

// On the direct path no record starts once the records' context is
// cancelled: a handler cancels it, and no handler starts after that.
func TestDirectWorkerPathNoStartAfterCancel(t *testing.T) {
	defer goleak.VerifyNone(t)
	const n = 500
	recs := items(make([]string, n)...)
	for _, bound := range []int{2, 8} {
		t.Run(fmt.Sprint(bound), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var cancelled atomic.Bool
			var late atomic.Int32
			p := core.NewBase(itemSource(core.StopNever, false), core.Options{Concurrency: bound})
			b := core.NewBatch(recs, func(_ context.Context, r *item) error {
				if cancelled.Load() {
					late.Add(1)
				}
				if r.ID == "100" {
					cancel()
					cancelled.Store(true)
				}
				return nil
			})
			resp, err := core.Run(ctx, p, b)
			require.NoError(t, err)
			require.Zero(t, late.Load(), "a record started after the context was cancelled")
			notStarted := 0
			for i, o := range b.Outcomes {
				require.NotEqual(t, core.StatusPending, o.Status)
				if o.Status == core.StatusNotStarted {
					notStarted++
					require.ErrorIs(t, o.Err, core.ErrCanceled, "record %d", i)
					require.ErrorIs(t, o.Err, context.Canceled)
				}
			}
			require.Positive(t, notStarted)
			require.Len(t, resp.BatchItemFailures, notStarted)
		})
	}
}
