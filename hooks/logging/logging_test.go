package logging_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/config"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/hooks/logging"
	"github.com/batchkit/batchkit/processors"
)

// capture is a slog.Handler that keeps every record, with its context.
type capture struct {
	mu      sync.Mutex
	level   slog.Level
	records []slog.Record
	ctxs    []context.Context
}

func (c *capture) Enabled(_ context.Context, l slog.Level) bool { return l >= c.level }
func (c *capture) Handle(ctx context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.records = append(c.records, r.Clone())
	c.ctxs = append(c.ctxs, ctx)
	return nil
}
func (c *capture) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *capture) WithGroup(string) slog.Handler      { return c }

// attrs returns a record's attributes by key.
func attrs(r slog.Record) map[string]slog.Value {
	m := map[string]slog.Value{}
	r.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value; return true })
	return m
}

func (c *capture) byMessage(msg string) []slog.Record {
	var out []slog.Record
	for _, r := range c.records {
		if r.Message == msg {
			out = append(out, r)
		}
	}
	return out
}

// The hook's messages (hooks.md documents them).
const (
	msgFailure = "batchkit: record failed"
	msgSummary = "batchkit: batch processed"
)

type ctxKey struct{}

type wrapped struct{ err error }

func (w *wrapped) Error() string { return "wrapped: " + w.err.Error() }
func (w *wrapped) Unwrap() error { return w.err }

var errStock = errors.New("out of stock")

func TestRecordsAndSummary(t *testing.T) {
	c := &capture{level: slog.LevelDebug}
	hook := logging.New(logging.Config{Logger: slog.New(c), Attrs: []slog.Attr{slog.String("service", "orders")}})
	p := core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{hook}}}))
	event := batchtest.SQSEvent("ok", "fail", "panic", "ok")
	lc := &lambdacontext.LambdaContext{AwsRequestID: "req-42"}
	ctx := context.WithValue(lambdacontext.NewContext(context.Background(), lc), ctxKey{}, "mine")
	resp, err := core.Process(ctx, p, event.Records, func(_ context.Context, m *events.SQSMessage) error {
		switch m.Body {
		case "fail":
			return &wrapped{fmt.Errorf("reserve: %w", errStock)}
		case "panic":
			panic("boom")
		}
		return nil
	})
	require.NoError(t, err)
	require.Len(t, resp.BatchItemFailures, 2)

	failures := c.byMessage(msgFailure)
	require.Len(t, failures, 2, "one log record per failed record, none for a success")
	byPos := map[int64]slog.Record{}
	for _, r := range failures {
		require.Equal(t, slog.LevelError, r.Level)
		byPos[attrs(r)["position"].Int64()] = r
	}
	fail := attrs(byPos[1])
	require.Equal(t, event.Records[1].MessageId, fail["identifier"].String())
	require.Equal(t, "wrapped: reserve: out of stock", fail["error"].String())
	require.Equal(t, []string{"*logging_test.wrapped", "*fmt.wrapError", "*errors.errorString"}, fail["error_types"].Any())
	require.Equal(t, "req-42", fail["function_request_id"].String())
	require.Equal(t, "orders", fail["service"].String())
	require.Equal(t, "aws:sqs", fail["event_source"].String())
	require.NotContains(t, fail, "stack")

	pan := attrs(byPos[2])
	require.Equal(t, event.Records[2].MessageId, pan["identifier"].String())
	require.Equal(t, "boom", pan["panic"].String())
	require.Contains(t, pan["stack"].String(), "logging_test.TestRecordsAndSummary", "the stack of the panicking handler")
	require.Equal(t, "*core.PanicError", pan["error_types"].Any().([]string)[0])

	summary := c.byMessage(msgSummary)
	require.Len(t, summary, 1)
	s := attrs(summary[0])
	require.Equal(t, slog.LevelInfo, summary[0].Level)
	require.Equal(t, int64(4), s["records"].Int64())
	require.Equal(t, int64(2), s["succeeded"].Int64())
	require.Equal(t, int64(2), s["failed"].Int64())
	require.Equal(t, slog.KindDuration, s["duration"].Kind())
	require.Equal(t, "req-42", s["function_request_id"].String())
	require.NotContains(t, s, "error")

	for _, ctx := range c.ctxs {
		require.Equal(t, "mine", ctx.Value(ctxKey{}), "records are logged with the invocation's context")
	}
}

func TestNotStartedAndDecodeFailures(t *testing.T) {
	c := &capture{}
	hook := logging.New(logging.Config{Logger: slog.New(c), FailureLevel: slog.LevelWarn, NoStack: true})
	p := core.Must(processors.NewSQSFIFO(processors.Config{Options: core.Options{Hooks: []core.Hook{hook}}}))
	type order struct {
		ID string `json:"id"`
	}
	event := batchtest.FIFOEvent(batchtest.FIFOMessage{Group: "g", Body: `{"id":"1"}`},
		batchtest.FIFOMessage{Group: "g", Body: `not json`},
		batchtest.FIFOMessage{Group: "g", Body: `{"id":"3"}`})
	_, err := core.Process(context.Background(), p, event.Records, processors.SQSJSON(func(context.Context, order, *events.SQSMessage) error { return nil }))
	require.NoError(t, err)
	failures := c.byMessage(msgFailure)
	require.Len(t, failures, 2, "the record that does not decode and the one short-circuited after it")
	for _, r := range failures {
		require.Equal(t, slog.LevelWarn, r.Level)
	}
	got := map[string]string{}
	for _, r := range failures {
		a := attrs(r)
		got[a["identifier"].String()] = a["error"].String()
		require.NotContains(t, a, "function_request_id", "no Lambda context, no request id")
	}
	require.Contains(t, got, event.Records[1].MessageId)
	require.Contains(t, got, event.Records[2].MessageId)
	require.Contains(t, got[event.Records[1].MessageId], "SQS body", "the decode error names what did not decode")
	require.NotEqual(t, got[event.Records[1].MessageId], got[event.Records[2].MessageId], "the short-circuited record has its own reason")
}

