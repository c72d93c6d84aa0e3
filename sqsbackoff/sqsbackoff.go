// Package sqsbackoff gives failed SQS messages an exponential backoff with
// jitter. Without it, a message that failed comes back when the queue's
// visibility timeout ends, so a failing downstream is retried at a constant
// rate; with it, each failed message is hidden for a delay that doubles with
// every receive (read from its ApproximateReceiveCount attribute), through
// ChangeMessageVisibilityBatch with its receipt handle, ten messages a call
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibilityBatch.html).
//
// It is a core.Hook: add it to the SQS processor's hooks.
//
//	backoff := core.Must(sqsbackoff.New(sqsbackoff.Config{Client: sqs.NewFromConfig(cfg), Base: 10 * time.Second}))
//	var processor = core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{backoff}}}))
//
// The hook sees each record's outcome as it ends, and changes the
// visibility of the failed ones once the response is built (BatchEnd),
// before it is returned to Lambda, which leaves the failed messages in the
// queue for the delay. The delay of the n-th receive is Base·2^(n-1),
// at most Max, with jitter: half of it fixed and half drawn at random
// ("equal jitter"), unless Exact. It is always capped at SQS's maximum:
// a message's visibility timeout cannot exceed 12 hours from its receipt
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html).
//
// The outcomes and the response never change: a failed message stays failed
// and reported whatever the SQS API answers. An error of the API (or an
// entry it refused) is returned by BatchEnd, which the lifecycle logs with
// log/slog; the message then simply comes back after the queue's visibility
// timeout.
//
// A delayed message still counts its receives: after the redrive policy's
// maxReceiveCount it goes to the dead-letter queue as before, only later.
//
// FIFO queues: a message that is not visible holds its message group, so a
// delayed message delays every later message of its group (the order is
// kept), while other groups go on. See docs/sqs-backoff.md.
package sqsbackoff

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/batchkit/batchkit/core"
)

// MaxVisibility is SQS's largest visibility timeout: 12 hours from the
// message's receipt.
const MaxVisibility = 12 * time.Hour

// receiptSlack is kept off MaxVisibility for the time between the receipt
// of the messages (by Lambda's poller) and the invocation's start, which
// the function does not know.
const receiptSlack = time.Minute

// API is the part of the SQS client the hook calls (*sqs.Client has it).
type API interface {
	ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error)
}

// Config configures the backoff hook.
type Config struct {
	// Client calls SQS (required).
	Client API
	// Base is the delay after the first receive (default 5 seconds); it
	// doubles with each receive.
	Base time.Duration
	// Max bounds the delay (default, and at most, MaxVisibility).
	Max time.Duration
	// Exact turns jitter off: the delay is exactly Base·2^(n-1).
	Exact bool
	// QueueURL returns the URL of the queue whose ARN a message's
	// eventSourceARN names. Default: the queue's standard URL,
	// https://sqs.<region>.amazonaws.com/<account>/<name>.
	QueueURL func(queueARN string) (string, error)
}

// Hook is the backoff hook: a core.Hook. It is safe for concurrent use by
// concurrent invocations.
type Hook struct {
	core.NopHook
	c Config
}

// New returns the backoff hook. A missing client, a negative Base, or a Max
// outside (0, MaxVisibility] is a *core.ConfigError.
func New(c Config) (*Hook, error) {
	bad := func(setting, value, problem string) (*Hook, error) {
		return nil, &core.ConfigError{Processor: "sqsbackoff", Setting: setting, Value: value, Problem: problem}
	}
	if c.Client == nil {
		return bad("Client", "nil", "is required")
	}
	if c.Base < 0 {
		return bad("Base", c.Base.String(), "must not be negative")
	}
	if c.Base == 0 {
		c.Base = 5 * time.Second
	}
	if c.Max < 0 || c.Max > MaxVisibility {
		return bad("Max", c.Max.String(), "must be at most 12h")
	}
	if c.Max == 0 {
		c.Max = MaxVisibility
	}
	if c.QueueURL == nil {
		c.QueueURL = StandardQueueURL
	}
	return &Hook{c: c}, nil
}

// StandardQueueURL returns the URL of the queue named by an SQS queue ARN,
// arn:aws:sqs:<region>:<account>:<name>, in its standard form
// https://sqs.<region>.amazonaws.com/<account>/<name>
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-queue-message-identifiers.html).
func StandardQueueURL(queueARN string) (string, error) {
	p := strings.Split(queueARN, ":")
	if len(p) != 6 || p[0] != "arn" || p[2] != "sqs" || p[3] == "" || p[4] == "" || p[5] == "" {
		return "", fmt.Errorf("batchkit: not an SQS queue ARN: %q", queueARN)
	}
	host := "amazonaws.com"
	switch {
	case p[1] == "aws-cn":
		host = "amazonaws.com.cn"
	case p[1] != "aws" && p[1] != "aws-us-gov":
		return "", fmt.Errorf("batchkit: unknown partition in queue ARN %q", queueARN)
	}
	return "https://sqs." + p[3] + "." + host + "/" + p[4] + "/" + p[5], nil
}

