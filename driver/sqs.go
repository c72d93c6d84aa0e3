package driver

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
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
// gathers batches of messages with all their attributes (with
// MaximumConcurrency, several at once), invokes the function with the
// events.SQSEvent Lambda would send, then:
//   - deletes the messages the response does not report;
//   - leaves the reported ones in flight: they reappear after the queue's
//     visibility timeout (and go to the dead-letter queue once the redrive
//     policy's maxReceiveCount is reached);
//   - deletes nothing when the function fails or the response is invalid
//     (an empty or unknown itemIdentifier): the whole batch reappears.
//
// Messages that Filter does not match are deleted without an invocation,
// as Lambda does.
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
	// BatchSize is the most messages per invocation: 1 to 10 for a FIFO
	// queue, to 10,000 for a standard one (more than 10 needs a
	// MaximumBatchingWindow of at least 1 s); 0 means 10.
	BatchSize int32
	// WaitTime is the long-poll wait of each receive, 0 to 20 s; 0 returns
	// at once.
	WaitTime time.Duration
	// VisibilityTimeout overrides the queue's visibility timeout for the
	// received messages when positive (whole seconds).
	VisibilityTimeout time.Duration
	// MaximumBatchingWindow is how long a batch is gathered (several
	// receives) before an invocation with fewer than BatchSize messages; 0
	// invokes with what one receive returned.
	MaximumBatchingWindow time.Duration
	// MaximumConcurrency is ScalingConfig.MaximumConcurrency, 2 to 1,000:
	// each Poll runs that many pollers, each gathering and invoking one
	// batch, at once. 0 runs one.
	MaximumConcurrency int
	// MaximumPollers is ProvisionedPollerConfig.MaximumPollers, 2 to
	// 10,000, for a mapping in provisioned mode (0: not in provisioned
	// mode). Each event poller runs up to [EventPollerConcurrency]
	// invocations at once, so each Poll gathers and invokes up to
	// MaximumPollers x 10 batches at once. It excludes MaximumConcurrency,
	// as in Lambda
	// (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html).
	MaximumPollers int
	// FunctionTimeout is the function's timeout: an invocation that runs
	// longer fails (its messages are not deleted) and, with a batching
	// window, messages are received with a visibility timeout of at least
	// the window plus this (see [SQS.Poll]). 0 sets no deadline.
	FunctionTimeout time.Duration
	// Filter drops (deletes) the messages it does not match; nil delivers
	// every message.
	Filter RecordFilter
	// ReportBatchItemFailures is FunctionResponseTypes:
	// ["ReportBatchItemFailures"]: the response's batchItemFailures are left
	// on the queue and the others deleted. Without it (the zero value, as
	// Lambda's default) the response is ignored and the whole batch is
	// deleted when the invocation succeeds.
	ReportBatchItemFailures bool

	once            sync.Mutex
	maxReceiveCount int
	queueVisibility time.Duration // the queue's VisibilityTimeout attribute
	stats           statsBox
	seen, done      map[string]bool // message ids received, processed
}

// Stats returns what the mapping did so far.
func (d *SQS) Stats() Stats { return d.stats.get() }

// InFlight returns the number of the queue's messages in flight (received,
// neither deleted nor visible again): reported failures waiting for their
// visibility timeout, or messages another consumer holds.
func (d *SQS) InFlight(ctx context.Context) (int, error) {
	out, err := d.Client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(d.QueueURL),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessagesNotVisible},
	})
	if err != nil {
		return 0, fmt.Errorf("batchkit/driver: read the messages in flight of %s: %w", d.QueueURL, err)
	}
	n, _ := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
	return n, nil
}

// validate checks the settings against Lambda's limits (see
// [Mapping.Validate]).
func (d *SQS) validate() error {
	if err := checkSQS(strings.HasSuffix(d.QueueURL, ".fifo"), int(d.BatchSize), d.MaximumBatchingWindow, d.MaximumConcurrency); err != nil {
		return err
	}
	if d.MaximumPollers != 0 {
		if err := checkPollers(true, 0, d.MaximumPollers); err != nil {
			return err
		}
		if d.MaximumConcurrency != 0 {
			return &ConfigError{Setting: "ScalingConfig.MaximumConcurrency", Value: fmt.Sprint(d.MaximumConcurrency), Allowed: "not with ProvisionedPollerConfig"}
		}
	}
	return nil
}

