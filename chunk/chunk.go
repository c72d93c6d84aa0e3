// Package chunk runs handlers that take records in chunks: a bulk write
// (DynamoDB BatchWriteItem takes 25 items, many HTTP APIs take arrays) with
// one outcome per record, on the lifecycle of any processor of the
// processors package.
//
//	var processor = core.Must(chunk.New(core.Must(processors.NewSQS(processors.Config{})), 25))
//
//	func handle(ctx context.Context, msgs []*events.SQSMessage) ([]error, error) {
//		errs := make([]error, len(msgs))
//		// ... one bulk call; errs[i] for each message that failed
//		return errs, nil
//	}
//
//	resp, err := chunk.Process(ctx, processor, event.Records, handle)
//
// A chunk is up to Size consecutive records of the batch, in input order.
// The handler returns one error per record (nil: that record succeeded),
// or a nil slice for "every record succeeded", or a non-nil second result
// that fails every record of the chunk. A panic, or a slice of the wrong
// length, fails every record of the chunk. As everywhere in batchkit, a
// record counts as succeeded only when the handler said so for it.
//
// The processor's lifecycle is unchanged: hooks see every record start and
// end (the first record of a chunk to start carries the chunk's time; the
// others end as soon as the chunk has); the deadline margin applies per
// chunk (a chunk starts only while the margin is left, and its context is
// cancelled when the margin is reached); chunks run under the concurrency
// bound (each runs on one of the processor's workers).
//
// Ordering keys hold. A chunk holds the records of a FIFO message group or a
// stream's key in input order, and it starts only after every earlier chunk
// holding a record of the same key has ended, so the records of one key are
// never handled out of order, even when chunks run concurrently. The stop
// policies apply inside a chunk as across chunks: a record that fails stops
// the later records of its key (of the batch, for SQS FIFO without
// skip-group-on-error), which are reported failed with a
// *core.UnhandledError (ErrShortCircuit); the later chunks' records of that key are not
// handed to the handler, but those of the failed record's own chunk already
// were, so their side effects may have happened (they are delivered again,
// as any failed record is). See docs/chunks.md.
package chunk

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/batchkit/batchkit/core"
)

// Handler handles a chunk of records: it returns one error per record, in
// the chunk's order (nil: the record succeeded), a nil slice when every
// record succeeded, or a non-nil error that fails every record of the chunk.
// The record pointers are valid only during the call.
type Handler[R any] func(ctx context.Context, records []*R) ([]error, error)

// Processor is a processor of the processors package (or any processor
// embedding core.Base) whose records are handled in chunks. It is immutable
// and safe for concurrent use.
type Processor[R any] struct {
	inner core.PartialProcessor[R]
	src   core.Source[R]
	opts  core.Options
	size  int
	conc  int // chunks at once
}

// New returns p handling records in chunks of up to size records. p must
// implement core.Planner (every processor embedding core.Base does) and must
// not use core.Batch.State. A size below 1, or a p without a plan, is a
// *core.ConfigError.
func New[R any](p core.PartialProcessor[R], size int) (*Processor[R], error) {
	if size < 1 {
		return nil, &core.ConfigError{Processor: "chunk", Setting: "size", Value: strconv.Itoa(size), Problem: "must be at least 1"}
	}
	pl, ok := p.(core.Planner[R])
	if !ok || p == nil {
		return nil, &core.ConfigError{Processor: "chunk", Setting: "processor", Value: fmt.Sprintf("%T", p), Problem: "must implement core.Planner"}
	}
	opts := pl.Options()
	conc := opts.Concurrency
	if conc > 1 {
		// One worker of the lifecycle per record in flight: a chunk holds
		// up to size of them (its other records wait for it), so that
		// Concurrency chunks can run at once. The chunks themselves are
		// bounded by Concurrency (state.sem).
		opts.Concurrency = conc * size
	}
	return &Processor[R]{inner: p, src: pl.Source(), opts: opts, size: size, conc: max(conc, 1)}, nil
}

// Process handles records in chunks with h on p's lifecycle and returns
// the partial batch response, as core.Process does for a per-record handler.
func Process[R any](ctx context.Context, p *Processor[R], records []R, h Handler[R]) (core.Response, error) {
	b := core.NewBatch(records, func(context.Context, *R) error { return errNoRecordHandler })
	b.State = &state[R]{handler: h}
	return core.Run(ctx, p, b)
}

