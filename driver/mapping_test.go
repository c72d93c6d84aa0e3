package driver_test

import (
	"context"
	"encoding/json"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/driver"
	"github.com/batchkit/batchkit/internal/testenv"
)

const filterTemplate = `
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders: {Type: AWS::SQS::Queue, Properties: {VisibilityTimeout: 30}}
  Clicks: {Type: AWS::Kinesis::Stream, Properties: {ShardCount: 1}}
  Items:
    Type: AWS::DynamoDB::Table
    Properties:
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        FromQueue:
          Type: SQS
          Properties:
            Queue: !GetAtt Orders.Arn
            FunctionResponseTypes: [ReportBatchItemFailures]
            FilterCriteria:
              Filters:
                - Pattern: '{"body": {"kind": ["order"], "total": [{"numeric": [">", 10]}]}}'
        FromStream:
          Type: Kinesis
          Properties:
            Stream: !GetAtt Clicks.Arn
            StartingPosition: TRIM_HORIZON
            FunctionResponseTypes: [ReportBatchItemFailures]
            FilterCriteria:
              Filters:
                - Pattern: '{"data": {"kind": [{"prefix": "ord"}]}}'
        FromTable:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Items.StreamArn
            StartingPosition: TRIM_HORIZON
            FunctionResponseTypes: [ReportBatchItemFailures]
            FilterCriteria:
              Filters:
                - Pattern: '{"eventName": ["INSERT"], "dynamodb": {"NewImage": {"kind": {"S": ["order"]}}}}'
`

// A template's FilterCriteria, with Lambda's pattern syntax (package
// driver/filter), on each source: what does not match is deleted (SQS) or
// skipped (streams) without an invocation, and counted in the report. The
// mappings run from Go with an in-process handler.
func TestTemplateFilterCriteria(t *testing.T) {
	t.Parallel()
	sqsEndpoint := testenv.Endpoint(t, "BATCHKIT_SQS_ENDPOINT", "fauxqs")
	kinesisEndpoint := testenv.Endpoint(t, "BATCHKIT_KINESIS_ENDPOINT", "kinesalite")
	ddbEndpoint := testenv.Endpoint(t, "BATCHKIT_DYNAMODB_ENDPOINT", "DynamoDB Local")
	ctx := context.Background()
	tpl, err := driver.ParseTemplate([]byte(filterTemplate))
	require.NoError(t, err)
	maps, notes, err := tpl.Mappings("Fn")
	require.NoError(t, err)
	require.Empty(t, notes)
	env := &driver.Env{
		SQS: driver.NewSQSClient(sqsEndpoint), Kinesis: driver.NewKinesisClient(kinesisEndpoint),
		DynamoDB: driver.NewDynamoDBClient(ddbEndpoint), DynamoDBStreams: driver.NewDynamoDBStreamsClient(ddbEndpoint),
		Create: true, Prefix: name("filter") + "-",
	}
	opened := map[string]*driver.OpenMapping{}
	var all []*driver.OpenMapping
	for i := range maps {
		o, err := maps[i].Open(ctx, tpl, env)
		require.NoError(t, err)
		opened[o.Event] = o
		all = append(all, o)
	}
	t.Cleanup(func() {
		_, _ = env.SQS.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: aws.String(opened["FromQueue"].SourceName)})
		_, _ = env.Kinesis.DeleteStream(context.Background(), &kinesis.DeleteStreamInput{StreamName: aws.String(opened["FromStream"].SourceName)})
		_, _ = env.DynamoDB.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(opened["FromTable"].SourceName)})
	})

	for _, body := range []string{`{"kind":"order","total":12}`, `{"kind":"order","total":5}`, `{"kind":"refund","total":50}`, `not json`} {
		_, err := env.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(opened["FromQueue"].SourceName), MessageBody: aws.String(body)})
		require.NoError(t, err)
	}
	for _, data := range []string{`{"kind":"order-1"}`, `{"kind":"click"}`, `plain text`, `{"kind":"ordinal"}`} {
		_, err := env.Kinesis.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String(opened["FromStream"].SourceName), Data: []byte(data), PartitionKey: aws.String("k")})
		require.NoError(t, err)
	}
	for i, kind := range []string{"order", "other", "order"} {
		item := map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: string(rune('a' + i))}, "kind": &ddbtypes.AttributeValueMemberS{Value: kind}}
		_, err := env.DynamoDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(opened["FromTable"].SourceName), Item: item})
		require.NoError(t, err)
	}
	// A MODIFY of an order item: not an INSERT, filtered out.
	_, err = env.DynamoDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(opened["FromTable"].SourceName), Item: map[string]ddbtypes.AttributeValue{
		"id": &ddbtypes.AttributeValueMemberS{Value: "a"}, "kind": &ddbtypes.AttributeValueMemberS{Value: "order"}, "v": &ddbtypes.AttributeValueMemberN{Value: "2"},
	}})
	require.NoError(t, err)

	var mu sync.Mutex
	got := map[string][]string{}
	fn := driver.FunctionFunc(func(_ context.Context, event []byte) ([]byte, error) {
		var ev struct {
			Records []json.RawMessage
		}
		require.NoError(t, json.Unmarshal(event, &ev))
		mu.Lock()
		defer mu.Unlock()
		for _, raw := range ev.Records {
			var probe struct{ EventSource string }
			require.NoError(t, json.Unmarshal(raw, &probe))
			switch probe.EventSource {
			case "aws:sqs":
				var m events.SQSMessage
				require.NoError(t, json.Unmarshal(raw, &m))
				got["sqs"] = append(got["sqs"], m.Body)
			case "aws:kinesis":
				var r events.KinesisEventRecord
				require.NoError(t, json.Unmarshal(raw, &r))
				got["kinesis"] = append(got["kinesis"], string(r.Kinesis.Data))
			case "aws:dynamodb":
				var r events.DynamoDBEventRecord
				require.NoError(t, json.Unmarshal(raw, &r))
				got["dynamodb"] = append(got["dynamodb"], r.EventName+" "+r.Change.Keys["id"].String())
			}
		}
		return nil, nil
	})
	reports, err := driver.Run(ctx, all, fn, driver.RunOptions{Idle: 3, Pause: 100 * time.Millisecond})
	require.NoError(t, err)
	sort.Strings(got["dynamodb"])
	require.Equal(t, []string{`{"kind":"order","total":12}`}, got["sqs"])
	require.Equal(t, []string{`{"kind":"order-1"}`, `{"kind":"ordinal"}`}, got["kinesis"])
	require.Equal(t, []string{"INSERT a", "INSERT c"}, got["dynamodb"])

	byName := map[string]driver.Report{}
	for _, r := range reports {
		byName[r.Mapping] = r
	}
	require.Equal(t, 3, byName["Fn/FromQueue"].Filtered)
	require.Equal(t, 2, byName["Fn/FromStream"].Filtered)
	require.Equal(t, 2, byName["Fn/FromTable"].Filtered)
	require.Equal(t, 4, byName["Fn/FromStream"].Records)
	visible, inFlight := queueDepth(t, env.SQS, opened["FromQueue"].SourceName)
	require.Zero(t, visible+inFlight, "filtered messages are deleted from the queue")
}

