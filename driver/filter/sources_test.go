package filter_test

import (
	"encoding/base64"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/driver/filter"
)

func sqsMessage(body string) events.SQSMessage {
	return events.SQSMessage{
		MessageId:     "059f36b4-87a3-44ab-83d2-661975830a7d",
		ReceiptHandle: "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
		Body:          body,
		Attributes: map[string]string{
			"ApproximateReceiveCount": "1",
			"SentTimestamp":           "1545082649183",
			"SenderId":                "AIDAIENQZJOLO23YVJ4VO",
		},
		MessageAttributes: map[string]events.SQSMessageAttribute{
			"Team": {StringValue: ptr("payments"), DataType: "String"},
		},
		Md5OfBody:      "e4e68fb7bd0e697a0ae8f1bb342846b3",
		EventSource:    "aws:sqs",
		EventSourceARN: "arn:aws:sqs:us-west-2:123456789012:my-queue",
		AWSRegion:      "us-west-2",
	}
}

func ptr(s string) *string { return &s }

// The SQS page's examples, and its table of body and pattern formats.
func TestMatchSQS(t *testing.T) {
	const docBody = `{"RecordNumber": 1234, "TimeStamp": "yyyy-mm-ddThh:mm:ss", "RequestCode": "AAAA"}`
	cases := []struct {
		name, pattern, body string
		want                bool
	}{
		{"RequestCode BBBB on AAAA", `{"body": {"RequestCode": ["BBBB"]}}`, docBody, false},
		{"RequestCode AAAA", `{"body": {"RequestCode": ["AAAA"]}}`, docBody, true},
		{"RecordNumber > 9999 on 1234", `{"body": {"RecordNumber": [{"numeric": [">", 9999]}]}}`, docBody, false},
		{"RecordNumber > 999", `{"body": {"RecordNumber": [{"numeric": [">", 999]}]}}`, docBody, true},
		{"plain body, plain pattern", `{"body": [{"prefix": "Result: "}]}`, "Result: done", true},
		{"plain body, plain pattern, no match", `{"body": [{"prefix": "Result: "}]}`, "Error: failed", false},
		{"plain body, JSON pattern: dropped", `{"body": {"RequestCode": [{"exists": false}]}}`, "Result: done", false},
		{"JSON body, plain pattern: dropped", `{"body": [{"prefix": "{"}]}`, docBody, false},
		{"JSON body, plain anything-but: dropped", `{"body": [{"anything-but": "x"}]}`, docBody, false},
		{"plain body, metadata pattern", `{"attributes": {"SenderId": ["AIDAIENQZJOLO23YVJ4VO"]}}`, "not json", true},
		{"JSON body, metadata pattern", `{"attributes": {"ApproximateReceiveCount": ["2"]}}`, docBody, false},
		{"message attribute", `{"messageAttributes": {"Team": {"stringValue": ["payments"]}}}`, "x", true},
		{"message attribute other team", `{"messageAttributes": {"Team": {"stringValue": ["search"]}}}`, "x", false},
		{"eventSourceARN suffix", `{"eventSourceARN": [{"suffix": ":my-queue"}]}`, "x", true},
		{"JSON array body is plain", `{"body": ["[1,2]"]}`, "[1,2]", true},
		{"$or across body forms", `{"$or": [{"body": {"RequestCode": ["AAAA"]}}, {"body": ["ping"]}]}`, "ping", true},
		{"$or across body forms, JSON", `{"$or": [{"body": {"RequestCode": ["AAAA"]}}, {"body": ["ping"]}]}`, docBody, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := filter.New(tc.pattern)
			require.NoError(t, err)
			require.Equal(t, tc.want, c.MatchSQS(sqsMessage(tc.body)))
		})
	}
}

func kinesisRecord(partitionKey string, data []byte) events.KinesisEventRecord {
	return events.KinesisEventRecord{
		AwsRegion:      "us-east-1",
		EventID:        "shardId-000000000006:49590338271490256608559692538361571095921575989136588898",
		EventName:      "aws:kinesis:record",
		EventSource:    "aws:kinesis",
		EventSourceArn: "arn:aws:kinesis:us-east-1:123456789012:stream/lambda-stream",
		EventVersion:   "1.0",
		Kinesis: events.KinesisRecord{
			PartitionKey:         partitionKey,
			SequenceNumber:       "49590338271490256608559692538361571095921575989136588898",
			Data:                 data,
			KinesisSchemaVersion: "1.0",
		},
	}
}

