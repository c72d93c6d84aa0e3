package driver

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The conditions of a Kafka on-failure invocation record: why Lambda
// discarded the records.
const (
	// KafkaRetryAttemptsExhausted: the function failed on the records
	// MaximumRetryAttempts + 1 times.
	KafkaRetryAttemptsExhausted = "RetryAttemptsExhausted"
	// KafkaMaximumPayloadSizeExceeded: a record alone makes an event over the
	// 6 MB invocation payload limit; the function is not invoked.
	KafkaMaximumPayloadSizeExceeded = "MaximumPayloadSizeExceeded"
	// KafkaRecordAgeExceeded: the records were older than
	// MaximumRecordAgeInSeconds; the function is not invoked.
	KafkaRecordAgeExceeded = "RecordAgeExceeded"
)

// KafkaDestination receives the invocation records of discarded Kafka
// records: an event source mapping's DestinationConfig.OnFailure.
// [KafkaSQSDestination] sends them to an SQS queue; [KafkaDestinationFunc]
// adapts a function.
type KafkaDestination interface {
	// Send delivers one invocation record (JSON). An error keeps the records
	// undecided: they are neither committed nor dropped, and the next Poll
	// tries again.
	Send(ctx context.Context, record []byte) error
}

// KafkaDestinationFunc adapts a function to [KafkaDestination].
type KafkaDestinationFunc func(ctx context.Context, record []byte) error

// Send calls f.
func (f KafkaDestinationFunc) Send(ctx context.Context, record []byte) error { return f(ctx, record) }

// KafkaSQSSender is the part of the SQS client a [KafkaSQSDestination] uses;
// *sqs.Client implements it.
type KafkaSQSSender interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// KafkaSQSDestination sends invocation records to an SQS queue (fauxqs
// locally), as Lambda does for an OnFailure destination that is a queue ARN.
type KafkaSQSDestination struct {
	// Client sends the messages.
	Client KafkaSQSSender
	// QueueURL is the destination queue.
	QueueURL string
}

// Send sends the record as one message.
func (d *KafkaSQSDestination) Send(ctx context.Context, record []byte) error {
	if d.Client == nil || d.QueueURL == "" {
		return errors.New("batchkit/driver: KafkaSQSDestination needs a Client and a QueueURL")
	}
	if _, err := d.Client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(d.QueueURL), MessageBody: aws.String(string(record))}); err != nil {
		return fmt.Errorf("batchkit/driver: send the Kafka invocation record to %s: %w", d.QueueURL, err)
	}
	return nil
}

// KafkaInvocationRecord is what Lambda sends to an SQS or SNS on-failure
// destination for discarded Kafka records: metadata about the failed
// invocation and, per topic-partition, the range of offsets discarded.
type KafkaInvocationRecord struct {
	// RequestContext says why and after how many invocations.
	RequestContext KafkaRequestContext `json:"requestContext"`
	// ResponseContext is the last invocation's outcome; nil when the
	// function was not invoked (MaximumPayloadSizeExceeded,
	// RecordAgeExceeded).
	ResponseContext *KafkaResponseContext `json:"responseContext"`
	// Version is "1.0".
	Version string `json:"version"`
	// Timestamp is when the records were discarded (RFC 3339, milliseconds).
	Timestamp string `json:"timestamp"`
	// KafkaBatchInfo describes the discarded records.
	KafkaBatchInfo KafkaBatchInfo `json:"KafkaBatchInfo"`
}

// KafkaRequestContext is the requestContext of a [KafkaInvocationRecord].
type KafkaRequestContext struct {
	// RequestID identifies the record.
	RequestID string `json:"requestId"`
	// FunctionARN is the function's ARN.
	FunctionARN string `json:"functionArn"`
	// Condition is [KafkaRetryAttemptsExhausted],
	// [KafkaMaximumPayloadSizeExceeded] or [KafkaRecordAgeExceeded].
	Condition string `json:"condition"`
	// ApproximateInvokeCount is how many times the function was invoked
	// with the records: MaximumRetryAttempts + 1 when retries ran out.
	ApproximateInvokeCount int `json:"approximateInvokeCount"`
}

