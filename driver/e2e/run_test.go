package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/driver"
	"github.com/batchkit/batchkit/internal/testenv"
)

// command returns batchkit-driver, built once per run (see binary).
func command(t *testing.T) string {
	t.Helper()
	return binary(t, goBuild{Dir: "driver/cmd/batchkit-driver"})
}

// runCommand runs `batchkit-driver run` with args and returns its JSON
// reports by mapping name.
func runCommand(t *testing.T, args ...string) map[string]driver.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, command(t), append([]string{"run", "-json"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "batchkit-driver run %v: %s", args, stderr.String())
	reports := map[string]driver.Report{}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		var r driver.Report
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r), "a JSON report line: %s", sc.Text())
		reports[r.Mapping] = r
	}
	require.NotEmpty(t, reports, "stderr: %s", stderr.String())
	return reports
}

// eventRecords counts the records of an example's event.json.
func eventRecords(t *testing.T, example string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "examples", example, "event.json"))
	require.NoError(t, err)
	var ev struct{ Records []json.RawMessage }
	require.NoError(t, json.Unmarshal(data, &ev))
	return len(ev.Records)
}

// expectedFailures counts the failures of an example's response.json.
func expectedFailures(t *testing.T, example string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "examples", example, "response.json"))
	require.NoError(t, err)
	var resp events.SQSEventResponse
	require.NoError(t, json.Unmarshal(data, &resp))
	return len(resp.BatchItemFailures)
}

// The examples' own SAM templates run through `batchkit-driver run`: the
// queues and streams are created from the template, the example's event is
// put on them, the example is built and run under the emulator, and the
// report says what Lambda would have done with the template's settings. The
// sqs example is built by batchkit-driver itself (what it does without
// -bootstrap); the others run the bootstrap the other tests built
// (-bootstrap), to link each once per run.
func TestExampleTemplatesRun(t *testing.T) {
	t.Parallel()
	sqsEndpoint := testenv.Endpoint(t, "BATCHKIT_SQS_ENDPOINT", "fauxqs")
	testenv.Endpoint(t, "BATCHKIT_RIE", "aws-lambda-rie (the Lambda Runtime Interface Emulator)")
	sqsc := driver.NewSQSClient(sqsEndpoint)

	t.Run("sqs", func(t *testing.T) {
		t.Parallel()
		runSQSExample(t, sqsc, "sqs")
	})
	t.Run("sqs_fifo", func(t *testing.T) {
		t.Parallel()
		runSQSExample(t, sqsc, "sqs_fifo")
	})
	t.Run("kinesis", func(t *testing.T) {
		t.Parallel()
		testenv.Endpoint(t, "BATCHKIT_KINESIS_ENDPOINT", "kinesalite")
		prefix := uniquePrefix()
		reports := runCommand(t, "-template", filepath.Join(root, "examples/kinesis/template.yaml"), "-create", "-prefix", prefix,
			"-bootstrap", buildBootstrap(t, "examples/kinesis", runtime.GOARCH),
			"-send", filepath.Join(root, "examples/kinesis/event.json"), "-idle", "2")
		r := reports["OrdersFunction/Orders"]
		records, failures := eventRecords(t, "kinesis"), expectedFailures(t, "kinesis")
		require.Equal(t, "Kinesis", r.Type)
		require.Equal(t, records, r.Records)
		require.Equal(t, records-failures, r.Succeeded)
		require.Equal(t, failures, r.OnFailure, "after 5 retries the failed record goes to the on-failure queue")
		require.Equal(t, 5, r.Retries, "MaximumRetryAttempts: 5")
		require.Positive(t, r.Bisections, "BisectBatchOnFunctionError")
		out, err := sqsc.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String(prefix + "FailedRecordsQueue")})
		require.NoError(t, err)
		msgs := receive(t, sqsc, aws.ToString(out.QueueUrl))
		require.Len(t, msgs, failures)
		var rec driver.InvocationRecord
		require.NoError(t, json.Unmarshal([]byte(msgs[0]), &rec))
		require.Equal(t, driver.RetryAttemptsExhausted, rec.RequestContext.Condition)
		require.Equal(t, 6, rec.RequestContext.ApproximateInvokeCount)
		require.Equal(t, "arn:aws:lambda:us-east-1:000000000000:function:OrdersFunction", rec.RequestContext.FunctionARN)
		require.NotNil(t, rec.KinesisBatchInfo)
		require.Equal(t, 1, rec.KinesisBatchInfo.BatchSize)
		require.True(t, strings.HasSuffix(rec.KinesisBatchInfo.StreamARN, "/"+prefix+"OrdersStream"))
	})
	t.Run("custom_dynamodb", func(t *testing.T) {
		t.Parallel()
		endpoint := testenv.Endpoint(t, "BATCHKIT_DYNAMODB_ENDPOINT", "DynamoDB Local")
		prefix := uniquePrefix()
		// -create makes the function's own claims table too; the function
		// finds it through DEDUP_TABLE (!Ref DedupTable, with the prefix).
		reports := runCommand(t, "-template", filepath.Join(root, "examples/custom_dynamodb/template.yaml"), "-create", "-prefix", prefix,
			"-bootstrap", buildBootstrap(t, "examples/custom_dynamodb", runtime.GOARCH),
			"-send", filepath.Join(root, "examples/custom_dynamodb/event.json"), "-idle", "2")
		r := reports["DedupFunction/Orders"]
		require.Equal(t, 4, r.Records)
		require.Equal(t, 3, r.Succeeded, "o-1, o-2 and the duplicate o-1; not the message that is not JSON")
		db := driver.NewDynamoDBClient(endpoint)
		scan, err := db.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(prefix + "DedupTable")})
		require.NoError(t, err)
		require.EqualValues(t, 2, scan.Count, "one claim per order")
	})
	t.Run("dynamodb", func(t *testing.T) {
		t.Parallel()
		endpoint := testenv.Endpoint(t, "BATCHKIT_DYNAMODB_ENDPOINT", "DynamoDB Local")
		prefix := uniquePrefix()
		path := filepath.Join(root, "examples/dynamodb/template.yaml")
		// The example's event has keys of another schema than its table:
		// create the table from the template with the Go API and write
		// items of its schema, one without the Message the handler needs.
		tpl, err := driver.LoadTemplate(path)
		require.NoError(t, err)
		maps, _, err := tpl.Mappings("")
		require.NoError(t, err)
		ctx := context.Background()
		env := &driver.Env{SQS: sqsc, DynamoDB: driver.NewDynamoDBClient(endpoint), DynamoDBStreams: driver.NewDynamoDBStreamsClient(endpoint), Create: true, Prefix: prefix}
		open, err := maps[0].Open(ctx, tpl, env)
		require.NoError(t, err)
		for _, item := range []map[string]ddbtypes.AttributeValue{
			{"id": &ddbtypes.AttributeValueMemberS{Value: "o-1"}, "Message": &ddbtypes.AttributeValueMemberS{Value: "hello"}},
			{"id": &ddbtypes.AttributeValueMemberS{Value: "o-2"}},
			{"id": &ddbtypes.AttributeValueMemberS{Value: "o-3"}, "Message": &ddbtypes.AttributeValueMemberS{Value: "world"}},
		} {
			_, err := env.DynamoDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(open.SourceName), Item: item})
			require.NoError(t, err)
		}
		reports := runCommand(t, "-template", path, "-prefix", prefix, "-idle", "2",
			"-bootstrap", buildBootstrap(t, "examples/dynamodb", runtime.GOARCH))
		r := reports["OrdersFunction/Orders"]
		require.Equal(t, "DynamoDB", r.Type)
		require.Equal(t, 3, r.Records)
		require.Equal(t, 2, r.Succeeded)
		require.Equal(t, 1, r.OnFailure)
		msgs := receive(t, sqsc, open.OnFailureURL)
		require.Len(t, msgs, 1)
		var rec driver.InvocationRecord
		require.NoError(t, json.Unmarshal([]byte(msgs[0]), &rec))
		require.NotNil(t, rec.DDBStreamBatchInfo, "a DynamoDB batch is described by DDBStreamBatchInfo")
		require.Nil(t, rec.KinesisBatchInfo)
		require.Equal(t, 1, rec.DDBStreamBatchInfo.BatchSize)
		require.Equal(t, open.Poller.(*driver.DynamoDBStreams).StreamARN, rec.DDBStreamBatchInfo.StreamARN)
	})
}

