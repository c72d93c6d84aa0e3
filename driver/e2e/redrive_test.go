package e2e

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/driver"
	"github.com/batchkit/batchkit/internal/testenv"
)

// The whole loop with the function as Lambda runs it: a bootstrap under the
// emulator, fed from a queue with a dead-letter queue after 2 receives. The
// messages that fail reach the DLQ; the others are processed exactly once.
func TestSQSRedriveUnderEmulator(t *testing.T) {
	t.Parallel()
	c := driver.NewSQSClient(testenv.Endpoint(t, "BATCHKIT_SQS_ENDPOINT", "fauxqs"))
	testenv.Endpoint(t, "BATCHKIT_RIE", "aws-lambda-rie (the Lambda Runtime Interface Emulator)")
	ctx := context.Background()
	suffix := strconv.FormatInt(time.Now().UnixNano(), 36)
	dlqURL, dlqARN := queue(t, c, "redrive-dlq-"+suffix, nil)
	url, _ := queue(t, c, "redrive-"+suffix, map[string]string{
		"VisibilityTimeout": "1",
		"RedrivePolicy":     `{"deadLetterTargetArn":"` + dlqARN + `","maxReceiveCount":"2"}`,
	})
	sent := map[string]string{}
	for _, b := range []string{"ok-1", "fail", "ok-2", "ok-3", "fail", "ok-4"} {
		out, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(b)})
		require.NoError(t, err)
		sent[aws.ToString(out.MessageId)] = b
	}

	log := filepath.Join(t.TempDir(), "processed.log")
	fn := startFunction(t, buildBootstrap(t, "driver/internal/e2efunc", runtime.GOARCH), "E2E_LOG="+log)
	d := &driver.SQS{ReportBatchItemFailures: true, Client: c, QueueURL: url, BatchSize: 10, WaitTime: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	var functionErrors []string
	for {
		require.True(t, time.Now().Before(deadline), "the queue did not drain into the DLQ")
		batches, err := d.Poll(ctx, fn)
		require.NoError(t, err)
		for _, b := range batches {
			var fe *driver.FunctionError
			if errors.As(b.Err, &fe) {
				functionErrors = append(functionErrors, fe.Type)
				require.Empty(t, b.Deleted)
			}
		}
		if depth(t, c, url) == 0 && depth(t, c, dlqURL) == 2 {
			break
		}
	}

	// Once only the failing messages are left, every record of the batch
	// fails: the function returns an error, which the emulator reports.
	require.Contains(t, functionErrors, "FullBatchFailureError")

	counts := processedCounts(t, log)
	for id, body := range sent {
		if body == "fail" {
			require.Zero(t, counts[id], "a failing message is never recorded as processed")
		} else {
			require.Equal(t, 1, counts[id], "%s processed exactly once", body)
		}
	}
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlqURL), MaxNumberOfMessages: 10,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}})
	require.NoError(t, err)
	require.Len(t, out.Messages, 2)
	for _, m := range out.Messages {
		require.Equal(t, "fail", sent[aws.ToString(m.MessageId)], "only the failing messages are dead-lettered")
	}
}

// queue creates a queue, deleted at the end of the test.
func queue(t *testing.T, c *sqs.Client, name string, attrs map[string]string) (url, arn string) {
	t.Helper()
	ctx := context.Background()
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	require.NoError(t, err)
	url = aws.ToString(out.QueueUrl)
	t.Cleanup(func() { _, _ = c.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}) })
	a, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
	require.NoError(t, err)
	return url, a.Attributes["QueueArn"]
}

// depth returns the number of messages visible or in flight.
func depth(t *testing.T, c *sqs.Client, url string) int {
	t.Helper()
	a, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
	require.NoError(t, err)
	v, _ := strconv.Atoi(a.Attributes["ApproximateNumberOfMessages"])
	f, _ := strconv.Atoi(a.Attributes["ApproximateNumberOfMessagesNotVisible"])
	return v + f
}

// processedCounts counts e2efunc's log lines per message id.
func processedCounts(t *testing.T, path string) map[string]int {
	t.Helper()
	counts := map[string]int{}
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		id, _, _ := strings.Cut(s.Text(), " ")
		counts[id]++
	}
	require.NoError(t, s.Err())
	return counts
}
