package driver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"sync"
	"time"
)

// Starting positions of a stream mapping, as in an event source mapping's
// StartingPosition.
const (
	// TrimHorizon starts at the oldest record of each shard.
	TrimHorizon = "TRIM_HORIZON"
	// Latest starts after the newest record of each shard at the first Poll.
	Latest = "LATEST"
)

// shardReader is what differs between Kinesis and DynamoDB Streams: listing
// shards, getting iterators, reading records and building the event.
type shardReader[R any] interface {
	shards(ctx context.Context) ([]shardInfo, error)
	iterator(ctx context.Context, shard, typ, seq string, ts time.Time) (string, error)
	read(ctx context.Context, iterator string, limit int32) (recs []R, next string, err error)
	sequence(r *R) string
	arrival(r *R) time.Time
	key(r *R) string
	keep(f RecordFilter, shard string, r *R) bool
	event(shard string, recs []R) any
	source() string
	arn() string
}

// shardInfo is a shard and the shards it was split or merged from.
type shardInfo struct {
	id      string
	parents []string
}

// streamMapping is the loop shared by Kinesis and DynamoDB Streams: per
// shard, read records, split them into ParallelizationFactor lanes by key,
// and per lane invoke one batch at a time, applying Lambda's retry,
// bisection, age, on-failure and window rules.
type streamMapping[R any] struct {
	shards  map[string]*shardState[R]
	started bool // a poll has listed the shards
	stats   statsBox
}

// position is where a shard is read from, kept beside its iterator so that
// an expired iterator (they last 5 minutes) can be replaced.
type position struct{ typ, seq string }

// shardState is one shard: where it is read and its lanes.
type shardState[R any] struct {
	id       string
	iterator string
	pos      position
	ended    bool   // no next iterator: the shard is closed and fully read
	maxSeq   string // highest sequence number read, to count records once
	lanes    []*lane[R]
}

// item is a record read and not yet done with.
type item[R any] struct {
	rec     R
	seq     string
	arrival time.Time
}

// lane is one batch sequence of a shard (a "virtual shard" of the
// parallelization factor): its records in order, the sizes of the batches
// pending after a bisection (top last), and the retry count of the batch at
// its head.
type lane[R any] struct {
	buf       []item[R]
	limits    []int
	attempts  int
	throttled bool // the last invocation met a throttle or service error: the next is a retry that does not count
	win       *window
}

// done reports whether the shard is closed and every record of it is done
// with.
func (s *shardState[R]) done() bool {
	if !s.ended {
		return false
	}
	for _, l := range s.lanes {
		if len(l.buf) > 0 || l.win != nil {
			return false
		}
	}
	return true
}

// retrying reports whether a lane has a batch to deliver again (or the half
// of a bisected one): it is not gathered again for a batching window.
func (s *shardState[R]) retrying() bool {
	for _, l := range s.lanes {
		if len(l.limits) > 0 || l.attempts > 0 {
			return true
		}
	}
	return false
}

func (s *shardState[R]) buffered() int {
	n := 0
	for _, l := range s.lanes {
		n += len(l.buf)
	}
	return n
}

// poll reads each open shard, then invokes one batch per lane that has
// records (lanes and shards in parallel, as Lambda does) and returns the
// batches in shard and lane order.
func (m *streamMapping[R]) poll(ctx context.Context, r shardReader[R], fn Function, batchSize int32, start string, s *StreamSettings) ([]Batch, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if m.shards == nil {
		m.shards = map[string]*shardState[R]{}
	}
	if batchSize <= 0 {
		batchSize = 100
	}
	if start == "" {
		start = TrimHorizon
	}
	infos, err := r.shards(ctx)
	if err != nil {
		return nil, err
	}
	// A shard is read once its parents are done, so that a key's records
	// stay in order across a split or merge, as Lambda does.
	listed := make(map[string]bool, len(infos))
	for _, info := range infos {
		listed[info.id] = true
	}
	var ids []string
	for _, info := range infos {
		ready := true
		for _, p := range info.parents {
			// A parent no longer listed has been trimmed: nothing to wait for.
			if ps, ok := m.shards[p]; listed[p] && (!ok || !ps.done()) {
				ready = false
			}
		}
		if ready {
			ids = append(ids, info.id)
		}
	}
	type job struct {
		st *shardState[R]
		ln *lane[R]
	}
	var jobs []job
	for _, id := range ids {
		st, ok := m.shards[id]
		if !ok {
			pos := position{typ: start}
			if m.started {
				// A shard born after the mapping started (a split or
				// merge) is read from its beginning.
				pos = position{typ: TrimHorizon}
			}
			st = &shardState[R]{id: id, pos: pos, lanes: make([]*lane[R], s.factor())}
			for i := range st.lanes {
				st.lanes[i] = &lane[R]{}
			}
			m.shards[id] = st
		}
		if !st.ended && st.buffered() < int(batchSize)*len(st.lanes) {
			if err := m.fill(ctx, r, st, batchSize, s); err != nil {
				return nil, err
			}
		}
		for _, ln := range st.lanes {
			if len(ln.buf) > 0 || ln.win != nil {
				jobs = append(jobs, job{st, ln})
			}
		}
	}
	m.started = true
	results := make([][]Batch, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = m.step(ctx, r, fn, j.st, j.ln, int(batchSize), s)
		}()
	}
	wg.Wait()
	var batches []Batch
	for i := range jobs {
		batches = append(batches, results[i]...)
		if errs[i] != nil && err == nil {
			err = errs[i]
		}
	}
	return batches, err
}