func TestLevelsAndSwitches(t *testing.T) {
	c := &capture{level: slog.LevelWarn}
	var lv slog.LevelVar
	lv.Set(slog.LevelDebug)
	hook := logging.New(logging.Config{Logger: slog.New(c), FailureLevel: &lv})
	p := core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{hook}}}))
	fail := func(context.Context, *events.SQSMessage) error { return errors.New("no") }
	_, err := core.Process(context.Background(), p, batchtest.SQSEvent("a").Records, fail)
	require.ErrorIs(t, err, core.ErrFullBatchFailure)
	require.Empty(t, c.records, "debug failures and info summaries are below the handler's level")

	lv.Set(slog.LevelError)
	_, _ = core.Process(context.Background(), p, batchtest.SQSEvent("a").Records, fail)
	require.Len(t, c.byMessage(msgFailure), 1, "a LevelVar changes the level at run time")
	require.Empty(t, c.byMessage(msgSummary))

	c2 := &capture{}
	hook = logging.New(logging.Config{Logger: slog.New(c2), SummaryLevel: slog.LevelWarn})
	p = core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{hook}}}))
	_, _ = core.Process(context.Background(), p, batchtest.SQSEvent("a").Records, fail)
	sum := c2.byMessage(msgSummary)
	require.Len(t, sum, 1)
	require.Equal(t, slog.LevelWarn, sum[0].Level)
	require.Contains(t, attrs(sum[0])["error"].String(), "batchkit:", "the invocation's error is in the summary")

	c3 := &capture{}
	hook = logging.New(logging.Config{Logger: slog.New(c3), NoSummary: true})
	p = core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{hook}}}))
	_, _ = core.Process(context.Background(), p, batchtest.SQSEvent("a").Records, fail)
	require.Empty(t, c3.byMessage(msgSummary))
	require.Len(t, c3.byMessage(msgFailure), 1)
}

func TestDefaultLoggerAndRegistry(t *testing.T) {
	c := &capture{}
	old := slog.Default()
	slog.SetDefault(slog.New(c))
	t.Cleanup(func() { slog.SetDefault(old) })
	h, err := config.NewHook(logging.HookName)
	require.NoError(t, err)
	p := core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{h}}}))
	resp, err := core.Process(context.Background(), p, batchtest.SQSEvent("a", "b").Records, func(_ context.Context, m *events.SQSMessage) error {
		if m.Body == "b" {
			return errors.New("no b")
		}
		return nil
	})
	require.NoError(t, err)
	require.Len(t, resp.BatchItemFailures, 1)
	require.Len(t, c.byMessage(msgFailure), 1, "the registered hook logs to slog.Default")
	require.Len(t, c.byMessage(msgSummary), 1)
}

// BATCHKIT_HOOKS=log turns the hook on through configuration.
func TestEnvSwitch(t *testing.T) {
	c := &capture{}
	old := slog.Default()
	slog.SetDefault(slog.New(c))
	t.Cleanup(func() { slog.SetDefault(old) })
	p, err := config.OpenEnv[events.SQSMessage]([]string{"BATCHKIT_PROCESSOR=sqs", "BATCHKIT_HOOKS=log"})
	require.NoError(t, err)
	_, err = core.Process(context.Background(), p, batchtest.SQSEvent("a", "b").Records, func(_ context.Context, m *events.SQSMessage) error {
		if m.Body == "b" {
			return errors.New("no b")
		}
		return nil
	})
	require.NoError(t, err)
	require.Len(t, c.byMessage(msgFailure), 1)
	require.Len(t, c.byMessage(msgSummary), 1)
}

// panicky is a user error whose methods panic.
type panicky struct{}

func (panicky) Error() string { panic("Error panics") }
func (panicky) Unwrap() error { panic("Unwrap panics") }

func TestUserErrorPanicsCostOnlyTheAttribute(t *testing.T) {
	c := &capture{}
	hook := logging.New(logging.Config{Logger: slog.New(c), NoSummary: true})
	p := core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{hook}}}))
	_, _ = core.Process(context.Background(), p, batchtest.SQSEvent("a", "b").Records, func(_ context.Context, m *events.SQSMessage) error {
		if m.Body == "b" {
			return panicky{}
		}
		return nil
	})
	f := c.byMessage(msgFailure)
	require.Len(t, f, 1)
	a := attrs(f[0])
	require.True(t, strings.Contains(a["error"].String(), "Error method panicked"), a["error"].String())
	require.Equal(t, []string{"logging_test.panicky"}, a["error_types"].Any())
}

func TestConcurrentBatches(t *testing.T) {
	c := &capture{}
	hook := logging.New(logging.Config{Logger: slog.New(c)})
	p := core.Must(processors.NewSQS(processors.Config{Options: core.Options{Concurrency: 4, Hooks: []core.Hook{hook}}}))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			_, _ = core.Process(context.Background(), p, batchtest.SQSEvent("a", "x", "x", "b").Records, func(_ context.Context, m *events.SQSMessage) error {
				time.Sleep(time.Millisecond)
				if m.Body == "x" {
					return errors.New("x")
				}
				return nil
			})
		})
	}
	wg.Wait()
	require.Len(t, c.byMessage(msgFailure), 8)
	for _, s := range c.byMessage(msgSummary) {
		require.Equal(t, int64(2), attrs(s)["failed"].Int64())
	}
}
