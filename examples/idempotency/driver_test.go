package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/driver"
	"github.com/batchkit/batchkit/idempotency"
	"github.com/batchkit/batchkit/internal/testenv"
)

// goBuild builds the package in dir (relative to this example) into a
// temporary file, for linux when forLambda.
func goBuild(t *testing.T, dir, pkg string, forLambda bool) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(pkg))
	args := []string{"build", "-o", out}
	if forLambda {
		args = append(args, "-tags", "lambda.norpc", "-trimpath")
	}
	cmd := exec.Command("go", append(args, pkg)...)
	cmd.Dir = dir
	if forLambda {
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	}
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build %s: %s", pkg, msg)
	return out
}

func prefix() string { return "idem" + strings.ToLower(rand.Text()[:8]) + "-" }

// The example runs under the driver, as the package doc says: the queue
// and the idempotency table (with its TTL) are created from template.yaml,
// the bundled event is sent, the function is built and run under the Lambda
// Runtime Interface Emulator. Sent twice, each order is completed once and
// not run again: the second run leaves the items as they were.
func TestUnderDriver(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the emulator runs linux bootstraps")
	}
	ddb := testenv.Endpoint(t, "BATCHKIT_DYNAMODB_ENDPOINT", "DynamoDB Local")
	testenv.Endpoint(t, "BATCHKIT_SQS_ENDPOINT", "fauxqs")
	testenv.Endpoint(t, "BATCHKIT_RIE", "aws-lambda-rie (the Lambda Runtime Interface Emulator)")
	cli := goBuild(t, "../../driver", "./cmd/batchkit-driver", false)
	p := prefix()
	run := func() driver.Report {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, cli, "run", "-json", "-template", "template.yaml", "-create", "-prefix", p, "-send", "event.json", "-idle", "2")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		require.NoError(t, cmd.Run(), "batchkit-driver run: %s", stderr.String())
		var r driver.Report
		require.NoError(t, json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &r), "report: %s", stdout.String())
		return r
	}
	r := run()
	require.Equal(t, "OrdersFunction/Orders", r.Mapping)
	require.Equal(t, 5, r.Records)
	require.Equal(t, 3, r.Succeeded, "o-1, o-2 and the duplicate o-1; not o-1 with another amount, not the message that is not an order")

	db := driver.NewDynamoDBClient(ddb)
	table := aws.String(p + "IdempotencyTable")
	// The driver's -create does not set Time to Live (DynamoDB Local
	// never deletes expired items anyway: the claim condition checks the
	// expiration itself); the template enables it on the store's attribute.
	tpl, err := driver.LoadTemplate("template.yaml")
	require.NoError(t, err)
	require.Equal(t, map[string]any{"AttributeName": idempotency.TTLAttribute, "Enabled": true},
		tpl.Resources["IdempotencyTable"].Properties["TimeToLiveSpecification"])
	scan := func() []map[string]types.AttributeValue {
		out, err := db.Scan(context.Background(), &dynamodb.ScanInput{TableName: table, ConsistentRead: aws.Bool(true)})
		require.NoError(t, err)
		return out.Items
	}
	items := scan()
	require.Len(t, items, 2, "one item per order")
	for _, it := range items {
		require.Equal(t, "COMPLETED", it["status"].(*types.AttributeValueMemberS).Value)
	}

	r = run()
	require.Equal(t, 3, r.Succeeded)
	require.ElementsMatch(t, items, scan(), "duplicates complete nothing again")
}