// init reads the queue's ARN and redrive policy once.
func (d *SQS) init(ctx context.Context) error {
	d.once.Lock()
	defer d.once.Unlock()
	if d.maxReceiveCount != 0 {
		return nil
	}
	out, err := d.Client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(d.QueueURL),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn, types.QueueAttributeNameRedrivePolicy, types.QueueAttributeNameVisibilityTimeout},
	})
	if err != nil && d.QueueARN == "" {
		return fmt.Errorf("batchkit/driver: read the attributes of queue %s (set SQS.QueueARN to skip this): %w", d.QueueURL, err)
	}
	if err != nil {
		// Without the redrive policy, the report counts no dead letters.
		out = &sqs.GetQueueAttributesOutput{}
	}
	if d.QueueARN == "" {
		d.QueueARN = out.Attributes[string(types.QueueAttributeNameQueueArn)]
	}
	d.maxReceiveCount = -1
	d.seen, d.done = map[string]bool{}, map[string]bool{}
	if n, err := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameVisibilityTimeout)]); err == nil {
		d.queueVisibility = time.Duration(n) * time.Second
		if d.FunctionTimeout > d.queueVisibility {
			// Lambda refuses the mapping
			// (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html).
			d.maxReceiveCount = 0
			return &ConfigError{Setting: "Timeout", Value: seconds(d.FunctionTimeout), Allowed: fmt.Sprintf("at most the queue's VisibilityTimeout, %s", seconds(d.queueVisibility)),
				Reason: "the function's timeout is longer than the queue's visibility timeout"}
		}
	}
	var rp struct {
		MaxReceiveCount json.Number `json:"maxReceiveCount"`
	}
	if json.Unmarshal([]byte(out.Attributes[string(types.QueueAttributeNameRedrivePolicy)]), &rp) == nil {
		if n, err := rp.MaxReceiveCount.Int64(); err == nil && n > 0 {
			d.maxReceiveCount = int(n)
		}
	}
	return nil
}

// Poll gathers and invokes one batch per poller (MaximumConcurrency, or
// MaximumPollers x 10 in provisioned mode, or one). It returns no batch when
// the queue had no visible message.
//
// With a batching window, when the window plus FunctionTimeout is longer
// than the queue's visibility timeout, messages are received with that
// longer visibility timeout, so that they do not reappear while they are
// gathered or processed; Lambda's documentation has the queue account for
// the window on top of the function's timeout
// (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html).
func (d *SQS) Poll(ctx context.Context, fn Function) ([]Batch, error) {
	if err := d.validate(); err != nil {
		return nil, err
	}
	if err := d.init(ctx); err != nil {
		return nil, err
	}
	n := max(1, d.MaximumConcurrency)
	if d.MaximumPollers > 0 {
		n = d.MaximumPollers * EventPollerConcurrency
	}
	results := make([]*Batch, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = d.pollOne(ctx, fn)
		}()
	}
	wg.Wait()
	var batches []Batch
	var err error
	for i := range n {
		if results[i] != nil {
			batches = append(batches, *results[i])
		}
		if errs[i] != nil && err == nil {
			err = errs[i]
		}
	}
	return batches, err
}

// pollOne is one poller: gather a batch, invoke, apply the response.
func (d *SQS) pollOne(ctx context.Context, fn Function) (*Batch, error) {
	msgs, err := d.gather(ctx)
	if err != nil || len(msgs) == 0 {
		return nil, err
	}
	event := events.SQSEvent{Records: make([]events.SQSMessage, len(msgs))}
	b := Batch{Source: "aws:sqs", IDs: make([]string, len(msgs)), Attempt: 1}
	receipts := make(map[string]string, len(msgs))
	counts := make(map[string]int, len(msgs))
	for i, m := range msgs {
		event.Records[i] = m
		b.IDs[i] = m.MessageId
		receipts[m.MessageId] = m.ReceiptHandle
		counts[m.MessageId], _ = strconv.Atoi(m.Attributes["ApproximateReceiveCount"])
		b.Attempt = max(b.Attempt, counts[m.MessageId])
	}
	if b.Event, err = json.Marshal(event); err != nil {
		return nil, fmt.Errorf("batchkit/driver: encode the SQS event: %w", err)
	}
	d.stats.add(func(s *Stats) {
		s.Invocations++
		if b.Attempt > 1 {
			s.Retries++
		} else {
			s.Batches++
		}
	})
	b.Response, b.Err = invoke(ctx, fn, b.Event, d.FunctionTimeout)
	if b.Err == nil && d.ReportBatchItemFailures {
		b.Failed, b.Err = ParseResponse(b.Response, b.IDs)
	}
	failed := make(map[string]bool, len(b.Failed))
	for _, id := range b.Failed {
		failed[id] = true
	}
	if b.Err != nil {
		for _, id := range b.IDs {
			failed[id] = true
		}
	}
	d.stats.add(func(s *Stats) {
		for _, id := range b.IDs {
			if !failed[id] && !d.done[id] {
				d.done[id] = true
				s.Succeeded++
			}
		}
		for id := range failed {
			if d.maxReceiveCount > 0 && counts[id] >= d.maxReceiveCount {
				s.DeadLetter++
			}
		}
	})
	if b.Err != nil {
		return &b, nil
	}
	var del []string
	for _, id := range b.IDs {
		if !failed[id] {
			del = append(del, id)
		}
	}
	if err := d.delete(ctx, del, receipts); err != nil {
		return &b, err
	}
	b.Deleted = del
	return &b, nil
}