// Run goes on while a tumbling window is open: the window's final
// invocation happens before Run returns, with the state of all its records.
func TestRunTumblingWindowToTheEnd(t *testing.T) {
	t.Parallel()
	kinesisEndpoint := testenv.Endpoint(t, "BATCHKIT_KINESIS_ENDPOINT", "kinesalite")
	tpl, err := driver.ParseTemplate([]byte(`
Resources:
  Clicks: {Type: AWS::Kinesis::Stream}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Counts:
          Type: Kinesis
          Properties:
            Stream: !GetAtt Clicks.Arn
            StartingPosition: TRIM_HORIZON
            BatchSize: 2
            TumblingWindowInSeconds: 2
            FunctionResponseTypes: [ReportBatchItemFailures]
`))
	require.NoError(t, err)
	maps, _, err := tpl.Mappings("")
	require.NoError(t, err)
	env := &driver.Env{Kinesis: driver.NewKinesisClient(kinesisEndpoint), Create: true, Prefix: name("window") + "-"}
	o, err := maps[0].Open(context.Background(), tpl, env)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = env.Kinesis.DeleteStream(context.Background(), &kinesis.DeleteStreamInput{StreamName: aws.String(o.SourceName)})
	})
	putRecords(t, env.Kinesis, o.SourceName, []string{"a", "b", "c"}, []string{"k", "k", "k"})
	type tw struct {
		Records []json.RawMessage `json:"Records"`
		State   map[string]int    `json:"state"`
		Final   bool              `json:"isFinalInvokeForWindow"`
	}
	finalCount := 0
	fn := driver.Handler(func(_ context.Context, e tw) (map[string]any, error) {
		if e.Final {
			finalCount += e.State["n"]
			return map[string]any{"state": map[string]int{}}, nil
		}
		e.State["n"] += len(e.Records)
		return map[string]any{"state": e.State}, nil
	})
	reports, err := driver.Run(context.Background(), []*driver.OpenMapping{o}, fn, driver.RunOptions{Idle: 1, Pause: 50 * time.Millisecond})
	require.NoError(t, err)
	require.Equal(t, 3, finalCount, "every record counted in a final state")
	require.Equal(t, 3, reports[0].Succeeded)
}
