package processors_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

// fifoCase is one random FIFO batch: each record's group ("" for none),
// whether its handler fails and how long it sleeps, and the processor's
// settings.
type fifoCase struct {
	groups      []string
	fail        []bool
	sleep       []time.Duration
	concurrency int
	skipGroup   bool
}

func (c fifoCase) String() string {
	return fmt.Sprintf("concurrency=%d skipGroup=%v groups=%q fail=%v", c.concurrency, c.skipGroup, c.groups, c.fail)
}

// randomFIFOCase draws a batch of 0-30 records over 1-5 groups (some records
// without group), with a random failure rate.
func randomFIFOCase(rng *rand.Rand, skipGroup bool) fifoCase {
	n := rng.IntN(31)
	ngroups := 1 + rng.IntN(5)
	failRate := []float64{0, 0.1, 0.3, 0.6, 1}[rng.IntN(5)]
	c := fifoCase{concurrency: 1 + rng.IntN(10), skipGroup: skipGroup}
	for range n {
		g := ""
		if rng.IntN(6) != 0 {
			g = "g" + strconv.Itoa(rng.IntN(ngroups))
		}
		c.groups = append(c.groups, g)
		c.fail = append(c.fail, rng.Float64() < failRate)
		c.sleep = append(c.sleep, time.Duration(rng.IntN(300))*time.Microsecond)
	}
	return c
}

// fifoExpectation is the sequential FIFO semantics, computed without batchkit:
// which records run, which are reported, and which earlier failure
// short-circuits each record that does not run (-1: it runs).
type fifoExpectation struct {
	run      []int
	reported []int
	stopper  []int
}

func expectFIFO(c fifoCase) fifoExpectation {
	e := fifoExpectation{stopper: make([]int, len(c.groups))}
	firstFailure := -1
	groupFailure := map[string]int{}
	for i, g := range c.groups {
		e.stopper[i] = -1
		if !c.skipGroup && firstFailure >= 0 {
			e.stopper[i] = firstFailure
		}
		if at, ok := groupFailure[g]; c.skipGroup && g != "" && ok {
			e.stopper[i] = at
		}
		if e.stopper[i] >= 0 {
			e.reported = append(e.reported, i)
			continue
		}
		e.run = append(e.run, i)
		if c.fail[i] {
			e.reported = append(e.reported, i)
			if firstFailure < 0 {
				firstFailure = i
			}
			if _, ok := groupFailure[g]; g != "" && !ok {
				groupFailure[g] = i
			}
		}
	}
	return e
}

// handlerCall is one event of the handler-call log.
type handlerCall struct {
	pos   int
	start bool
}

