package processors_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

// callLog is the order of handler calls of one batch, and how many ran at
// once.
type callLog struct {
	mu       sync.Mutex
	calls    []handlerCall
	inflight int
	max      int
}

func (l *callLog) start(pos int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, handlerCall{pos, true})
	l.inflight++
	l.max = max(l.max, l.inflight)
}

func (l *callLog) end(pos int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, handlerCall{pos, false})
	l.inflight--
}

// started returns the positions handled, in start order.
func (l *callLog) started() []int {
	var out []int
	for _, c := range l.calls {
		if c.start {
			out = append(out, c.pos)
		}
	}
	return out
}

// requireChained fails unless every record with a non-empty key started
// after every earlier handled record of the same key had ended.
func (l *callLog) requireChained(t *testing.T, keys []string) {
	t.Helper()
	ended := map[int]bool{}
	handled := map[int]bool{}
	for _, c := range l.calls {
		if c.start {
			handled[c.pos] = true
		}
	}
	for _, c := range l.calls {
		if !c.start {
			ended[c.pos] = true
			continue
		}
		for j := range c.pos {
			if keys[j] != "" && keys[j] == keys[c.pos] && handled[j] {
				require.Truef(t, ended[j], "record %d (key %q) started before record %d of the same key ended", c.pos, keys[j], j)
			}
		}
	}
}

// meeting makes the first record of each of n keys wait until all n have
// started, proving that different keys run at the same time. A record that
// waits too long fails rather than hanging the test.
type meeting struct {
	n       int32
	arrived atomic.Int32
	all     chan struct{}
	once    sync.Once
}

func newMeeting(n int) *meeting { return &meeting{n: int32(n), all: make(chan struct{})} }

func (m *meeting) wait() error {
	if m.arrived.Add(1) >= m.n {
		m.once.Do(func() { close(m.all) })
	}
	select {
	case <-m.all:
		return nil
	case <-time.After(10 * time.Second):
		return errors.New("meeting: the other keys never ran at the same time")
	}
}

// streamCase is one stream-processor scenario: records with ordering keys,
// the failing positions, and what must happen.
type streamCase struct {
	name      string
	config    processors.Config
	keys      []string
	fail      map[int]bool
	meet      int          // the first `meet` records wait for each other (0: none)
	wantRan   []int        // handled records, any order
	wantFail  []int        // reported records, in input order
	wantShort map[int]bool // record -> whether it shares an ordering key with the failed record (false: the whole batch stops)
	wantMax1  bool         // strictly one at a time
}

// runStream runs recs (built from c.keys) through p, a Kinesis or DynamoDB
// processor, and checks the outcome against c.
func runStream[R any](t *testing.T, c streamCase, p core.PartialProcessor[R], recs []R, pos func(*R) int, id func(*R) string) {
	t.Helper()
	var log callLog
	m := newMeeting(c.meet)
	b := core.NewBatch(recs, func(_ context.Context, r *R) error {
		i := pos(r)
		log.start(i)
		defer log.end(i)
		if i < c.meet {
			if err := m.wait(); err != nil {
				return err
			}
		} else {
			time.Sleep(time.Duration(len(recs)-i) * 50 * time.Microsecond)
		}
		if c.fail[i] {
			return fmt.Errorf("record %d failed", i)
		}
		return nil
	})
	resp, err := core.Run(context.Background(), p, b)
	require.NoError(t, err)
	want := make([]string, len(c.wantFail))
	for k, i := range c.wantFail {
		want[k] = id(&recs[i])
	}
	require.Equal(t, want, batchtest.FailedIDs(resp))
	require.ElementsMatch(t, c.wantRan, log.started())
	log.requireChained(t, c.keys)
	if c.wantMax1 {
		require.Equal(t, 1, log.max, "records must run one at a time")
		require.Equal(t, c.wantRan, log.started(), "records must run in input order")
	}
	if c.meet > 0 {
		require.GreaterOrEqual(t, log.max, c.meet)
	}
	for i, keyed := range c.wantShort {
		var sc *core.UnhandledError
		require.ErrorAs(t, b.Outcomes[i].Err, &sc, "record %d", i)
		require.ErrorIs(t, sc, core.ErrShortCircuit)
		require.Equal(t, keyed, sc.Key != "", "record %d", i)
	}
}

