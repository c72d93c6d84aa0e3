package driver_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/driver"
	"github.com/batchkit/batchkit/internal/testenv"
	"github.com/batchkit/batchkit/processors"
)

// change is what the handler saw of one stream record.
type change struct {
	Name     string
	Keys     map[string]events.DynamoDBAttributeValue
	OldImage map[string]events.DynamoDBAttributeValue
	NewImage map[string]events.DynamoDBAttributeValue
}

// Writes to a table with a NEW_AND_OLD_IMAGES stream reach the handler as
// INSERT, MODIFY and REMOVE records with their keys and images; a record that
// fails once is read again from its sequence number (AT_SEQUENCE_NUMBER) and
// nothing before it is delivered again.
func TestDynamoDBStreamsChanges(t *testing.T) {
	endpoint := testenv.Endpoint(t, "BATCHKIT_DYNAMODB_ENDPOINT", "DynamoDB Local")
	ctx := context.Background()
	db := driver.NewDynamoDBClient(endpoint)
	table := name("orders")
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

	key := map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "o-1"}}
	_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
		"id":     &types.AttributeValueMemberS{Value: "o-1"},
		"status": &types.AttributeValueMemberS{Value: "new"},
		"total":  &types.AttributeValueMemberN{Value: "42.5"},
		"tags":   &types.AttributeValueMemberSS{Value: []string{"a", "b"}},
		"lines":  &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"sku": &types.AttributeValueMemberS{Value: "x"}, "gift": &types.AttributeValueMemberBOOL{Value: true}}}}},
		"blob":   &types.AttributeValueMemberB{Value: []byte{1, 2, 3}},
		"none":   &types.AttributeValueMemberNULL{Value: true},
	}})
	require.NoError(t, err)
	_, err = db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key,
		UpdateExpression:          aws.String("SET #s = :s"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": &types.AttributeValueMemberS{Value: "paid"}},
	})
	require.NoError(t, err)
	_, err = db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: key})
	require.NoError(t, err)

	arn, err := driver.LatestStreamARN(ctx, db, table)
	require.NoError(t, err)

	var mu sync.Mutex
	var seen []change
	modifyFailed := false
	processor := core.Must(processors.NewDynamoDB(processors.Config{}))
	fn := driver.Handler(func(ctx context.Context, e events.DynamoDBEvent) (core.Response, error) {
		return core.Process(ctx, processor, e.Records, func(_ context.Context, r *events.DynamoDBEventRecord) error {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, change{r.EventName, r.Change.Keys, r.Change.OldImage, r.Change.NewImage})
			if r.EventName == "MODIFY" && !modifyFailed {
				modifyFailed = true
				return errors.New("first delivery of MODIFY fails")
			}
			return nil
		})
	})
	d := &driver.DynamoDBStreams{Client: driver.NewDynamoDBStreamsClient(endpoint), StreamARN: arn, StreamSettings: driver.StreamSettings{ReportBatchItemFailures: true}}
	batches, err := driver.Drain(ctx, d, fn, 2)
	require.NoError(t, err)

	names := make([]string, len(seen))
	for i, c := range seen {
		names[i] = c.Name
	}
	// MODIFY failed, REMOVE succeeded; the checkpoint is MODIFY, so both
	// are delivered again, and INSERT is not.
	require.Equal(t, []string{"INSERT", "MODIFY", "REMOVE", "MODIFY", "REMOVE"}, names)
	require.Len(t, batches, 2)
	require.Len(t, batches[0].Failed, 1)
	require.Equal(t, batches[0].IDs[1], batches[0].Checkpoint)
	require.Equal(t, batches[0].IDs[1:], batches[1].IDs, "read again from the checkpoint")

	keys := map[string]events.DynamoDBAttributeValue{"id": events.NewStringAttribute("o-1")}
	inserted := map[string]events.DynamoDBAttributeValue{
		"id":     events.NewStringAttribute("o-1"),
		"status": events.NewStringAttribute("new"),
		"total":  events.NewNumberAttribute("42.5"),
		"tags":   events.NewStringSetAttribute([]string{"a", "b"}),
		"lines": events.NewListAttribute([]events.DynamoDBAttributeValue{events.NewMapAttribute(map[string]events.DynamoDBAttributeValue{
			"sku": events.NewStringAttribute("x"), "gift": events.NewBooleanAttribute(true),
		})}),
		"blob": events.NewBinaryAttribute([]byte{1, 2, 3}),
		"none": events.NewNullAttribute(),
	}
	paid := map[string]events.DynamoDBAttributeValue{}
	for k, v := range inserted {
		paid[k] = v
	}
	paid["status"] = events.NewStringAttribute("paid")

	requireImage(t, keys, seen[0].Keys)
	requireImage(t, inserted, seen[0].NewImage)
	require.Nil(t, seen[0].OldImage)
	requireImage(t, inserted, seen[1].OldImage)
	requireImage(t, paid, seen[1].NewImage)
	requireImage(t, paid, seen[2].OldImage)
	require.Nil(t, seen[2].NewImage)

	var ev events.DynamoDBEvent
	require.NoError(t, json.Unmarshal(batches[0].Event, &ev))
	for _, r := range ev.Records {
		require.Equal(t, "aws:dynamodb", r.EventSource)
		require.Equal(t, arn, r.EventSourceArn)
		require.Equal(t, "NEW_AND_OLD_IMAGES", r.Change.StreamViewType)
		require.NotEmpty(t, r.Change.SequenceNumber)
		require.NotEmpty(t, r.EventID)
	}
}

// requireImage compares images through their JSON, the form Lambda sends.
func requireImage(t *testing.T, want, got map[string]events.DynamoDBAttributeValue) {
	t.Helper()
	w, err := json.Marshal(want)
	require.NoError(t, err)
	g, err := json.Marshal(got)
	require.NoError(t, err)
	require.JSONEq(t, string(w), string(g))
}
