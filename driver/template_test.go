package driver_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/driver"
	"github.com/batchkit/batchkit/driver/filter"
)

const fullTemplate = `
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Timeout: 3
    CodeUri: build/
    Environment:
      Variables: {LOG_LEVEL: debug, QUEUE: global}
Parameters:
  Retries:
    Type: Number
    Default: 3
Resources:
  Stream:
    Type: AWS::Kinesis::Stream
    Properties: {ShardCount: 2}
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: orders
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      StreamSpecification: {StreamViewType: NEW_IMAGE}
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      FifoQueue: true
  Failed:
    Type: AWS::SQS::Queue
  Bucket:
    Type: AWS::S3::Bucket
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: dist/
      Timeout: 7
      Environment:
        Variables:
          QUEUE: !Ref Queue
          TABLE_ARN: !GetAtt Table.Arn
          REGION: !Sub "${AWS::Region}-${AWS::AccountId}"
      Events:
        Clicks:
          Type: Kinesis
          Properties:
            Stream: !GetAtt Stream.Arn
            StartingPosition: AT_TIMESTAMP
            StartingPositionTimestamp: 1700000000
            BatchSize: 50
            MaximumBatchingWindowInSeconds: 2
            BisectBatchOnFunctionError: true
            MaximumRetryAttempts: !Ref Retries
            MaximumRecordAgeInSeconds: 60
            ParallelizationFactor: 4
            TumblingWindowInSeconds: 30
            FunctionResponseTypes: [ReportBatchItemFailures]
            DestinationConfig:
              OnFailure:
                Type: SQS
                Destination: !Sub "arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:Failed"
            FilterCriteria:
              Filters:
                - Pattern: '{"data": {"kind": ["click"]}}'
                - Pattern: {data: {kind: [view]}}
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt [Table, StreamArn]
            StartingPosition: LATEST
            MaximumRetryAttempts: -1
            Enabled: false
        Orders:
          Type: SQS
          Properties:
            Queue: !GetAtt Queue.Arn
            BatchSize: "10"
            ScalingConfig: {MaximumConcurrency: 5}
        Upload:
          Type: S3
          Properties:
            Bucket: !Ref Bucket
`

// A template's events become mappings with every setting; other event
// types are noted and ignored.
func TestTemplateMappings(t *testing.T) {
	tpl, err := driver.ParseTemplate([]byte(fullTemplate))
	require.NoError(t, err)
	require.Equal(t, []string{"Fn"}, tpl.Functions())
	maps, notes, err := tpl.Mappings("")
	require.NoError(t, err)
	require.Len(t, notes, 1)
	require.Contains(t, notes[0], "Fn/Upload: events of type S3")
	require.Len(t, maps, 3)

	changes, clicks, orders := maps[0], maps[1], maps[2]
	require.Equal(t, driver.Mapping{
		Function: "Fn", Event: "Clicks", Type: driver.TypeKinesis, Source: "Stream",
		BatchSize: 50, MaximumBatchingWindow: 2 * time.Second,
		StartingPosition: "AT_TIMESTAMP", StartingPositionTimestamp: time.Unix(1700000000, 0),
		BisectBatchOnFunctionError: true, MaximumRetryAttempts: aws.Int(3), MaximumRecordAge: time.Minute,
		OnFailure: "Failed", OnFailureType: driver.DestinationSQS, MaximumBatchingWindowSet: true,
		ParallelizationFactor: 4, TumblingWindow: 30 * time.Second,
		ReportBatchItemFailures: true,
		FilterPatterns:          []string{`{"data": {"kind": ["click"]}}`, `{"data":{"kind":["view"]}}`},
		Enabled:                 true, FunctionTimeout: 7 * time.Second,
	}, clicks)
	require.Equal(t, "Fn/Clicks", clicks.Name())

	require.Equal(t, driver.Mapping{
		Function: "Fn", Event: "Changes", Type: driver.TypeDynamoDB, Source: "Table",
		StartingPosition: "LATEST", MaximumRetryAttempts: aws.Int(-1), Enabled: false, FunctionTimeout: 7 * time.Second,
	}, changes)

	require.Equal(t, driver.Mapping{
		Function: "Fn", Event: "Orders", Type: driver.TypeSQS, Source: "Queue",
		BatchSize: 10, MaximumConcurrency: 5, Enabled: true, FunctionTimeout: 7 * time.Second,
	}, orders)

	fn, err := tpl.Function("Fn")
	require.NoError(t, err)
	require.Equal(t, driver.FunctionConfig{CodeURI: "dist/", Timeout: 7, Environment: []string{
		"LOG_LEVEL=debug", "QUEUE=Queue.fifo", "REGION=us-east-1-000000000000", "TABLE_ARN=arn:aws:dynamodb:us-east-1:000000000000:table/orders",
	}}, fn, "the function's own settings win over Globals; variables merge")
}

