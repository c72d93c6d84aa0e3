package driver

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Failure is one batch that an event source mapping discarded (its retries
// ran out, its records were too old, or a record was too large), as the
// mapping hands it to its on-failure destination
// (DestinationConfig.OnFailure). Each [Destination] sends the part Lambda
// sends to that kind of destination:
//
//   - an SQS queue or an SNS topic gets Record, the invocation record
//     (metadata only);
//   - an S3 bucket gets Record with the whole invocation event added as
//     "payload", under a key made of the mapping's UUID and Shard;
//   - a Kafka topic (Kafka mappings only) gets one message per discarded
//     record: Messages.
//
// See https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html
// (the SQS/SNS and S3 records of streams),
// https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure.html and
// https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html.
type Failure struct {
	// Record is the invocation record (JSON): an [InvocationRecord] or a
	// [KafkaInvocationRecord].
	Record []byte
	// Event is the invocation event (JSON) holding the discarded records,
	// the "payload" of an S3 destination's object.
	Event []byte
	// Shard is the shard ID, or the "<topic>-<partition>" of the first
	// discarded Kafka record: a segment of an S3 destination's object key.
	Shard string
	// Messages are, for a Kafka mapping, the discarded records themselves,
	// each with its failure metadata, as a Kafka topic destination writes
	// them.
	Messages []FailureMessage
}

// FailureMessage is one discarded Kafka record as a Kafka topic destination
// writes it: the record's own key (so that it goes to the partition its key
// chooses) and a JSON document with the failure metadata
// (requestContext, responseContext, version, timestamp, KafkaBatchInfo with
// recordInfo) and, as "payload", a Kafka event holding the record alone.
type FailureMessage struct {
	// Key is the original record's key; nil when it had none.
	Key []byte
	// Value is the JSON document.
	Value []byte
}

// Destination is an on-failure destination (DestinationConfig.OnFailure).
// [SQSDestination], [SNSDestination], [S3Destination] and
// [KafkaTopicDestination] send what Lambda sends to each kind;
// [DestinationFunc] adapts a function.
type Destination interface {
	// Send delivers one discarded batch. An error keeps the records
	// undecided: the mapping tries again at its next poll.
	Send(ctx context.Context, f *Failure) error
}

// DestinationFunc adapts a function to [Destination].
type DestinationFunc func(ctx context.Context, f *Failure) error

// Send calls f.
func (fn DestinationFunc) Send(ctx context.Context, f *Failure) error { return fn(ctx, f) }

// SQSSendAPI is the part of the SQS client an [SQSDestination] uses.
type SQSSendAPI interface {
	// SendMessage sends one message.
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// SQSDestination sends invocation records to an SQS queue, as Lambda does
// for an on-failure destination of type SQS.
type SQSDestination struct {
	// Client talks to the queue's server.
	Client SQSSendAPI
	// QueueURL is the destination queue.
	QueueURL string
}

// Send sends the invocation record as one message.
func (d *SQSDestination) Send(ctx context.Context, f *Failure) error {
	if d.Client == nil || d.QueueURL == "" {
		return errors.New("batchkit/driver: an SQSDestination needs a Client and a QueueURL")
	}
	_, err := d.Client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(d.QueueURL), MessageBody: aws.String(string(f.Record))})
	if err != nil {
		return fmt.Errorf("batchkit/driver: send the invocation record to the on-failure queue %s: %w", d.QueueURL, err)
	}
	return nil
}

// SNSPublishAPI is the part of the SNS client an [SNSDestination] uses;
// *sns.Client implements it.
type SNSPublishAPI interface {
	// Publish publishes one message.
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// SNSDestination publishes invocation records to an SNS topic (fauxqs
// serves SNS locally), as Lambda does for an on-failure destination of type
// SNS: the message is the same JSON document an SQS queue gets.
type SNSDestination struct {
	// Client talks to the topic's server.
	Client SNSPublishAPI
	// TopicARN is the destination topic.
	TopicARN string
}

// Send publishes the invocation record as one message.
func (d *SNSDestination) Send(ctx context.Context, f *Failure) error {
	if d.Client == nil || d.TopicARN == "" {
		return errors.New("batchkit/driver: an SNSDestination needs a Client and a TopicARN")
	}
	if _, err := d.Client.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(d.TopicARN), Message: aws.String(string(f.Record))}); err != nil {
		return fmt.Errorf("batchkit/driver: publish the invocation record to the on-failure topic %s: %w", d.TopicARN, err)
	}
	return nil
}

