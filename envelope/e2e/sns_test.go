package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/driver"
	"github.com/batchkit/batchkit/envelope"
	"github.com/batchkit/batchkit/internal/testenv"
	"github.com/batchkit/batchkit/payload"
	"github.com/batchkit/batchkit/processors"
)

// endpoint returns the local SNS/SQS server's endpoint (fauxqs serves
// both). Without one the test skips, except under CI=true where it fails.
func endpoint(t *testing.T) string {
	t.Helper()
	return testenv.Endpoint(t, "BATCHKIT_SQS_ENDPOINT", "fauxqs")
}

type order struct {
	OrderID  string `json:"orderId"`
	Quantity int    `json:"quantity"`
}

// Validate rejects an order without a positive quantity.
func (o order) Validate() error {
	if o.Quantity <= 0 {
		return errors.New("quantity must be positive")
	}
	return nil
}

// setup creates a topic and a queue subscribed to it, with or without raw
// message delivery, and returns the topic ARN and queue URL.
func setup(ctx context.Context, t *testing.T, snsc *sns.Client, sqsc *sqs.Client, name string, raw bool) (string, string) {
	t.Helper()
	name = fmt.Sprintf("%s-%d", name, time.Now().UnixNano())
	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
	require.NoError(t, err)
	q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: map[string]string{"VisibilityTimeout": "1"}})
	require.NoError(t, err)
	attrs, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	require.NoError(t, err)
	_, err = snsc.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(attrs.Attributes["QueueArn"]),
		Attributes: map[string]string{"RawMessageDelivery": fmt.Sprint(raw)},
	})
	require.NoError(t, err)
	return *topic.TopicArn, *q.QueueUrl
}

func newSNSClient(endpoint string) *sns.Client {
	return sns.NewFromConfig(driver.AWSConfig(driver.DefaultRegion), func(o *sns.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

// Orders published to a topic reach the subscribed queue as SNS
// notifications; the function unwraps them, and the local event source
// mapping deletes the handled messages and leaves the failed ones (an
// invalid order, a body that is not a notification) in the queue.
func TestSNSToSQS(t *testing.T) {
	ep := endpoint(t)
	ctx := context.Background()
	snsc, sqsc := newSNSClient(ep), driver.NewSQSClient(ep)
	topicARN, queueURL := setup(ctx, t, snsc, sqsc, "batchkit-envelope", false)

	publish := func(o order, subject string) {
		body, _ := json.Marshal(o)
		_, err := snsc.Publish(ctx, &sns.PublishInput{
			TopicArn: aws.String(topicARN), Message: aws.String(string(body)), Subject: aws.String(subject),
			MessageAttributes: map[string]snstypes.MessageAttributeValue{
				"channel": {DataType: aws.String("String"), StringValue: aws.String("web")},
			},
		})
		require.NoError(t, err)
	}
	publish(order{"o-1", 2}, "first")
	publish(order{"o-2", 0}, "invalid")
	publish(order{"o-3", 5}, "third")
	_, err := sqsc.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String(`{"orderId":"o-4","quantity":1}`)})
	require.NoError(t, err)

	var mu sync.Mutex
	handled := map[string]string{} // orderId -> subject
	var errs []error
	h := envelope.Wrap(envelope.Config[events.SQSMessage]{Layers: []envelope.Layer{envelope.SNS()}}, func(_ context.Context, o order, m *envelope.Meta[events.SQSMessage]) error {
		n := m.SNS()
		mu.Lock()
		defer mu.Unlock()
		require.Equal(t, topicARN, n.TopicArn)
		require.Equal(t, "Notification", n.Type)
		require.NotEmpty(t, n.MessageID)
		require.False(t, n.Timestamp.IsZero())
		require.Equal(t, envelope.SNSMessageAttribute{Type: "String", Value: "web"}, n.MessageAttributes["channel"])
		handled[o.OrderID] = n.Subject
		return nil
	})
	processor := core.Must(processors.NewSQS(processors.Config{}))
	function := func(ctx context.Context, event json.RawMessage) (core.Response, error) {
		resp, err := processors.SQSHandler(processor, func(ctx context.Context, m *events.SQSMessage) error {
			err := h(ctx, m)
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
			return err
		})(ctx, event)
		return resp, err
	}

	mapping := &driver.SQS{ReportBatchItemFailures: true, Client: sqsc, QueueURL: queueURL, WaitTime: time.Second}
	var failed, deleted []string
	for range 5 {
		batches, err := mapping.Poll(ctx, driver.Handler(function))
		require.NoError(t, err)
		for _, b := range batches {
			require.NoError(t, b.Err)
			failed = append(failed, b.Failed...)
			deleted = append(deleted, b.Deleted...)
		}
		if len(failed)+len(deleted) >= 4 {
			break
		}
	}
	require.Len(t, deleted, 2)
	require.Len(t, failed, 2)
	require.Equal(t, map[string]string{"o-1": "first", "o-3": "third"}, handled)
	require.Len(t, errs, 2)
	var sawValidation, sawUnwrap bool
	for _, err := range errs {
		sawValidation = sawValidation || errors.Is(err, payload.ErrInvalid)
		sawUnwrap = sawUnwrap || errors.Is(err, envelope.ErrUnwrap)
	}
	require.True(t, sawValidation, "the invalid order fails validation: %v", errs)
	require.True(t, sawUnwrap, "the direct message is not an SNS notification: %v", errs)
}

// With raw message delivery the body is the published message: the handler
// takes it without an SNS layer.
func TestSNSToSQSRawDelivery(t *testing.T) {
	ep := endpoint(t)
	ctx := context.Background()
	snsc, sqsc := newSNSClient(ep), driver.NewSQSClient(ep)
	topicARN, queueURL := setup(ctx, t, snsc, sqsc, "batchkit-envelope-raw", true)
	_, err := snsc.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topicARN), Message: aws.String(`{"orderId":"r-1","quantity":3}`)})
	require.NoError(t, err)

	var got []order
	h := envelope.Wrap(envelope.Config[events.SQSMessage]{}, func(_ context.Context, o order, _ *envelope.Meta[events.SQSMessage]) error {
		got = append(got, o)
		return nil
	})
	function := func(ctx context.Context, event json.RawMessage) (core.Response, error) {
		return processors.SQSHandler(core.Must(processors.NewSQS(processors.Config{})), h)(ctx, event)
	}
	mapping := &driver.SQS{ReportBatchItemFailures: true, Client: sqsc, QueueURL: queueURL, WaitTime: time.Second}
	batches, err := driver.Drain(ctx, mapping, driver.Handler(function), 1)
	require.NoError(t, err)
	require.NotEmpty(t, batches)
	require.Equal(t, []order{{"r-1", 3}}, got)
}
