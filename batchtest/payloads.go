package batchtest

// The payloads that travel inside batch records (issue 19): an SNS
// notification, an EventBridge event and an S3 notification as SQS bodies,
// a CloudWatch Logs subscription's data as Kinesis data, and Kafka values in
// a schema registry's framing. Each is checked against AWS's (or the
// registry's) documented sample in payloads_test.go and run through
// batchkit's decoders (envelope, kafkapayload).

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"encoding/json"
	"fmt"
)

// SNSNotification returns the body SQS receives from an SNS topic without
// raw message delivery: the notification JSON, with message as its Message,
// in the shape of the Amazon SNS developer guide's example
// (https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html#http-notification-json).
// Its Signature is a placeholder: the envelope package does not verify it.
//
//	event := batchtest.SQSEvent(batchtest.SNSNotification(`{"orderId":"o-1"}`))
func SNSNotification(message string) string {
	n := struct {
		Type             string
		MessageID        string `json:"MessageId"`
		TopicArn         string
		Message          string
		Timestamp        string
		SignatureVersion string
		Signature        string
		SigningCertURL   string
		UnsubscribeURL   string
	}{
		Type:             "Notification",
		MessageID:        "5eed5115-0000-4000-8000-000000005115",
		TopicArn:         fmt.Sprintf("arn:aws:sns:%s:%s:test-topic", region, account),
		Message:          message,
		Timestamp:        "2023-11-14T22:13:20.000Z",
		SignatureVersion: "1",
		Signature:        "EXAMPLE",
		SigningCertURL:   fmt.Sprintf("https://sns.%s.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem", region),
		UnsubscribeURL:   fmt.Sprintf("https://sns.%s.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:%s:%s:test-topic:00000000-0000-4000-8000-000000000000", region, region, account),
	}
	return mustJSON(n)
}

// EventBridgeEvent returns an EventBridge event, as a rule delivers it to an
// SQS queue or a Kinesis stream target, with detail (JSON text) as its
// detail, in the shape of the EventBridge user guide's example
// (https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html).
//
//	event := batchtest.SQSEvent(batchtest.EventBridgeEvent("com.example.orders", "Order Placed", `{"orderId":"o-1"}`))
func EventBridgeEvent(source, detailType, detail string) string {
	e := struct {
		Version    string          `json:"version"`
		ID         string          `json:"id"`
		DetailType string          `json:"detail-type"`
		Source     string          `json:"source"`
		Account    string          `json:"account"`
		Time       string          `json:"time"`
		Region     string          `json:"region"`
		Resources  []string        `json:"resources"`
		Detail     json.RawMessage `json:"detail"`
	}{
		Version: "0", ID: "5eed00eb-0000-4000-8000-0000000000eb", DetailType: detailType, Source: source,
		Account: account, Time: "2023-11-14T22:13:20Z", Region: region,
		Resources: []string{}, Detail: json.RawMessage(detail),
	}
	return mustJSON(e)
}

// S3Notification returns an S3 event notification, as S3 delivers it to an
// SQS queue (or SNS topic), with one record per key: an ObjectCreated:Put of
// that key in bucket, the key URL-encoded as S3 encodes it (a space is +),
// in the shape of the Amazon S3 user guide's example
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html).
//
//	event := batchtest.SQSEvent(batchtest.S3Notification("uploads", "photos/red flower.jpg"))
func S3Notification(bucket string, keys ...string) string {
	type object struct {
		Key       string `json:"key"`
		Size      int64  `json:"size"`
		ETag      string `json:"eTag"`
		VersionID string `json:"versionId"`
		Sequencer string `json:"sequencer"`
	}
	type record struct {
		EventVersion      string            `json:"eventVersion"`
		EventSource       string            `json:"eventSource"`
		AWSRegion         string            `json:"awsRegion"`
		EventTime         string            `json:"eventTime"`
		EventName         string            `json:"eventName"`
		UserIdentity      map[string]string `json:"userIdentity"`
		RequestParameters map[string]string `json:"requestParameters"`
		ResponseElements  map[string]string `json:"responseElements"`
		S3                struct {
			S3SchemaVersion string `json:"s3SchemaVersion"`
			ConfigurationID string `json:"configurationId"`
			Bucket          struct {
				Name          string            `json:"name"`
				OwnerIdentity map[string]string `json:"ownerIdentity"`
				Arn           string            `json:"arn"`
			} `json:"bucket"`
			Object object `json:"object"`
		} `json:"s3"`
	}
	recs := make([]record, len(keys))
	for i, k := range keys {
		r := &recs[i]
		r.EventVersion, r.EventSource, r.AWSRegion = "2.1", "aws:s3", region
		r.EventTime, r.EventName = "2023-11-14T22:13:20.000Z", "ObjectCreated:Put"
		r.UserIdentity = map[string]string{"principalId": "AWS:AIDAEXAMPLE"}
		r.RequestParameters = map[string]string{"sourceIPAddress": "203.0.113.10"}
		r.ResponseElements = map[string]string{"x-amz-request-id": "EXAMPLE123456789", "x-amz-id-2": "EXAMPLE/abcdefghijklmnopqrstuvwxyz"}
		r.S3.S3SchemaVersion, r.S3.ConfigurationID = "1.0", "test-notification"
		r.S3.Bucket.Name, r.S3.Bucket.Arn = bucket, "arn:aws:s3:::"+bucket
		r.S3.Bucket.OwnerIdentity = map[string]string{"principalId": "A3EXAMPLE"}
		r.S3.Object = object{Key: s3Key(k), Size: 1024, ETag: "d41d8cd98f00b204e9800998ecf8427e", VersionID: "1", Sequencer: fmt.Sprintf("0055AED6DCD9028%03X", i)}
	}
	return mustJSON(struct {
		Records []record `json:"Records"`
	}{recs})
}

