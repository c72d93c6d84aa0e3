package driver_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/driver"
	"github.com/batchkit/batchkit/internal/testenv"
)

// SendEvent writes a DynamoDB Streams event's records to the table: an
// INSERT puts the keys and new image (every attribute type), a REMOVE
// deletes; the stream then shows the same changes.
func TestSendEventDynamoDB(t *testing.T) {
	t.Parallel()
	endpoint := testenv.Endpoint(t, "BATCHKIT_DYNAMODB_ENDPOINT", "DynamoDB Local")
	db := driver.NewDynamoDBClient(endpoint)
	table, arn := createStreamTable(t, db)
	event := `{"Records":[
	  {"eventName":"INSERT","dynamodb":{"Keys":{"id":{"S":"o-1"}},"NewImage":{"id":{"S":"o-1"},"n":{"N":"1.5"},"b":{"B":"AQI="},"ok":{"BOOL":true},
	    "ss":{"SS":["a","b"]},"ns":{"NS":["1","2"]},"bs":{"BS":["AQ=="]},"l":{"L":[{"S":"x"},{"NULL":true}]},"m":{"M":{"k":{"S":"v"}}}}}},
	  {"eventName":"REMOVE","dynamodb":{"Keys":{"id":{"S":"o-1"}}}}
	]}`
	path := filepath.Join(t.TempDir(), "event.json")
	require.NoError(t, os.WriteFile(path, []byte(event), 0o644))
	env := &driver.Env{DynamoDB: db}
	n, err := driver.SendEvent(context.Background(), env, &driver.OpenMapping{Mapping: driver.Mapping{Type: driver.TypeDynamoDB}, SourceName: table}, path)
	require.NoError(t, err)
	require.Equal(t, 2, n)

	var got []events.DynamoDBEventRecord
	fn := driver.Handler(func(_ context.Context, e events.DynamoDBEvent) (core.Response, error) {
		got = append(got, e.Records...)
		return core.Response{}, nil
	})
	d := &driver.DynamoDBStreams{Client: driver.NewDynamoDBStreamsClient(endpoint), StreamARN: arn, StreamSettings: driver.StreamSettings{ReportBatchItemFailures: true}}
	_, err = driver.Drain(context.Background(), d, fn, 2)
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, "INSERT", got[0].EventName)
	img := got[0].Change.NewImage
	require.Equal(t, "1.5", img["n"].Number())
	require.Equal(t, []byte{1, 2}, img["b"].Binary())
	require.True(t, img["ok"].Boolean())
	require.ElementsMatch(t, []string{"a", "b"}, img["ss"].StringSet())
	require.ElementsMatch(t, []string{"1", "2"}, img["ns"].NumberSet())
	require.Equal(t, [][]byte{{1}}, img["bs"].BinarySet())
	require.Equal(t, "x", img["l"].List()[0].String())
	require.True(t, img["l"].List()[1].IsNull())
	require.Equal(t, "v", img["m"].Map()["k"].String())
	require.Equal(t, "REMOVE", got[1].EventName)
	scan, err := db.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(table)})
	require.NoError(t, err)
	require.Zero(t, scan.Count, "the REMOVE deleted the item")
}