var errNoRecordHandler = errors.New("batchkit: a chunk processor handles records in chunks")

// Source returns the wrapped processor's source: its ordering and stop
// policy (see [core.Planner]).
func (p *Processor[R]) Source() core.Source[R] { return p.src }

// Options returns the wrapped processor's options, with room for a chunk's
// records in the lifecycle's workers (Concurrency times the chunk size; the
// chunks themselves run at most Concurrency at once).
func (p *Processor[R]) Options() core.Options { return p.opts }

// Prepare runs the wrapped processor's Prepare, then splits the batch into
// chunks.
func (p *Processor[R]) Prepare(ctx context.Context, b *core.Batch[R]) error {
	st, ok := b.State.(*state[R])
	if !ok || st == nil || st.handler == nil {
		return &core.ConfigError{Processor: "chunk", Setting: "handler", Value: "none", Problem: "run the processor with chunk.Process"}
	}
	b.State = nil
	if err := p.inner.Prepare(ctx, b); err != nil {
		return err
	}
	if b.State != nil {
		return &core.ConfigError{Processor: "chunk", Setting: "processor", Value: fmt.Sprintf("%T", p.inner), Problem: "uses Batch.State"}
	}
	b.State = st
	st.plan(p, b)
	return nil
}

// Clean runs the wrapped processor's Clean.
func (p *Processor[R]) Clean(ctx context.Context, b *core.Batch[R]) error {
	return p.inner.Clean(ctx, b)
}

// Response runs the wrapped processor's Response.
func (p *Processor[R]) Response(ctx context.Context, b *core.Batch[R]) (core.Response, error) {
	return p.inner.Response(ctx, b)
}

// ProcessRecord returns record i's outcome, running its chunk first if no
// other record of the chunk has.
func (p *Processor[R]) ProcessRecord(ctx context.Context, b *core.Batch[R], i int) core.Outcome {
	st := b.State.(*state[R])
	st.run(ctx, b, st.chunkOf[i])
	if o := st.outcomes[i]; o.Status != core.StatusPending {
		return o
	}
	// The goroutine running the chunk (or a chunk it waited for) ended.
	return core.Failure(&core.UnhandledError{Reason: core.ErrAbandoned})
}

// state is one invocation's chunks and outcomes.
type state[R any] struct {
	handler Handler[R]
	stop    core.StopPolicy
	ordered bool // the source orders by key (or stops per key)

	keys     []string
	failedIn []bool // failed before the batch ran (Prepare, a Key panic)
	chunks   [][]int
	chunkOf  []int
	deps     [][]int // per chunk, the earlier chunks it waits for
	once     []sync.Once
	outcomes []core.Outcome
	sem      chan struct{} // bounds the chunks running at once
}

// plan reads the keys and splits the batch into chunks of consecutive
// records, each waiting for the earlier chunks holding a record of one of
// its keys (all earlier chunks under StopBatch).
func (st *state[R]) plan(p *Processor[R], b *core.Batch[R]) {
	src := p.src
	n := len(b.Records)
	st.stop = src.Stop
	if st.stop == core.StopKey && src.Key == nil {
		st.stop = core.StopBatch
	}
	st.ordered = src.Key != nil && (src.OrderByKey || st.stop == core.StopKey)
	st.keys = make([]string, n)
	st.failedIn = make([]bool, n)
	st.chunkOf = make([]int, n)
	st.outcomes = make([]core.Outcome, n)
	for i := range n {
		st.failedIn[i] = b.Outcomes[i].Status != core.StatusPending
		if st.ordered {
			k, ok := readKey(src.Key, &b.Records[i])
			st.keys[i] = k
			if !ok {
				st.failedIn[i] = true
			}
		}
	}
	lastChunkOfKey := map[string]int{}
	for start := 0; start < n; start += p.size {
		end := min(start+p.size, n)
		c := len(st.chunks)
		idx := make([]int, 0, end-start)
		var deps []int
		seen := map[int]bool{}
		for i := start; i < end; i++ {
			idx = append(idx, i)
			st.chunkOf[i] = c
			if k := st.keys[i]; k != "" {
				if d, ok := lastChunkOfKey[k]; ok && d != c && !seen[d] {
					seen[d] = true
					deps = append(deps, d)
				}
				lastChunkOfKey[k] = c
			}
		}
		if st.stop == core.StopBatch && c > 0 {
			deps = []int{c - 1}
		}
		st.chunks = append(st.chunks, idx)
		st.deps = append(st.deps, deps)
	}
	st.once = make([]sync.Once, len(st.chunks))
	st.sem = make(chan struct{}, p.conc)
}