// S3PutAPI is the part of the S3 client an [S3Destination] uses;
// *s3.Client implements it.
type S3PutAPI interface {
	// PutObject writes one object.
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// S3Destination writes one object per discarded batch to an S3 bucket
// (fauxqs serves S3 locally), as Lambda does for an on-failure destination
// that is a bucket: the invocation record with the whole invocation event
// added as "payload" (an escaped JSON string), under the key
//
//	aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<random UUID>
//
// (https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html).
// For a Kafka mapping the shard segment is the "<topic>-<partition>" of the
// first discarded record: Lambda's Kafka page does not spell the key out.
type S3Destination struct {
	// Client talks to the bucket's server (path-style addressing locally:
	// [NewS3Client]).
	Client S3PutAPI
	// Bucket is the destination bucket's name.
	Bucket string
	// MappingUUID is the event source mapping's UUID in the keys; empty
	// means "00000000-0000-0000-0000-000000000000".
	MappingUUID string
}

// Send writes the record and the event as one object.
func (d *S3Destination) Send(ctx context.Context, f *Failure) error {
	if d.Client == nil || d.Bucket == "" {
		return errors.New("batchkit/driver: an S3Destination needs a Client and a Bucket")
	}
	body, err := withPayload(f.Record, f.Event)
	if err != nil {
		return err
	}
	uuid := d.MappingUUID
	if uuid == "" {
		uuid = "00000000-0000-0000-0000-000000000000"
	}
	key := S3FailureKey(uuid, f.Shard, time.Now(), newRequestID())
	if _, err := d.Client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(d.Bucket), Key: aws.String(key), Body: bytes.NewReader(body),
		ContentType: aws.String("application/json")}); err != nil {
		return fmt.Errorf("batchkit/driver: write the invocation record to the on-failure bucket %s: %w", d.Bucket, err)
	}
	return nil
}

// S3FailureKey is the key of an on-failure object:
// aws/lambda/<mappingUUID>/<shard>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<id>.
func S3FailureKey(mappingUUID, shard string, at time.Time, id string) string {
	at = at.UTC()
	return "aws/lambda/" + mappingUUID + "/" + shard + "/" + at.Format("2006/01/02") + "/" + at.Format("2006-01-02T15.04.05") + "-" + id
}

// withPayload adds "payload" (the event as a JSON string) to the JSON
// object record.
func withPayload(record, event []byte) ([]byte, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(record, &fields); err != nil {
		return nil, fmt.Errorf("batchkit/driver: the invocation record is not a JSON object: %w", err)
	}
	p, _ := json.Marshal(string(event))
	fields["payload"] = p
	return json.Marshal(fields)
}

// NewSNSClient returns an SNS client for the server at endpoint (such as
// fauxqs).
func NewSNSClient(endpoint string) *sns.Client {
	return sns.NewFromConfig(AWSConfig(""), func(o *sns.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.HTTPClient = &http.Client{}
	})
}

// NewS3Client returns an S3 client for the server at endpoint (such as
// fauxqs), with path-style addressing.
func NewS3Client(endpoint string) *s3.Client {
	return s3.NewFromConfig(AWSConfig(""), func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
		o.HTTPClient = &http.Client{}
	})
}

// InvocationRecord is what Lambda sends to a stream mapping's on-failure
// destination: metadata of the skipped batch, not its records.
type InvocationRecord struct {
	// RequestContext says why the batch was skipped.
	RequestContext RequestContext `json:"requestContext"`
	// ResponseContext describes the last invocation; nil when the records
	// were discarded for their age without an invocation.
	ResponseContext *ResponseContext `json:"responseContext,omitempty"`
	// Version is "1.0".
	Version string `json:"version"`
	// Timestamp is when the batch was skipped.
	Timestamp string `json:"timestamp"`
	// KinesisBatchInfo describes a Kinesis batch.
	KinesisBatchInfo *StreamBatchInfo `json:"KinesisBatchInfo,omitempty"`
	// DDBStreamBatchInfo describes a DynamoDB Streams batch.
	DDBStreamBatchInfo *StreamBatchInfo `json:"DDBStreamBatchInfo,omitempty"`
}

// RequestContext is the requestContext of an [InvocationRecord].
type RequestContext struct {
	// RequestID identifies the record.
	RequestID string `json:"requestId"`
	// FunctionARN is the mapping's function.
	FunctionARN string `json:"functionArn"`
	// Condition is [RetryAttemptsExhausted] or [RecordAgeExceeded].
	Condition string `json:"condition"`
	// ApproximateInvokeCount is how many times the batch was invoked:
	// MaximumRetryAttempts + 1 when the retries were exhausted.
	ApproximateInvokeCount int `json:"approximateInvokeCount"`
}

// ResponseContext is the responseContext of an [InvocationRecord].
type ResponseContext struct {
	// StatusCode is the Invoke API's status, 200 when the function ran.
	StatusCode int `json:"statusCode"`
	// ExecutedVersion is "$LATEST".
	ExecutedVersion string `json:"executedVersion"`
	// FunctionError is "Unhandled" when the function returned an error;
	// nil (JSON null, as Lambda sends it) when it did not.
	FunctionError *string `json:"functionError"`
}

// StreamBatchInfo locates a skipped batch in its stream.
type StreamBatchInfo struct {
	// ShardID is the batch's shard.
	ShardID string `json:"shardId"`
	// StartSequenceNumber is the first record's sequence number.
	StartSequenceNumber string `json:"startSequenceNumber"`
	// EndSequenceNumber is the last record's sequence number.
	EndSequenceNumber string `json:"endSequenceNumber"`
	// ApproximateArrivalOfFirstRecord is when the first record arrived.
	ApproximateArrivalOfFirstRecord string `json:"approximateArrivalOfFirstRecord"`
	// ApproximateArrivalOfLastRecord is when the last record arrived.
	ApproximateArrivalOfLastRecord string `json:"approximateArrivalOfLastRecord"`
	// BatchSize is the number of records.
	BatchSize int `json:"batchSize"`
	// StreamARN is the stream.
	StreamARN string `json:"streamArn"`
}

