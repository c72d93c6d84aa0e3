package idempotency_test

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/idempotency"
	"github.com/batchkit/batchkit/processors"
)

// counting counts the calls of each DynamoDB operation.
type counting struct {
	idempotency.DynamoDBClient
	mu sync.Mutex
	n  map[string]int
}

func (c *counting) inc(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[op]++
}

func (c *counting) calls() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.n {
		out[k] = v
	}
	c.n = nil
	return out
}

func (c *counting) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.inc("PutItem")
	return c.DynamoDBClient.PutItem(ctx, in, o...)
}

func (c *counting) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.inc("UpdateItem")
	return c.DynamoDBClient.UpdateItem(ctx, in, o...)
}

func (c *counting) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	c.inc("DeleteItem")
	return c.DynamoDBClient.DeleteItem(ctx, in, o...)
}

func (c *counting) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.inc("TransactWriteItems")
	return c.DynamoDBClient.TransactWriteItems(ctx, in, o...)
}

func bodies(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i)
	}
	return out
}

// The processor claims a batch's keys together: one TransactWriteItems per
// 100 keys instead of one PutItem per record; keys found completed or in
// progress are settled by the cancellation reasons and the rest claimed in
// a second call. The completed item has the TTL attribute.
func TestDynamoDBBatchedClaims(t *testing.T) {
	client := newClient(endpoint(t), 0)
	table := createTable(t, client)
	cc := &counting{DynamoDBClient: client}
	s, err := idempotency.NewDynamoDBStore(idempotency.DynamoDBConfig{Client: cc, Table: table})
	require.NoError(t, err)
	p := wrapped(t, sqs(t, processors.Config{}), sqsConfig(s))
	c := newCalls()

	ev := batchtest.SQSEvent(bodies("k", 10)...)
	_, resp, err := run(t, t.Context(), p, ev.Records, c.handler)
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	require.Equal(t, map[string]int{"TransactWriteItems": 1, "UpdateItem": 10}, cc.calls())
	it := getItem(t, client, table, "k3")
	require.Equal(t, "COMPLETED", attrS(it, "status"))
	exp, err := strconv.ParseInt(it[idempotency.TTLAttribute].(*types.AttributeValueMemberN).Value, 10, 64)
	require.NoError(t, err)
	require.InDelta(t, time.Now().Add(idempotency.DefaultTTL).Unix(), exp, 60, "TTL in epoch seconds")

	// Half of them again, with 5 new keys and one in progress elsewhere.
	now := time.Now()
	_, err = s.Claim(t.Context(), idempotency.Claim{Key: "busy", Owner: "elsewhere", Now: now, Until: now.Add(time.Minute)})
	require.NoError(t, err)
	cc.calls()
	mixed := append(bodies("k", 5), bodies("n", 5)...)
	mixed = append(mixed, "busy")
	b, resp, err := run(t, t.Context(), p, batchtest.SQSEvent(mixed...).Records, c.handler)
	require.NoError(t, err)
	require.Len(t, resp.BatchItemFailures, 1)
	require.ErrorIs(t, b.Outcomes[10].Err, idempotency.ErrInProgress)
	for i := range 5 {
		require.Equal(t, idempotency.Duplicate{Key: mixed[i]}, b.Outcomes[i].Result)
		require.Equal(t, 1, c.count(mixed[i]))
		require.Equal(t, 1, c.count(mixed[5+i]))
	}
	// Two transactions (the second without the 6 settled keys), a single
	// claim of the in-progress key when its turn comes, 5 completions.
	require.Equal(t, map[string]int{"TransactWriteItems": 2, "PutItem": 1, "UpdateItem": 5}, cc.calls())
}

