package core_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
)

// item is the record type of these tests: an identifier and an ordering key.
type item struct {
	ID  string
	Key string
}

func itemSource(stop core.StopPolicy, orderByKey bool) core.Source[item] {
	return core.Source[item]{
		Name:       "test",
		Identify:   func(r *item) core.Identifier { return core.StringID(r.ID) },
		Key:        func(r *item) string { return r.Key },
		OrderByKey: orderByKey,
		Stop:       stop,
	}
}

// items returns one item per key, with ids "0", "1", ...
func items(keys ...string) []item {
	out := make([]item, len(keys))
	for i, k := range keys {
		out[i] = item{ID: fmt.Sprint(i), Key: k}
	}
	return out
}

// ids returns the ids of the items at the given positions.
func ids(recs []item, pos ...int) []string {
	out := make([]string, len(pos))
	for i, p := range pos {
		out[i] = recs[p].ID
	}
	return out
}

// callLog records the order in which handlers start and end, and how many
// run at once.
type runLog struct {
	mu       sync.Mutex
	events   []runEvent
	inflight int
	max      int
}

type runEvent struct {
	pos   int
	start bool
}

func (l *runLog) start(pos int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, runEvent{pos, true})
	l.inflight++
	l.max = max(l.max, l.inflight)
}

func (l *runLog) end(pos int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, runEvent{pos, false})
	l.inflight--
}

// started returns the positions whose handler ran, in start order.
func (l *runLog) started() []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []int
	for _, e := range l.events {
		if e.start {
			out = append(out, e.pos)
		}
	}
	return out
}

// requireChained fails unless, for every record with a non-empty key, every
// earlier record with the same key had ended before it started.
func (l *runLog) requireChained(t *testing.T, keyOf func(int) string) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	ended := map[int]bool{}
	for _, e := range l.events {
		if !e.start {
			ended[e.pos] = true
			continue
		}
		k := keyOf(e.pos)
		if k == "" {
			continue
		}
		for j := range e.pos {
			if keyOf(j) == k {
				require.Truef(t, ended[j], "record %d (key %q) started before record %d of the same key ended", e.pos, k, j)
			}
		}
	}
}

// TestConcurrentOutcomesInInputOrder: whatever order handlers finish in
// (random sleeps), outcomes sit at their record's position and the response
// lists the failures in input order.
func TestConcurrentOutcomesInInputOrder(t *testing.T) {
	defer goleak.VerifyNone(t)
	keys := []string{"a", "b", "", "c", "a", "b", "d", "", "c", "a"}
	tests := []struct {
		name        string
		concurrency int
		orderByKey  bool
	}{
		{"sequential", 1, false},
		{"bound 2", 2, false},
		{"bound 7", 7, false},
		{"bound above size", 500, false},
		{"by key, bound 3", 3, true},
		{"by key, bound 64", 64, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs := make([]item, 60)
			for i := range recs {
				recs[i] = item{ID: fmt.Sprint(i), Key: keys[i%len(keys)]}
			}
			rng := rand.New(rand.NewPCG(1, uint64(tt.concurrency)))
			sleeps := make([]time.Duration, len(recs))
			for i := range sleeps {
				sleeps[i] = time.Duration(rng.IntN(1500)) * time.Microsecond
			}
			var finished []int
			var mu sync.Mutex
			p := core.NewBase(itemSource(core.StopNever, tt.orderByKey), core.Options{Concurrency: tt.concurrency})
			b := core.NewBatch(recs, func(_ context.Context, r *item) error {
				var pos int
				fmt.Sscan(r.ID, &pos)
				time.Sleep(sleeps[pos])
				mu.Lock()
				finished = append(finished, pos)
				mu.Unlock()
				if pos%7 == 3 {
					return fmt.Errorf("record %d failed", pos)
				}
				return nil
			})
			resp, err := core.Run(context.Background(), p, b)
			require.NoError(t, err)

			var wantFailed []string
			for i, o := range b.Outcomes {
				if i%7 == 3 {
					wantFailed = append(wantFailed, recs[i].ID)
					require.Equal(t, core.StatusFailure, o.Status, "record %d", i)
					require.EqualError(t, o.Err, fmt.Sprintf("record %d failed", i))
					continue
				}
				require.Equal(t, core.StatusSuccess, o.Status, "record %d", i)
			}
			require.Equal(t, wantFailed, batchtest.FailedIDs(resp))
			require.Len(t, finished, len(recs), "every handler ran exactly once")
			slices.Sort(finished)
			require.Equal(t, len(recs), len(slices.Compact(finished)))
		})
	}
}

// barrier lets n handlers wait until all n have arrived. A handler that
// waits longer than a few seconds fails the test instead of hanging it.
type barrier struct {
	n       int
	arrived atomic.Int32
	all     chan struct{}
	once    sync.Once
}