// fill reads a shard into its lanes: one read, or, with a batching window,
// reads until BatchSize records are buffered or the window has passed.
func (m *streamMapping[R]) fill(ctx context.Context, r shardReader[R], st *shardState[R], batchSize int32, s *StreamSettings) error {
	deadline := time.Now().Add(s.MaximumBatchingWindow)
	for {
		fresh := st.iterator == ""
		if fresh {
			it, err := r.iterator(ctx, st.id, st.pos.typ, st.pos.seq, s.StartingPositionTimestamp)
			if err != nil {
				return err
			}
			st.iterator = it
		}
		recs, next, err := r.read(ctx, st.iterator, batchSize)
		if err != nil && !fresh {
			// The iterator may have expired: read again from the position.
			if st.iterator, err = r.iterator(ctx, st.id, st.pos.typ, st.pos.seq, s.StartingPositionTimestamp); err != nil {
				return err
			}
			recs, next, err = r.read(ctx, st.iterator, batchSize)
		}
		if err != nil {
			return err
		}
		for i := range recs {
			rec := &recs[i]
			seq := r.sequence(rec)
			st.pos = position{"AFTER_SEQUENCE_NUMBER", seq}
			isNew := st.maxSeq == "" || lessSeq(st.maxSeq, seq)
			if isNew {
				st.maxSeq = seq
				m.stats.add(func(s *Stats) { s.Records++ })
			}
			if s.Filter != nil && !r.keep(s.Filter, st.id, rec) {
				if isNew {
					m.stats.add(func(s *Stats) { s.Filtered++ })
				}
				continue
			}
			ln := st.lanes[0]
			if len(st.lanes) > 1 {
				h := fnv.New32a()
				h.Write([]byte(r.key(rec)))
				ln = st.lanes[h.Sum32()%uint32(len(st.lanes))]
			}
			ln.buf = append(ln.buf, item[R]{rec: *rec, seq: seq, arrival: r.arrival(rec)})
		}
		if next == "" {
			st.ended, st.iterator = true, ""
			return nil
		}
		st.iterator = next
		wait := time.Until(deadline)
		if st.buffered() >= int(batchSize)*len(st.lanes) || s.MaximumBatchingWindow <= 0 || wait <= 0 || st.retrying() {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(min(wait, 100*time.Millisecond)):
		}
	}
}

