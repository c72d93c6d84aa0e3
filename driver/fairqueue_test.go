package driver_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/driver"
	"github.com/batchkit/batchkit/processors"
)

// A fair-queue event (a standard queue's messages carrying a MessageGroupId,
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-fair-queues.html)
// is sent to a standard queue with its group ids and no deduplication id (a
// standard queue refuses one), and processed by processors.NewSQS as
// standard records: a failure in a group does not stop the group's other
// messages.
//
// fauxqs 1.9.2 accepts a standard queue's MessageGroupId but drops it (its
// ReceiveMessage returns none) and does not refuse a deduplication id, so the
// requests are checked as they leave the SDK; processors' fair-queue tests
// cover the group ids on the Lambda side.
func TestSendEventFairQueue(t *testing.T) {
	var sent []*sqs.SendMessageInput
	c := sqs.New(sqsClient(t).Options(), func(o *sqs.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Initialize.Add(middleware.InitializeMiddlewareFunc("capture", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if m, ok := in.Parameters.(*sqs.SendMessageInput); ok {
					sent = append(sent, m)
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
		})
	})
	url, _ := createQueue(t, c, name("fair"), map[string]string{"VisibilityTimeout": "30"})
	event := `{"Records":[
	  {"messageId":"m1","body":"t1-fail","attributes":{"MessageGroupId":"tenant-1"},"eventSource":"aws:sqs"},
	  {"messageId":"m2","body":"t1-ok","attributes":{"MessageGroupId":"tenant-1"},"eventSource":"aws:sqs"},
	  {"messageId":"m3","body":"t2-ok","attributes":{"MessageGroupId":"tenant-2"},"eventSource":"aws:sqs"}
	]}`
	path := filepath.Join(t.TempDir(), "event.json")
	require.NoError(t, os.WriteFile(path, []byte(event), 0o644))
	n, err := driver.SendEvent(context.Background(), &driver.Env{SQS: c}, &driver.OpenMapping{Mapping: driver.Mapping{Type: driver.TypeSQS}, SourceName: url}, path)
	require.NoError(t, err, "a standard queue takes a MessageGroupId without a deduplication id")
	require.Equal(t, 3, n)
	require.Len(t, sent, 3)
	for i, in := range sent {
		require.Nil(t, in.MessageDeduplicationId, "record %d: a standard queue refuses a MessageDeduplicationId", i)
	}
	require.Equal(t, []string{"tenant-1", "tenant-1", "tenant-2"}, []string{aws.ToString(sent[0].MessageGroupId), aws.ToString(sent[1].MessageGroupId), aws.ToString(sent[2].MessageGroupId)})

	var mu sync.Mutex
	handled := map[string]int{}
	processor := core.Must(processors.NewSQS(processors.Config{}))
	fn := driver.Handler(func(ctx context.Context, e events.SQSEvent) (core.Response, error) {
		return core.Process(ctx, processor, e.Records, func(_ context.Context, m *events.SQSMessage) error {
			mu.Lock()
			defer mu.Unlock()
			handled[m.Body]++
			if m.Body == "t1-fail" {
				return errors.New("tenant 1 is down")
			}
			return nil
		})
	})
	d := &driver.SQS{ReportBatchItemFailures: true, Client: c, QueueURL: url, BatchSize: 10, WaitTime: time.Second}
	batches := pollUntil(t, d, fn, 30*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(handled) == 3
	})
	mu.Lock()
	defer mu.Unlock()
	var deleted int
	for _, b := range batches {
		require.NoError(t, b.Err)
		deleted += len(b.Deleted)
	}
	require.Equal(t, 2, deleted, "t1-ok ran and succeeded although t1-fail of its group failed before it: no FIFO stop")
}