func newBarrier(n int) *barrier { return &barrier{n: n, all: make(chan struct{})} }

func (b *barrier) wait() error {
	if int(b.arrived.Add(1)) >= b.n {
		b.once.Do(func() { close(b.all) })
	}
	select {
	case <-b.all:
		return nil
	case <-time.After(10 * time.Second):
		return errors.New("barrier: the other records never started concurrently")
	}
}

// TestConcurrencyReachesBoundAndNeverExceedsIt: with a bound of n, n
// handlers run at once (each waits for the others), never more.
func TestConcurrencyReachesBoundAndNeverExceedsIt(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, bound := range []int{2, 4, 9} {
		t.Run(fmt.Sprint(bound), func(t *testing.T) {
			recs := items(make([]string, 5*bound)...)
			var log runLog
			var rounds sync.Map // round -> *barrier
			p := core.NewBase(itemSource(core.StopNever, false), core.Options{Concurrency: bound})
			resp, err := core.Process(context.Background(), p, recs, func(_ context.Context, r *item) error {
				var pos int
				fmt.Sscan(r.ID, &pos)
				log.start(pos)
				defer log.end(pos)
				bar, _ := rounds.LoadOrStore(pos/bound, newBarrier(bound))
				return bar.(*barrier).wait()
			})
			require.NoError(t, err)
			require.Empty(t, resp.BatchItemFailures)
			require.Equal(t, bound, log.max)
		})
	}
}

// TestOrderByKeyChains: records sharing a key run one after another in input
// order; different keys run at the same time.
func TestOrderByKeyChains(t *testing.T) {
	defer goleak.VerifyNone(t)
	recs := items("a", "b", "c", "a", "b", "c", "a", "", "b", "", "c", "a")
	var log runLog
	firsts := newBarrier(3) // the first records of a, b and c meet
	p := core.NewBase(itemSource(core.StopNever, true), core.Options{Concurrency: 4})
	resp, err := core.Process(context.Background(), p, recs, func(_ context.Context, r *item) error {
		var pos int
		fmt.Sscan(r.ID, &pos)
		log.start(pos)
		defer log.end(pos)
		if pos < 3 {
			return firsts.wait()
		}
		time.Sleep(time.Duration(12-pos) * 100 * time.Microsecond)
		return nil
	})
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	log.requireChained(t, func(i int) string { return recs[i].Key })
	require.GreaterOrEqual(t, log.max, 3)
	require.ElementsMatch(t, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, log.started())
}

// TestStopKeyUnderConcurrency: after a failure, the later records of the
// same key are short-circuited; other keys and keyless records go on.
func TestStopKeyUnderConcurrency(t *testing.T) {
	defer goleak.VerifyNone(t)
	recs := items("a", "b", "a", "", "b", "a", "", "c", "b")
	fail := map[int]bool{2: true, 3: true, 4: true}
	for _, conc := range []int{1, 2, 8} {
		t.Run(fmt.Sprint(conc), func(t *testing.T) {
			var log runLog
			p := core.NewBase(itemSource(core.StopKey, false), core.Options{Concurrency: conc})
			b := core.NewBatch(recs, func(_ context.Context, r *item) error {
				var pos int
				fmt.Sscan(r.ID, &pos)
				log.start(pos)
				defer log.end(pos)
				if fail[pos] {
					return errors.New("boom")
				}
				return nil
			})
			resp, err := core.Run(context.Background(), p, b)
			require.NoError(t, err)
			require.Equal(t, ids(recs, 2, 3, 4, 5, 8), batchtest.FailedIDs(resp))
			require.ElementsMatch(t, []int{0, 1, 2, 3, 4, 6, 7}, log.started())
			log.requireChained(t, func(i int) string { return recs[i].Key })
			for pos, at := range map[int]int{5: 2, 8: 4} {
				var sc *core.UnhandledError
				require.ErrorAs(t, b.Outcomes[pos].Err, &sc)
				require.ErrorIs(t, sc, core.ErrShortCircuit)
				require.Equal(t, at, sc.FailedPosition)
				require.Equal(t, recs[pos].Key, sc.Key)
				require.Equal(t, core.StatusNotStarted, b.Outcomes[pos].Status)
			}
		})
	}
}

// planner is a custom processor whose Source and Options were not built by
// NewBase.
type planner struct {
	*core.Base[item]
	src  core.Source[item]
	opts core.Options
}

func (p planner) Source() core.Source[item] { return p.src }
func (p planner) Options() core.Options     { return p.opts }