// checkFIFO runs c through the SQS FIFO processor, logging the order of
// handler calls, and checks it against the sequential semantics:
//   - the handlers that run are exactly the expected ones, each once;
//   - no record starts before every earlier record of its group (every
//     earlier record, without skip-group) has finished;
//   - no record starts after a record of its group failed;
//   - the response and the error equal the sequential ones, and every
//     short-circuited record names the failure that stopped it.
func checkFIFO(t *testing.T, c fifoCase) {
	t.Helper()
	msgs := make([]batchtest.FIFOMessage, len(c.groups))
	for i, g := range c.groups {
		msgs[i] = batchtest.FIFOMessage{Group: g, Body: strconv.Itoa(i)}
	}
	event := batchtest.FIFOEvent(msgs...)
	var config processors.Config
	if c.skipGroup {
		// Concurrency takes effect only with skip-group; without it the
		// setting is refused.
		config.SkipGroupOnError, config.Concurrency = true, c.concurrency
	}
	p := core.Must(processors.NewSQSFIFO(config))

	var mu sync.Mutex
	var calls []handlerCall
	b := core.NewBatch(event.Records, func(_ context.Context, m *events.SQSMessage) error {
		pos, err := strconv.Atoi(m.Body)
		if err != nil {
			return err
		}
		mu.Lock()
		calls = append(calls, handlerCall{pos, true})
		mu.Unlock()
		time.Sleep(c.sleep[pos])
		mu.Lock()
		calls = append(calls, handlerCall{pos, false})
		mu.Unlock()
		if c.fail[pos] {
			return fmt.Errorf("record %d failed", pos)
		}
		return nil
	})
	resp, err := core.Run(context.Background(), p, b)
	want := expectFIFO(c)

	// Order of handler calls.
	ended := make([]bool, len(c.groups))
	startedCount := make([]int, len(c.groups))
	var started []int
	for _, call := range calls {
		i := call.pos
		if !call.start {
			ended[i] = true
			continue
		}
		startedCount[i]++
		require.Equalf(t, 1, startedCount[i], "record %d handled twice; %v", i, c)
		started = append(started, i)
		for j := range i {
			sameGroup := c.groups[j] != "" && c.groups[j] == c.groups[i]
			if !c.skipGroup || sameGroup {
				if startedCount[j] > 0 || want.stopper[j] < 0 {
					require.Truef(t, ended[j], "record %d started before earlier record %d finished; %v", i, j, c)
				}
			}
			if sameGroup && c.fail[j] && ended[j] {
				require.Failf(t, "ran after its group failed", "record %d (group %q) started after record %d of its group failed; %v", i, c.groups[i], j, c)
			}
		}
	}
	require.ElementsMatchf(t, want.run, started, "records handled; %v", c)

	// Response and outcomes.
	wantIDs := make([]string, len(want.reported))
	for k, i := range want.reported {
		wantIDs[k] = event.Records[i].MessageId
	}
	require.Equalf(t, wantIDs, batchtest.FailedIDs(resp), "reported records; %v", c)
	if len(c.groups) > 0 && len(want.reported) == len(c.groups) {
		require.ErrorIsf(t, err, core.ErrFullBatchFailure, "%v", c)
	} else {
		require.NoErrorf(t, err, "%v", c)
	}
	for i, o := range b.Outcomes {
		if at := want.stopper[i]; at >= 0 {
			var sc *core.UnhandledError
			require.Truef(t, errors.As(o.Err, &sc), "record %d: want a short circuit, got %v; %v", i, o.Err, c)
			require.Equalf(t, at, sc.FailedPosition, "record %d stopped by; %v", i, c)
			require.Equal(t, core.StatusNotStarted, o.Status)
		}
	}
}

// TestFIFOConcurrentMatchesSequential draws many random FIFO batches (group
// layouts, failure sets, bounds, handler durations) and checks each with
// checkFIFO, with and without skip-group-on-error. The seed is fixed, so a
// failure names a reproducible case.
func TestFIFOConcurrentMatchesSequential(t *testing.T) {
	defer goleak.VerifyNone(t)
	rng := rand.New(rand.NewPCG(20261126, 3))
	for i := range 300 {
		c := randomFIFOCase(rng, i%4 != 0)
		t.Run(strconv.Itoa(i), func(t *testing.T) { checkFIFO(t, c) })
	}
}

// FuzzFIFOSkipGroup: the same check, with batches decoded from fuzz input:
// the first byte sets the bound, each next byte a record (low 3 bits: group
// 0-4, 0 meaning none; bit 7: fails; bits 3-6: sleep in units of 40µs).
// Run it with `go test -fuzz FuzzFIFOSkipGroup ./processors`.
func FuzzFIFOSkipGroup(f *testing.F) {
	f.Add([]byte{4, 0x01, 0x82, 0x01, 0x81, 0x02, 0x03, 0x81})
	f.Add([]byte{2, 0x80, 0x80, 0x00, 0x81, 0x01})
	f.Add([]byte{9, 0x11, 0x22, 0x33, 0x44, 0x91, 0xa2, 0x13, 0x24, 0x31, 0x42})
	f.Add([]byte{3, 0x81, 0x81, 0x81})
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		c := fifoCase{concurrency: 1 + int(data[0]%10), skipGroup: true}
		for _, d := range data[1:min(len(data), 41)] {
			g := ""
			if d&7%5 != 0 {
				g = "g" + strconv.Itoa(int(d&7%5))
			}
			c.groups = append(c.groups, g)
			c.fail = append(c.fail, d&0x80 != 0)
			c.sleep = append(c.sleep, time.Duration(d>>3&0xf)*40*time.Microsecond)
		}
		checkFIFO(t, c)
	})
}
