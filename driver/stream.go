package driver

import (
	"context"
	"encoding/json"
	"fmt"
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
	shards(ctx context.Context) ([]string, error)
	iterator(ctx context.Context, shard, typ, seq string) (string, error)
	read(ctx context.Context, iterator string, limit int32) (recs []R, next string, err error)
	sequence(r *R) string
	event(shard string, recs []R) any
	source() string
}

// streamMapping is the checkpointing loop shared by Kinesis and DynamoDB
// Streams: per shard, read a batch, invoke, and either go on after it or
// read again at the checkpoint.
type streamMapping[R any] struct {
	iterators map[string]string
	positions map[string]position
	closed    map[string]bool
}

// position is where a shard is read from, kept beside its iterator so that
// an expired iterator (they last 5 minutes) can be replaced.
type position struct{ typ, seq string }

// poll reads one batch from each open shard, in shard order, invokes fn with
// it and moves the shard's position by Lambda's rules.
func (m *streamMapping[R]) poll(ctx context.Context, r shardReader[R], fn Function, batchSize int32, start string) ([]Batch, error) {
	if m.iterators == nil {
		m.iterators, m.positions, m.closed = map[string]string{}, map[string]position{}, map[string]bool{}
	}
	if batchSize <= 0 {
		batchSize = 100
	}
	if start == "" {
		start = TrimHorizon
	}
	shards, err := r.shards(ctx)
	if err != nil {
		return nil, err
	}
	var batches []Batch
	for _, shard := range shards {
		if m.closed[shard] {
			continue
		}
		pos, ok := m.positions[shard]
		if !ok {
			pos = position{typ: start}
		}
		it, ok := m.iterators[shard]
		if !ok {
			if it, err = r.iterator(ctx, shard, pos.typ, pos.seq); err != nil {
				return batches, err
			}
		}
		recs, next, err := r.read(ctx, it, batchSize)
		if err != nil && ok {
			// The iterator may have expired: read again from the position.
			if it, err = r.iterator(ctx, shard, pos.typ, pos.seq); err != nil {
				return batches, err
			}
			recs, next, err = r.read(ctx, it, batchSize)
		}
		if err != nil {
			return batches, err
		}
		if len(recs) == 0 {
			m.advance(shard, next)
			continue
		}
		b := Batch{Source: r.source(), Shard: shard, IDs: make([]string, len(recs))}
		for i := range recs {
			b.IDs[i] = r.sequence(&recs[i])
		}
		if b.Event, err = json.Marshal(r.event(shard, recs)); err != nil {
			return batches, fmt.Errorf("batchkit/driver: encode the %s event: %w", r.source(), err)
		}
		b.Response, b.Err = fn.Invoke(ctx, b.Event)
		if b.Err == nil {
			b.Failed, b.Err = ParseResponse(b.Response, b.IDs)
		}
		switch {
		case b.Err != nil:
			b.Checkpoint = b.IDs[0]
		case len(b.Failed) > 0:
			b.Checkpoint = lowest(b.Failed)
		}
		if b.Checkpoint == "" {
			m.positions[shard] = position{"AFTER_SEQUENCE_NUMBER", b.IDs[len(b.IDs)-1]}
			m.advance(shard, next)
		} else {
			m.positions[shard] = position{"AT_SEQUENCE_NUMBER", b.Checkpoint}
			it, err := r.iterator(ctx, shard, "AT_SEQUENCE_NUMBER", b.Checkpoint)
			if err != nil {
				return append(batches, b), err
			}
			m.iterators[shard] = it
		}
		batches = append(batches, b)
	}
	return batches, nil
}

// advance moves a shard to its next iterator; a shard without one is closed
// (split or merged) and fully read.
func (m *streamMapping[R]) advance(shard, next string) {
	if next == "" {
		m.closed[shard] = true
		delete(m.iterators, shard)
		return
	}
	m.iterators[shard] = next
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