// runSQSExample runs an SQS example's template with a visibility timeout of
// 6 s (longer than the 5 s batching window, or messages would come back
// during it): the failed messages come back and, after the template's
// maxReceiveCount of 2, the queue's redrive policy moves them to its
// dead-letter queue.
func runSQSExample(t *testing.T, c *sqs.Client, example string) {
	prefix := uniquePrefix()
	// -wait-in-flight: the run goes on until the failed messages have come
	// back and reached the DLQ.
	args := []string{"-template", filepath.Join(root, "examples", example, "template.yaml"), "-create", "-prefix", prefix}
	if example != "sqs" {
		args = append(args, "-bootstrap", buildBootstrap(t, filepath.Join("examples", example), runtime.GOARCH))
	}
	reports := runCommand(t, append(args,
		"-send", filepath.Join(root, "examples", example, "event.json"), "-visibility-timeout", "6s", "-idle", "1", "-wait-in-flight")...)
	r := reports["OrdersFunction/Orders"]
	records, failures := eventRecords(t, example), expectedFailures(t, example)
	require.Equal(t, "SQS", r.Type)
	require.Equal(t, records, r.Records)
	require.Equal(t, records, r.Succeeded+r.DeadLetter, "each message processed, or failed maxReceiveCount (2) times")
	if example == "sqs" {
		require.Equal(t, failures, r.DeadLetter, "the failures reached maxReceiveCount 2")
	} else {
		// A FIFO queue holds back a group's later messages while one is in
		// flight: order-1004 (group-B) is delivered, and succeeds, once
		// the bad order-1001 before it has left for the dead-letter queue.
		require.Equal(t, 1, r.DeadLetter)
		failures = 1
	}
	require.Positive(t, r.Retries)
	suffix := ""
	if example == "sqs_fifo" {
		suffix = ".fifo"
	}
	url := func(name string) string {
		out, err := c.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String(prefix + name + suffix)})
		require.NoError(t, err)
		return aws.ToString(out.QueueUrl)
	}
	src, dlq := url("OrdersQueue"), url("OrdersDeadLetterQueue")
	// The server moves a message to the DLQ when it would be received
	// after its last allowed receive.
	require.Eventually(t, func() bool {
		out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(src), MaxNumberOfMessages: 10})
		require.NoError(t, err)
		require.Empty(t, out.Messages, "nothing else is left in the queue")
		return depth(t, c, dlq) == failures
	}, 10*time.Second, 500*time.Millisecond)
}

var prefixes atomic.Int64

func uniquePrefix() string {
	return "e2e" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36) + strconv.FormatInt(prefixes.Add(1), 10) + "-"
}

// receive reads and deletes every message of a queue.
func receive(t *testing.T, c *sqs.Client, url string) []string {
	t.Helper()
	var out []string
	for {
		res, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
		require.NoError(t, err)
		if len(res.Messages) == 0 {
			return out
		}
		for _, m := range res.Messages {
			out = append(out, aws.ToString(m.Body))
			_, err := c.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle})
			require.NoError(t, err)
		}
	}
}
