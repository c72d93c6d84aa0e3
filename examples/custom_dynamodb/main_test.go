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
	"github.com/batchkit/batchkit/examples/custom_dynamodb/dedup"
	"github.com/batchkit/batchkit/internal/testenv"
	"github.com/batchkit/batchkit/processors"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

// Without DynamoDB, the local run says what it needs instead of hanging.
func TestDedupExampleSettings(t *testing.T) {
	tests := []struct {
		name    string
		vars    map[string]string
		want    settings
		wantErr string
	}{
		{name: "local without endpoint", vars: map[string]string{}, wantErr: "cd examples/custom_dynamodb && BATCHKIT_DYNAMODB_ENDPOINT=http://127.0.0.1:8000 go run ."},
		{name: "local with endpoint", vars: map[string]string{"BATCHKIT_DYNAMODB_ENDPOINT": "http://127.0.0.1:8000"},
			want: settings{table: localTable, endpoint: "http://127.0.0.1:8000", region: "us-east-1"}},
		{name: "Lambda without table", vars: map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}, wantErr: "DEDUP_TABLE is unset"},
		{name: "Lambda", vars: map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "DEDUP_TABLE": "claims", "AWS_REGION": "eu-west-1"},
			want: settings{table: "claims", region: "eu-west-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := loadSettings(env(tt.vars))
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, s)
		})
	}
}

func TestDedupExampleOrderKey(t *testing.T) {
	tests := []struct {
		body, want, wantErr string
	}{
		{body: `{"orderId":"o-1","amount":3}`, want: "order#o-1"},
		{body: `{"amount":3}`, wantErr: `no "orderId"`},
		{body: `not json`, wantErr: "not a JSON order"},
	}
	for _, tt := range tests {
		k, err := orderKey(&events.SQSMessage{Body: tt.body})
		if tt.wantErr != "" {
			require.ErrorContains(t, err, tt.wantErr)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tt.want, k)
	}
}

// The function against DynamoDB Local: each order is charged once, across
// the batch and across invocations; a message without an order fails alone.
func TestDedupExampleFunction(t *testing.T) {
	endpoint := testenv.Endpoint(t, "BATCHKIT_DYNAMODB_ENDPOINT", "DynamoDB Local")
	s := settings{table: "example-" + rand.Text()[:10], endpoint: endpoint, region: "us-east-1"}
	client := newClient(s)
	require.NoError(t, ensureTable(t.Context(), client, s.table))
	require.NoError(t, ensureTable(t.Context(), client, s.table), "an existing table is kept")

	p, err := newProcessor(client, s.table, processors.Config{})
	require.NoError(t, err)
	var mu sync.Mutex
	charged := map[string]int{}
	h := newHandler(p, func(_ context.Context, o Order) error {
		mu.Lock()
		defer mu.Unlock()
		charged[o.OrderID]++
		return nil
	})
	var ev events.SQSEvent
	require.NoError(t, json.Unmarshal(sampleEvent, &ev))
	bad := ev.Records[3].MessageId

	for range 2 {
		resp, err := h(t.Context(), sampleEvent)
		require.NoError(t, err)
		require.Equal(t, []core.BatchItemFailure{{ItemIdentifier: core.StringID(bad)}}, resp.BatchItemFailures)
	}
	require.Equal(t, map[string]int{"o-1": 1, "o-2": 1}, charged)

	// The outcomes show the duplicate and the key error.
	b := core.NewBatch(ev.Records, processors.SQSJSON(func(context.Context, Order, *events.SQSMessage) error { return nil }))
	_, err = core.Run(t.Context(), p, b)
	require.NoError(t, err)
	for i := range 3 {
		require.True(t, dedup.IsDuplicate(b.Outcomes[i]), "record %d", i)
	}
	require.ErrorIs(t, b.Outcomes[3].Err, dedup.ErrKey)
}