// Templates the driver cannot map fail with a TemplateError that says where
// and why.
func TestTemplateErrors(t *testing.T) {
	fn := func(events string) string {
		return `
Resources:
  Q: {Type: AWS::SQS::Queue}
  S: {Type: AWS::Kinesis::Stream}
  F:
    Type: AWS::Serverless::Function
    Properties:
      Events:
` + events
	}
	tests := []struct {
		name, template, function, want string
	}{
		{"not YAML", "Resources: [", "", "not YAML"},
		{"no resources", "Transform: x", "", "Resources: missing"},
		{"no function", "Resources: {Q: {Type: AWS::SQS::Queue}}", "", "no AWS::Serverless::Function"},
		{"several functions", "Resources: {A: {Type: AWS::Serverless::Function}, B: {Type: AWS::Serverless::Function}}", "", "choose one with --function"},
		{"unknown function", fn(""), "G", "G: not an AWS::Serverless::Function"},
		{"unknown resource", fn("        E: {Type: SQS, Properties: {Queue: !GetAtt Nope.Arn}}"), "", "Nope, which is not a resource"},
		{"wrong resource type", fn("        E: {Type: SQS, Properties: {Queue: !GetAtt S.Arn}}"), "", "a AWS::Kinesis::Stream, where a AWS::SQS::Queue is expected"},
		{"foreign ARN", fn("        E: {Type: SQS, Properties: {Queue: arn:aws:sqs:eu-west-1:123456789012:other}}"), "", "not the ARN of a AWS::SQS::Queue of the template"},
		{"missing source", fn("        E: {Type: Kinesis, Properties: {BatchSize: 5}}"), "", "Properties.Stream: missing"},
		{"bad number", fn("        E: {Type: Kinesis, Properties: {Stream: !GetAtt S.Arn, BatchSize: many}}"), "", `BatchSize: "many" is not an integer`},
		{"SNS destination", fn("        E: {Type: Kinesis, Properties: {Stream: !GetAtt S.Arn, DestinationConfig: {OnFailure: {Type: SNS, Destination: x}}}}"), "", "not the ARN of a AWS::SNS::Topic of the template"},
		{"unsupported intrinsic", fn("        E: {Type: SQS, Properties: {Queue: !ImportValue other}}"), "", "Fn::ImportValue is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := driver.ParseTemplate([]byte(tt.template))
			if err == nil {
				_, _, err = tpl.Mappings(tt.function)
			}
			require.ErrorIs(t, err, driver.ErrTemplate)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

// Every example's template loads, and its mappings read their source.
func TestExampleTemplatesLoad(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", "examples", "*", "template.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			tpl, err := driver.LoadTemplate(p)
			require.NoError(t, err)
			maps, ignored, err := tpl.Mappings("")
			require.NoError(t, err)
			if len(maps) == 0 {
				// S3 Batch Operations and Firehose invoke the function
				// themselves: no event source mapping, and nothing of the
				// function's events is one.
				require.Len(t, tpl.Functions(), 1)
				for _, note := range ignored {
					require.Contains(t, note, "is not an SQS, Kinesis, DynamoDB or Kafka event source mapping")
				}
				return
			}
			for _, m := range maps {
				if m.Type == driver.TypeMSK || m.Type == driver.TypeSelfManagedKafka {
					// A cluster is a deployment parameter; the topics are
					// the template's own.
					require.NotEmpty(t, m.Topics)
				} else {
					require.NotEmpty(t, m.Source)
				}
				require.True(t, m.ReportBatchItemFailures)
			}
		})
	}
}

