package driver

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

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

// KafkaTopicDestination is a Kafka topic on-failure destination
// (DestinationConfig.OnFailure.Destination "kafka://<topic>"): the mapping
// writes each discarded record to Topic, on its own cluster, with the
// record's key and, as value, the failure metadata and the record
// ([FailureMessage]), as Lambda documents at
// https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html.
// Lambda requires the topic to exist on the same cluster as the source
// topics and not to be one of them: a [Kafka] mapping refuses it otherwise
// when it opens. Only a Kafka mapping can use it.
type KafkaTopicDestination struct {
	// Topic is the destination topic.
	Topic string

	client *kgo.Client
}

// Send writes f.Messages to the topic through the mapping's client. The
// record's key chooses the partition (franz-go's default partitioner: the
// key's murmur2 hash, as Java clients; records without a key go to a sticky
// partition where Lambda documents round robin).
func (d *KafkaTopicDestination) Send(ctx context.Context, f *Failure) error {
	if d.client == nil {
		return fmt.Errorf("batchkit/driver: the Kafka topic destination %q serves only the Kafka mapping it is set on", d.Topic)
	}
	recs := make([]*kgo.Record, len(f.Messages))
	for i, m := range f.Messages {
		recs[i] = &kgo.Record{Topic: d.Topic, Key: m.Key, Value: m.Value}
	}
	if err := d.client.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return fmt.Errorf("batchkit/driver: write the discarded records to the on-failure topic %s: %w", d.Topic, err)
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

// KafkaFailedRecord is the value a [KafkaTopicDestination] gets for one
// discarded record: the failure metadata of a [KafkaInvocationRecord] with
// the record's own offset and timestamp, and the record itself as a Kafka
// event holding it alone ("payload"), as
// https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html
// shows it.
type KafkaFailedRecord struct {
	// RequestContext says why and after how many invocations.
	RequestContext KafkaRequestContext `json:"requestContext"`
	// ResponseContext is the last invocation's outcome; nil when the
	// function was not invoked.
	ResponseContext *KafkaResponseContext `json:"responseContext"`
	// Version is "1.0".
	Version string `json:"version"`
	// Timestamp is when the record was discarded.
	Timestamp string `json:"timestamp"`
	// KafkaBatchInfo describes the record.
	KafkaBatchInfo KafkaRecordBatchInfo `json:"KafkaBatchInfo"`
	// Payload is a Kafka event (eventSource, eventSourceArn,
	// bootstrapServers, records) holding the record alone.
	Payload json.RawMessage `json:"payload"`
}

// KafkaRecordBatchInfo is the KafkaBatchInfo of a [KafkaFailedRecord].
type KafkaRecordBatchInfo struct {
	// BatchSize is 1.
	BatchSize int `json:"batchSize"`
	// EventSourceARN is the cluster's ARN (empty for self-managed Kafka).
	EventSourceARN string `json:"eventSourceArn,omitempty"`
	// BootstrapServers are the brokers, comma-separated.
	BootstrapServers string `json:"bootstrapServers"`
	// PayloadSize is the size in bytes of the payload.
	PayloadSize int `json:"payloadSize"`
	// RecordInfo is the record's offset (a decimal string) and timestamp.
	RecordInfo KafkaRecordInfo `json:"recordInfo"`
}

// KafkaRecordInfo is the recordInfo of a [KafkaRecordBatchInfo].
type KafkaRecordInfo struct {
	// Offset is the record's offset, a decimal string.
	Offset string `json:"offset"`
	// Timestamp is the record's timestamp (RFC 3339, milliseconds).
	Timestamp string `json:"timestamp"`
}

// kafkaFailure is what the on-failure destination gets for discarded
// records: the invocation record, the event, and one message per record.
func (k *Kafka) kafkaFailure(recs []*kgo.Record, rec KafkaInvocationRecord) (*Failure, error) {
	event, err := buildKafkaEvent(k.eventSource(), k.eventSourceARN(), k.bootstrapServers(), recs)
	if err != nil {
		return nil, err
	}
	f := &Failure{Record: marshalKafkaRecord(rec), Event: event, Shard: kafkaTopicPartition(recs[0].Topic, recs[0].Partition)}
	for _, r := range recs {
		one, err := buildKafkaEvent(k.eventSource(), k.eventSourceARN(), k.bootstrapServers(), []*kgo.Record{r})
		if err != nil {
			return nil, err
		}
		doc := KafkaFailedRecord{
			RequestContext:  rec.RequestContext,
			ResponseContext: rec.ResponseContext,
			Version:         rec.Version,
			Timestamp:       rec.Timestamp,
			KafkaBatchInfo: KafkaRecordBatchInfo{
				BatchSize:        1,
				EventSourceARN:   rec.KafkaBatchInfo.EventSourceARN,
				BootstrapServers: rec.KafkaBatchInfo.BootstrapServers,
				PayloadSize:      len(one),
				RecordInfo:       KafkaRecordInfo{Offset: strconv.FormatInt(r.Offset, 10), Timestamp: r.Timestamp.UTC().Format(kafkaTimestampLayout)},
			},
			Payload: one,
		}
		v, _ := json.Marshal(doc)
		f.Messages = append(f.Messages, FailureMessage{Key: r.Key, Value: v})
	}
	return f, nil
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
