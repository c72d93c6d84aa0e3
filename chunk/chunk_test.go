package chunk_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/chunk"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

func bodies(ms []*events.SQSMessage) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Body
	}
	return out
}

func failed(resp core.Response) []string {
	var out []string
	for _, f := range resp.BatchItemFailures {
		out = append(out, f.ItemIdentifier.String())
	}
	return out
}

// ids returns the message ids batchtest gives the records at positions.
func ids(ev events.SQSEvent, positions ...int) []string {
	var out []string
	for _, p := range positions {
		out = append(out, ev.Records[p].MessageId)
	}
	return out
}

// Chunks are consecutive records, in order, of up to the size; each record's
// outcome is its entry of the handler's slice, a nil slice is all
// successes, a chunk error fails the chunk, and so do a panic and a slice of
// the wrong length.
func TestOutcomesPerRecordAndPerChunk(t *testing.T) {
	p := core.Must(chunk.New(core.Must(processors.NewSQS(processors.Config{})), 3))
	ev := batchtest.SQSEvent("ok", "bad", "ok", "ok", "ok", "ok", "chunk-error", "x", "y", "panic", "z", "q", "short", "w")
	var got [][]string
	resp, err := chunk.Process(context.Background(), p, ev.Records, func(_ context.Context, ms []*events.SQSMessage) ([]error, error) {
		b := bodies(ms)
		got = append(got, b)
		switch b[0] {
		case "chunk-error":
			return []error{nil, nil, nil}, errors.New("the bulk call failed")
		case "panic":
			panic("bulk bug")
		case "short":
			return []error{nil}, nil
		}
		if len(b) > 1 && b[1] == "bad" {
			return []error{nil, errors.New("rejected"), nil}, nil
		}
		return nil, nil
	})
	require.NoError(t, err)
	require.Equal(t, [][]string{{"ok", "bad", "ok"}, {"ok", "ok", "ok"}, {"chunk-error", "x", "y"}, {"panic", "z", "q"}, {"short", "w"}}, got)
	require.Equal(t, ids(ev, 1, 6, 7, 8, 9, 10, 11, 12, 13), failed(resp))
}

// Hooks see every record end once, with its own outcome.
func TestHooksSeeEveryRecord(t *testing.T) {
	var mu sync.Mutex
	ends := map[int]bool{}
	hook := recordEnds(func(info core.RecordInfo) {
		mu.Lock()
		defer mu.Unlock()
		_, again := ends[info.Position]
		require.False(t, again, "record %d ended twice", info.Position)
		ends[info.Position] = info.Outcome.Failed()
	})
	p := core.Must(chunk.New(core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{hook}, Concurrency: 2}})), 2))
	ev := batchtest.SQSEvent("a", "b", "c", "d", "e")
	_, err := chunk.Process(context.Background(), p, ev.Records, func(_ context.Context, ms []*events.SQSMessage) ([]error, error) {
		errs := make([]error, len(ms))
		for i, m := range ms {
			if m.Body == "b" || m.Body == "e" {
				errs[i] = errors.New("no")
			}
		}
		return errs, nil
	})
	require.NoError(t, err)
	require.Equal(t, map[int]bool{0: false, 1: true, 2: false, 3: false, 4: true}, ends)
}

type recordEnds func(core.RecordInfo)

func (f recordEnds) BatchStart(ctx context.Context, _ core.BatchInfo) context.Context { return ctx }
func (f recordEnds) RecordStart(ctx context.Context, _ core.RecordInfo) context.Context {
	return ctx
}
func (f recordEnds) RecordEnd(_ context.Context, info core.RecordInfo) { f(info) }
func (f recordEnds) BatchEnd(context.Context, core.BatchResult) error  { return nil }