// step does one thing on a lane: discard its expired records, close its
// tumbling window, or invoke its next batch and apply the outcome.
func (m *streamMapping[R]) step(ctx context.Context, r shardReader[R], fn Function, st *shardState[R], ln *lane[R], batchSize int, s *StreamSettings) ([]Batch, error) {
	var out []Batch
	if s.MaximumRecordAge > 0 {
		now := time.Now()
		k := 0
		for k < len(ln.buf) && now.Sub(ln.buf[k].arrival) > s.MaximumRecordAge {
			k++
		}
		if k > 0 {
			b, err := m.skip(ctx, r, st, ln, k, RecordAgeExceeded, nil, s)
			out = append(out, b)
			if err != nil {
				return out, err
			}
		}
	}
	if s.TumblingWindow > 0 && ln.win != nil && ln.win.closing {
		// The window's final invocation failed: it is made again, with the
		// same window, before any record of the next window.
		b, err := m.closeWindow(ctx, r, fn, st, ln, s)
		return append(out, b), err
	}
	if s.TumblingWindow > 0 && ln.win != nil {
		w := ln.win
		// The window closes when the state outgrew 1 MB, or once none of its
		// records is left to process (none buffered, no retry to come) and
		// a later record came, its end has passed or the shard ended (a
		// split or merge).
		left := (len(ln.buf) > 0 && ln.buf[0].arrival.Before(w.end)) || ln.attempts > 0 || len(ln.limits) > 0
		if w.early || (!left && (len(ln.buf) > 0 || !time.Now().Before(w.end) || st.ended)) {
			b, err := m.closeWindow(ctx, r, fn, st, ln, s)
			return append(out, b), err
		}
	}
	if len(ln.buf) == 0 {
		return out, nil
	}
	n := batchSize
	if len(ln.limits) > 0 {
		n = ln.limits[len(ln.limits)-1]
	}
	n = min(n, len(ln.buf))
	if s.TumblingWindow > 0 {
		if ln.win == nil {
			ln.win = newWindow(ln.buf[0].arrival, s.TumblingWindow)
		}
		k := 0
		for k < n && ln.buf[k].arrival.Before(ln.win.end) {
			k++
		}
		n = max(k, 1)
	}
	recs := make([]R, n)
	for i := range recs {
		recs[i] = ln.buf[i].rec
	}
	b := Batch{Source: r.source(), Shard: st.id, IDs: make([]string, n), Attempt: ln.attempts + 1}
	for i := range n {
		b.IDs[i] = ln.buf[i].seq
	}
	var err error
	if b.Event, err = m.encode(r, st.id, recs, ln.win, false, s); err != nil {
		return out, err
	}
	for len(b.Event) > MaxPayload && n > 1 {
		n = max(1, min(n-1, n*MaxPayload/len(b.Event)))
		b.IDs = b.IDs[:n]
		if b.Event, err = m.encode(r, st.id, recs[:n], ln.win, false, s); err != nil {
			return out, err
		}
	}
	m.stats.add(func(x *Stats) {
		x.Invocations++
		if ln.attempts > 0 || ln.throttled {
			x.Retries++
		} else {
			x.Batches++
		}
	})
	b.Response, b.Err = invoke(ctx, fn, b.Event, s.FunctionTimeout)
	if IsServiceError(b.Err) {
		// A throttle or service error of the Invoke API: the function did
		// not run. Lambda invokes the batch again, without counting a retry
		// or bisecting, until its records expire (MaximumRecordAge):
		// https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html
		// ("Before invocation").
		ln.throttled = true
		b.Checkpoint = ln.buf[0].seq
		return append(out, b), backoff(ctx)
	}
	ln.throttled = false
	var state json.RawMessage
	if b.Err == nil && ln.win != nil {
		state, b.Err = windowState(b.Response)
	}
	if b.Err == nil && s.ReportBatchItemFailures {
		b.Failed, b.Err = parseStreamResponse(b.Response, b.IDs)
	}
	if state != nil {
		ln.win.state = state
		ln.win.early = len(state) > maxWindowState
	}
	idx := n // records done
	switch {
	case b.Err != nil:
		idx = 0
	case len(b.Failed) > 0:
		low := lowest(b.Failed)
		for idx = 0; b.IDs[idx] != low; idx++ {
		}
	}
	m.stats.add(func(x *Stats) { x.Succeeded += idx })
	if idx == n {
		ln.consume(n)
		ln.attempts = 0
		return append(out, b), nil
	}
	// The records from idx on failed. Bisected, or inside a half of a
	// bisected batch, they are the lane's next batch; otherwise the next
	// batch starts with them, up to BatchSize, as Lambda reads again from
	// the checkpoint.
	remaining := n - idx
	_, invalid := b.Err.(*InvalidResponseError)
	bisect := s.BisectBatchOnFunctionError && (idx > 0 || (remaining > 1 && !invalid))
	if bisect || len(ln.limits) > 0 {
		ln.replaceHead(n, remaining)
	}
	ln.buf = ln.buf[idx:]
	switch {
	case s.BisectBatchOnFunctionError && idx > 0:
		// Split at the returned sequence number: not a retry.
		ln.attempts = 0
		m.stats.add(func(x *Stats) { x.Bisections++ })
	case s.BisectBatchOnFunctionError && remaining > 1 && !invalid:
		ln.limits = ln.limits[:len(ln.limits)-1]
		// The first half on top: it is invoked first.
		ln.limits = append(ln.limits, remaining/2, remaining-remaining/2)
		ln.attempts = 0
		m.stats.add(func(x *Stats) { x.Bisections++ })
	default:
		ln.attempts++
	}
	if limit := s.retryLimit(); limit >= 0 && ln.attempts > limit {
		d, err := m.skip(ctx, r, st, ln, remaining, RetryAttemptsExhausted, b.Err, s)
		b.Discarded = d.Discarded
		return append(out, b), err
	}
	b.Checkpoint = ln.buf[0].seq
	if len(st.lanes) == 1 {
		// Read the shard again from the checkpoint, as Lambda does.
		st.pos, st.iterator, st.ended = position{"AT_SEQUENCE_NUMBER", b.Checkpoint}, "", false
		ln.buf = nil
	}
	return append(out, b), nil
}