var streamCases = []streamCase{
	{
		name:   "order by key, keys in parallel",
		config: processors.Config{Options: core.Options{Concurrency: 4}, OrderByKey: true},
		keys:   []string{"a", "b", "c", "a", "b", "a", "c", "b", "a"},
		fail:   map[int]bool{3: true},
		meet:   3, wantRan: []int{0, 1, 2, 3, 4, 5, 6, 7, 8}, wantFail: []int{3},
	},
	{
		name:    "stop on first failure, no key: one at a time",
		config:  processors.Config{StopOnFirstFailure: true},
		keys:    []string{"a", "b", "c", "a", "b", "a"},
		fail:    map[int]bool{2: true, 4: true},
		wantRan: []int{0, 1, 2}, wantFail: []int{2, 3, 4, 5},
		wantShort: map[int]bool{3: false, 4: false, 5: false},
		wantMax1:  true,
	},
	{
		name:   "stop on first failure by key",
		config: processors.Config{Options: core.Options{Concurrency: 4}, StopOnFirstFailure: true, OrderByKey: true},
		keys:   []string{"a", "b", "c", "a", "b", "a", "c", "b", "c"},
		fail:   map[int]bool{3: true, 1: true},
		meet:   3, wantRan: []int{0, 1, 2, 3, 6, 8}, wantFail: []int{1, 3, 4, 5, 7},
		wantShort: map[int]bool{4: true, 5: true, 7: true},
	},
	{
		name:    "stop on first failure by key, sequential",
		config:  processors.Config{StopOnFirstFailure: true, OrderByKey: true},
		keys:    []string{"a", "b", "a", "b", "a"},
		fail:    map[int]bool{0: true},
		wantRan: []int{0, 1, 3}, wantFail: []int{0, 2, 4},
		wantShort: map[int]bool{2: true, 4: true},
		wantMax1:  true,
	},
}

// TestKinesisOrderingUnderConcurrency: Kinesis with the partition key as
// ordering key, and stop-on-first-failure with and without it.
func TestKinesisOrderingUnderConcurrency(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, c := range streamCases {
		t.Run(c.name, func(t *testing.T) {
			recs := make([]batchtest.KinesisRecord, len(c.keys))
			for i, k := range c.keys {
				recs[i] = batchtest.KinesisRecord{PartitionKey: k, Data: strconv.Itoa(i)}
			}
			event := batchtest.KinesisEvent(recs...)
			runStream(t, c, core.PartialProcessor[events.KinesisEventRecord](core.Must(processors.NewKinesis(c.config))), event.Records,
				func(r *events.KinesisEventRecord) int { i, _ := strconv.Atoi(string(r.Kinesis.Data)); return i },
				func(r *events.KinesisEventRecord) string { return r.Kinesis.SequenceNumber })
		})
	}
}

// TestDynamoDBOrderingUnderConcurrency: DynamoDB Streams with the item's
// keys as ordering key (a composite key here), and stop-on-first-failure
// with and without it.
func TestDynamoDBOrderingUnderConcurrency(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, c := range streamCases {
		t.Run(c.name, func(t *testing.T) {
			changes := make([]batchtest.Change, len(c.keys))
			for i, k := range c.keys {
				changes[i] = batchtest.Change{
					EventName: "MODIFY",
					Keys: map[string]events.DynamoDBAttributeValue{
						"pk": events.NewStringAttribute(k),
						"sk": events.NewNumberAttribute("7"),
					},
					NewImage: map[string]events.DynamoDBAttributeValue{"pos": events.NewNumberAttribute(strconv.Itoa(i))},
				}
			}
			event := batchtest.DynamoDBEvent(changes...)
			runStream(t, c, core.PartialProcessor[events.DynamoDBEventRecord](core.Must(processors.NewDynamoDB(c.config))), event.Records,
				func(r *events.DynamoDBEventRecord) int {
					i, _ := strconv.Atoi(r.Change.NewImage["pos"].Number())
					return i
				},
				func(r *events.DynamoDBEventRecord) string { return r.Change.SequenceNumber })
		})
	}
}
