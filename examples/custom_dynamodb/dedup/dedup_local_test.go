package dedup_test

// Tests against a real DynamoDB Local (started by scripts/test.sh, address
// in BATCHKIT_DYNAMODB_ENDPOINT). Each test creates its own table.

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/examples/custom_dynamodb/dedup"
	"github.com/batchkit/batchkit/internal/testenv"
	"github.com/batchkit/batchkit/processors"
)

// newClient returns a DynamoDB client for a local endpoint: static
// credentials, a region, and its own HTTP client (this environment sets
// AWS_CA_BUNDLE, which must not apply to a plain-HTTP local server).
// maxAttempts 0 keeps the SDK's retry default.
func newClient(endpoint string, maxAttempts int) *dynamodb.Client {
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
		if maxAttempts > 0 {
			o.RetryMaxAttempts = maxAttempts
		}
	})
}

// localTable returns a client of DynamoDB Local and the name of a new,
// empty, ACTIVE claims table, deleted after the test.
func localTable(t *testing.T) (*dynamodb.Client, string) {
	t.Helper()
	client := newClient(testenv.Endpoint(t, "BATCHKIT_DYNAMODB_ENDPOINT", "DynamoDB Local"), 0)
	name := strings.NewReplacer("/", "-", " ", "-", "_", "-").Replace(t.Name())
	if len(name) > 200 {
		name = name[:200]
	}
	name = fmt.Sprintf("dedup-%s-%s", name, rand.Text()[:8])
	ctx := context.Background()
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	require.NoError(t, err)
	err = dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, 500*time.Millisecond
	}).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 30*time.Second)
	require.NoError(t, err, "table %s did not become ACTIVE", name)
	t.Cleanup(func() {
		_, _ = client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return client, name
}

// item reads a claim item (nil when absent).
func item(t *testing.T, client *dynamodb.Client, table, key string) map[string]types.AttributeValue {
	t.Helper()
	out, err := client.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName:      aws.String(table),
		Key:            map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: key}},
		ConsistentRead: aws.Bool(true),
	})
	require.NoError(t, err)
	return out.Item
}

