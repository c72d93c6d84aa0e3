package driver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/driver"
)

// mappingTemplate is a template with one function (Timeout timeout) and one
// event of type typ with props (YAML lines at the properties' indent).
func mappingTemplate(typ, props string, timeout int) string {
	src := map[string]string{"SQS": "Queue: !GetAtt Q.Arn", "FIFO": "Queue: !GetAtt FQ.Arn", "Kinesis": "Stream: !GetAtt S.Arn", "DynamoDB": "Stream: !GetAtt T.StreamArn"}[typ]
	if typ == "FIFO" {
		typ = "SQS"
	}
	return fmt.Sprintf(`
Resources:
  Q: {Type: AWS::SQS::Queue}
  FQ: {Type: AWS::SQS::Queue, Properties: {FifoQueue: true, VisibilityTimeout: 60}}
  D: {Type: AWS::SQS::Queue}
  S: {Type: AWS::Kinesis::Stream}
  T:
    Type: AWS::DynamoDB::Table
    Properties: {KeySchema: [{AttributeName: id, KeyType: HASH}], AttributeDefinitions: [{AttributeName: id, AttributeType: S}]}
  F:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: %d
      Events:
        E:
          Type: %s
          Properties:
            %s
%s`, timeout, typ, src, indent(props))
}

func indent(lines string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(lines), "\n") {
		if l != "" {
			b.WriteString("            " + strings.TrimSpace(l) + "\n")
		}
	}
	return b.String()
}

