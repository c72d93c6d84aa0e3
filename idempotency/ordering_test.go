package idempotency_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/idempotency"
	"github.com/batchkit/batchkit/processors"
)

// complete marks keys completed, as earlier invocations would have.
func complete(t *testing.T, s idempotency.Store, keys ...string) {
	t.Helper()
	for _, k := range keys {
		now := time.Now()
		c := idempotency.Claim{Key: k, Owner: "earlier", Now: now, Until: now.Add(time.Minute)}
		st, err := s.Claim(t.Context(), c)
		require.NoError(t, err)
		require.Equal(t, idempotency.StatusClaimed, st.Status)
		require.NoError(t, s.Complete(t.Context(), c, now.Add(time.Hour), nil))
	}
}

// status names each record's outcome: "ok", "dup", "failed", "stopped".
func status(os []core.Outcome) []string {
	out := make([]string, len(os))
	for i, o := range os {
		switch {
		case o.Status == core.StatusSuccess && o.Result != nil:
			out[i] = "dup"
		case o.Status == core.StatusSuccess:
			out[i] = "ok"
		case o.Status == core.StatusNotStarted:
			out[i] = "stopped"
		default:
			out[i] = "failed"
		}
	}
	return out
}

// plain is want with duplicates as plain successes.
func plain(want []string) []string {
	out := make([]string, len(want))
	for i, w := range want {
		out[i] = w
		if w == "dup" {
			out[i] = "ok"
		}
	}
	return out
}

// A skipped duplicate never unblocks a group out of order: it is decided
// only when the processor schedules the record, so after a failure that
// stops its FIFO group (or the whole FIFO batch, or a stream key) a
// completed key is short-circuited like any other record, never reported
// done ahead of the failed record. A key in progress elsewhere is a
// failure, so it stops its group too. The claims taken for records that
// did not run are released.
func TestOrderingRules(t *testing.T) {
	fifo := func(skip bool) func(t *testing.T) core.PartialProcessor[events.SQSMessage] {
		return func(t *testing.T) core.PartialProcessor[events.SQSMessage] {
			p, err := processors.NewSQSFIFO(processors.Config{SkipGroupOnError: skip, Options: core.Options{SuppressFullBatchError: true}})
			require.NoError(t, err)
			return p
		}
	}
	ev := batchtest.FIFOEvent(
		batchtest.FIFOMessage{Group: "g1", Body: "fail"},
		batchtest.FIFOMessage{Group: "g1", Body: "done1"},
		batchtest.FIFOMessage{Group: "g1", Body: "fresh"},
		batchtest.FIFOMessage{Group: "g2", Body: "done2"},
	)
	busy := batchtest.FIFOEvent(
		batchtest.FIFOMessage{Group: "g1", Body: "busy"},
		batchtest.FIFOMessage{Group: "g1", Body: "done1"},
		batchtest.FIFOMessage{Group: "g2", Body: "done2"},
	)
	cases := []struct {
		name     string
		proc     func(t *testing.T) core.PartialProcessor[events.SQSMessage]
		want     []string // ev
		wantBusy []string // busy
	}{
		{"fifo stop batch", fifo(false), []string{"failed", "stopped", "stopped", "stopped"}, []string{"failed", "stopped", "stopped"}},
		{"fifo skip group", fifo(true), []string{"failed", "stopped", "stopped", "dup"}, []string{"failed", "stopped", "dup"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachStore(t, func(t *testing.T, s idempotency.Store) {
				complete(t, s, "done1", "done2")
				c := newCalls("fail")
				p := wrapped(t, tc.proc(t), sqsConfig(s))
				b, _, err := run(t, t.Context(), p, ev.Records, c.handler)
				require.NoError(t, err)
				require.Equal(t, tc.want, status(b.Outcomes))
				require.Zero(t, c.count("fresh"))
				// The claim of "fresh", taken before the batch ran, was
				// released: another owner takes the key at once.
				st, err := s.Claim(t.Context(), idempotency.Claim{Key: "fresh", Owner: "next", Now: time.Now(), Until: time.Now().Add(time.Minute)})
				require.NoError(t, err)
				require.Equal(t, idempotency.StatusClaimed, st.Status)

				// The handler wrapper follows the same rules.
				h, err := idempotency.Handler(sqsConfig(s), c.handler)
				require.NoError(t, err)
				b, _, err = run(t, t.Context(), tc.proc(t), ev.Records, h)
				require.NoError(t, err)
				// The handler wrapper's duplicate is a plain success.
				require.Equal(t, plain(tc.want), status(b.Outcomes))

				// A key in progress elsewhere fails its record and so stops
				// its group: the duplicate behind it waits.
				now := time.Now()
				_, err = s.Claim(t.Context(), idempotency.Claim{Key: "busy", Owner: "elsewhere", Now: now, Until: now.Add(time.Minute)})
				require.NoError(t, err)
				b, _, err = run(t, t.Context(), tc.proc(t), busy.Records, h)
				require.NoError(t, err)
				require.Equal(t, plain(tc.wantBusy), status(b.Outcomes))
				require.ErrorIs(t, b.Outcomes[0].Err, idempotency.ErrInProgress)
				b, _, err = run(t, t.Context(), p, busy.Records, c.handler)
				require.NoError(t, err)
				require.Equal(t, tc.wantBusy, status(b.Outcomes))
				require.Zero(t, c.count("busy"))
			})
		})
	}
}

// The same on a Kinesis stream with stop-on-first-failure per partition
// key, records running concurrently.
func TestOrderingStreamKey(t *testing.T) {
	eachStore(t, func(t *testing.T, s idempotency.Store) {
		complete(t, s, "done1", "done2")
		kp, err := processors.NewKinesis(processors.Config{StopOnFirstFailure: true, OrderByKey: true, Options: core.Options{Concurrency: 4}})
		require.NoError(t, err)
		cfg := idempotency.Config[events.KinesisEventRecord]{Store: s, Key: func(r *events.KinesisEventRecord) (string, error) {
			return string(r.Kinesis.Data), nil
		}}
		p, err := idempotency.New(kp, cfg)
		require.NoError(t, err)
		ev := batchtest.KinesisEvent(
			batchtest.KinesisRecord{PartitionKey: "A", Data: "fail"},
			batchtest.KinesisRecord{PartitionKey: "A", Data: "done1"},
			batchtest.KinesisRecord{PartitionKey: "B", Data: "done2"},
			batchtest.KinesisRecord{PartitionKey: "B", Data: "fresh"},
		)
		c := newCalls("fail")
		b, _, err := run(t, t.Context(), p, ev.Records, func(_ context.Context, r *events.KinesisEventRecord) error {
			return c.add(string(r.Kinesis.Data))
		})
		require.NoError(t, err)
		require.Equal(t, []string{"failed", "stopped", "dup", "ok"}, status(b.Outcomes))
		require.Equal(t, 1, c.count("fresh"))
		require.Zero(t, c.count("done1")+c.count("done2"))
	})
}