// Lambda's limits on the stream settings.
func TestStreamSettingsValidate(t *testing.T) {
	tests := []struct {
		s    driver.StreamSettings
		want string
	}{
		{driver.StreamSettings{ReportBatchItemFailures: true, ParallelizationFactor: 11}, "ParallelizationFactor"},
		{driver.StreamSettings{ReportBatchItemFailures: true, MaximumRetryAttempts: aws.Int(10001)}, "MaximumRetryAttempts"},
		{driver.StreamSettings{ReportBatchItemFailures: true, TumblingWindow: 901 * time.Second}, "TumblingWindowInSeconds"},
		{driver.StreamSettings{ReportBatchItemFailures: true, MaximumBatchingWindow: 301 * time.Second}, "MaximumBatchingWindowInSeconds"},
		{driver.StreamSettings{ReportBatchItemFailures: true, ParallelizationFactor: 10, MaximumRetryAttempts: aws.Int(-1)}, ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.want), func(t *testing.T) {
			err := tt.s.Validate()
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, driver.ErrInvalidConfig)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

// Lambda refuses, when it creates a mapping, a pattern that is not valid or
// a Kinesis filter on "data" that is not an object: the template is refused
// when it is read, and Open refuses a Mapping built by hand, before anything
// is created (Env has no client: creating would fail differently).
func TestOpenRejectsFilterPatterns(t *testing.T) {
	tests := []struct{ typ, source, pattern, want string }{
		{"Kinesis", "S", `{"data": ["plain"]}`, "data"},
		{"SQS", "Q", `{"body": {"n": [{"numeric": [">"]}]}}`, "numeric"},
		{"SQS", "Q", `{"body": {"n": []}}`, "empty list"},
	}
	for _, tt := range tests {
		t.Run(tt.typ+tt.want, func(t *testing.T) {
			start := ""
			if tt.typ == "Kinesis" {
				start = "StartingPosition: LATEST"
			}
			tpl, err := driver.ParseTemplate([]byte(fmt.Sprintf(`
Resources:
  Q: {Type: AWS::SQS::Queue}
  S: {Type: AWS::Kinesis::Stream}
  F:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        E:
          Type: %s
          Properties:
            %s: !GetAtt %s.Arn
            FilterCriteria: {Filters: [{Pattern: '%s'}]}
            %s
`, tt.typ, map[string]string{"Kinesis": "Stream", "SQS": "Queue"}[tt.typ], tt.source, tt.pattern, start)))
			require.NoError(t, err)
			_, _, err = tpl.Mappings("")
			var ce *driver.ConfigError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, "FilterCriteria.Filters[0].Pattern", ce.Setting)
			require.ErrorIs(t, err, filter.ErrInvalidPattern)
			require.ErrorContains(t, err, tt.want)

			m := driver.Mapping{Function: "F", Event: "E", Type: tt.typ, Source: tt.source, StartingPosition: "LATEST", FilterPatterns: []string{tt.pattern}}
			if tt.typ == driver.TypeSQS {
				m.StartingPosition = ""
			}
			_, err = m.Open(context.Background(), tpl, &driver.Env{})
			require.ErrorAs(t, err, &ce)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

// Create skips, with a note, the resources whose server has no client.
func TestTemplateCreateWithoutServers(t *testing.T) {
	tpl, err := driver.ParseTemplate([]byte(fullTemplate))
	require.NoError(t, err)
	notes, err := tpl.Create(context.Background(), &driver.Env{})
	require.NoError(t, err)
	require.Equal(t, []string{
		"Bucket: no S3 endpoint, not created",
		"Failed: no SQS endpoint, not created",
		"Queue: no SQS endpoint, not created",
		"Stream: no Kinesis endpoint, not created",
		"Table: no DynamoDB endpoint, not created",
	}, notes)
}