// CloudWatchLogs returns the data of a CloudWatch Logs subscription, as a
// subscription filter writes it to a Kinesis stream or a Firehose stream:
// a gzip-compressed DATA_MESSAGE of logGroup with one log event per
// message (the event JSON carries it base64-encoded, as Kinesis data), in
// the shape of the CloudWatch Logs user guide's example
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html#DestinationKinesisExample).
//
//	event := batchtest.KinesisEvent(batchtest.KinesisRecord{Data: string(batchtest.CloudWatchLogs("/aws/lambda/orders", `{"level":"error"}`))})
func CloudWatchLogs(logGroup string, messages ...string) []byte {
	type logEvent struct {
		ID        string `json:"id"`
		Timestamp int64  `json:"timestamp"`
		Message   string `json:"message"`
	}
	evs := make([]logEvent, len(messages))
	for i, m := range messages {
		evs[i] = logEvent{ID: fmt.Sprintf("3719971756290717428835512580704011470483764099463361%04d", i), Timestamp: 1700000000000 + int64(i), Message: m}
	}
	doc := mustJSON(struct {
		MessageType         string     `json:"messageType"`
		Owner               string     `json:"owner"`
		LogGroup            string     `json:"logGroup"`
		LogStream           string     `json:"logStream"`
		SubscriptionFilters []string   `json:"subscriptionFilters"`
		LogEvents           []logEvent `json:"logEvents"`
	}{"DATA_MESSAGE", account, logGroup, "2023/11/14/[$LATEST]0123456789abcdef0123456789abcdef", []string{"test-filter"}, evs})
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte(doc))
	_ = zw.Close()
	return buf.Bytes()
}

// ConfluentFrame returns payload (the bytes a codec encoded, Avro, Protobuf
// or JSON) in Confluent Schema Registry's wire format: magic byte 0, the
// 4-byte big-endian schema id and, for Protobuf, the message-index list
// (zig-zag varints; pass none for a payload that is not Protobuf, 0 alone for
// the first message type, written as the single byte 0 Confluent's
// serializers write)
// (https://docs.confluent.io/platform/current/schema-registry/fundamentals/serdes-develop/index.html#wire-format).
// kafkapayload reads it back with Unframe.
//
//	value := batchtest.ConfluentFrame(42, avroBytes)
func ConfluentFrame(schemaID uint32, payload []byte, protobufIndexes ...int) []byte {
	out := []byte{0}
	out = binary.BigEndian.AppendUint32(out, schemaID)
	switch {
	case len(protobufIndexes) == 1 && protobufIndexes[0] == 0:
		out = append(out, 0)
	case len(protobufIndexes) > 0:
		out = binary.AppendVarint(out, int64(len(protobufIndexes)))
		for _, i := range protobufIndexes {
			out = binary.AppendVarint(out, int64(i))
		}
	}
	return append(out, payload...)
}

// GlueFrame returns payload in AWS Glue Schema Registry's wire format:
// header version byte 3, the compression byte (5, zlib, when compress is
// set, else 0), the 16-byte schema version id, then the payload, compressed
// when asked. The AWS Glue developer guide does not document the bytes;
// this is what AWS's serializer writes
// (github.com/awslabs/aws-glue-schema-registry,
// serializer-deserializer/.../serializers/SerializationDataEncoder.java).
// For Protobuf, payload starts with Glue's message index, as the codec
// wrote it. kafkapayload reads it back with Unframe.
func GlueFrame(schemaVersionID [16]byte, compress bool, payload []byte) []byte {
	out := []byte{3, 0}
	if compress {
		out[1] = 5
	}
	out = append(out, schemaVersionID[:]...)
	if !compress {
		return append(out, payload...)
	}
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	_, _ = zw.Write(payload)
	_ = zw.Close()
	return append(out, buf.Bytes()...)
}
