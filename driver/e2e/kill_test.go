package e2e

import (
	"bufio"
	"context"
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

// The function process is killed in the middle of a batch (its handler
// blocks on one message): the invocation fails, the driver deletes nothing,
// and after the visibility timeout the whole batch is delivered again to a
// new function process, which processes every message: nothing is lost.
func TestKillFunctionMidBatch(t *testing.T) {
	t.Parallel()
	c := driver.NewSQSClient(testenv.Endpoint(t, "BATCHKIT_SQS_ENDPOINT", "fauxqs"))
	testenv.Endpoint(t, "BATCHKIT_RIE", "aws-lambda-rie (the Lambda Runtime Interface Emulator)")
	ctx := context.Background()
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName:  aws.String("kill-" + strconv.FormatInt(time.Now().UnixNano(), 36)),
		Attributes: map[string]string{"VisibilityTimeout": "2"},
	})
	require.NoError(t, err)
	url := aws.ToString(q.QueueUrl)
	t.Cleanup(func() { _, _ = c.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}) })
	bodies := []string{"m1", "m2", "block", "m4", "m5"}
	sent := map[string]string{}
	for _, b := range bodies {
		out, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(b)})
		require.NoError(t, err)
		sent[aws.ToString(out.MessageId)] = b
	}

	bootstrap := buildBootstrap(t, "driver/internal/e2efunc", runtime.GOARCH)
	dir := t.TempDir()
	firstLog, secondLog, marker := filepath.Join(dir, "first.log"), filepath.Join(dir, "second.log"), filepath.Join(dir, "blocked")
	d := &driver.SQS{ReportBatchItemFailures: true, Client: c, QueueURL: url, BatchSize: 10, WaitTime: time.Second}

	// First function process: blocks on "block", then is killed.
	first := startFunction(t, bootstrap, "E2E_LOG="+firstLog, "E2E_BLOCK_MARKER="+marker, "AWS_LAMBDA_FUNCTION_TIMEOUT=60")
	type polled struct {
		batches []driver.Batch
		err     error
	}
	done := make(chan polled, 1)
	go func() {
		b, err := d.Poll(ctx, first)
		done <- polled{b, err}
	}()
	require.Eventually(t, func() bool { _, err := os.Stat(marker); return err == nil }, 20*time.Second, 20*time.Millisecond, "the handler reached the blocking message")
	first.Kill()
	res := <-done
	require.NoError(t, res.err)
	require.Len(t, res.batches, 1)
	killed := res.batches[0]
	require.Len(t, killed.IDs, len(bodies), "one batch with every message")
	require.ErrorIs(t, killed.Err, driver.ErrWholeBatchFailed, "the invocation died with the process")
	require.Empty(t, killed.Deleted, "nothing is deleted when the function dies")

	// Second function process: the batch comes back after the visibility
	// timeout and is processed.
	second := startFunction(t, bootstrap, "E2E_LOG="+secondLog)
	deadline := time.Now().Add(30 * time.Second)
	var deleted []string
	for {
		require.True(t, time.Now().Before(deadline), "the messages did not come back")
		batches, err := d.Poll(ctx, second)
		require.NoError(t, err)
		for _, b := range batches {
			require.NoError(t, b.Err)
			deleted = append(deleted, b.Deleted...)
		}
		if len(deleted) == len(bodies) {
			break
		}
	}
	require.ElementsMatch(t, killed.IDs, deleted)

	processed := readLog(t, secondLog)
	require.Len(t, processed, len(bodies))
	for id, body := range sent {
		require.Equal(t, body, processed[id], "message %s processed by the new process", id)
	}
	a, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
	require.NoError(t, err)
	require.Equal(t, "0", a.Attributes["ApproximateNumberOfMessages"])
	require.Equal(t, "0", a.Attributes["ApproximateNumberOfMessagesNotVisible"])
}

// readLog reads e2efunc's log: message id -> body.
func readLog(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	out := map[string]string{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		id, body, ok := strings.Cut(s.Text(), " ")
		require.True(t, ok, "log line %q", s.Text())
		out[id] = body
	}
	require.NoError(t, s.Err())
	return out
}
