package processors_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

// fairEvent is a batch of a fair queue: a standard queue (no ".fifo") whose
// messages carry a MessageGroupId, see
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-fair-queues.html
func fairEvent() events.SQSEvent {
	msg := func(id, group string) events.SQSMessage {
		return events.SQSMessage{MessageId: id, Body: id, EventSource: "aws:sqs", EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:tenants",
			Attributes: map[string]string{"MessageGroupId": group, "ApproximateReceiveCount": "1"}}
	}
	return events.SQSEvent{Records: []events.SQSMessage{msg("a1", "tenant-a"), msg("a2", "tenant-a"), msg("a3", "tenant-a"), msg("b1", "tenant-b")}}
}

// A fair-queue record is a standard record to NewSQS: a failure stops none
// of its group's later messages, on the typed and the raw-bytes entries.
func TestFairQueueNoGroupStop(t *testing.T) {
	p := core.Must(processors.NewSQS(processors.Config{}))
	var mu sync.Mutex
	var ran []string
	h := func(_ context.Context, m *events.SQSMessage) error {
		mu.Lock()
		ran = append(ran, m.MessageId)
		mu.Unlock()
		if m.MessageId == "a1" {
			return errors.New("down")
		}
		return nil
	}
	resp, err := core.Process(context.Background(), p, fairEvent().Records, h)
	require.NoError(t, err)
	require.Equal(t, []core.BatchItemFailure{{ItemIdentifier: core.StringID("a1")}}, resp.BatchItemFailures)
	require.Equal(t, []string{"a1", "a2", "a3", "b1"}, ran)

	ran = nil
	raw, err := json.Marshal(fairEvent())
	require.NoError(t, err)
	out, err := processors.SQSHandler(p, h)(context.Background(), raw)
	require.NoError(t, err)
	require.Equal(t, []core.BatchItemFailure{{ItemIdentifier: core.StringID("a1")}}, out.BatchItemFailures)
	require.Equal(t, []string{"a1", "a2", "a3", "b1"}, ran)
}

// Under NewSQS with concurrency, the messages of one fair-queue group run at
// the same time (no per-group ordering): the three tenant-a messages wait
// for each other and only finish once all three have started.
func TestFairQueueGroupRunsConcurrently(t *testing.T) {
	p := core.Must(processors.NewSQS(processors.Config{Options: core.Options{Concurrency: 4}}))
	var started sync.WaitGroup
	started.Add(3)
	all := make(chan struct{})
	go func() { started.Wait(); close(all) }()
	resp, err := core.Process(context.Background(), p, fairEvent().Records, func(_ context.Context, m *events.SQSMessage) error {
		if m.Attributes["MessageGroupId"] != "tenant-a" {
			return nil
		}
		started.Done()
		select {
		case <-all:
			return nil
		case <-time.After(10 * time.Second):
			return errors.New("the group's messages did not run together")
		}
	})
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
}
