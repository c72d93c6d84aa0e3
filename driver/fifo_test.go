package driver_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/driver"
	"github.com/batchkit/batchkit/processors"
)

// A FIFO queue with several message groups: some messages fail on their
// first delivery; the processor reports them (and what it did not process
// after them), the driver leaves them to reappear, and each group's messages
// are processed successfully exactly once, in the order they were sent.
func TestSQSFIFOOrderAcrossRetries(t *testing.T) {
	c := sqsClient(t)
	tests := []struct {
		name      string
		processor *processors.SQSProcessor
	}{
		{"stop at first failure", core.Must(processors.NewSQSFIFO(processors.Config{}))},
		{"skip group on error", core.Must(processors.NewSQSFIFO(processors.Config{SkipGroupOnError: true}))},
	}
	groups := []string{"g1", "g2", "g3"}
	const perGroup = 6
	failOnce := map[string]bool{"g1-1": true, "g2-4": true, "g3-0": true, "g1-5": true}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url, _ := createQueue(t, c, name("fifo")+".fifo", map[string]string{
				"FifoQueue":                 "true",
				"ContentBasedDeduplication": "true",
				"VisibilityTimeout":         "1",
			})
			for i := range perGroup {
				for _, g := range groups {
					_, err := c.SendMessage(context.Background(), &sqs.SendMessageInput{
						QueueUrl:       aws.String(url),
						MessageBody:    aws.String(fmt.Sprintf("%s-%d", g, i)),
						MessageGroupId: aws.String(g),
					})
					require.NoError(t, err)
				}
			}

			var mu sync.Mutex
			attempts := map[string]int{}
			done := map[string][]string{}
			fn := driver.Handler(func(ctx context.Context, e events.SQSEvent) (core.Response, error) {
				return core.Process(ctx, tt.processor, e.Records, func(_ context.Context, m *events.SQSMessage) error {
					mu.Lock()
					defer mu.Unlock()
					attempts[m.Body]++
					require.NotEmpty(t, m.Attributes["SequenceNumber"], "FIFO messages carry their sequence number")
					require.NotEmpty(t, m.Attributes["MessageDeduplicationId"])
					if failOnce[m.Body] && attempts[m.Body] == 1 {
						return errors.New("first delivery of " + m.Body + " fails")
					}
					g := m.Attributes["MessageGroupId"]
					done[g] = append(done[g], m.Body)
					return nil
				})
			})
			// Batches of 4 out of 18 messages: groups span batches, so the
			// queue's group lock (a group with a message in flight delivers
			// nothing more) and the reported failures keep the order.
			d := &driver.SQS{ReportBatchItemFailures: true, Client: c, QueueURL: url, BatchSize: 4, WaitTime: time.Second}
			batches := pollUntil(t, d, fn, 60*time.Second, func() bool {
				visible, inFlight := queueDepth(t, c, url)
				return visible == 0 && inFlight == 0
			})

			for _, g := range groups {
				want := make([]string, perGroup)
				for i := range want {
					want[i] = fmt.Sprintf("%s-%d", g, i)
				}
				require.Equal(t, want, done[g], "group %s: processed once each, in order", g)
			}
			for _, b := range batches {
				if b.Err != nil {
					// A batch where every message failed (or was
					// short-circuited) is an error: Lambda retries it whole.
					require.ErrorIs(t, b.Err, core.ErrFullBatchFailure)
					require.Empty(t, b.Deleted)
				}
			}
			for body := range failOnce {
				require.Equal(t, 2, attempts[body], "%s failed once, then succeeded", body)
			}
		})
	}
}
