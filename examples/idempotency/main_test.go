package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/idempotency"
	"github.com/batchkit/batchkit/internal/testenv"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) { v, ok := vars[name]; return v, ok }
}

func TestSettings(t *testing.T) {
	_, err := loadSettings(env(nil))
	require.ErrorContains(t, err, "BATCHKIT_DYNAMODB_ENDPOINT")
	_, err = loadSettings(env(map[string]string{"AWS_LAMBDA_RUNTIME_API": "x"}))
	require.ErrorContains(t, err, "IDEMPOTENCY_TABLE")
	s, err := loadSettings(env(map[string]string{"AWS_LAMBDA_RUNTIME_API": "x", "IDEMPOTENCY_TABLE": "t", "AWS_REGION": "eu-west-1"}))
	require.NoError(t, err)
	require.Equal(t, settings{table: "t", region: "eu-west-1"}, s)
	s, err = loadSettings(env(map[string]string{"BATCHKIT_DYNAMODB_ENDPOINT": "http://127.0.0.1:1"}))
	require.NoError(t, err)
	require.Equal(t, settings{table: localTable, endpoint: "http://127.0.0.1:1", region: "us-east-1"}, s)
}

// The function on the bundled event, twice: each order is charged once;
// o-1 with another amount fails (payload mismatch), the message that is not
// an order fails (no key). The memory store stands in for DynamoDB, then
// DynamoDB Local.
func TestFunction(t *testing.T) {
	var ev events.SQSEvent
	require.NoError(t, json.Unmarshal(sampleEvent, &ev))
	check := func(t *testing.T, store idempotency.Store) {
		p, err := newProcessor(store)
		require.NoError(t, err)
		var mu sync.Mutex
		charged := map[string]int{}
		h := newHandler(p, func(_ context.Context, o Order) error {
			mu.Lock()
			defer mu.Unlock()
			charged[o.OrderID]++
			return nil
		})
		for range 2 {
			resp, err := h(t.Context(), sampleEvent)
			require.NoError(t, err)
			require.Equal(t, []core.BatchItemFailure{
				{ItemIdentifier: core.StringID(ev.Records[3].MessageId)},
				{ItemIdentifier: core.StringID(ev.Records[4].MessageId)},
			}, resp.BatchItemFailures)
		}
		require.Equal(t, map[string]int{"o-1": 1, "o-2": 1}, charged)
		b := core.NewBatch(ev.Records, func(context.Context, *events.SQSMessage) error { return nil })
		_, err = core.Run(t.Context(), p, b)
		require.NoError(t, err)
		require.Equal(t, idempotency.Duplicate{Key: "order#o-1"}, b.Outcomes[0].Result)
		require.ErrorIs(t, b.Outcomes[3].Err, idempotency.ErrPayloadMismatch)
		require.ErrorIs(t, b.Outcomes[4].Err, idempotency.ErrKey)
	}
	t.Run("memory", func(t *testing.T) { check(t, idempotency.NewMemoryStore()) })
	t.Run("dynamodb", func(t *testing.T) {
		s := settings{table: "example-" + rand.Text()[:10], endpoint: testenv.Endpoint(t, "BATCHKIT_DYNAMODB_ENDPOINT", "DynamoDB Local"), region: "us-east-1"}
		client := newClient(s)
		require.NoError(t, ensureTable(t.Context(), client, s.table))
		require.NoError(t, ensureTable(t.Context(), client, s.table), "an existing table is kept")
		store, err := idempotency.NewDynamoDBStore(idempotency.DynamoDBConfig{Client: client, Table: s.table})
		require.NoError(t, err)
		check(t, store)
	})
}