// readKey reads a record's key; false when Key panicked (the record then
// fails without running, and its key is unknown).
func readKey[R any](key func(*R) string, r *R) (k string, ok bool) {
	defer func() {
		if recover() != nil {
			k, ok = "", false
		}
	}()
	return key(r), true
}

// run runs chunk c once, after the chunks it waits for.
func (st *state[R]) run(ctx context.Context, b *core.Batch[R], c int) {
	st.once[c].Do(func() {
		for _, d := range st.deps[c] {
			st.run(ctx, b, d)
		}
		st.runChunk(ctx, b, c)
	})
}

// stopped returns why record i must not be handled, or nil: an earlier
// record failed before the batch ran (Prepare, a Key panic), or an earlier
// record before position known failed (the records of earlier chunks, whose
// outcomes are known once the chunks it waits for have run; of its own chunk
// too, once the handler has returned).
func (st *state[R]) stopped(i, known int) *core.UnhandledError {
	failed := func(j int) bool {
		return st.failedIn[j] || j < known && st.outcomes[j].Failed()
	}
	switch st.stop {
	case core.StopBatch:
		for j := 0; j < i; j++ {
			if failed(j) {
				return &core.UnhandledError{Reason: core.ErrShortCircuit, FailedPosition: j}
			}
		}
	case core.StopKey:
		k := st.keys[i]
		if k == "" {
			return nil
		}
		for j := 0; j < i; j++ {
			if st.failedIn[j] && st.keys[j] != k {
				// Its key is unknown (or, for a record failed in
				// Prepare, taken as unknown): any later keyed record
				// may share it.
				return &core.UnhandledError{Reason: core.ErrShortCircuit, FailedPosition: j, KeyUnknown: true}
			}
			if st.keys[j] == k && failed(j) {
				return &core.UnhandledError{Reason: core.ErrShortCircuit, FailedPosition: j, Key: k}
			}
		}
	}
	return nil
}

// runChunk hands the chunk's runnable records to the handler and records
// every record's outcome.
func (st *state[R]) runChunk(ctx context.Context, b *core.Batch[R], c int) {
	idx := st.chunks[c]
	var run []int
	for _, i := range idx {
		if st.failedIn[i] {
			st.outcomes[i] = core.Failure(errors.New("batchkit: record failed before its chunk ran"))
			continue
		}
		if sc := st.stopped(i, idx[0]); sc != nil {
			st.outcomes[i] = core.Failure(sc)
			continue
		}
		run = append(run, i)
		// Until the handler returns: a goroutine that ends inside it leaves
		// these records failed.
		st.outcomes[i] = core.Failure(&core.UnhandledError{Reason: core.ErrAbandoned})
	}
	if len(run) == 0 {
		return
	}
	recs := make([]*R, len(run))
	for j, i := range run {
		recs[j] = &b.Records[i]
	}
	errs, err := call(ctx, st.sem, st.handler, recs)
	for j, i := range run {
		switch {
		case err != nil:
			st.outcomes[i] = core.Failure(err)
		case errs != nil && len(errs) != len(run):
			st.outcomes[i] = core.Failure(fmt.Errorf("batchkit: the chunk handler returned %d errors for %d records", len(errs), len(run)))
		case errs != nil && errs[j] != nil:
			st.outcomes[i] = core.Failure(errs[j])
		default:
			st.outcomes[i] = core.Success(nil)
		}
	}
	// The stop policy inside the chunk: a failure stops the later records
	// of its key (of the batch under StopBatch), although the handler had
	// them too.
	for _, i := range run {
		if st.outcomes[i].Failed() {
			continue
		}
		if sc := st.stopped(i, i); sc != nil {
			st.outcomes[i] = core.Failure(sc)
		}
	}
}

// call runs the handler under recover (a panic fails the whole chunk),
// holding a place in sem, which it gives back however the handler ends
// (runtime.Goexit included).
func call[R any](ctx context.Context, sem chan struct{}, h Handler[R], recs []*R) (errs []error, err error) {
	sem <- struct{}{}
	defer func() { <-sem }()
	defer func() {
		if v := recover(); v != nil {
			errs, err = nil, core.NewPanicError(v)
		}
	}()
	return h(ctx, recs)
}