// The driver's kill test with the package on: the function process is
// killed in the middle of a batch (its handler blocks on one message);
// after the visibility timeout the batch is delivered to a new process.
// Nothing is lost (every message is handled and deleted) and no completed
// key runs twice: the keys completed before the kill (m1, and m1 sent
// again) are skipped; the keys the killed invocation had claimed are free
// again once its claims expire with its deadline.
func TestKillMidBatch(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the emulator runs linux bootstraps")
	}
	ddbURL := testenv.Endpoint(t, "BATCHKIT_DYNAMODB_ENDPOINT", "DynamoDB Local")
	sqsURL := testenv.Endpoint(t, "BATCHKIT_SQS_ENDPOINT", "fauxqs")
	rie := testenv.Endpoint(t, "BATCHKIT_RIE", "aws-lambda-rie (the Lambda Runtime Interface Emulator)")
	ctx := context.Background()

	s := settings{table: prefix() + "claims", endpoint: ddbURL, region: "us-east-1"}
	require.NoError(t, ensureTable(ctx, newClient(s), s.table))
	c := driver.NewSQSClient(sqsURL)
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName:  aws.String(prefix() + "kill"),
		Attributes: map[string]string{"VisibilityTimeout": "2"},
	})
	require.NoError(t, err)
	url := aws.ToString(q.QueueUrl)
	t.Cleanup(func() { _, _ = c.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}) })
	bodies := []string{"m1", "m2", "block", "m4", "m1", "m5"}
	for _, b := range bodies {
		_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(b)})
		require.NoError(t, err)
	}

	bootstrap := goBuild(t, ".", "./internal/killfunc", true)
	dir := t.TempDir()
	firstLog, secondLog, marker := filepath.Join(dir, "first.log"), filepath.Join(dir, "second.log"), filepath.Join(dir, "blocked")
	start := func(env ...string) *driver.EmulatorProcess {
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		env = append(env, "IDEMPOTENCY_TABLE="+s.table, "BATCHKIT_DYNAMODB_ENDPOINT="+ddbURL)
		p, err := driver.StartEmulator(sctx, driver.EmulatorConfig{RIE: rie, Bootstrap: bootstrap, Env: env})
		require.NoError(t, err)
		t.Cleanup(func() { _ = p.Close() })
		return p
	}
	d := &driver.SQS{ReportBatchItemFailures: true, Client: c, QueueURL: url, BatchSize: 10, WaitTime: time.Second}

	// The first process: its invocation claims every key of the batch,
	// handles m1 and m2, blocks on "block" and is killed. Its claims expire
	// with its deadline (a 4 s timeout).
	first := start("E2E_LOG="+firstLog, "E2E_BLOCK_MARKER="+marker, "AWS_LAMBDA_FUNCTION_TIMEOUT=4")
	type polled struct {
		batches []driver.Batch
		err     error
	}
	done := make(chan polled, 1)
	go func() {
		b, err := d.Poll(ctx, first)
		done <- polled{b, err}
	}()
	require.Eventually(t, func() bool { _, err := os.Stat(marker); return err == nil }, 30*time.Second, 20*time.Millisecond, "the handler reached the blocking message")
	first.Kill()
	res := <-done
	require.NoError(t, res.err)
	require.Len(t, res.batches, 1)
	require.Len(t, res.batches[0].IDs, len(bodies))
	require.Empty(t, res.batches[0].Deleted, "nothing is deleted when the function dies")

	// The second process: polled until every message is deleted (keys
	// still claimed by the killed invocation fail until their claims
	// expire, and come back).
	second := start("E2E_LOG=" + secondLog)
	deadline := time.Now().Add(60 * time.Second)
	deleted := 0
	for deleted < len(bodies) {
		require.True(t, time.Now().Before(deadline), "the messages were not all processed: %d of %d deleted", deleted, len(bodies))
		batches, err := d.Poll(ctx, second)
		require.NoError(t, err)
		for _, b := range batches {
			deleted += len(b.Deleted)
		}
	}

	handled := map[string]int{}
	for _, path := range []string{firstLog, secondLog} {
		for _, body := range readLog(t, path) {
			handled[body]++
		}
	}
	require.Equal(t, map[string]int{"m1": 1, "m2": 1, "block": 1, "m4": 1, "m5": 1}, handled,
		"every key handled once: nothing lost, no completed key run twice")
	require.NotContains(t, readLog(t, secondLog), "m1")
	require.NotContains(t, readLog(t, secondLog), "m2")
}

// readLog reads killfunc's log: the bodies handled, in order.
func readLog(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		_, body, ok := strings.Cut(sc.Text(), " ")
		require.True(t, ok, "log line %q", sc.Text())
		out = append(out, body)
	}
	require.NoError(t, sc.Err())
	return out
}