// KafkaResponseContext is the responseContext of a [KafkaInvocationRecord].
type KafkaResponseContext struct {
	// StatusCode is the Invoke API's status code.
	StatusCode int `json:"statusCode"`
	// ExecutedVersion is "$LATEST".
	ExecutedVersion string `json:"executedVersion"`
	// FunctionError is "Unhandled" when the function returned an error,
	// empty when it answered with a partial batch response.
	FunctionError string `json:"functionError,omitempty"`
}

// KafkaBatchInfo is the KafkaBatchInfo of a [KafkaInvocationRecord].
type KafkaBatchInfo struct {
	// BatchSize is the number of records discarded.
	BatchSize int `json:"batchSize"`
	// EventSourceARN is the cluster's ARN (empty for self-managed Kafka).
	EventSourceARN string `json:"eventSourceArn,omitempty"`
	// BootstrapServers are the brokers, comma-separated.
	BootstrapServers string `json:"bootstrapServers"`
	// PayloadSize is the size in bytes of the event holding the records.
	PayloadSize int `json:"payloadSize"`
	// RecordsInfo is, per "<topic>-<partition>", the offsets and timestamps
	// of the first and last records discarded.
	RecordsInfo map[string]KafkaRecordsInfo `json:"recordsInfo"`
}

// KafkaRecordsInfo is the range of records of one topic-partition in a
// [KafkaBatchInfo]; offsets are decimal strings.
type KafkaRecordsInfo struct {
	// FirstRecordOffset is the offset of the first record discarded.
	FirstRecordOffset string `json:"firstRecordOffset"`
	// LastRecordOffset is the offset of the last record discarded.
	LastRecordOffset string `json:"lastRecordOffset"`
	// FirstRecordTimestamp is the first record's timestamp (RFC 3339, ms).
	FirstRecordTimestamp string `json:"firstRecordTimestamp"`
	// LastRecordTimestamp is the last record's timestamp (RFC 3339, ms).
	LastRecordTimestamp string `json:"lastRecordTimestamp"`
}

const kafkaTimestampLayout = "2006-01-02T15:04:05.000Z"

// newKafkaInvocationRecord describes discarded records.
func newKafkaInvocationRecord(k *Kafka, recs []*kgo.Record, condition string, invokes int, resp *KafkaResponseContext, payload int, now time.Time) KafkaInvocationRecord {
	info := map[string]KafkaRecordsInfo{}
	for _, r := range recs {
		tp := kafkaTopicPartition(r.Topic, r.Partition)
		in, ok := info[tp]
		off, ts := strconv.FormatInt(r.Offset, 10), r.Timestamp.UTC().Format(kafkaTimestampLayout)
		if !ok {
			in.FirstRecordOffset, in.FirstRecordTimestamp = off, ts
		}
		in.LastRecordOffset, in.LastRecordTimestamp = off, ts
		info[tp] = in
	}
	arn := k.eventSourceARN()
	if k.eventSource() == KafkaSourceSelfManaged {
		arn = ""
	}
	return KafkaInvocationRecord{
		RequestContext: KafkaRequestContext{
			RequestID:              kafkaRequestID(),
			FunctionARN:            k.functionARN(),
			Condition:              condition,
			ApproximateInvokeCount: invokes,
		},
		ResponseContext: resp,
		Version:         "1.0",
		Timestamp:       now.UTC().Format(kafkaTimestampLayout),
		KafkaBatchInfo: KafkaBatchInfo{
			BatchSize:        len(recs),
			EventSourceARN:   arn,
			BootstrapServers: k.bootstrapServers(),
			PayloadSize:      payload,
			RecordsInfo:      info,
		},
	}
}

// kafkaResponseContext describes the last invocation's outcome.
func kafkaResponseContext(err error) *KafkaResponseContext {
	rc := &KafkaResponseContext{StatusCode: 200, ExecutedVersion: "$LATEST"}
	var fe *FunctionError
	var ie *InvokeError
	switch {
	case errors.As(err, &fe):
		rc.FunctionError = "Unhandled"
	case errors.As(err, &ie):
		rc.StatusCode = ie.StatusCode
		if rc.StatusCode == 0 {
			rc.StatusCode = 500
		}
		rc.FunctionError = "Unhandled"
	}
	return rc
}

// kafkaRequestID returns a random UUID (version 4).
func kafkaRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func marshalKafkaRecord(r KafkaInvocationRecord) []byte {
	b, _ := json.Marshal(r)
	return b
}
