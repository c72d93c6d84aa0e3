package driver

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// SQSAPI is the part of the SQS client the driver uses; *sqs.Client
// implements it.
type SQSAPI interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, opts ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

// SQS is an SQS event source mapping (standard or FIFO queue). Each Poll
// receives up to BatchSize messages with all their attributes, invokes the
// function with the events.SQSEvent Lambda would send, then:
//   - deletes the messages the response does not report;
//   - leaves the reported ones in flight: they reappear after the queue's
//     visibility timeout (and go to the dead-letter queue once the redrive
//     policy's maxReceiveCount is reached);
//   - deletes nothing when the function fails or the response is invalid
//     (an empty or unknown itemIdentifier): the whole batch reappears.
type SQS struct {
	// Client talks to the queue's server.
	Client SQSAPI
	// QueueURL is the queue to poll.
	QueueURL string
	// QueueARN is the eventSourceARN of the records; when empty, the first
	// Poll reads it from the queue's QueueArn attribute.
	QueueARN string
	// Region is the records' awsRegion; empty means [DefaultRegion].
	Region string
	// BatchSize is the most messages per invocation, 1 to 10; 0 means 10.
	BatchSize int32
	// WaitTime is the long-poll wait of each receive, 0 to 20 s; 0 returns
	// at once.
	WaitTime time.Duration
	// VisibilityTimeout overrides the queue's visibility timeout for the
	// received messages when positive (whole seconds).
	VisibilityTimeout time.Duration
}

// Poll receives one batch, invokes fn and applies the response. It returns
// no batch when the queue had no visible message.
func (d *SQS) Poll(ctx context.Context, fn Function) ([]Batch, error) {
	if d.QueueARN == "" {
		out, err := d.Client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl:       aws.String(d.QueueURL),
			AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
		})
		if err != nil {
			return nil, fmt.Errorf("batchkit/driver: read the ARN of queue %s (set SQS.QueueARN to skip this): %w", d.QueueURL, err)
		}
		d.QueueARN = out.Attributes[string(types.QueueAttributeNameQueueArn)]
	}
	size := d.BatchSize
	if size <= 0 || size > 10 {
		size = 10
	}
	in := &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(d.QueueURL),
		MaxNumberOfMessages:         size,
		WaitTimeSeconds:             int32(d.WaitTime / time.Second),
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	}
	if d.VisibilityTimeout > 0 {
		in.VisibilityTimeout = int32((d.VisibilityTimeout + time.Second - 1) / time.Second)
	}
	out, err := d.Client.ReceiveMessage(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("batchkit/driver: receive from %s: %w", d.QueueURL, err)
	}
	if len(out.Messages) == 0 {
		return nil, nil
	}
	event := events.SQSEvent{Records: make([]events.SQSMessage, len(out.Messages))}
	b := Batch{Source: "aws:sqs", IDs: make([]string, len(out.Messages))}
	receipts := make(map[string]string, len(out.Messages))
	for i, m := range out.Messages {
		event.Records[i] = d.record(m)
		b.IDs[i] = event.Records[i].MessageId
		receipts[b.IDs[i]] = aws.ToString(m.ReceiptHandle)
	}
	if b.Event, err = json.Marshal(event); err != nil {
		return nil, fmt.Errorf("batchkit/driver: encode the SQS event: %w", err)
	}
	b.Response, b.Err = fn.Invoke(ctx, b.Event)
	if b.Err == nil {
		b.Failed, b.Err = ParseResponse(b.Response, b.IDs)
	}
	if b.Err != nil {
		return []Batch{b}, nil
	}
	failed := make(map[string]bool, len(b.Failed))
	for _, id := range b.Failed {
		failed[id] = true
	}
	var del []types.DeleteMessageBatchRequestEntry
	for i, id := range b.IDs {
		if !failed[id] {
			del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(receipts[id])})
		}
	}
	if len(del) > 0 {
		res, err := d.Client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(d.QueueURL), Entries: del})
		if err != nil {
			return []Batch{b}, fmt.Errorf("batchkit/driver: delete the %d processed messages from %s: %w", len(del), d.QueueURL, err)
		}
		if len(res.Failed) > 0 {
			f := res.Failed[0]
			return []Batch{b}, fmt.Errorf("batchkit/driver: delete failed for %d messages of %s (first: %s %s); they will be delivered again", len(res.Failed), d.QueueURL, aws.ToString(f.Code), aws.ToString(f.Message))
		}
		for _, e := range del {
			i, _ := strconv.Atoi(aws.ToString(e.Id))
			b.Deleted = append(b.Deleted, b.IDs[i])
		}
	}
	return []Batch{b}, nil
}

// record builds the Lambda record of a received message.
func (d *SQS) record(m types.Message) events.SQSMessage {
	region := d.Region
	if region == "" {
		region = DefaultRegion
	}
	r := events.SQSMessage{
		MessageId:              aws.ToString(m.MessageId),
		ReceiptHandle:          aws.ToString(m.ReceiptHandle),
		Body:                   aws.ToString(m.Body),
		Md5OfBody:              aws.ToString(m.MD5OfBody),
		Md5OfMessageAttributes: aws.ToString(m.MD5OfMessageAttributes),
		Attributes:             make(map[string]string, len(m.Attributes)),
		MessageAttributes:      make(map[string]events.SQSMessageAttribute, len(m.MessageAttributes)),
		EventSourceARN:         d.QueueARN,
		EventSource:            "aws:sqs",
		AWSRegion:              region,
	}
	for k, v := range m.Attributes {
		r.Attributes[k] = v
	}
	for k, v := range m.MessageAttributes {
		r.MessageAttributes[k] = events.SQSMessageAttribute{
			StringValue:      v.StringValue,
			BinaryValue:      v.BinaryValue,
			StringListValues: append([]string{}, v.StringListValues...),
			BinaryListValues: append([][]byte{}, v.BinaryListValues...),
			DataType:         aws.ToString(v.DataType),
		}
	}
	return r
}
