package sqsbackoff_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/driver"
	"github.com/batchkit/batchkit/internal/testenv"
	"github.com/batchkit/batchkit/processors"
	"github.com/batchkit/batchkit/sqsbackoff"
)

var unique atomic.Int64

func name(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e9, unique.Add(1))
}

// queue creates a queue on fauxqs, deleted after the test, and returns its
// URL and ARN.
func queue(t *testing.T, c *sqs.Client, name string, attrs map[string]string) (string, string) {
	t.Helper()
	ctx := context.Background()
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	require.NoError(t, err)
	url := aws.ToString(out.QueueUrl)
	t.Cleanup(func() { _, _ = c.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}) })
	a, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	require.NoError(t, err)
	return url, a.Attributes["QueueArn"]
}

// urls maps the test's queue ARNs to their fauxqs URLs (fauxqs's URLs are
// not the standard ones).
type urls map[string]string

func (u urls) get(arn string) (string, error) {
	if v, ok := u[arn]; ok {
		return v, nil
	}
	return "", errors.New("unknown queue " + arn)
}

// receipt is one handling of a message.
type receipt struct {
	body  string
	count string
	at    time.Time
}

type journal struct {
	mu   sync.Mutex
	seen []receipt
}

func (j *journal) add(m *events.SQSMessage) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.seen = append(j.seen, receipt{m.Body, m.Attributes["ApproximateReceiveCount"], time.Now()})
}

func (j *journal) of(body string) []receipt {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []receipt
	for _, r := range j.seen {
		if r.body == body {
			out = append(out, r)
		}
	}
	return out
}

func (j *journal) order() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []string
	for _, r := range j.seen {
		out = append(out, r.body)
	}
	return out
}

// poll runs the mapping until done, failing after timeout.
func poll(t *testing.T, d *driver.SQS, fn driver.Function, timeout time.Duration, done func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for !done() {
		require.NoError(t, ctx.Err(), "gave up after %s", timeout)
		batches, err := d.Poll(ctx, fn)
		require.NoError(t, err)
		if len(batches) == 0 {
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// A message that always fails comes back after its backoff (1 s, then 2 s,
// then 4 s: Exact), not after the queue's 30-second visibility timeout, and
// lands in the dead-letter queue after maxReceiveCount (3) receives; a
// message that succeeds is deleted once. On fauxqs, through the local event
// source mapping of package driver.
func TestBackoffEndToEnd(t *testing.T) {
	c := driver.NewSQSClient(testenv.Endpoint(t, "BATCHKIT_SQS_ENDPOINT", "fauxqs"))
	dlqURL, dlqARN := queue(t, c, name("backoff-dlq"), nil)
	url, arn := queue(t, c, name("backoff"), map[string]string{
		"VisibilityTimeout": "30",
		"RedrivePolicy":     `{"deadLetterTargetArn":"` + dlqARN + `","maxReceiveCount":"3"}`,
	})
	for _, b := range []string{"poison", "fine"} {
		_, err := c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(b)})
		require.NoError(t, err)
	}

	hook := core.Must(sqsbackoff.New(sqsbackoff.Config{Client: c, Base: time.Second, Exact: true, QueueURL: urls{arn: url}.get}))
	processor := core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{hook}}}))
	var j journal
	fn := driver.Handler(func(ctx context.Context, e events.SQSEvent) (core.Response, error) {
		return core.Process(ctx, processor, e.Records, func(_ context.Context, m *events.SQSMessage) error {
			j.add(m)
			if m.Body == "poison" {
				return errors.New("downstream is down")
			}
			return nil
		})
	})
	d := &driver.SQS{ReportBatchItemFailures: true, Client: c, QueueURL: url, BatchSize: 10, WaitTime: time.Second}
	poll(t, d, fn, 25*time.Second, func() bool {
		out, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(dlqURL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
		require.NoError(t, err)
		return out.Attributes["ApproximateNumberOfMessages"] == "1"
	})

	require.Len(t, j.of("fine"), 1, "the successful message is deleted, not delayed")
	got := j.of("poison")
	require.Len(t, got, 3, "received maxReceiveCount times, then moved to the dead-letter queue")
	for i, r := range got {
		require.Equal(t, strconv.Itoa(i+1), r.count)
	}
	for i, want := range []time.Duration{time.Second, 2 * time.Second} {
		gap := got[i+1].at.Sub(got[i].at)
		require.GreaterOrEqual(t, gap, want-100*time.Millisecond, "receive %d came back before its backoff", i+2)
		require.Less(t, gap, want+3*time.Second, "receive %d came back after %s: not its backoff of %s", i+2, gap, want)
	}
	out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlqURL), MaxNumberOfMessages: 10})
	require.NoError(t, err)
	require.Len(t, out.Messages, 1)
	require.Equal(t, "poison", aws.ToString(out.Messages[0].Body))
}