// DynamoDB goes away in the middle of a batch: the record running then
// succeeds (its handler returned nil); every later record fails with a
// StoreError without running; nothing is reported done that was not done,
// and once DynamoDB is back the failed records run once.
func TestDynamoDBOutageMidBatch(t *testing.T) {
	for _, tc := range []struct {
		wrap        string
		concurrency int
	}{{"processor", 1}, {"processor", 4}, {"handler", 1}, {"handler", 4}} {
		concurrency := tc.concurrency
		t.Run(tc.wrap+" concurrency "+strconv.Itoa(concurrency), func(t *testing.T) {
			ep := endpoint(t)
			direct := newClient(ep, 0)
			table := createTable(t, direct)
			px := newProxy(t, ep[len("http://"):])
			s, err := idempotency.NewDynamoDBStore(idempotency.DynamoDBConfig{Client: newClient(px.URL(), 1), Table: table})
			require.NoError(t, err)
			var p core.PartialProcessor[events.SQSMessage] = sqs(t, processors.Config{Options: core.Options{Concurrency: concurrency}})
			if tc.wrap == "processor" {
				p = wrapped(t, p, sqsConfig(s))
			}

			keys := bodies("o", 8)
			var ran sync.Map
			var handled atomic.Int64
			var h core.Handler[events.SQSMessage] = func(_ context.Context, m *events.SQSMessage) error {
				ran.Store(m.Body, true)
				if handled.Add(1) == 3 {
					px.Close() // the network to DynamoDB is gone from now on
				}
				return nil
			}
			if tc.wrap == "handler" {
				h = core.Must(idempotency.Handler(sqsConfig(s), h))
			}
			ev := batchtest.SQSEvent(keys...)
			b, resp, err := run(t, t.Context(), p, ev.Records, h)
			require.NoError(t, err)
			failed := map[string]bool{}
			for _, id := range batchtest.FailedIDs(resp) {
				failed[id] = true
			}
			require.NotEmpty(t, failed, "records after the outage fail")
			for i, o := range b.Outcomes {
				_, didRun := ran.Load(keys[i])
				if o.Status == core.StatusSuccess {
					require.True(t, didRun, "record %d reported done without running", i)
					require.False(t, failed[ev.Records[i].MessageId])
					continue
				}
				require.True(t, failed[ev.Records[i].MessageId])
				require.ErrorIs(t, o.Err, idempotency.ErrStore, "record %d", i)
				require.False(t, didRun, "record %d ran without a claim", i)
			}

			// DynamoDB is back: Lambda retries the batch. No completed key
			// runs again; the failed records run once. (A record that ran
			// but whose completion was cut is in progress until its claim
			// expires: it may run again after that, see the docs.)
			completed := map[string]bool{}
			n := 0
			for _, k := range keys {
				completed[k] = attrS(getItem(t, direct, table, k), "status") == "COMPLETED"
				if completed[k] {
					n++
				}
			}
			if concurrency == 1 {
				require.Equal(t, 2, n, "the two records before the outage were completed")
			}
			s2, err := idempotency.NewDynamoDBStore(idempotency.DynamoDBConfig{Client: direct, Table: table})
			require.NoError(t, err)
			cfg := sqsConfig(s2)
			cfg.Now = func() time.Time { return time.Now().Add(idempotency.MaxInProgressExpiry + time.Minute) }
			p2 := wrapped(t, sqs(t, processors.Config{}), cfg)
			c := newCalls()
			_, resp, err = run(t, t.Context(), p2, ev.Records, c.handler)
			require.NoError(t, err)
			require.Empty(t, resp.BatchItemFailures)
			for i, o := range b.Outcomes {
				if completed[keys[i]] {
					require.Zero(t, c.count(keys[i]), "completed key %s runs twice", keys[i])
				}
				if o.Failed() {
					require.Equal(t, 1, c.count(keys[i]), "failed record %d runs on retry", i)
				}
			}
		})
	}
}

// DynamoDB unreachable from the start: every record fails, none runs.
func TestDynamoDBUnavailable(t *testing.T) {
	px := newProxy(t, "127.0.0.1:1")
	px.Close()
	s, err := idempotency.NewDynamoDBStore(idempotency.DynamoDBConfig{Client: newClient(px.URL(), 1), Table: "t"})
	require.NoError(t, err)
	c := newCalls()
	ev := batchtest.SQSEvent("a", "b", "c")
	p := wrapped(t, sqs(t, processors.Config{Options: core.Options{SuppressFullBatchError: true}}), sqsConfig(s))
	b, resp, err := run(t, t.Context(), p, ev.Records, c.handler)
	require.NoError(t, err)
	require.Len(t, resp.BatchItemFailures, 3)
	for _, o := range b.Outcomes {
		var se *idempotency.StoreError
		require.ErrorAs(t, o.Err, &se)
		require.Equal(t, "claim", se.Op)
		require.Contains(t, o.Err.Error(), "connection refused")
	}
	require.Zero(t, c.count("a")+c.count("b")+c.count("c"))
}

// More than 100 keys: one transaction per 100 (TransactWriteItems' limit).
func TestDynamoDBBatchedClaimsChunks(t *testing.T) {
	client := newClient(endpoint(t), 0)
	table := createTable(t, client)
	cc := &counting{DynamoDBClient: client}
	s, err := idempotency.NewDynamoDBStore(idempotency.DynamoDBConfig{Client: cc, Table: table})
	require.NoError(t, err)
	p := wrapped(t, sqs(t, processors.Config{Options: core.Options{Concurrency: 8}}), sqsConfig(s))
	c := newCalls()
	keys := bodies("c", 150)
	_, resp, err := run(t, t.Context(), p, batchtest.SQSEvent(keys...).Records, c.handler)
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	require.Equal(t, map[string]int{"TransactWriteItems": 2, "UpdateItem": 150}, cc.calls())
	for _, k := range keys {
		require.Equal(t, 1, c.count(k))
	}
}