// gather receives up to BatchSize messages: one receive, or, with a batching
// window, receives until the batch is full, the window has passed, or the
// next message would take the event over 6 MB (that message is made visible
// again). Filtered-out messages are deleted.
func (d *SQS) gather(ctx context.Context) ([]events.SQSMessage, error) {
	size := int(d.BatchSize)
	if size <= 0 {
		size = 10
	}
	deadline := time.Now().Add(d.MaximumBatchingWindow)
	var msgs []events.SQSMessage
	index := map[string]int{} // message id -> position in msgs
	payload := len(`{"Records":[]}`)
	for len(msgs) < size {
		wait := d.WaitTime
		if d.MaximumBatchingWindow > 0 {
			wait = min(time.Until(deadline), 20*time.Second)
		}
		in := &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(d.QueueURL),
			MaxNumberOfMessages:         int32(min(10, size-len(msgs))),
			WaitTimeSeconds:             int32(max(0, wait/time.Second)),
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		}
		if vt := d.visibility(); vt > 0 {
			in.VisibilityTimeout = int32((vt + time.Second - 1) / time.Second)
		}
		out, err := d.Client.ReceiveMessage(ctx, in)
		if err != nil {
			return msgs, fmt.Errorf("batchkit/driver: receive from %s: %w", d.QueueURL, err)
		}
		var dropped []string
		receipts := map[string]string{}
		var putBack []types.Message
		for _, m := range out.Messages {
			r := d.record(m)
			if i, ok := index[r.MessageId]; ok {
				// Received again during the window (its visibility timeout
				// is shorter): keep the newest receipt.
				msgs[i] = r
				continue
			}
			d.stats.add(func(s *Stats) {
				if !d.seen[r.MessageId] {
					d.seen[r.MessageId] = true
					s.Records++
				}
			})
			if d.Filter != nil && !d.Filter.MatchSQS(r) {
				dropped = append(dropped, r.MessageId)
				receipts[r.MessageId] = r.ReceiptHandle
				continue
			}
			enc, _ := json.Marshal(r)
			if len(msgs) > 0 && payload+len(enc)+1 > MaxPayload {
				putBack = append(putBack, m)
				continue
			}
			payload += len(enc) + 1
			index[r.MessageId] = len(msgs)
			msgs = append(msgs, r)
		}
		if len(dropped) > 0 {
			if err := d.delete(ctx, dropped, receipts); err != nil {
				return msgs, err
			}
			d.stats.add(func(s *Stats) { s.Filtered += len(dropped) })
		}
		if len(putBack) > 0 {
			d.release(ctx, putBack)
			return msgs, nil
		}
		if d.MaximumBatchingWindow <= 0 || !time.Now().Before(deadline) {
			return msgs, nil
		}
		if len(out.Messages) == 0 && wait < time.Second {
			select {
			case <-ctx.Done():
				return msgs, ctx.Err()
			case <-time.After(min(time.Until(deadline), 100*time.Millisecond)):
			}
		}
	}
	return msgs, nil
}

// visibility is the visibility timeout to receive with: the override, or,
// with a batching window, the window plus the function's timeout when that
// is longer than the queue's; 0 keeps the queue's.
func (d *SQS) visibility() time.Duration {
	if d.VisibilityTimeout > 0 {
		return d.VisibilityTimeout
	}
	if d.MaximumBatchingWindow > 0 {
		if need := d.MaximumBatchingWindow + d.FunctionTimeout; need > d.queueVisibility {
			return need
		}
	}
	return 0
}

// visibilityChanger is implemented by *sqs.Client.
type visibilityChanger interface {
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

// release makes messages visible again at once, when the client can;
// otherwise they reappear after the visibility timeout.
func (d *SQS) release(ctx context.Context, msgs []types.Message) {
	c, ok := d.Client.(visibilityChanger)
	if !ok {
		return
	}
	for _, m := range msgs {
		_, _ = c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(d.QueueURL), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0})
	}
}

// delete deletes messages by id, 10 per call.
func (d *SQS) delete(ctx context.Context, ids []string, receipts map[string]string) error {
	for start := 0; start < len(ids); start += 10 {
		chunk := ids[start:min(start+10, len(ids))]
		entries := make([]types.DeleteMessageBatchRequestEntry, len(chunk))
		for i, id := range chunk {
			entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(receipts[id])}
		}
		res, err := d.Client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(d.QueueURL), Entries: entries})
		if err != nil {
			return fmt.Errorf("batchkit/driver: delete the %d processed messages from %s: %w", len(chunk), d.QueueURL, err)
		}
		if len(res.Failed) > 0 {
			f := res.Failed[0]
			return fmt.Errorf("batchkit/driver: delete failed for %d messages of %s (first: %s %s); they will be delivered again", len(res.Failed), d.QueueURL, aws.ToString(f.Code), aws.ToString(f.Message))
		}
	}
	return nil
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