// The general page's Kinesis examples and its table of data formats.
func TestMatchKinesis(t *testing.T) {
	seattle := []byte(`{"City": "Seattle", "State": "WA", "Temperature": 46, "Month": "December"}`)
	la := []byte(`{"Location": "Los Angeles", "Temperature": 55}`)
	cases := []struct {
		name, pattern, key string
		data               []byte
		want               bool
	}{
		{"partitionKey and Location", `{"partitionKey": ["1"], "data": {"Location": ["Los Angeles"]}}`, "1", la, true},
		{"other partitionKey", `{"partitionKey": ["1"], "data": {"Location": ["Los Angeles"]}}`, "2", la, false},
		{"Temperature in (50, 60]", `{"data": {"Temperature": [{"numeric": [">", 50, "<=", 60]}]}}`, "1", la, true},
		{"Temperature 46", `{"data": {"Temperature": [{"numeric": [">", 50, "<=", 60]}]}}`, "1", seattle, false},
		{"City", `{"data": {"City": ["Seattle"]}}`, "1", seattle, true},
		{"non-JSON data, JSON pattern: dropped", `{"data": {"City": [{"exists": false}]}}`, "1", []byte("Hello, this is a test."), false},
		{"non-JSON data, metadata pattern", `{"partitionKey": ["1"]}`, "1", []byte("Hello, this is a test."), true},
		{"plain data pattern never matches", `{"data": [{"prefix": "Hello"}]}`, "1", []byte("Hello, this is a test."), false},
		{"event metadata", `{"eventName": ["aws:kinesis:record"], "awsRegion": ["us-east-1"]}`, "1", la, true},
		{"sequenceNumber prefix", `{"sequenceNumber": [{"prefix": "4959"}]}`, "1", la, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := filter.New(tc.pattern)
			require.NoError(t, err)
			require.Equal(t, tc.want, c.MatchKinesis(kinesisRecord(tc.key, tc.data)))
		})
	}
}

func dynamoRecord(eventName string, id string, active bool) events.DynamoDBEventRecord {
	return events.DynamoDBEventRecord{
		AWSRegion:      "us-east-1",
		EventID:        "c4ca4238a0b923820dcc509a6f75849b",
		EventName:      eventName,
		EventSource:    "aws:dynamodb",
		EventVersion:   "1.1",
		EventSourceArn: "arn:aws:dynamodb:us-east-1:123456789012:table/ExampleTableWithStream/stream/2015-06-27T00:48:05.899",
		Change: events.DynamoDBStreamRecord{
			Keys: map[string]events.DynamoDBAttributeValue{"Id": events.NewNumberAttribute(id)},
			NewImage: map[string]events.DynamoDBAttributeValue{
				"Id":      events.NewNumberAttribute(id),
				"Message": events.NewStringAttribute("New item!"),
				"Active":  events.NewBooleanAttribute(active),
			},
			SequenceNumber: "111",
			SizeBytes:      26,
			StreamViewType: "NEW_AND_OLD_IMAGES",
		},
	}
}

// The multi-level example (Keys.Id.N is "101"), typed attribute values, and
// the CDK's INSERT with NewImage.id.BOOL.
func TestMatchDynamoDB(t *testing.T) {
	cases := []struct {
		name, pattern string
		record        events.DynamoDBEventRecord
		want          bool
	}{
		{"Keys.Id.N 101", `{"dynamodb": {"Keys": {"Id": {"N": ["101"]}}}}`, dynamoRecord("INSERT", "101", true), true},
		{"Keys.Id.N 102", `{"dynamodb": {"Keys": {"Id": {"N": ["101"]}}}}`, dynamoRecord("INSERT", "102", true), false},
		{"N is a string, not a number", `{"dynamodb": {"Keys": {"Id": {"N": [101]}}}}`, dynamoRecord("INSERT", "101", true), false},
		{"numeric never matches N", `{"dynamodb": {"NewImage": {"Id": {"N": [{"numeric": [">", 100]}]}}}}`, dynamoRecord("INSERT", "101", true), false},
		{"INSERT with BOOL true", `{"eventName": ["INSERT"], "dynamodb": {"NewImage": {"Active": {"BOOL": [true]}}}}`, dynamoRecord("INSERT", "1", true), true},
		{"MODIFY is not INSERT", `{"eventName": ["INSERT"]}`, dynamoRecord("MODIFY", "1", true), false},
		{"BOOL false", `{"dynamodb": {"NewImage": {"Active": {"BOOL": [true]}}}}`, dynamoRecord("INSERT", "1", false), false},
		{"string attribute prefix", `{"dynamodb": {"NewImage": {"Message": {"S": [{"prefix": "New"}]}}}}`, dynamoRecord("INSERT", "1", true), true},
		{"OldImage absent", `{"dynamodb": {"OldImage": {"Id": {"N": [{"exists": false}]}}}}`, dynamoRecord("INSERT", "1", true), true},
		{"plain dynamodb pattern never matches", `{"dynamodb": [{"exists": true}]}`, dynamoRecord("INSERT", "1", true), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := filter.New(tc.pattern)
			require.NoError(t, err)
			require.Equal(t, tc.want, c.MatchDynamoDB(tc.record))
		})
	}
}

