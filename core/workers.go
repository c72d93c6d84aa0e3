package core

import (
	"context"
	"sync"
	"sync/atomic"
)

// pool runs the records of a batch concurrently on a fixed set of workers,
// at most [Options.Concurrency] of them, started with sync.WaitGroup.Go: each worker
// pulls the next position from an atomic counter, so records start in input
// order and a record costs no goroutine, no allocation and no semaphore
// round trip (what made a CPU-bound handler slower at concurrency 2 than
// sequentially when every record had its own goroutine).
//
// With ordering keys (OrderByKey, and always under [StopKey]) the records of
// one non-empty key form a chain that one worker at a time runs, in input
// order. A worker that pulls a position of a chain adds one unit of work to
// it; if no worker is running the chain, it becomes the chain's runner and
// runs the chain's records, from the chain's own cursor, as long as there
// are units. Records of a key thus never run out of order nor two at once,
// while the other workers go on with the next positions: the bound is used
// record by record, not chain by chain, so 16 keys on 10 workers finish
// within a record of the ideal instead of in two rounds of whole chains.
//
// Workers start lazily: the caller starts one, and each worker starts the
// next (once, before running its first record, while positions are left
// and fewer than the bound were started). A handler that blocks lets the
// next worker run at once, so blocking handlers still reach the bound; a
// CPU-bound handler keeps its processor busy, so no more workers than
// processors ever get to run and the rest are never created (1,000 workers
// for 1,000 records cost a CPU-bound batch more than the records did).
//
// A plain [*Base] without hooks runs its unkeyed records on the direct
// path (see pool.direct1): the handler is called from the worker's loop,
// under the worker's one deferred recover, like the sequential fast loop,
// and the record gets what step would give it.
type pool[R any] struct {
	r   *runner[R]
	ctx context.Context
	wg  sync.WaitGroup
	n   int
	// fn is the worker function, made once (a method value allocates).
	fn func()
	// limit is the most workers to start; started counts them (not the
	// replacements of dead ones). It is apart from pos, which every record
	// writes, to keep the cache line of one from bouncing with the other.
	limit   int64
	started atomic.Int64
	_       [56]byte
	pos     atomic.Int64
	_       [56]byte
	// direct: the handler is called directly (a plain Base, no hooks).
	direct bool
	// chainOf[i] is record i's chain, -1 for a record without key (it runs
	// alone); nil without ordering keys. next[i] is the chain's record
	// after i, -1 for none.
	chainOf []int32
	next    []int32
	chains  []chain
}

// chain is the state of one ordering key's records.
type chain struct {
	mu sync.Mutex
	// pending counts the records pulled but not yet run; running says a
	// worker runs the chain (or died doing so: then it stays set).
	pending int
	running bool
	// cursor is the chain's next record to run, -1 when done.
	cursor int32
	st     stopState
}

// runWorkers gives every record an outcome on the pool; it returns when
// every worker has.
func (r *runner[R]) runWorkers(ctx context.Context, byKey bool) {
	n := len(r.b.Records)
	// The workers share a copy of the runner, so that the sequential path's
	// runner stays on the caller's stack.
	rc := new(runner[R])
	*rc = *r
	p := &pool[R]{r: rc, ctx: ctx, n: n, limit: int64(min(r.plan.Options.Concurrency, n))}
	p.direct = r.fast
	if byKey {
		p.buildChains()
	}
	p.fn = p.worker
	p.started.Store(1)
	p.wg.Go(p.fn)
	p.wg.Wait()
}

// startNext starts one more worker when positions are left and fewer than
// the bound were started.
func (p *pool[R]) startNext() {
	if p.pos.Load() < int64(p.n) && p.started.Load() < p.limit && p.started.Add(1) <= p.limit {
		p.wg.Go(p.fn)
	}
}