// Chunks run under the concurrency bound: never more than Concurrency
// chunk handlers at once, and that many do run together.
func TestConcurrencyBound(t *testing.T) {
	p := core.Must(chunk.New(core.Must(processors.NewSQS(processors.Config{Options: core.Options{Concurrency: 3}})), 2))
	var running, peak atomic.Int32
	msgs := make([]string, 24)
	for i := range msgs {
		msgs[i] = strconv.Itoa(i)
	}
	var calls atomic.Int32
	resp, err := chunk.Process(context.Background(), p, batchtest.SQSEvent(msgs...).Records, func(_ context.Context, ms []*events.SQSMessage) ([]error, error) {
		calls.Add(1)
		n := running.Add(1)
		defer running.Add(-1)
		for {
			old := peak.Load()
			if n <= old || peak.CompareAndSwap(old, n) {
				break
			}
		}
		deadline := time.Now().Add(2 * time.Second)
		for peak.Load() < 3 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		return nil, nil
	})
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	require.Equal(t, int32(12), calls.Load())
	require.Equal(t, int32(3), peak.Load())
}

// SQS FIFO (stop at the first failure): the records after a failed one in
// its chunk are reported failed although the handler had them; the later
// chunks are not handled.
func TestFIFOStopInsideAndAcrossChunks(t *testing.T) {
	p := core.Must(chunk.New(core.Must(processors.NewSQSFIFO(processors.Config{})), 3))
	ev := batchtest.FIFOEvent(batchtest.FIFOMessage{Group: "g", Body: "0"}, batchtest.FIFOMessage{Group: "g", Body: "1"}, batchtest.FIFOMessage{Group: "h", Body: "2"},
		batchtest.FIFOMessage{Group: "g", Body: "3"}, batchtest.FIFOMessage{Group: "h", Body: "4"})
	var got [][]string
	resp, err := chunk.Process(context.Background(), p, ev.Records, func(_ context.Context, ms []*events.SQSMessage) ([]error, error) {
		got = append(got, bodies(ms))
		return []error{nil, errors.New("1 failed"), nil}, nil
	})
	require.NoError(t, err)
	require.Equal(t, [][]string{{"0", "1", "2"}}, got)
	require.Equal(t, ids(ev, 1, 2, 3, 4), failed(resp))
}

// Skip-group-on-error with concurrency: a chunk waits for the earlier chunks
// holding its groups, and a failed group's later records are not handled
// (or, in the failed record's chunk, reported failed).
func TestFIFOGroupsOrderedAcrossConcurrentChunks(t *testing.T) {
	p := core.Must(chunk.New(core.Must(processors.NewSQSFIFO(processors.Config{SkipGroupOnError: true, Options: core.Options{Concurrency: 4}})), 2))
	// chunks: [a0 b1] [c2 a3] [b4 a5] [c6 d7]; a3 fails.
	groups := []string{"a", "b", "c", "a", "b", "a", "c", "d"}
	msgs := make([]batchtest.FIFOMessage, len(groups))
	for i, g := range groups {
		msgs[i] = batchtest.FIFOMessage{Group: g, Body: g + strconv.Itoa(i)}
	}
	ev := batchtest.FIFOEvent(msgs...)
	var mu sync.Mutex
	var log []string
	var handled []string
	resp, err := chunk.Process(context.Background(), p, ev.Records, func(_ context.Context, ms []*events.SQSMessage) ([]error, error) {
		mu.Lock()
		log = append(log, "start "+bodies(ms)[0])
		handled = append(handled, bodies(ms)...)
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		mu.Lock()
		log = append(log, "end "+bodies(ms)[0])
		mu.Unlock()
		errs := make([]error, len(ms))
		for i, m := range ms {
			if m.Body == "a3" {
				errs[i] = errors.New("a3 failed")
			}
		}
		return errs, nil
	})
	require.NoError(t, err)
	require.Equal(t, ids(ev, 3, 5), failed(resp), "a3 failed, a5 was stopped")
	require.ElementsMatch(t, []string{"a0", "b1", "c2", "a3", "b4", "c6", "d7"}, handled, "a5 was not handed to the handler")
	pos := func(s string) int {
		for i, l := range log {
			if l == s {
				return i
			}
		}
		t.Fatalf("%q not in %v", s, log)
		return -1
	}
	require.Less(t, pos("end a0"), pos("start c2"), "chunk [c2 a3] waits for [a0 b1] (group a)")
	require.Less(t, pos("end a0"), pos("start b4"), "chunk [b4 a5] waits for [a0 b1] (group b)")
	require.Less(t, pos("end c2"), pos("start b4"), "and for [c2 a3] (group a)")
	require.Less(t, pos("end c2"), pos("start c6"), "chunk [c6 d7] waits for [c2 a3] (group c)")
}