func kafkaRecord(topic, value string) events.KafkaRecord {
	r := events.KafkaRecord{
		Topic:         topic,
		Partition:     0,
		Offset:        15,
		TimestampType: "CREATE_TIME",
		Key:           base64.StdEncoding.EncodeToString([]byte("k1")),
		Headers:       []map[string]events.JSONNumberBytes{{"source": events.JSONNumberBytes("app")}},
	}
	if value != "" {
		r.Value = base64.StdEncoding.EncodeToString([]byte(value))
	}
	return r
}

// The Kafka page's examples (device_ID prefix, anything-but "error" on a plain
// value) and the rule that a value that is not JSON does not drop the record.
func TestMatchKafka(t *testing.T) {
	device := `{"device_ID": "AB1234", "session": {"start_time": "yyyy-mm-ddThh:mm:ss", "duration": 162}}`
	cases := []struct {
		name, pattern, topic, value string
		want                        bool
	}{
		{"device_ID prefix AB", `{"value": {"device_ID": [{"prefix": "AB"}]}}`, "mytopic", device, true},
		{"device_ID prefix CD", `{"value": {"device_ID": [{"prefix": "CD"}]}}`, "mytopic", device, false},
		{"nested session duration", `{"value": {"session": {"duration": [{"numeric": [">", 100]}]}}}`, "mytopic", device, true},
		{"plain value not error", `{"value": [{"anything-but": ["error"]}]}`, "mytopic", "Hello, this is a test.", true},
		{"plain value error", `{"value": [{"anything-but": ["error"]}]}`, "mytopic", "error", false},
		{"non-JSON value: JSON part ignored", `{"value": {"device_ID": [{"prefix": "CD"}]}}`, "mytopic", "Hello", true},
		{"non-JSON value: rest of the pattern decides", `{"topic": ["other"], "value": {"device_ID": [{"prefix": "AB"}]}}`, "mytopic", "Hello", false},
		{"JSON value, plain pattern: matched as text", `{"value": [{"prefix": "{\"device_ID\""}]}`, "mytopic", device, true},
		{"topic", `{"topic": ["mytopic"]}`, "mytopic", device, true},
		{"timestampType and offset", `{"timestampType": ["CREATE_TIME"], "offset": [{"numeric": [">=", 15]}]}`, "mytopic", device, true},
		{"header bytes", `{"headers": {"source": [97]}}`, "mytopic", device, true},
		{"no value does not exist", `{"value": [{"exists": false}]}`, "mytopic", "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := filter.New(tc.pattern)
			require.NoError(t, err)
			require.Equal(t, tc.want, c.MatchKafka(kafkaRecord(tc.topic, tc.value)))
		})
	}
}

// Without patterns every record of every source is kept.
func TestEmptyCriteriaKeepsEverySource(t *testing.T) {
	c, err := filter.New()
	require.NoError(t, err)
	require.True(t, c.MatchSQS(sqsMessage("x")))
	require.True(t, c.MatchKinesis(kinesisRecord("1", []byte("x"))))
	require.True(t, c.MatchDynamoDB(dynamoRecord("REMOVE", "1", false)))
	require.True(t, c.MatchKafka(kafkaRecord("t", "x")))
}