// Every setting Lambda's CreateEventSourceMapping refuses is refused when
// the template is read, with one *ConfigError naming the setting, the value
// and the allowed range.
func TestMappingValidation(t *testing.T) {
	tests := []struct {
		name, typ, props string
		timeout          int
		setting, value   string
		allowed          string
	}{
		{"SQS batch over 10 without a window", "SQS", "BatchSize: 11", 3, "MaximumBatchingWindowInSeconds", "0", "at least 1 when BatchSize is over 10"},
		{"SQS batch over 10,000", "SQS", "BatchSize: 10001\nMaximumBatchingWindowInSeconds: 1", 3, "BatchSize", "10001", "1-10,000"},
		{"FIFO batch over 10", "FIFO", "BatchSize: 11", 3, "BatchSize", "11", "1-10 for a FIFO queue"},
		{"negative window", "SQS", "MaximumBatchingWindowInSeconds: -1", 3, "MaximumBatchingWindowInSeconds", "-1", "0-300"},
		{"window over 300", "Kinesis", "StartingPosition: LATEST\nMaximumBatchingWindowInSeconds: 301", 3, "MaximumBatchingWindowInSeconds", "301", "0-300"},
		{"concurrency 1", "SQS", "ScalingConfig: {MaximumConcurrency: 1}", 3, "ScalingConfig.MaximumConcurrency", "1", "2-1,000"},
		{"concurrency on a stream", "Kinesis", "StartingPosition: LATEST\nScalingConfig: {MaximumConcurrency: 5}", 3, "ScalingConfig.MaximumConcurrency", "5", "only on an SQS mapping"},
		{"retries -2", "Kinesis", "StartingPosition: LATEST\nMaximumRetryAttempts: -2", 3, "MaximumRetryAttempts", "-2", "-1 (no limit) to 10,000"},
		{"retries 10001", "DynamoDB", "StartingPosition: LATEST\nMaximumRetryAttempts: 10001", 3, "MaximumRetryAttempts", "10001", "-1 (no limit) to 10,000"},
		{"record age over a week", "Kinesis", "StartingPosition: LATEST\nMaximumRecordAgeInSeconds: 604801", 3, "MaximumRecordAgeInSeconds", "604801", "-1 (no limit) or 60-604,800"},
		{"record age under a minute", "Kinesis", "StartingPosition: LATEST\nMaximumRecordAgeInSeconds: 30", 3, "MaximumRecordAgeInSeconds", "30", "-1 (no limit) or 60-604,800"},
		{"record age 0", "Kinesis", "StartingPosition: LATEST\nMaximumRecordAgeInSeconds: 0", 3, "MaximumRecordAgeInSeconds", "0", "-1 (no limit) or 60-604,800"},
		{"Kinesis batch over 10,000", "Kinesis", "StartingPosition: LATEST\nBatchSize: 10001", 3, "BatchSize", "10001", "1-10,000"},
		{"DynamoDB batch over 10,000", "DynamoDB", "StartingPosition: LATEST\nBatchSize: 10001", 3, "BatchSize", "10001", "1-10,000"},
		{"parallelization 11", "Kinesis", "StartingPosition: LATEST\nParallelizationFactor: 11", 3, "ParallelizationFactor", "11", "1-10"},
		{"tumbling 901", "DynamoDB", "StartingPosition: LATEST\nTumblingWindowInSeconds: 901", 3, "TumblingWindowInSeconds", "901", "0-900"},
		{"stream without StartingPosition", "Kinesis", "BatchSize: 10", 3, "StartingPosition", "", "TRIM_HORIZON, LATEST or AT_TIMESTAMP"},
		{"DynamoDB AT_TIMESTAMP", "DynamoDB", "StartingPosition: AT_TIMESTAMP\nStartingPositionTimestamp: 1700000000", 3, "StartingPosition", "AT_TIMESTAMP", "TRIM_HORIZON or LATEST"},
		{"unknown StartingPosition", "Kinesis", "StartingPosition: OLDEST", 3, "StartingPosition", "OLDEST", "TRIM_HORIZON, LATEST or AT_TIMESTAMP"},
		{"StartingPosition on SQS", "SQS", "StartingPosition: LATEST", 3, "StartingPosition", "", "not set on an SQS mapping"},
		{"bisect on SQS", "SQS", "BisectBatchOnFunctionError: false", 3, "BisectBatchOnFunctionError", "", "not set on an SQS mapping"},
		{"retries on SQS", "SQS", "MaximumRetryAttempts: 2", 3, "MaximumRetryAttempts", "", "not set on an SQS mapping"},
		{"record age on SQS", "SQS", "MaximumRecordAgeInSeconds: -1", 3, "MaximumRecordAgeInSeconds", "", "not set on an SQS mapping"},
		{"parallelization on SQS", "SQS", "ParallelizationFactor: 2", 3, "ParallelizationFactor", "", "not set on an SQS mapping"},
		{"tumbling window on SQS", "SQS", "TumblingWindowInSeconds: 60", 3, "TumblingWindowInSeconds", "", "not set on an SQS mapping"},
		{"destination on SQS", "SQS", "DestinationConfig: {OnFailure: {Type: SQS, Destination: !GetAtt D.Arn}}", 3, "DestinationConfig", "", "not set on an SQS mapping"},
		{"function timeout over the visibility timeout", "SQS", "BatchSize: 5", 31, "Timeout", "31", "at most the queue's VisibilityTimeout, 30"},
		{"SQS pollers 1", "SQS", "ProvisionedPollerConfig: {MinimumPollers: 1}", 3, "ProvisionedPollerConfig.MinimumPollers", "1", "2-200 for SQS"},
		{"SQS pollers 201", "SQS", "ProvisionedPollerConfig: {MinimumPollers: 201}", 3, "ProvisionedPollerConfig.MinimumPollers", "201", "2-200 for SQS"},
		{"SQS maximum pollers 1", "SQS", "ProvisionedPollerConfig: {MaximumPollers: 1}", 3, "ProvisionedPollerConfig.MaximumPollers", "1", "2-10,000 for SQS"},
		{"SQS maximum pollers 10001", "SQS", "ProvisionedPollerConfig: {MaximumPollers: 10001}", 3, "ProvisionedPollerConfig.MaximumPollers", "10001", "2-10,000 for SQS"},
		{"minimum over maximum", "SQS", "ProvisionedPollerConfig: {MinimumPollers: 5, MaximumPollers: 4}", 3, "ProvisionedPollerConfig.MinimumPollers", "5", "at most MaximumPollers (4)"},
		{"pollers and concurrency", "SQS", "ProvisionedPollerConfig: {MinimumPollers: 2}\nScalingConfig: {MaximumConcurrency: 5}", 3, "ScalingConfig.MaximumConcurrency", "5", "not with ProvisionedPollerConfig"},
		{"pollers on a stream", "Kinesis", "StartingPosition: LATEST\nProvisionedPollerConfig: {MinimumPollers: 2}", 3, "ProvisionedPollerConfig", "", "only on SQS and Kafka mappings"},
		{"six filters", "SQS", "FilterCriteria: {Filters: [{Pattern: '{}'}, {Pattern: '{}'}, {Pattern: '{}'}, {Pattern: '{}'}, {Pattern: '{}'}, {Pattern: '{}'}]}", 3, "FilterCriteria.Filters", "", ""},
		{"empty list in a filter", "SQS", `FilterCriteria: {Filters: [{Pattern: '{"body": {"a": []}}'}]}`, 3, "FilterCriteria.Filters[0].Pattern", "", ""},
		{"list under data", "Kinesis", "StartingPosition: LATEST\nFilterCriteria: {Filters: [{Pattern: '{\"data\": [\"x\"]}'}]}", 3, "FilterCriteria.Filters[0].Pattern", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := driver.ParseTemplate([]byte(mappingTemplate(tt.typ, tt.props, tt.timeout)))
			require.NoError(t, err)
			_, _, err = tpl.Mappings("")
			var ce *driver.ConfigError
			require.ErrorAs(t, err, &ce)
			require.ErrorIs(t, err, driver.ErrInvalidConfig)
			require.Equal(t, "F/E", ce.Mapping)
			require.Equal(t, tt.setting, ce.Setting)
			require.Equal(t, tt.value, ce.Value)
			require.Contains(t, ce.Allowed, tt.allowed)
			require.Contains(t, err.Error(), tt.setting)
		})
	}
}