// TestCustomPlanStopKeyIsOrdered: a Plan with StopKey but no OrderByKey is
// still run in key order, and StopKey without a Key stops the whole batch,
// as NewBase would have made it.
func TestCustomPlanStopKeyIsOrdered(t *testing.T) {
	defer goleak.VerifyNone(t)
	recs := items("a", "a", "b", "a", "b")
	tests := []struct {
		name       string
		key        func(*item) string
		wantFailed []int
		wantRan    []int
	}{
		{"StopKey without OrderByKey", func(r *item) string { return r.Key }, []int{1, 3}, []int{0, 1, 2, 4}},
		{"StopKey without Key", nil, []int{1, 2, 3, 4}, []int{0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := itemSource(core.StopKey, false)
			src.Key = tt.key
			p := planner{Base: core.NewBase(itemSource(core.StopNever, false), core.Options{}), src: src, opts: core.Options{Concurrency: 4}}
			var log runLog
			resp, err := core.Process(context.Background(), p, recs, func(_ context.Context, r *item) error {
				var pos int
				fmt.Sscan(r.ID, &pos)
				log.start(pos)
				defer log.end(pos)
				time.Sleep(time.Millisecond)
				if pos == 1 {
					return errors.New("boom")
				}
				return nil
			})
			require.NoError(t, err)
			require.Equal(t, ids(recs, tt.wantFailed...), batchtest.FailedIDs(resp))
			require.ElementsMatch(t, tt.wantRan, log.started())
			log.requireChained(t, func(i int) string { return recs[i].Key })
		})
	}
}

// TestPresetFailuresUnderConcurrency: records failed before the batch runs
// (b.Fail) are reported without calling the handler, and under StopKey they
// stop the rest of their key.
func TestPresetFailuresUnderConcurrency(t *testing.T) {
	defer goleak.VerifyNone(t)
	recs := items("a", "a", "b", "", "b")
	for _, stop := range []core.StopPolicy{core.StopNever, core.StopKey} {
		t.Run(fmt.Sprint(stop), func(t *testing.T) {
			var ran atomic.Int32
			p := core.NewBase(itemSource(stop, false), core.Options{Concurrency: 3})
			b := core.NewBatch(recs, func(context.Context, *item) error { ran.Add(1); return nil })
			b.Fail(0, errors.New("undecodable"))
			b.Fail(3, errors.New("undecodable"))
			resp, err := core.Run(context.Background(), p, b)
			require.NoError(t, err)
			if stop == core.StopKey {
				require.Equal(t, ids(recs, 0, 1, 3), batchtest.FailedIDs(resp))
				require.EqualValues(t, 2, ran.Load())
				require.ErrorIs(t, b.Outcomes[1].Err, core.ErrShortCircuit)
			} else {
				require.Equal(t, ids(recs, 0, 3), batchtest.FailedIDs(resp))
				require.EqualValues(t, 3, ran.Load())
			}
			require.EqualError(t, b.Outcomes[0].Err, "undecodable")
		})
	}
}

// countingHook counts hook calls; it is called from several goroutines.
type countingHook struct {
	core.NopHook
	starts, ends, failed atomic.Int32
}

func (h *countingHook) RecordStart(ctx context.Context, _ core.RecordInfo) context.Context {
	h.starts.Add(1)
	return ctx
}

func (h *countingHook) RecordEnd(_ context.Context, info core.RecordInfo) {
	h.ends.Add(1)
	if info.Outcome.Failed() {
		h.failed.Add(1)
	}
}

// TestHooksUnderConcurrency: hooks see every record once, run or not, when
// records run concurrently.
func TestHooksUnderConcurrentSchedule(t *testing.T) {
	defer goleak.VerifyNone(t)
	recs := items("a", "b", "a", "b", "c", "a", "", "c")
	for _, stop := range []core.StopPolicy{core.StopNever, core.StopKey} {
		h := &countingHook{}
		p := core.NewBase(itemSource(stop, true), core.Options{Concurrency: 3, Hooks: []core.Hook{h}})
		_, err := core.Process(context.Background(), p, recs, func(_ context.Context, r *item) error {
			if r.ID == "0" {
				return errors.New("boom")
			}
			return nil
		})
		require.NoError(t, err)
		require.EqualValues(t, len(recs), h.starts.Load())
		require.EqualValues(t, len(recs), h.ends.Load())
		wantFailed := 1
		if stop == core.StopKey {
			wantFailed = 3 // record 0 and the later records of key "a"
		}
		require.EqualValues(t, wantFailed, h.failed.Load())
	}
}

// ExampleOptions_concurrency runs records ten at a time; the response still
// lists failures in input order.
func ExampleOptions_concurrency() {
	recs := items("a", "b", "c", "d")
	p := core.NewBase(itemSource(core.StopNever, false), core.Options{Concurrency: 10})
	resp, err := core.Process(context.Background(), p, recs, func(_ context.Context, r *item) error {
		if r.ID == "1" || r.ID == "3" {
			time.Sleep(time.Duration(4-len(r.ID)) * time.Millisecond)
			return errors.New("boom")
		}
		return nil
	})
	fmt.Println(batchtest.FailedIDs(resp), err)
	// Output: [1 3] <nil>
}