// Delay returns the delay of a message failed at its receiveCount-th
// receive (1 for the first), before the 12-hour cap: Base·2^(n-1), at most
// Max, with equal jitter unless Exact.
func (h *Hook) Delay(receiveCount int) time.Duration {
	n := max(receiveCount, 1)
	d := h.c.Max
	if n-1 < 62 {
		if e := float64(h.c.Base) * math.Pow(2, float64(n-1)); e < float64(h.c.Max) {
			d = time.Duration(e)
		}
	}
	if !h.c.Exact {
		d = d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
	}
	return d
}

// pending is a failed message whose visibility is to change.
type pending struct {
	queueARN, receipt, id string
	delay                 time.Duration
}

// batch collects one invocation's failed messages.
type batch struct {
	start time.Time
	mu    sync.Mutex
	msgs  []pending
}

type batchKey struct{}

// BatchStart starts collecting the invocation's failed messages.
func (h *Hook) BatchStart(ctx context.Context, info core.BatchInfo) context.Context {
	return context.WithValue(ctx, batchKey{}, &batch{start: info.Start})
}

// RecordEnd notes a failed SQS message, with its delay.
func (h *Hook) RecordEnd(ctx context.Context, info core.RecordInfo) {
	if !info.Outcome.Failed() {
		return
	}
	m, ok := info.Record.(*events.SQSMessage)
	if !ok || m == nil || m.ReceiptHandle == "" {
		return
	}
	n, _ := strconv.Atoi(m.Attributes["ApproximateReceiveCount"])
	p := pending{queueARN: m.EventSourceARN, receipt: m.ReceiptHandle, id: m.MessageId, delay: h.Delay(n)}
	b, ok := ctx.Value(batchKey{}).(*batch)
	if !ok {
		// A hook before this one dropped the batch's context: change the
		// message's visibility at once.
		_ = h.flush(ctx, time.Now(), []pending{p})
		return
	}
	b.mu.Lock()
	b.msgs = append(b.msgs, p)
	b.mu.Unlock()
}

// BatchEnd changes the visibility of the failed messages, ten a call. Its
// error names what SQS refused; the response is unchanged.
func (h *Hook) BatchEnd(ctx context.Context, res core.BatchResult) error {
	b, ok := ctx.Value(batchKey{}).(*batch)
	if !ok {
		return nil
	}
	b.mu.Lock()
	msgs := b.msgs
	b.msgs = nil
	b.mu.Unlock()
	start := b.start
	if start.IsZero() {
		start = res.Start
	}
	return h.flush(ctx, start, msgs)
}

// flush sends the visibility changes, grouped by queue, ten a call.
func (h *Hook) flush(ctx context.Context, start time.Time, msgs []pending) error {
	// What is left of the 12 hours since the receipt, which preceded start.
	room := MaxVisibility - receiptSlack - time.Since(start)
	var errs []error
	byQueue := map[string][]pending{}
	var order []string
	for _, p := range msgs {
		if _, ok := byQueue[p.queueARN]; !ok {
			order = append(order, p.queueARN)
		}
		byQueue[p.queueARN] = append(byQueue[p.queueARN], p)
	}
	for _, arn := range order {
		url, err := h.c.QueueURL(arn)
		if err != nil {
			errs = append(errs, fmt.Errorf("batchkit: backoff of %d messages: %w", len(byQueue[arn]), err))
			continue
		}
		ps := byQueue[arn]
		for start := 0; start < len(ps); start += 10 {
			part := ps[start:min(start+10, len(ps))]
			entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, len(part))
			for i, p := range part {
				d := min(p.delay, room)
				entries[i] = types.ChangeMessageVisibilityBatchRequestEntry{
					Id:                aws.String(strconv.Itoa(i)),
					ReceiptHandle:     aws.String(p.receipt),
					VisibilityTimeout: int32(max(0, math.Ceil(d.Seconds()))),
				}
			}
			out, err := h.c.Client.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url), Entries: entries})
			if err != nil {
				errs = append(errs, fmt.Errorf("batchkit: backoff of %d messages of %s: %w", len(part), url, err))
				continue
			}
			for _, f := range out.Failed {
				i, _ := strconv.Atoi(aws.ToString(f.Id))
				id := ""
				if i >= 0 && i < len(part) {
					id = part[i].id
				}
				errs = append(errs, fmt.Errorf("batchkit: backoff of message %s refused: %s %s", id, aws.ToString(f.Code), aws.ToString(f.Message)))
			}
		}
	}
	return errors.Join(errs...)
}
