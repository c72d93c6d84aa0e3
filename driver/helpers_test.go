package driver_test

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/driver"
	"github.com/batchkit/batchkit/internal/testenv"
)

var unique atomic.Int64

// name returns a resource name unique to this test process.
func name(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e9, unique.Add(1))
}

func sqsClient(t *testing.T) *sqs.Client {
	return driver.NewSQSClient(testenv.Endpoint(t, "BATCHKIT_SQS_ENDPOINT", "fauxqs"))
}

// createQueue creates a queue, deleted at the end of the test, and returns
// its URL and ARN.
func createQueue(t *testing.T, c *sqs.Client, name string, attrs map[string]string) (string, string) {
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

// queueDepth returns the visible and in-flight message counts.
func queueDepth(t *testing.T, c *sqs.Client, url string) (visible, inFlight int) {
	t.Helper()
	a, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{
		sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
	}})
	require.NoError(t, err)
	visible, _ = strconv.Atoi(a.Attributes["ApproximateNumberOfMessages"])
	inFlight, _ = strconv.Atoi(a.Attributes["ApproximateNumberOfMessagesNotVisible"])
	return visible, inFlight
}

// pollUntil polls p with fn until done returns true, failing the test after
// timeout.
func pollUntil(t *testing.T, p driver.Poller, fn driver.Function, timeout time.Duration, done func() bool) []driver.Batch {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var all []driver.Batch
	for !done() {
		require.NoError(t, ctx.Err(), "gave up waiting after %s; batches so far: %d", timeout, len(all))
		batches, err := p.Poll(ctx, fn)
		require.NoError(t, err)
		all = append(all, batches...)
		if len(batches) == 0 {
			time.Sleep(50 * time.Millisecond)
		}
	}
	return all
}

func testenvKinesis(t *testing.T) string {
	return testenv.Endpoint(t, "BATCHKIT_KINESIS_ENDPOINT", "kinesalite")
}
