package driver_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/driver"
	"github.com/batchkit/batchkit/internal/testenv"
)

// createStreamTable creates a table keyed by id with a NEW_AND_OLD_IMAGES
// stream and returns its stream ARN.
func createStreamTable(t *testing.T, db *dynamodb.Client) (string, string) {
	t.Helper()
	ctx := context.Background()
	table := name("items")
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
		StreamSpecification:  &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages},
	})
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	})
	arn, err := driver.LatestStreamARN(ctx, db, table)
	require.NoError(t, err)
	return table, arn
}

// DynamoDB Streams with ParallelizationFactor 3: batches of one shard run
// concurrently, each item key's changes in order, once; a poison change is
// bisected out and, after its retries, described by DDBStreamBatchInfo in
// the on-failure queue.
func TestDynamoDBParallelBisect(t *testing.T) {
	t.Parallel()
	endpoint := testenv.Endpoint(t, "BATCHKIT_DYNAMODB_ENDPOINT", "DynamoDB Local")
	db := driver.NewDynamoDBClient(endpoint)
	qc := sqsClient(t)
	ctx := context.Background()
	table, arn := createStreamTable(t, db)
	dlqURL, _ := createQueue(t, qc, name("on-failure"), nil)
	keys := []string{"a", "b", "c", "d", "e", "f"}
	for v := range 4 {
		for _, k := range keys {
			item := map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: k}, "v": &types.AttributeValueMemberN{Value: fmt.Sprint(v)}}
			if k == "c" && v == 2 {
				item["poison"] = &types.AttributeValueMemberBOOL{Value: true}
			}
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item})
			require.NoError(t, err)
		}
	}
	var mu sync.Mutex
	seen := map[string][]string{}
	var inFlight, most atomic.Int32
	fn := driver.Handler(func(_ context.Context, e events.DynamoDBEvent) (core.Response, error) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(20 * time.Millisecond)
		for _, r := range e.Records {
			if _, ok := r.Change.NewImage["poison"]; ok {
				return core.Response{}, fmt.Errorf("poison change")
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for _, r := range e.Records {
			k := r.Change.Keys["id"].String()
			seen[k] = append(seen[k], r.Change.NewImage["v"].Number())
		}
		return core.Response{}, nil
	})
	d := &driver.DynamoDBStreams{Client: driver.NewDynamoDBStreamsClient(endpoint), StreamARN: arn, BatchSize: 4, StreamSettings: driver.StreamSettings{ReportBatchItemFailures: true,
		ParallelizationFactor:      3,
		BisectBatchOnFunctionError: true,
		MaximumRetryAttempts:       aws.Int(1),
		OnFailure:                  &driver.SQSDestination{Client: qc, QueueURL: dlqURL},
	}}
	_, err := driver.Drain(ctx, d, fn, 2)
	require.NoError(t, err)
	for _, k := range keys {
		want := []string{"0", "1", "2", "3"}
		if k == "c" {
			want = []string{"0", "1", "3"}
		}
		require.Equal(t, want, seen[k], "key %s: each change once, in order", k)
	}
	require.Greater(t, most.Load(), int32(1), "lanes ran concurrently")
	recs := onFailureRecords(t, qc, dlqURL)
	require.Len(t, recs, 1)
	info := recs[0]["DDBStreamBatchInfo"].(map[string]any)
	require.EqualValues(t, 1, info["batchSize"])
	require.Equal(t, info["startSequenceNumber"], info["endSequenceNumber"])
	require.Equal(t, arn, info["streamArn"])
	require.EqualValues(t, 2, recs[0]["requestContext"].(map[string]any)["approximateInvokeCount"])
	require.NotContains(t, recs[0], "KinesisBatchInfo")
}

// DynamoDB Streams has no AT_TIMESTAMP starting position.
func TestDynamoDBRejectsAtTimestamp(t *testing.T) {
	d := &driver.DynamoDBStreams{StreamARN: "arn", StartingPosition: driver.AtTimestamp}
	_, err := d.Poll(context.Background(), driver.FunctionFunc(func(context.Context, []byte) ([]byte, error) { return nil, nil }))
	require.ErrorIs(t, err, driver.ErrInvalidConfig)
	require.ErrorContains(t, err, "TRIM_HORIZON or LATEST")
}

// A tumbling window on DynamoDB Streams: the state comes back, and the
// window's final invocation carries the count of its changes.
func TestDynamoDBTumblingWindow(t *testing.T) {
	t.Parallel()
	endpoint := testenv.Endpoint(t, "BATCHKIT_DYNAMODB_ENDPOINT", "DynamoDB Local")
	db := driver.NewDynamoDBClient(endpoint)
	table, arn := createStreamTable(t, db)
	for _, id := range []string{"a", "b", "c"} {
		_, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: id}}})
		require.NoError(t, err)
	}
	type tw struct {
		Records []events.DynamoDBEventRecord `json:"Records"`
		State   map[string]int               `json:"state"`
		ShardID string                       `json:"shardId"`
		ARN     string                       `json:"eventSourceARN"`
		Final   bool                         `json:"isFinalInvokeForWindow"`
	}
	total := 0
	var shard string
	fn := driver.Handler(func(_ context.Context, e tw) (map[string]any, error) {
		if e.Final {
			total += e.State["n"]
			shard = e.ShardID
			require.Equal(t, arn, e.ARN)
			return map[string]any{"state": map[string]int{}}, nil
		}
		return map[string]any{"state": map[string]int{"n": e.State["n"] + len(e.Records)}}, nil
	})
	d := &driver.DynamoDBStreams{Client: driver.NewDynamoDBStreamsClient(endpoint), StreamARN: arn, BatchSize: 2, StreamSettings: driver.StreamSettings{ReportBatchItemFailures: true, TumblingWindow: time.Second}}
	m := &driver.OpenMapping{Mapping: driver.Mapping{Function: "Fn", Event: "E", Type: driver.TypeDynamoDB, Enabled: true}, Poller: d}
	_, err := driver.Run(context.Background(), []*driver.OpenMapping{m}, fn, driver.RunOptions{Idle: 1, Pause: 50 * time.Millisecond})
	require.NoError(t, err)
	require.Equal(t, 3, total, "every change counted in a final state")
	require.NotEmpty(t, shard)
}