// timeFormat is the timestamps' format in invocation records.
const timeFormat = "2006-01-02T15:04:05.000Z"

// newRequestID returns a random UUID.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// failureRecord builds the invocation record of a skipped stream batch.
func failureRecord(source, functionARN, condition string, invokes int, lastErr error, info StreamBatchInfo) InvocationRecord {
	r := InvocationRecord{
		RequestContext: RequestContext{RequestID: newRequestID(), FunctionARN: functionARN, Condition: condition, ApproximateInvokeCount: invokes},
		Version:        "1.0",
		Timestamp:      time.Now().UTC().Format(timeFormat),
	}
	if condition != RecordAgeExceeded {
		rc := &ResponseContext{StatusCode: 200, ExecutedVersion: "$LATEST"}
		var fe *FunctionError
		var ie *InvokeError
		switch {
		case errors.As(lastErr, &fe):
			unhandled := "Unhandled"
			rc.FunctionError = &unhandled
		case errors.As(lastErr, &ie) && ie.StatusCode != 0:
			rc.StatusCode = ie.StatusCode
		}
		r.ResponseContext = rc
	}
	if source == "aws:dynamodb" {
		r.DDBStreamBatchInfo = &info
	} else {
		r.KinesisBatchInfo = &info
	}
	return r
}

func (r InvocationRecord) marshal() []byte {
	b, _ := json.Marshal(r)
	return b
}

// failure is what a stream mapping's on-failure destination gets for
// skipped records: the invocation record and the event that holds them.
func (m *streamMapping[R]) failure(r shardReader[R], shard string, items []item[R], rec InvocationRecord) *Failure {
	recs := make([]R, len(items))
	for i := range items {
		recs[i] = items[i].rec
	}
	event, _ := json.Marshal(r.event(shard, recs))
	return &Failure{Record: rec.marshal(), Event: event, Shard: shard}
}

// The kinds of on-failure destination of a [Mapping] (OnFailureType).
const (
	// DestinationSQS is an SQS queue of the template.
	DestinationSQS = "SQS"
	// DestinationSNS is an SNS topic of the template.
	DestinationSNS = "SNS"
	// DestinationS3 is an S3 bucket of the template.
	DestinationS3 = "S3"
	// DestinationKafka is a Kafka topic ("kafka://<topic>") on the
	// mapping's cluster; Kafka mappings only.
	DestinationKafka = "Kafka"
)

// kafkaTopicName is Lambda's pattern of a Kafka topic destination's name
// (https://docs.aws.amazon.com/lambda/latest/api/API_OnFailure.html).
var kafkaTopicName = regexp.MustCompile(`^[^.][a-zA-Z0-9\-_.]{0,248}$`)

// onFailure reads DestinationConfig.OnFailure of an event of type source:
// the destination's logical ID (or Kafka topic), its kind and, on error,
// the property at fault.
func (t *Template) onFailure(source string, topics []string, of map[string]any) (string, string, string, error) {
	kafka := source == TypeMSK || source == TypeSelfManagedKafka
	typ, _ := of["Type"].(string)
	if s, ok := of["Destination"].(string); ok && strings.HasPrefix(s, "kafka://") {
		topic := strings.TrimPrefix(s, "kafka://")
		switch {
		case !kafka:
			return "", "", "Destination", fmt.Errorf("%s: a Kafka topic destination is for Kafka (MSK, SelfManagedKafka) event source mappings only", s)
		case !kafkaTopicName.MatchString(topic):
			return "", "", "Destination", fmt.Errorf("%s: %q is not a Kafka topic name Lambda accepts (letters, digits, '-', '_', '.', not starting with '.', at most 249)", s, topic)
		case slices.Contains(topics, topic):
			return "", "", "Destination", fmt.Errorf("%s: the on-failure topic cannot be a source topic of the mapping (Lambda refuses it to prevent recursion)", s)
		}
		return topic, DestinationKafka, "", nil
	}
	kinds := []struct{ kind, resource string }{{DestinationSQS, "AWS::SQS::Queue"}, {DestinationSNS, "AWS::SNS::Topic"}, {DestinationS3, "AWS::S3::Bucket"}}
	var reasons []string
	for _, k := range kinds {
		if typ != "" && typ != k.kind {
			continue
		}
		id, err := t.resourceOf(of["Destination"], k.resource)
		if err == nil {
			return id, k.kind, "", nil
		}
		reasons = append(reasons, err.Error())
	}
	if typ != "" && typ != DestinationSQS && typ != DestinationSNS && typ != DestinationS3 {
		return "", "", "Type", fmt.Errorf("%q: an on-failure destination is SQS, SNS or S3 (or a kafka:// topic for Kafka)", typ)
	}
	return "", "", "Destination", errors.New(strings.Join(reasons, "; "))
}