func attrS(it map[string]types.AttributeValue, name string) string {
	if v, ok := it[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func attrN(t *testing.T, it map[string]types.AttributeValue, name string) int64 {
	t.Helper()
	v, ok := it[name].(*types.AttributeValueMemberN)
	require.True(t, ok, "attribute %s is not a number: %#v", name, it[name])
	n, err := strconv.ParseInt(v.Value, 10, 64)
	require.NoError(t, err)
	return n
}

// bodyKey deduplicates on the message body (an order id).
func bodyKey(m *events.SQSMessage) (string, error) { return m.Body, nil }

// calls counts handler calls per key; a key listed in fail fails.
type calls struct {
	mu   sync.Mutex
	n    map[string]int
	fail map[string]bool
}

func newCalls(fail ...string) *calls {
	c := &calls{n: map[string]int{}, fail: map[string]bool{}}
	for _, f := range fail {
		c.fail[f] = true
	}
	return c
}

func (c *calls) handler(_ context.Context, m *events.SQSMessage) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[m.Body]++
	if c.fail[m.Body] {
		return errors.New("payment service refused " + m.Body)
	}
	return nil
}

func (c *calls) count(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[key]
}

func newDedup(t *testing.T, client dedup.Client, table string, pc processors.Config, mod func(*dedup.Config[events.SQSMessage])) *dedup.Processor[events.SQSMessage] {
	t.Helper()
	base, err := processors.NewSQS(pc)
	require.NoError(t, err)
	c := dedup.Config[events.SQSMessage]{Client: client, Table: table, Key: bodyKey}
	if mod != nil {
		mod(&c)
	}
	p, err := dedup.New(base, c)
	require.NoError(t, err)
	return p
}

func run(t *testing.T, p core.PartialProcessor[events.SQSMessage], records []events.SQSMessage, h core.Handler[events.SQSMessage]) (*core.Batch[events.SQSMessage], core.Response, error) {
	t.Helper()
	b := core.NewBatch(records, h)
	resp, err := core.Run(t.Context(), p, b)
	return b, resp, err
}

// Duplicates inside one batch: the handler runs once per key.
func TestDedupWithinBatch(t *testing.T) {
	client, table := localTable(t)
	t.Run("sequential: the second copy is a duplicate", func(t *testing.T) {
		c := newCalls()
		p := newDedup(t, client, table, processors.Config{}, nil)
		ev := batchtest.SQSEvent("order-1", "order-2", "order-1")
		b, resp, err := run(t, p, ev.Records, c.handler)
		require.NoError(t, err)
		require.Empty(t, resp.BatchItemFailures)
		require.Equal(t, 1, c.count("order-1"))
		require.Equal(t, 1, c.count("order-2"))
		require.Equal(t, core.StatusSuccess, b.Outcomes[0].Status)
		require.Equal(t, dedup.Duplicate{Key: "order-1"}, b.Outcomes[2].Result)
		require.True(t, dedup.IsDuplicate(b.Outcomes[2]))
		require.False(t, dedup.IsDuplicate(b.Outcomes[0]))

		it := item(t, client, table, "order-1")
		require.Equal(t, dedup.StatusCompleted, attrS(it, dedup.AttrStatus))
		exp := attrN(t, it, dedup.AttrExpiration)
		require.InDelta(t, time.Now().Add(dedup.DefaultTTL).Unix(), exp, 60, "TTL attribute in epoch seconds, about now + TTL")
		require.NotContains(t, it, dedup.AttrOwner)
		require.NotContains(t, it, dedup.AttrInProgressExpiration)
	})
	t.Run("default key: the message id", func(t *testing.T) {
		c := newCalls()
		p := newDedup(t, client, table, processors.Config{}, func(c *dedup.Config[events.SQSMessage]) { c.Key = nil })
		m := batchtest.SQSEvent("order-7").Records[0]
		b, resp, err := run(t, p, []events.SQSMessage{m, m}, c.handler)
		require.NoError(t, err)
		require.Empty(t, resp.BatchItemFailures)
		require.Equal(t, 1, c.count("order-7"))
		require.Equal(t, dedup.Duplicate{Key: m.MessageId}, b.Outcomes[1].Result)
		require.Equal(t, dedup.StatusCompleted, attrS(item(t, client, table, m.MessageId), dedup.AttrStatus))
	})
	t.Run("concurrent: the copy running alongside fails, to be retried", func(t *testing.T) {
		c := newCalls()
		p := newDedup(t, client, table, processors.Config{Options: core.Options{Concurrency: 4, SuppressFullBatchError: true}}, nil)
		ev := batchtest.SQSEvent("order-c", "order-c", "order-c", "order-c")
		b, resp, err := run(t, p, ev.Records, c.handler)
		require.NoError(t, err)
		require.Equal(t, 1, c.count("order-c"), "the handler runs once whatever the interleaving")
		var handled, dups, inProgress int
		for _, o := range b.Outcomes {
			switch {
			case dedup.IsDuplicate(o):
				dups++
			case o.Status == core.StatusSuccess:
				handled++
			case errors.Is(o.Err, dedup.ErrInProgress):
				inProgress++
			}
		}
		require.Equal(t, 1, handled)
		require.Equal(t, 4, handled+dups+inProgress, "outcomes: %+v", b.Outcomes)
		require.Len(t, resp.BatchItemFailures, inProgress)
	})
}

// Duplicates across invocations: a completed key is skipped; a failed one
// is released and runs again.
func TestDedupAcrossInvocations(t *testing.T) {
	client, table := localTable(t)
	c := newCalls("order-bad")
	p := newDedup(t, client, table, processors.Config{}, nil)
	ev := batchtest.SQSEvent("order-1", "order-bad", "order-2")

	_, resp, err := run(t, p, ev.Records, c.handler)
	require.NoError(t, err)
	require.Equal(t, []string{ev.Records[1].MessageId}, batchtest.FailedIDs(resp))
	require.Nil(t, item(t, client, table, "order-bad"), "a failed record's claim is released")

	// Lambda delivers the whole batch again (say, a duplicate delivery).
	b, resp, err := run(t, p, ev.Records, c.handler)
	require.NoError(t, err)
	require.Equal(t, []string{ev.Records[1].MessageId}, batchtest.FailedIDs(resp))
	require.Equal(t, 1, c.count("order-1"))
	require.Equal(t, 1, c.count("order-2"))
	require.Equal(t, 2, c.count("order-bad"), "the released key runs again")
	require.True(t, dedup.IsDuplicate(b.Outcomes[0]))
	require.True(t, dedup.IsDuplicate(b.Outcomes[2]))

	// Once it succeeds, it is completed too.
	delete(c.fail, "order-bad")
	_, resp, err = run(t, p, ev.Records[1:2], c.handler)
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	require.Equal(t, 3, c.count("order-bad"))
	require.Equal(t, dedup.StatusCompleted, attrS(item(t, client, table, "order-bad"), dedup.AttrStatus))

	// A panic is a failure like any other: the claim is released.
	panicky := func(context.Context, *events.SQSMessage) error { panic("nil map") }
	_, resp, err = run(t, p, batchtest.SQSEvent("order-panic").Records, panicky)
	require.ErrorIs(t, err, core.ErrFullBatchFailure)
	require.ErrorIs(t, err, core.ErrPanic)
	require.Len(t, resp.BatchItemFailures, 1)
	require.Nil(t, item(t, client, table, "order-panic"))

	// Past the TTL, the key is forgotten even before DynamoDB deletes it.
	later := newDedup(t, client, table, processors.Config{}, func(cfg *dedup.Config[events.SQSMessage]) {
		cfg.Now = func() time.Time { return time.Now().Add(dedup.DefaultTTL + time.Minute) }
	})
	_, _, err = run(t, later, ev.Records[:1], c.handler)
	require.NoError(t, err)
	require.Equal(t, 2, c.count("order-1"))
}

// A crash between claim and completion leaves an IN_PROGRESS item: it
// blocks the key until it expires, then the record runs again.
func TestDedupCrashBetweenClaimAndCompletion(t *testing.T) {
	client, table := localTable(t)
	crashedAt := time.Now()
	expiry := crashedAt.Add(time.Minute)
	// What a claim of a crashed invocation looks like.
	_, err := client.PutItem(t.Context(), &dynamodb.PutItemInput{
		TableName: aws.String(table),
		Item: map[string]types.AttributeValue{
			"id":                           &types.AttributeValueMemberS{Value: "order-1"},
			dedup.AttrStatus:               &types.AttributeValueMemberS{Value: dedup.StatusInProgress},
			dedup.AttrInProgressExpiration: &types.AttributeValueMemberN{Value: strconv.FormatInt(expiry.UnixMilli(), 10)},
			dedup.AttrExpiration:           &types.AttributeValueMemberN{Value: strconv.FormatInt(expiry.Unix()+1, 10)},
			dedup.AttrOwner:                &types.AttributeValueMemberS{Value: "crashed-invocation"},
		},
	})
	require.NoError(t, err)
	c := newCalls()
	ev := batchtest.SQSEvent("order-1", "order-2")

	// Before the expiry: the record fails (retry later), the others go on.
	p := newDedup(t, client, table, processors.Config{}, nil)
	b, resp, err := run(t, p, ev.Records, c.handler)
	require.NoError(t, err)
	require.Equal(t, []string{ev.Records[0].MessageId}, batchtest.FailedIDs(resp))
	var ipe *dedup.InProgressError
	require.ErrorAs(t, b.Outcomes[0].Err, &ipe)
	require.Equal(t, "order-1", ipe.Key)
	require.Equal(t, expiry.UnixMilli(), ipe.Until.UnixMilli())
	require.Contains(t, ipe.Error(), "will be retried")
	require.Equal(t, 0, c.count("order-1"))
	require.Equal(t, 1, c.count("order-2"))
	require.Equal(t, "crashed-invocation", attrS(item(t, client, table, "order-1"), dedup.AttrOwner), "an unexpired claim is left alone")

	// After the expiry (the processor's clock moved on), it runs again.
	after := newDedup(t, client, table, processors.Config{}, func(cfg *dedup.Config[events.SQSMessage]) {
		cfg.Now = func() time.Time { return expiry.Add(time.Second) }
	})
	b, resp, err = run(t, after, ev.Records, c.handler)
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	require.Equal(t, 1, c.count("order-1"))
	require.Equal(t, core.StatusSuccess, b.Outcomes[0].Status)
	require.False(t, dedup.IsDuplicate(b.Outcomes[0]))
	require.True(t, dedup.IsDuplicate(b.Outcomes[1]))
	require.Equal(t, dedup.StatusCompleted, attrS(item(t, client, table, "order-1"), dedup.AttrStatus))
}

// A claim's in-progress expiry defaults to the invocation's remaining time,
// so that a crashed invocation's claim expires when it would have timed out.
func TestDedupInProgressExpiryFromDeadline(t *testing.T) {
	client, table := localTable(t)
	var seen map[string]types.AttributeValue
	p := newDedup(t, client, table, processors.Config{}, nil)
	ctx, cancel := batchtest.LambdaContext(t.Context(), 3*time.Minute)
	defer cancel()
	_, err := core.Process(ctx, p, batchtest.SQSEvent("order-1").Records, func(context.Context, *events.SQSMessage) error {
		seen = item(t, client, table, "order-1") // the claim, while the handler runs
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, dedup.StatusInProgress, attrS(seen, dedup.AttrStatus))
	deadline, _ := ctx.Deadline()
	require.InDelta(t, deadline.UnixMilli(), attrN(t, seen, dedup.AttrInProgressExpiration), float64(5*time.Second/time.Millisecond))
	require.GreaterOrEqual(t, attrN(t, seen, dedup.AttrExpiration)*1000, attrN(t, seen, dedup.AttrInProgressExpiration), "TTL never deletes a live claim")
}

// Concurrent invocations racing for the same key: exactly one runs the
// handler; the others see a duplicate or an in-progress claim.
func TestDedupConcurrentInvocations(t *testing.T) {
	client, table := localTable(t)
	const n = 8
	p := newDedup(t, client, table, processors.Config{}, nil)
	msg := batchtest.SQSEvent("order-race").Records[0]
	var handled atomic.Int64
	release := make(chan struct{})
	h := func(context.Context, *events.SQSMessage) error {
		handled.Add(1)
		<-release // hold the claim until every invocation has tried
		return nil
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	outcomes := make([]core.Outcome, n)
	tried := make(chan struct{}, n)
	for g := range n {
		wg.Go(func() {
			b := core.NewBatch([]events.SQSMessage{msg}, func(ctx context.Context, m *events.SQSMessage) error {
				return h(ctx, m)
			})
			_, errs[g] = core.Run(t.Context(), p, b)
			outcomes[g] = b.Outcomes[0]
			tried <- struct{}{}
		})
	}
	// n-1 invocations return (in progress) while the winner holds the claim.
	for range n - 1 {
		<-tried
	}
	close(release)
	wg.Wait()

	require.Equal(t, int64(1), handled.Load(), "exactly one invocation runs the handler")
	var ok, inProgress int
	for g := range n {
		switch {
		case outcomes[g].Status == core.StatusSuccess:
			ok++
			require.NoError(t, errs[g])
		case errors.Is(outcomes[g].Err, dedup.ErrInProgress):
			inProgress++
			require.ErrorIs(t, errs[g], core.ErrFullBatchFailure, "a one-record batch that failed")
		default:
			t.Fatalf("invocation %d: unexpected outcome %+v", g, outcomes[g])
		}
	}
	require.Equal(t, 1, ok)
	require.Equal(t, n-1, inProgress)

	// Lambda retries the others: each is now a duplicate.
	b, resp, err := run(t, p, []events.SQSMessage{msg}, func(context.Context, *events.SQSMessage) error {
		handled.Add(1)
		return nil
	})
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	require.True(t, dedup.IsDuplicate(b.Outcomes[0]))
	require.Equal(t, int64(1), handled.Load())
}

// DynamoDB unavailable: every record fails alone with a StoreError, the
// handler never runs, and the response lists them.
func TestDedupDynamoDBUnavailable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + l.Addr().String()
	require.NoError(t, l.Close())

	c := newCalls()
	p := newDedup(t, newClient(closed, 1), "claims", processors.Config{Options: core.Options{SuppressFullBatchError: true}}, nil)
	ev := batchtest.SQSEvent("order-1", "order-2")
	b, resp, err := run(t, p, ev.Records, c.handler)
	require.NoError(t, err)
	require.Equal(t, []string{ev.Records[0].MessageId, ev.Records[1].MessageId}, batchtest.FailedIDs(resp))
	for i, o := range b.Outcomes {
		var se *dedup.StoreError
		require.ErrorAs(t, o.Err, &se, "record %d", i)
		require.Equal(t, "claim", se.Op)
		require.Equal(t, "claims", se.Table)
		require.ErrorIs(t, o.Err, dedup.ErrStore)
		require.Contains(t, o.Err.Error(), "connection refused")
	}
	require.Zero(t, c.count("order-1")+c.count("order-2"))
}

// failingClient fails PutItem for one key and passes the rest to DynamoDB.
type failingClient struct {
	*dynamodb.Client
	key string
}

func (f failingClient) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if k, _ := in.Item["id"].(*types.AttributeValueMemberS); k != nil && k.Value == f.key {
		return nil, errors.New("ProvisionedThroughputExceededException: rate exceeded")
	}
	return f.Client.PutItem(ctx, in, opts...)
}

// A DynamoDB error fails only the record it concerns.
func TestDedupStoreErrorFailsOnlyItsRecord(t *testing.T) {
	client, table := localTable(t)
	c := newCalls()
	p := newDedup(t, failingClient{Client: client, key: "order-2"}, table, processors.Config{}, nil)
	ev := batchtest.SQSEvent("order-1", "order-2", "order-3")
	b, resp, err := run(t, p, ev.Records, c.handler)
	require.NoError(t, err)
	require.Equal(t, []string{ev.Records[1].MessageId}, batchtest.FailedIDs(resp))
	require.ErrorIs(t, b.Outcomes[1].Err, dedup.ErrStore)
	require.Contains(t, b.Outcomes[1].Err.Error(), "rate exceeded")
	require.Equal(t, 1, c.count("order-1"))
	require.Equal(t, 0, c.count("order-2"))
	require.Equal(t, 1, c.count("order-3"))
}