// backoff waits a little before a batch met by a throttle is invoked again.
func backoff(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(100 * time.Millisecond):
		return nil
	}
}

// parseStreamResponse applies ParseResponse to a stream function's
// response. Lambda treats as a complete success an empty or null
// batchItemFailures list and an empty or null response
// (https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html,
// https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html):
// an empty response is also the JSON empty string "" and the empty list [].
func parseStreamResponse(response []byte, ids []string) ([]string, error) {
	var v any
	if json.Unmarshal(bytes.TrimSpace(response), &v) == nil {
		switch x := v.(type) {
		case string:
			if x == "" {
				return nil, nil
			}
		case []any:
			if len(x) == 0 {
				return nil, nil
			}
		}
	}
	return ParseResponse(response, ids)
}

// skip sends the first k records of a lane to the on-failure destination
// and drops them.
func (m *streamMapping[R]) skip(ctx context.Context, r shardReader[R], st *shardState[R], ln *lane[R], k int, condition string, lastErr error, s *StreamSettings) (Batch, error) {
	recs := ln.buf[:k]
	info := StreamBatchInfo{
		ShardID:                         st.id,
		StartSequenceNumber:             recs[0].seq,
		EndSequenceNumber:               recs[k-1].seq,
		ApproximateArrivalOfFirstRecord: recs[0].arrival.UTC().Format(timeFormat),
		ApproximateArrivalOfLastRecord:  recs[k-1].arrival.UTC().Format(timeFormat),
		BatchSize:                       k,
		StreamARN:                       r.arn(),
	}
	rec := failureRecord(r.source(), s.functionARN(), condition, ln.attempts, lastErr, info)
	b := Batch{Source: r.source(), Shard: st.id, IDs: make([]string, k), Discarded: &rec}
	for i := range recs {
		b.IDs[i] = recs[i].seq
	}
	if s.OnFailure != nil {
		if err := s.OnFailure.Send(ctx, m.failure(r, st.id, recs, rec)); err != nil {
			return b, err
		}
	}
	ln.consume(k)
	ln.attempts = 0
	ln.throttled = false
	m.stats.add(func(x *Stats) {
		x.OnFailure += k
		if condition == RecordAgeExceeded {
			x.RecordAgeExceeded += k
		}
	})
	return b, nil
}

// consume drops the first k records of the lane, and the pending batch sizes
// they fill.
func (ln *lane[R]) consume(k int) {
	ln.buf = ln.buf[k:]
	for k > 0 && len(ln.limits) > 0 {
		top := &ln.limits[len(ln.limits)-1]
		if *top > k {
			*top -= k
			return
		}
		k -= *top
		ln.limits = ln.limits[:len(ln.limits)-1]
	}
}

// replaceHead makes the last m of the n records just invoked the lane's next
// batch.
func (ln *lane[R]) replaceHead(n, m int) {
	switch last := len(ln.limits) - 1; {
	case last >= 0 && ln.limits[last] > n:
		ln.limits[last] -= n
		ln.limits = append(ln.limits, m)
	case last >= 0:
		ln.limits[last] = m
	default:
		ln.limits = append(ln.limits, m)
	}
}

// encode builds the event of a batch, with the window's fields when the
// mapping has a tumbling window.
func (m *streamMapping[R]) encode(r shardReader[R], shard string, recs []R, w *window, final bool, s *StreamSettings) ([]byte, error) {
	ev, err := json.Marshal(r.event(shard, recs))
	if err != nil {
		return nil, fmt.Errorf("batchkit/driver: encode the %s event: %w", r.source(), err)
	}
	if w == nil {
		return ev, nil
	}
	return w.event(ev, shard, r.arn(), final)
}

// pending reports whether a lane holds records not yet done with or an open
// tumbling window: the mapping is not idle.
func (m *streamMapping[R]) pending() bool {
	for _, st := range m.shards {
		for _, ln := range st.lanes {
			if len(ln.buf) > 0 || ln.win != nil || len(ln.limits) > 0 || ln.attempts > 0 {
				return true
			}
		}
	}
	return false
}

// lowest returns the lowest of decimal sequence numbers.
func lowest(seqs []string) string {
	low := seqs[0]
	for _, s := range seqs[1:] {
		if lessSeq(s, low) {
			low = s
		}
	}
	return low
}

// lessSeq compares two decimal sequence numbers of any length.
func lessSeq(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}
