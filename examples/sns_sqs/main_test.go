package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/envelope"
	"github.com/batchkit/batchkit/payload"
	"github.com/batchkit/batchkit/processors"
)

// TestSampleEvent checks that running the example on its bundled sample
// event prints exactly response.json.
func TestSampleEvent(t *testing.T) {
	batchtest.RequireGolden(t, handler, "event.json", "response.json")
}

// TestSampleEventOutcomes checks why each message of the sample event
// succeeded or failed.
func TestSampleEventOutcomes(t *testing.T) {
	var ev events.SQSEvent
	require.NoError(t, json.Unmarshal(sampleEvent, &ev))
	var orders []string
	h := envelope.Wrap(envelope.Config[events.SQSMessage]{Layers: []envelope.Layer{envelope.SNS()}}, func(ctx context.Context, o Order, m *envelope.Meta[events.SQSMessage]) error {
		orders = append(orders, o.OrderID)
		return handleOrder(ctx, o, m)
	})
	b := core.NewBatch(ev.Records, h)
	_, err := core.Run(context.Background(), core.Must(processors.NewSQS(processors.Config{})), b)
	require.NoError(t, err)
	require.Equal(t, []string{"o-1001", "o-1002"}, orders)
	require.NoError(t, b.Outcomes[0].Err)
	require.NoError(t, b.Outcomes[1].Err)
	require.ErrorIs(t, b.Outcomes[2].Err, payload.ErrInvalid)
	require.ErrorIs(t, b.Outcomes[3].Err, envelope.ErrUnwrap)
}
