package sqsbackoff_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
	"github.com/batchkit/batchkit/sqsbackoff"
)

// fakeSQS records the calls, and answers with err or refuses the entries
// whose receipt handle is in refuse.
type fakeSQS struct {
	mu     sync.Mutex
	calls  []*sqs.ChangeMessageVisibilityBatchInput
	err    error
	refuse map[string]bool
}

func (f *fakeSQS) ChangeMessageVisibilityBatch(_ context.Context, in *sqs.ChangeMessageVisibilityBatchInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, in)
	if f.err != nil {
		return nil, f.err
	}
	out := &sqs.ChangeMessageVisibilityBatchOutput{}
	for _, e := range in.Entries {
		if f.refuse[aws.ToString(e.ReceiptHandle)] {
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, Code: aws.String("ReceiptHandleIsInvalid"), Message: aws.String("The input receipt handle is invalid."), SenderFault: true})
		}
	}
	return out, nil
}

const arn = "arn:aws:sqs:eu-west-1:123456789012:orders"

func messages(n int, receiveCount func(i int) int) []events.SQSMessage {
	out := make([]events.SQSMessage, n)
	for i := range out {
		out[i] = events.SQSMessage{MessageId: "m" + strconv.Itoa(i), ReceiptHandle: "rh" + strconv.Itoa(i), Body: strconv.Itoa(i),
			EventSource: "aws:sqs", EventSourceARN: arn, Attributes: map[string]string{"ApproximateReceiveCount": strconv.Itoa(receiveCount(i))}}
	}
	return out
}

// Failed messages get their delay from their receive count, ten a call, on
// the queue's standard URL; successful ones are not touched.
func TestFailedMessagesDelayedTenACall(t *testing.T) {
	f := &fakeSQS{}
	hook := core.Must(sqsbackoff.New(sqsbackoff.Config{Client: f, Base: time.Second, Max: time.Hour, Exact: true}))
	p := core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{hook}}}))
	// 25 messages; the odd ones succeed: 13 fail (0, 2, ..., 24).
	msgs := messages(25, func(i int) int { return i/2 + 1 })
	resp, err := core.Process(context.Background(), p, msgs, func(_ context.Context, m *events.SQSMessage) error {
		if n, _ := strconv.Atoi(m.Body); n%2 == 0 {
			return errors.New("failed")
		}
		return nil
	})
	require.NoError(t, err)
	require.Len(t, resp.BatchItemFailures, 13)
	require.Len(t, f.calls, 2)
	require.Len(t, f.calls[0].Entries, 10)
	require.Len(t, f.calls[1].Entries, 3)
	got := map[string]int32{}
	for _, c := range f.calls {
		require.Equal(t, "https://sqs.eu-west-1.amazonaws.com/123456789012/orders", aws.ToString(c.QueueUrl))
		for _, e := range c.Entries {
			got[aws.ToString(e.ReceiptHandle)] = e.VisibilityTimeout
		}
	}
	want := map[string]int32{}
	for i := 0; i < 25; i += 2 {
		d := int32(1) << (i / 2) // receive count i/2+1: Base·2^(i/2)
		want["rh"+strconv.Itoa(i)] = min(d, 3600)
	}
	require.Equal(t, want, got)
}

// The delay doubles per receive, stays within Max and, with jitter, between
// half of it and all of it; a receive count past any sensible number is
// capped, not overflowed.
func TestDelay(t *testing.T) {
	exact := core.Must(sqsbackoff.New(sqsbackoff.Config{Client: &fakeSQS{}, Base: 2 * time.Second, Exact: true}))
	require.Equal(t, 2*time.Second, exact.Delay(0))
	require.Equal(t, 2*time.Second, exact.Delay(1))
	require.Equal(t, 16*time.Second, exact.Delay(4))
	require.Equal(t, sqsbackoff.MaxVisibility, exact.Delay(100))
	require.Equal(t, sqsbackoff.MaxVisibility, exact.Delay(1<<30))
	jit := core.Must(sqsbackoff.New(sqsbackoff.Config{Client: &fakeSQS{}, Base: 10 * time.Second, Max: time.Minute}))
	seen := map[time.Duration]bool{}
	for range 200 {
		d := jit.Delay(3) // 40 s
		require.GreaterOrEqual(t, d, 20*time.Second)
		require.LessOrEqual(t, d, 40*time.Second)
		seen[d] = true
		d = jit.Delay(10) // capped at Max
		require.GreaterOrEqual(t, d, 30*time.Second)
		require.LessOrEqual(t, d, time.Minute)
	}
	require.Greater(t, len(seen), 10, "the delays are jittered")
}