// FIFO: a delayed message holds its group. g-1 fails once and is delayed 3
// s; g-2, behind it in group g, is not received until g-1 has come back and
// succeeded, while group h goes on meanwhile (h-2, sent during the delay, is
// handled before g-1 comes back).
func TestBackoffFIFOHoldsTheGroup(t *testing.T) {
	c := driver.NewSQSClient(testenv.Endpoint(t, "BATCHKIT_SQS_ENDPOINT", "fauxqs"))
	url, arn := queue(t, c, name("backoff")+".fifo", map[string]string{
		"FifoQueue": "true", "ContentBasedDeduplication": "true", "VisibilityTimeout": "30",
	})
	send := func(group, body string) {
		_, err := c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body), MessageGroupId: aws.String(group)})
		require.NoError(t, err)
	}
	send("g", "g-1")
	send("g", "g-2")
	send("h", "h-1")

	hook := core.Must(sqsbackoff.New(sqsbackoff.Config{Client: c, Base: 3 * time.Second, Exact: true, QueueURL: urls{arn: url}.get}))
	processor := core.Must(processors.NewSQSFIFO(processors.Config{SkipGroupOnError: true, Options: core.Options{Hooks: []core.Hook{hook}}}))
	var j journal
	var failedOnce atomic.Bool
	var hSent atomic.Bool
	fn := driver.Handler(func(ctx context.Context, e events.SQSEvent) (core.Response, error) {
		return core.Process(ctx, processor, e.Records, func(_ context.Context, m *events.SQSMessage) error {
			j.add(m)
			if m.Body == "g-1" && failedOnce.CompareAndSwap(false, true) {
				return errors.New("first try fails")
			}
			return nil
		})
	})
	d := &driver.SQS{ReportBatchItemFailures: true, Client: c, QueueURL: url, BatchSize: 10, WaitTime: time.Second}
	poll(t, d, fn, 25*time.Second, func() bool {
		if failedOnce.Load() && hSent.CompareAndSwap(false, true) {
			send("h", "h-2") // while group g is delayed
		}
		return len(j.of("g-2")) == 1 && len(j.of("h-2")) == 1
	})

	g1 := j.of("g-1")
	require.Len(t, g1, 2)
	gap := g1[1].at.Sub(g1[0].at)
	require.GreaterOrEqual(t, gap, 3*time.Second-100*time.Millisecond, "g-1 came back before its backoff")
	require.Less(t, gap, 10*time.Second, "g-1 came back after the queue's timeout, not its backoff")
	order := strings.Join(j.order(), " ")
	require.Less(t, strings.Index(order, "h-2"), strings.LastIndex(order, "g-1"), "group h went on while g was delayed: %s", order)
	require.Less(t, strings.LastIndex(order, "g-1"), strings.LastIndex(order, "g-2"), "g-2 waited for g-1: %s", order)
	require.Len(t, j.of("g-2"), 1, "g-2 ran once, after g-1 succeeded")
}
