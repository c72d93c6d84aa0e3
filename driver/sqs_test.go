package driver_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/driver"
	"github.com/batchkit/batchkit/processors"
)

// counter counts how often each body was handled, and in which order.
type counter struct {
	mu    sync.Mutex
	seen  map[string]int
	order []string
}

func (c *counter) add(body string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]int{}
	}
	c.seen[body]++
	c.order = append(c.order, body)
	return c.seen[body]
}

func (c *counter) count(body string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen[body]
}

func sendBodies(t *testing.T, c *sqs.Client, url string, bodies ...string) map[string]string {
	t.Helper()
	ids := map[string]string{}
	for _, b := range bodies {
		out, err := c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(b)})
		require.NoError(t, err)
		ids[b] = aws.ToString(out.MessageId)
	}
	return ids
}

// Messages that fail every time go to the dead-letter queue after the
// redrive policy's maxReceiveCount (2) receives; the others are deleted after
// their first, successful, processing and never seen again.
func TestSQSRedriveToDeadLetterQueue(t *testing.T) {
	c := sqsClient(t)
	dlqURL, dlqARN := createQueue(t, c, name("orders-dlq"), nil)
	url, arn := createQueue(t, c, name("orders"), map[string]string{
		"VisibilityTimeout": "1",
		"RedrivePolicy":     `{"deadLetterTargetArn":"` + dlqARN + `","maxReceiveCount":"2"}`,
	})
	ok := []string{"ok-1", "ok-2", "ok-3", "ok-4", "ok-5", "ok-6", "ok-7"}
	bad := []string{"fail-1", "fail-2", "fail-3"}
	ids := sendBodies(t, c, url, append(ok, bad...)...)

	var handled counter
	processor := core.Must(processors.NewSQS(processors.Config{}))
	fn := driver.Handler(func(ctx context.Context, e events.SQSEvent) (core.Response, error) {
		return core.Process(ctx, processor, e.Records, func(_ context.Context, m *events.SQSMessage) error {
			handled.add(m.Body)
			if strings.HasPrefix(m.Body, "fail") {
				return errors.New("cannot process " + m.Body)
			}
			return nil
		})
	})
	d := &driver.SQS{ReportBatchItemFailures: true, Client: c, QueueURL: url, BatchSize: 10, WaitTime: time.Second}
	batches := pollUntil(t, d, fn, 30*time.Second, func() bool {
		visible, inFlight := queueDepth(t, c, url)
		dlqVisible, _ := queueDepth(t, c, dlqURL)
		return visible == 0 && inFlight == 0 && dlqVisible == len(bad)
	})

	for _, b := range ok {
		require.Equal(t, 1, handled.count(b), "%s: processed once, then deleted", b)
	}
	for _, b := range bad {
		require.Equal(t, 2, handled.count(b), "%s: received maxReceiveCount times, then moved to the DLQ", b)
	}
	var deleted []string
	for _, b := range batches {
		deleted = append(deleted, b.Deleted...)
		var ev events.SQSEvent
		require.NoError(t, json.Unmarshal(b.Event, &ev))
		if b.Err != nil {
			// Every message of the batch failed: batchkit returns an error
			// and Lambda retries the whole batch.
			require.ErrorIs(t, b.Err, core.ErrFullBatchFailure)
			require.Empty(t, b.Deleted)
		}
		for _, r := range ev.Records {
			if b.Err != nil {
				require.True(t, strings.HasPrefix(r.Body, "fail"), "a whole batch failed although %s succeeded", r.Body)
			}
			require.Equal(t, "aws:sqs", r.EventSource)
			require.Equal(t, arn, r.EventSourceARN)
			require.Equal(t, driver.DefaultRegion, r.AWSRegion)
			require.NotEmpty(t, r.ReceiptHandle)
			require.NotEmpty(t, r.Attributes["ApproximateReceiveCount"])
			require.NotEmpty(t, r.Attributes["SentTimestamp"])
		}
	}
	wantDeleted := make([]string, 0, len(ok))
	for _, b := range ok {
		wantDeleted = append(wantDeleted, ids[b])
	}
	require.ElementsMatch(t, wantDeleted, deleted, "each successful message deleted exactly once")

	out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlqURL), MaxNumberOfMessages: 10})
	require.NoError(t, err)
	var dead []string
	for _, m := range out.Messages {
		dead = append(dead, aws.ToString(m.Body))
	}
	require.ElementsMatch(t, bad, dead)
}

