package driver

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Destination is an on-failure destination (DestinationConfig.OnFailure):
// it receives the JSON invocation record of each skipped batch.
type Destination interface {
	// Send delivers one invocation record.
	Send(ctx context.Context, record []byte) error
}

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

// Send sends the record as one message.
func (d *SQSDestination) Send(ctx context.Context, record []byte) error {
	_, err := d.Client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(d.QueueURL), MessageBody: aws.String(string(record))})
	if err != nil {
		return fmt.Errorf("batchkit/driver: send the invocation record to the on-failure queue %s: %w", d.QueueURL, err)
	}
	return nil
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