// The same key across chunks of a stream processor with StopOnFirstFailure
// and OrderByKey: a failure in a chunk stops its key's later records inside
// the chunk (reported failed) and in later chunks (not handled).
func TestKinesisStopKeyInsideChunk(t *testing.T) {
	p := core.Must(chunk.New(core.Must(processors.NewKinesis(processors.Config{StopOnFirstFailure: true, OrderByKey: true})), 3))
	keys := []string{"k", "k", "j", "k", "j"}
	recs := make([]batchtest.KinesisRecord, len(keys))
	for i, k := range keys {
		recs[i] = batchtest.KinesisRecord{PartitionKey: k, Data: strconv.Itoa(i)}
	}
	ev := batchtest.KinesisEvent(recs...)
	var handled []string
	resp, err := chunk.Process(context.Background(), p, ev.Records, func(_ context.Context, rs []*events.KinesisEventRecord) ([]error, error) {
		errs := make([]error, len(rs))
		for i, r := range rs {
			handled = append(handled, string(r.Kinesis.Data))
			if string(r.Kinesis.Data) == "0" {
				errs[i] = errors.New("0 failed")
			}
		}
		return errs, nil
	})
	require.NoError(t, err)
	require.Equal(t, []string{"0", "1", "2", "4"}, handled)
	var want []string
	for _, i := range []int{0, 1, 3} {
		want = append(want, ev.Records[i].Kinesis.SequenceNumber)
	}
	require.Equal(t, want, failed(resp))
}

// The deadline margin applies per chunk: a chunk's context is cancelled at
// the margin, and no chunk starts after it.
func TestDeadlineMarginPerChunk(t *testing.T) {
	p := core.Must(chunk.New(core.Must(processors.NewSQS(processors.Config{Options: core.Options{DeadlineMargin: 50 * time.Millisecond, SuppressFullBatchError: true}})), 2))
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	ev := batchtest.SQSEvent("block", "x", "later", "y")
	var calls int
	resp, err := chunk.Process(ctx, p, ev.Records, func(ctx context.Context, ms []*events.SQSMessage) ([]error, error) {
		calls++
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(2 * time.Second):
			return nil, nil
		}
	})
	require.NoError(t, err)
	require.Equal(t, 1, calls, "the second chunk did not start")
	require.Equal(t, ids(ev, 0, 1, 2, 3), failed(resp))
}

func TestNewRefuses(t *testing.T) {
	_, err := chunk.New(core.Must(processors.NewSQS(processors.Config{})), 0)
	require.ErrorIs(t, err, core.ErrInvalidConfig)
	_, err = chunk.New[events.SQSMessage](nil, 2)
	require.ErrorIs(t, err, core.ErrInvalidConfig)
}

// The bound holds when the lifecycle starts records of many chunks at once
// (records of one key wait for each other, so the workers go to the first
// records of other chunks): never more than Concurrency chunks run.
func TestConcurrencyBoundWithKeys(t *testing.T) {
	p := core.Must(chunk.New(core.Must(processors.NewKinesis(processors.Config{OrderByKey: true, Options: core.Options{Concurrency: 2}})), 3))
	var recs []batchtest.KinesisRecord
	for c := 0; c < 8; c++ {
		for j := 0; j < 3; j++ {
			recs = append(recs, batchtest.KinesisRecord{PartitionKey: "k" + strconv.Itoa(c), Data: "x"})
		}
	}
	var running, peak atomic.Int32
	resp, err := chunk.Process(context.Background(), p, batchtest.KinesisEvent(recs...).Records, func(_ context.Context, rs []*events.KinesisEventRecord) ([]error, error) {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			old := peak.Load()
			if n <= old || peak.CompareAndSwap(old, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		return nil, nil
	})
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	require.Equal(t, int32(2), peak.Load())
}