// The visibility timeout sent never exceeds what is left of SQS's 12
// hours (less the minute kept for the time before the invocation).
func TestCappedAtTwelveHours(t *testing.T) {
	f := &fakeSQS{}
	hook := core.Must(sqsbackoff.New(sqsbackoff.Config{Client: f, Base: time.Hour, Exact: true}))
	p := core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{hook}, SuppressFullBatchError: true}}))
	_, err := core.Process(context.Background(), p, messages(1, func(int) int { return 20 }), func(context.Context, *events.SQSMessage) error { return errors.New("x") })
	require.NoError(t, err)
	v := f.calls[0].Entries[0].VisibilityTimeout
	require.LessOrEqual(t, v, int32(43200-60))
	require.Greater(t, v, int32(43200-70))
}

// An SQS API error, or an entry SQS refuses, changes no outcome: the
// failed messages stay failed and reported, and the error is logged with
// log/slog.
func TestAPIErrorsChangeNoOutcome(t *testing.T) {
	var logs bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })

	for _, f := range []*fakeSQS{{err: errors.New("AccessDenied: no sqs:ChangeMessageVisibility")}, {refuse: map[string]bool{"rh0": true}}} {
		logs.Reset()
		hook := core.Must(sqsbackoff.New(sqsbackoff.Config{Client: f}))
		p := core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{hook}}}))
		msgs := messages(3, func(int) int { return 1 })
		b := core.NewBatch(msgs, func(_ context.Context, m *events.SQSMessage) error {
			if m.Body == "0" {
				return errors.New("failed")
			}
			return nil
		})
		resp, err := core.Run(context.Background(), p, b)
		require.NoError(t, err)
		require.Equal(t, []core.BatchItemFailure{{ItemIdentifier: core.StringID("m0")}}, resp.BatchItemFailures)
		require.True(t, b.Outcomes[0].Failed())
		require.Len(t, f.calls, 1)
		if f.err != nil {
			require.Contains(t, logs.String(), "AccessDenied")
		} else {
			require.Contains(t, logs.String(), "ReceiptHandleIsInvalid")
			require.Contains(t, logs.String(), "m0")
		}
	}
}

func TestStandardQueueURL(t *testing.T) {
	u, err := sqsbackoff.StandardQueueURL("arn:aws:sqs:us-east-1:123456789012:q.fifo")
	require.NoError(t, err)
	require.Equal(t, "https://sqs.us-east-1.amazonaws.com/123456789012/q.fifo", u)
	u, err = sqsbackoff.StandardQueueURL("arn:aws-cn:sqs:cn-north-1:123456789012:q")
	require.NoError(t, err)
	require.Equal(t, "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q", u)
	for _, bad := range []string{"", "arn:aws:sns:us-east-1:1:t", "arn:aws:sqs:us-east-1:1", "arn:other:sqs:r:1:q"} {
		_, err := sqsbackoff.StandardQueueURL(bad)
		require.Error(t, err, bad)
	}
}

func TestNewRefuses(t *testing.T) {
	for _, c := range []sqsbackoff.Config{{}, {Client: &fakeSQS{}, Base: -1}, {Client: &fakeSQS{}, Max: 13 * time.Hour}} {
		_, err := sqsbackoff.New(c)
		require.ErrorIs(t, err, core.ErrInvalidConfig)
	}
}