// What Lambda accepts passes: -1 for no limit, provisioned mode on SQS, a
// function timeout equal to the visibility timeout, up to 10 filters with
// the template's FilterQuota.
func TestMappingValidationAccepts(t *testing.T) {
	ok := []struct{ name, typ, props string }{
		{"no limits", "Kinesis", "StartingPosition: TRIM_HORIZON\nMaximumRetryAttempts: -1\nMaximumRecordAgeInSeconds: -1\nBatchSize: 10000"},
		{"DynamoDB 10,000", "DynamoDB", "StartingPosition: LATEST\nBatchSize: 10000\nMaximumRecordAgeInSeconds: 604800\nParallelizationFactor: 10\nTumblingWindowInSeconds: 900"},
		{"SQS 10,000 with a window", "SQS", "BatchSize: 10000\nMaximumBatchingWindowInSeconds: 300\nFunctionResponseTypes: [ReportBatchItemFailures]"},
		{"provisioned", "SQS", "ProvisionedPollerConfig: {MinimumPollers: 2, MaximumPollers: 10000}"},
		{"ten filters with a quota increase", "SQS", "FilterCriteria: {Filters: [" + strings.TrimSuffix(strings.Repeat("{Pattern: '{}'}, ", 10), ", ") + "]}"},
	}
	for _, tt := range ok {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := driver.ParseTemplate([]byte(mappingTemplate(tt.typ, tt.props, 30)))
			require.NoError(t, err)
			tpl.FilterQuota = 10
			maps, _, err := tpl.Mappings("")
			require.NoError(t, err)
			require.Equal(t, 30*time.Second, maps[0].FunctionTimeout)
		})
	}
}

// A mapping Lambda would refuse fails Open before anything is created on
// the servers: its queue does not exist afterwards.
func TestOpenValidatesBeforeCreating(t *testing.T) {
	c := sqsClient(t)
	tpl, err := driver.ParseTemplate([]byte(mappingTemplate("SQS", "BatchSize: 5", 3)))
	require.NoError(t, err)
	maps, _, err := tpl.Mappings("")
	require.NoError(t, err)
	m := maps[0]
	m.BatchSize = 20 // over 10 without a batching window
	prefix := name("validate") + "-"
	_, err = m.Open(context.Background(), tpl, &driver.Env{SQS: c, Create: true, Prefix: prefix})
	var ce *driver.ConfigError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "MaximumBatchingWindowInSeconds", ce.Setting)
	_, err = c.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String(prefix + "Q")})
	require.Error(t, err, "the queue must not have been created")

	m.BatchSize = 5
	o, err := m.Open(context.Background(), tpl, &driver.Env{SQS: c, Create: true, Prefix: prefix})
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = c.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: aws.String(o.SourceName)})
	})
	q := o.Poller.(*driver.SQS)
	require.Equal(t, 3*time.Second, q.FunctionTimeout, "the template's Timeout reaches the poller")
	require.False(t, q.ReportBatchItemFailures, "no FunctionResponseTypes: Lambda ignores the response")
}

// The zero value of driver.SQS is Lambda's default: no
// FunctionResponseTypes, so a response's batchItemFailures are ignored and
// the whole batch is deleted.
func TestSQSZeroValueIgnoresResponse(t *testing.T) {
	t.Parallel()
	c := sqsClient(t)
	url, _ := createQueue(t, c, name("zero"), nil)
	_, err := c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x")})
	require.NoError(t, err)
	d := &driver.SQS{Client: c, QueueURL: url, WaitTime: time.Second}
	fn := driver.FunctionFunc(func(_ context.Context, ev []byte) ([]byte, error) {
		var e struct {
			Records []struct {
				MessageID string `json:"messageId"`
			}
		}
		require.NoError(t, json.Unmarshal(ev, &e))
		return []byte(`{"batchItemFailures":[{"itemIdentifier":"` + e.Records[0].MessageID + `"}]}`), nil
	})
	batches := pollUntil(t, d, fn, 20*time.Second, func() bool { return d.Stats().Invocations > 0 })
	require.Len(t, batches, 1)
	require.Empty(t, batches[0].Failed)
	require.Len(t, batches[0].Deleted, 1)
	visible, inFlight := queueDepth(t, c, url)
	require.Equal(t, 0, visible+inFlight)
}
