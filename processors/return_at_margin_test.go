package processors_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

// TestReturnAtMarginSQS: with ReturnAtMargin, an SQS invocation returns at
// the deadline margin although a handler ignores its context and is still
// running: that record is reported failed (a *core.UnhandledError with ErrStillRunning), the
// others keep their outcomes, and the handler's late return changes nothing.
// Sequential and concurrent, typed entry (core.Process) and adapter.
func TestReturnAtMarginSQS(t *testing.T) {
	const margin = 200 * time.Millisecond
	for _, concurrency := range []int{0, 4} {
		for _, entry := range []string{"process", "run", "adapter"} {
			t.Run(entry+"/concurrency="+string(rune('0'+concurrency)), func(t *testing.T) {
				p, err := processors.NewSQS(processors.Config{Options: core.Options{
					Concurrency: concurrency, DeadlineMargin: margin, ReturnAtMargin: true,
				}})
				require.NoError(t, err)
				release := make(chan struct{})
				finished := make(chan struct{})
				h := func(ctx context.Context, m *events.SQSMessage) error {
					switch m.MessageId {
					case "stuck":
						defer close(finished)
						<-release // ignores ctx
						return nil
					case "bad":
						return errors.New("bad")
					}
					return nil
				}
				recs := []events.SQSMessage{{MessageId: "a"}, {MessageId: "stuck"}, {MessageId: "bad"}, {MessageId: "c"}}
				if concurrency == 0 {
					// Sequentially, the records after the stuck one are cut
					// by the margin: keep them before it.
					recs = []events.SQSMessage{{MessageId: "a"}, {MessageId: "bad"}, {MessageId: "c"}, {MessageId: "stuck"}}
				}
				ctx, cancel := context.WithTimeout(context.Background(), margin+500*time.Millisecond)
				defer cancel()
				type result struct {
					resp core.Response
					err  error
					outs []core.Outcome
				}
				done := make(chan result, 1)
				go func() {
					var r result
					switch entry {
					case "process":
						r.resp, r.err = core.Process(ctx, p, recs, h)
					case "run":
						b := core.NewBatch(recs, h)
						r.resp, r.err = core.Run(ctx, p, b)
						r.outs = b.Outcomes
					case "adapter":
						r.resp, r.err = processors.SQSHandler(p, h)(ctx, sqsEventJSON(t, recs))
					}
					done <- r
				}()
				var r result
				select {
				case r = <-done:
				case <-time.After(10 * time.Second):
					close(release)
					t.Fatal("the invocation waited for the stuck handler")
				}
				require.NoError(t, r.err)
				require.ElementsMatch(t, []core.Identifier{core.StringID("bad"), core.StringID("stuck")}, r.resp.Identifiers())
				for i, o := range r.outs {
					switch recs[i].MessageId {
					case "stuck":
						require.ErrorIs(t, o.Err, core.ErrStillRunning)
						var sr *core.UnhandledError
						require.ErrorAs(t, o.Err, &sr)
						require.Positive(t, sr.Margin, "record %d: the margin is reported", i)
					case "bad":
						require.Equal(t, core.StatusFailure, o.Status)
					default:
						require.Equal(t, core.StatusSuccess, o.Status)
					}
				}
				close(release) // the handler returns nil after the response: nothing changes
				<-finished
				if r.outs != nil {
					require.ErrorIs(t, r.outs[func() int {
						for i := range recs {
							if recs[i].MessageId == "stuck" {
								return i
							}
						}
						return -1
					}()].Err, core.ErrStillRunning)
				}
			})
		}
	}
}

// TestReturnAtMarginNeedsAMargin: ReturnAtMargin without a DeadlineMargin
// is a configuration error.
func TestReturnAtMarginNeedsAMargin(t *testing.T) {
	_, err := processors.NewSQS(processors.Config{Options: core.Options{ReturnAtMargin: true}})
	require.ErrorIs(t, err, core.ErrInvalidConfig)
	var ce *core.ConfigError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "ReturnAtMargin", ce.Setting)
}

// sqsEventJSON is the SQS event of recs, as Lambda sends it.
func sqsEventJSON(t *testing.T, recs []events.SQSMessage) []byte {
	t.Helper()
	ev, err := json.Marshal(events.SQSEvent{Records: recs})
	require.NoError(t, err)
	return ev
}