// Lambda's rules for what fails the whole batch: then nothing is deleted and
// every message is delivered again.
func TestSQSWholeBatchFailure(t *testing.T) {
	c := sqsClient(t)
	tests := []struct {
		name       string
		respond    func(ids []string) ([]byte, error)
		wantErr    any
		wantDelete int
	}{
		{"success", func([]string) ([]byte, error) { return []byte(`{"batchItemFailures":[]}`), nil }, nil, 3},
		{"null response", func([]string) ([]byte, error) { return []byte(`null`), nil }, nil, 3},
		{"one reported", func(ids []string) ([]byte, error) {
			return []byte(`{"batchItemFailures":[{"itemIdentifier":"` + ids[1] + `"}]}`), nil
		}, nil, 2},
		{"function error", func([]string) ([]byte, error) { return nil, &driver.FunctionError{Type: "x", Message: "boom"} }, new(*driver.FunctionError), 0},
		{"empty identifier", func([]string) ([]byte, error) {
			return []byte(`{"batchItemFailures":[{"itemIdentifier":""}]}`), nil
		}, new(*driver.InvalidResponseError), 0},
		{"unknown identifier", func([]string) ([]byte, error) {
			return []byte(`{"batchItemFailures":[{"itemIdentifier":"not-in-batch"}]}`), nil
		}, new(*driver.InvalidResponseError), 0},
		{"wrong key", func(ids []string) ([]byte, error) {
			return []byte(`{"batchItemFailures":[{"itemId":"` + ids[0] + `"}]}`), nil
		}, new(*driver.InvalidResponseError), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url, _ := createQueue(t, c, name("whole"), map[string]string{"VisibilityTimeout": "1"})
			sendBodies(t, c, url, "a", "b", "c")
			d := &driver.SQS{ReportBatchItemFailures: true, Client: c, QueueURL: url, BatchSize: 10, WaitTime: time.Second}
			fn := driver.FunctionFunc(func(_ context.Context, event []byte) ([]byte, error) {
				var ev events.SQSEvent
				require.NoError(t, json.Unmarshal(event, &ev))
				ids := make([]string, len(ev.Records))
				for i, r := range ev.Records {
					ids[i] = r.MessageId
				}
				return tt.respond(ids)
			})
			batches, err := d.Poll(context.Background(), fn)
			require.NoError(t, err)
			require.Len(t, batches, 1)
			b := batches[0]
			require.Len(t, b.IDs, 3, "fauxqs returns every visible message in one receive")
			if tt.wantErr == nil {
				require.NoError(t, b.Err)
			} else {
				require.ErrorIs(t, b.Err, driver.ErrWholeBatchFailed)
				require.ErrorAs(t, b.Err, tt.wantErr)
				require.Empty(t, b.Failed)
			}
			require.Len(t, b.Deleted, tt.wantDelete)

			// What was not deleted is delivered again after the visibility
			// timeout, and nothing else.
			again, err := driver.Drain(context.Background(), d, driver.FunctionFunc(func(context.Context, []byte) ([]byte, error) { return nil, nil }), 2)
			require.NoError(t, err)
			var redelivered []string
			for _, b := range again {
				redelivered = append(redelivered, b.IDs...)
			}
			var want []string
			deleted := map[string]bool{}
			for _, id := range b.Deleted {
				deleted[id] = true
			}
			for _, id := range b.IDs {
				if !deleted[id] {
					want = append(want, id)
				}
			}
			require.ElementsMatch(t, want, redelivered)
		})
	}
}

// The event is the one Lambda sends: field names, attributes, message
// attributes, eventSource, eventSourceARN and awsRegion.
func TestSQSEventFields(t *testing.T) {
	c := sqsClient(t)
	url, arn := createQueue(t, c, name("fields"), nil)
	out, err := c.SendMessage(context.Background(), &sqs.SendMessageInput{
		QueueUrl:    aws.String(url),
		MessageBody: aws.String(`{"Message":"hi"}`),
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{
			"kind": {DataType: aws.String("String"), StringValue: aws.String("order")},
		},
	})
	require.NoError(t, err)
	var event []byte
	d := &driver.SQS{ReportBatchItemFailures: true, Client: c, QueueURL: url, Region: "eu-west-1", WaitTime: time.Second}
	batches, err := d.Poll(context.Background(), driver.FunctionFunc(func(_ context.Context, e []byte) ([]byte, error) {
		event = e
		return nil, nil
	}))
	require.NoError(t, err)
	require.Len(t, batches, 1)
	require.Equal(t, []string{aws.ToString(out.MessageId)}, batches[0].Deleted)

	var raw struct {
		Records []map[string]json.RawMessage `json:"Records"`
	}
	require.NoError(t, json.Unmarshal(event, &raw))
	require.Len(t, raw.Records, 1)
	for _, key := range []string{"messageId", "receiptHandle", "body", "md5OfBody", "md5OfMessageAttributes", "attributes", "messageAttributes", "eventSource", "eventSourceARN", "awsRegion"} {
		require.Contains(t, raw.Records[0], key)
	}
	var ev events.SQSEvent
	require.NoError(t, json.Unmarshal(event, &ev))
	m := ev.Records[0]
	require.Equal(t, aws.ToString(out.MessageId), m.MessageId)
	require.Equal(t, `{"Message":"hi"}`, m.Body)
	require.Equal(t, aws.ToString(out.MD5OfMessageBody), m.Md5OfBody)
	require.Equal(t, "1", m.Attributes["ApproximateReceiveCount"])
	require.NotEmpty(t, m.Attributes["SentTimestamp"])
	require.NotEmpty(t, m.Attributes["ApproximateFirstReceiveTimestamp"])
	require.Equal(t, "String", m.MessageAttributes["kind"].DataType)
	require.Equal(t, "order", aws.ToString(m.MessageAttributes["kind"].StringValue))
	require.JSONEq(t, `{"stringValue":"order","stringListValues":[],"binaryListValues":[],"dataType":"String"}`, string(mustJSON(t, m.MessageAttributes["kind"])))
	require.Equal(t, "aws:sqs", m.EventSource)
	require.Equal(t, arn, m.EventSourceARN)
	require.Equal(t, "eu-west-1", m.AWSRegion)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}