// buildChains links the records of each non-empty key, in input order.
func (p *pool[R]) buildChains() {
	n := p.n
	keys := p.r.keys
	p.chainOf = make([]int32, n)
	p.next = make([]int32, n)
	last := make(map[string]int32)
	for i := range n {
		p.next[i] = -1
		k := keys[i]
		if k == "" {
			p.chainOf[i] = -1
			continue
		}
		c, ok := last[k]
		if !ok {
			c = int32(len(p.chains))
			p.chains = append(p.chains, chain{cursor: int32(i)})
		}
		p.chainOf[i] = c
		last[k] = c
	}
	// Link each record to the next of its chain.
	tail := make([]int32, len(p.chains))
	for c := range tail {
		tail[c] = -1
	}
	for i := range n {
		if c := p.chainOf[i]; c >= 0 {
			if t := tail[c]; t >= 0 {
				p.next[t] = int32(i)
			}
			tail[c] = int32(i)
		}
	}
}

// worker pulls positions until none is left.
func (p *pool[R]) worker() {
	cur := -1        // the record being run, for exit
	var owned *chain // the chain being run, for exit
	inHandler := false
	defer func() { p.exit(cur, owned, inHandler, recover()) }()
	r, ctx := p.r, p.ctx
	first := true
	for {
		i := int(p.pos.Add(1)) - 1
		if i >= p.n {
			cur = -1
			return
		}
		if first {
			first = false
			p.startNext()
		}
		if p.chainOf == nil || p.chainOf[i] < 0 {
			cur = i
			if p.direct {
				inHandler = true
				p.direct1(ctx, i)
				inHandler = false
			} else {
				r.step(ctx, i, nil)
			}
			continue
		}
		c := &p.chains[p.chainOf[i]]
		c.mu.Lock()
		c.pending++
		if c.running {
			c.mu.Unlock() // its runner will run it, in order
			continue
		}
		c.running = true
		c.mu.Unlock()
		owned = c
		for {
			c.mu.Lock()
			if c.pending == 0 {
				c.running = false
				c.mu.Unlock()
				break
			}
			c.pending--
			j := int(c.cursor)
			c.cursor = p.next[j]
			c.mu.Unlock()
			cur = j
			r.step(ctx, j, &c.st)
		}
		owned = nil
	}
}

// exit runs when a worker returns, panics or ends its goroutine
// (runtime.Goexit in a handler). Cut short, it fails the record it was on
// when a panic escaped the record's own recovery (batchkit's code, a Source
// function; a Goexit already gave it an [*UnhandledError] (ErrAbandoned)), and the rest of
// the chain it was running: those records have no outcome and must neither
// run out of order nor count as succeeded, so they get an [*UnhandledError] (ErrAbandoned)
// and are reported to the hooks. A replacement worker goes on with the
// positions left.
//
// On the direct path (inHandler), a panic is the handler's own: the record
// fails with a [*PanicError], as [Batch.Handle] would fail it; a Goexit
// leaves the record pending, and the sweep after the schedule fails it with
// an [*UnhandledError] (ErrAbandoned), as runner.process would.
func (p *pool[R]) exit(cur int, owned *chain, inHandler bool, v any) {
	if cur < 0 && v == nil {
		return // done
	}
	r := p.r
	outs := r.b.Outcomes
	if v != nil && cur >= 0 {
		if o := &outs[cur]; o.Status == StatusPending || o.Status == StatusSuccess {
			if inHandler {
				*o = panicked(v)
			} else {
				*o = Failure(newPanicErrorAt("batchkit (running the record)", v))
			}
		}
	}
	if owned != nil {
		owned.mu.Lock()
		j := owned.cursor
		owned.cursor = -1 // running stays set: nobody runs the chain again
		owned.mu.Unlock()
		for ; j >= 0; j = p.next[j] {
			if outs[j].Status == StatusPending {
				outs[j] = abandoned(int(j))
			}
			if len(r.hooks) > 0 {
				r.report(p.ctx, int(j))
			}
		}
	}
	p.wg.Go(p.fn)
}

// direct1 gives record i, which no other record can stop, its outcome on
// the direct path: the outcome set before the batch ran, a not-started one
// once the records' context is done, or the handler's, called here with no
// frame nor deferred call of its own (the worker's recover covers it).
func (p *pool[R]) direct1(ctx context.Context, i int) {
	r := p.r
	o := &r.b.Outcomes[i]
	if o.Status != StatusPending {
		return
	}
	if r.done != nil && r.ctx.Err() != nil {
		*o = Outcome{Status: StatusNotStarted, Err: r.notStarted()}
		return
	}
	*o = handled(r.b.handler(ctx, &r.b.Records[i]))
}
