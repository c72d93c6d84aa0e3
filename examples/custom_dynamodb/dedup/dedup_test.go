package dedup_test

// Tests with a stub client: the paths DynamoDB Local cannot produce on
// demand (a completion or release that fails), and configuration errors.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/examples/custom_dynamodb/dedup"
	"github.com/batchkit/batchkit/processors"
)

// stubClient answers every call with the configured error (nil: success)
// and records the calls.
type stubClient struct {
	putErr, updateErr, deleteErr, transactErr error
	ops                                       []string
}

func (s *stubClient) TransactWriteItems(_ context.Context, in *dynamodb.TransactWriteItemsInput, _ ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	op := "transact"
	for _, it := range in.TransactItems {
		op += " " + it.Update.Key["id"].(*types.AttributeValueMemberS).Value
	}
	s.ops = append(s.ops, op)
	return &dynamodb.TransactWriteItemsOutput{}, s.transactErr
}

func (s *stubClient) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	s.ops = append(s.ops, "put "+in.Item["id"].(*types.AttributeValueMemberS).Value)
	return &dynamodb.PutItemOutput{}, s.putErr
}

func (s *stubClient) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	s.ops = append(s.ops, "update "+in.Key["id"].(*types.AttributeValueMemberS).Value)
	return &dynamodb.UpdateItemOutput{}, s.updateErr
}

func (s *stubClient) DeleteItem(_ context.Context, in *dynamodb.DeleteItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	s.ops = append(s.ops, "delete "+in.Key["id"].(*types.AttributeValueMemberS).Value)
	return &dynamodb.DeleteItemOutput{}, s.deleteErr
}

func TestDedupNewValidates(t *testing.T) {
	base := core.Must(processors.NewSQS(processors.Config{}))
	tests := []struct {
		name string
		base *core.Base[events.SQSMessage]
		c    dedup.Config[events.SQSMessage]
		want string
	}{
		{name: "no base", c: dedup.Config[events.SQSMessage]{Client: &stubClient{}, Table: "t"}, want: "needs a base processor"},
		{name: "no client", base: base, c: dedup.Config[events.SQSMessage]{Table: "t"}, want: "Config.Client is nil"},
		{name: "no table", base: base, c: dedup.Config[events.SQSMessage]{Client: &stubClient{}}, want: "Config.Table is empty"},
		{name: "negative TTL", base: base, c: dedup.Config[events.SQSMessage]{Client: &stubClient{}, Table: "t", TTL: -1}, want: "must be 0 (default) or positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := dedup.New(tt.base, tt.c)
			require.Nil(t, p)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestDedupStubbedPaths(t *testing.T) {
	ccf := func(item map[string]types.AttributeValue) error {
		return fmt.Errorf("operation error DynamoDB: PutItem: %w", &types.ConditionalCheckFailedException{Message: new("The conditional request failed"), Item: item})
	}
	handlerErr := errors.New("payment refused")
	tests := []struct {
		name    string
		client  *stubClient
		handler error
		key     func(*events.SQSMessage) (string, error)
		// check inspects the single record's outcome.
		check func(t *testing.T, o core.Outcome)
		ops   []string
	}{
		{
			name:   "completed: duplicate, no handler",
			client: &stubClient{putErr: ccf(map[string]types.AttributeValue{dedup.AttrStatus: &types.AttributeValueMemberS{Value: dedup.StatusCompleted}})},
			check:  func(t *testing.T, o core.Outcome) { require.Equal(t, dedup.Duplicate{Key: "k"}, o.Result) },
			ops:    []string{"put k"},
		},
		{
			name:   "blocking item not returned: in progress, expiry unknown",
			client: &stubClient{putErr: ccf(nil)},
			check: func(t *testing.T, o core.Outcome) {
				var ipe *dedup.InProgressError
				require.ErrorAs(t, o.Err, &ipe)
				require.True(t, ipe.Until.IsZero())
				require.Contains(t, ipe.Error(), "claim expires at an unknown time")
			},
			ops: []string{"put k"},
		},
		{
			name:   "success: completed in Clean, in one transaction",
			client: &stubClient{},
			check:  func(t *testing.T, o core.Outcome) { require.Equal(t, core.StatusSuccess, o.Status) },
			ops:    []string{"put k", "transact k"},
		},
		{
			name:   "completion fails: still a success (the handler's work is done)",
			client: &stubClient{transactErr: errors.New("network down"), updateErr: errors.New("network down")},
			check:  func(t *testing.T, o core.Outcome) { require.Equal(t, core.StatusSuccess, o.Status) },
			ops:    []string{"put k", "transact k", "update k"},
		},
		{
			name:    "handler fails: the claim is released",
			client:  &stubClient{},
			handler: handlerErr,
			check:   func(t *testing.T, o core.Outcome) { require.Equal(t, handlerErr, o.Err) },
			ops:     []string{"put k", "delete k"},
		},
		{
			name:    "release fails: both errors kept",
			client:  &stubClient{deleteErr: errors.New("throttled")},
			handler: handlerErr,
			check: func(t *testing.T, o core.Outcome) {
				require.ErrorIs(t, o.Err, handlerErr)
				require.ErrorIs(t, o.Err, dedup.ErrStore)
				var se *dedup.StoreError
				require.ErrorAs(t, o.Err, &se)
				require.Equal(t, "release", se.Op)
				require.Contains(t, o.Err.Error(), "blocks retries of this key until it expires")
			},
			ops: []string{"put k", "delete k"},
		},
		{
			name:   "key function fails: no DynamoDB call, no handler",
			client: &stubClient{},
			key:    func(*events.SQSMessage) (string, error) { return "", errors.New("body is not JSON") },
			check: func(t *testing.T, o core.Outcome) {
				require.ErrorIs(t, o.Err, dedup.ErrKey)
				require.ErrorContains(t, o.Err, "body is not JSON")
			},
		},
		{
			name:   "empty key",
			client: &stubClient{},
			key:    func(*events.SQSMessage) (string, error) { return "", nil },
			check: func(t *testing.T, o core.Outcome) {
				require.ErrorContains(t, o.Err, "record 0 has no deduplication key: the key is empty")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := tt.key
			if key == nil {
				key = func(*events.SQSMessage) (string, error) { return "k", nil }
			}
			p, err := dedup.New(core.Must(processors.NewSQS(processors.Config{Options: core.Options{SuppressFullBatchError: true}})), dedup.Config[events.SQSMessage]{Client: tt.client, Table: "t", Key: key})
			require.NoError(t, err)
			called := 0
			b := core.NewBatch(batchtest.SQSEvent("body").Records, func(context.Context, *events.SQSMessage) error {
				called++
				return tt.handler
			})
			_, err = core.Run(t.Context(), p, b)
			require.NoError(t, err)
			tt.check(t, b.Outcomes[0])
			require.Equal(t, tt.ops, tt.client.ops)
			wantCalls := 0
			if len(tt.ops) > 1 {
				wantCalls = 1 // claimed
			}
			require.Equal(t, wantCalls, called)
		})
	}
}

// A deduplicating SQS processor: a message whose order id was already
// handled is skipped as a success.
// The per-invocation state (core.Batch.State): the completions of one
// invocation are committed together in Clean, at most 100 per transaction;
// a key handled earlier in the same invocation is a duplicate before its
// completion is committed; a failed transaction is retried key by key.
func TestDedupInvocationState(t *testing.T) {
	bodies := make([]string, 151)
	for i := range bodies {
		bodies[i] = fmt.Sprint(i % 150) // the last one repeats key 0
	}
	client := &stubClient{}
	p, err := dedup.New(core.Must(processors.NewSQS(processors.Config{})), dedup.Config[events.SQSMessage]{
		Client: client, Table: "t", Key: func(m *events.SQSMessage) (string, error) { return m.Body, nil },
	})
	require.NoError(t, err)
	b := core.NewBatch(batchtest.SQSEvent(bodies...).Records, func(context.Context, *events.SQSMessage) error { return nil })
	_, err = core.Run(t.Context(), p, b)
	require.NoError(t, err)
	require.Equal(t, dedup.Duplicate{Key: "0"}, b.Outcomes[150].Result, "handled earlier in the invocation")
	var transacts []int
	puts := 0
	for _, op := range client.ops {
		switch {
		case strings.HasPrefix(op, "transact "):
			transacts = append(transacts, len(strings.Fields(op))-1)
		case strings.HasPrefix(op, "put "):
			puts++
		}
	}
	require.Equal(t, 150, puts, "no claim for the in-invocation duplicate")
	require.Equal(t, []int{100, 50}, transacts, "committed in Clean, 100 keys per transaction")
	require.True(t, strings.HasPrefix(client.ops[150], "transact "), "after every claim")

	client = &stubClient{transactErr: errors.New("TransactionCanceledException")}
	p, err = dedup.New(core.Must(processors.NewSQS(processors.Config{})), dedup.Config[events.SQSMessage]{
		Client: client, Table: "t", Key: func(m *events.SQSMessage) (string, error) { return m.Body, nil },
	})
	require.NoError(t, err)
	_, err = core.Process(t.Context(), p, batchtest.SQSEvent("a", "b").Records, func(context.Context, *events.SQSMessage) error { return nil })
	require.NoError(t, err)
	require.Equal(t, []string{"put a", "put b", "transact a b", "update a", "update b"}, client.ops)
}

func ExampleNew() {
	var client dedup.Client = &stubClient{} // dynamodb.NewFromConfig(cfg) in a real function
	p, err := dedup.New(core.Must(processors.NewSQS(processors.Config{})), dedup.Config[events.SQSMessage]{
		Client: client,
		Table:  "orders-dedup",
		Key:    func(m *events.SQSMessage) (string, error) { return m.Body, nil }, // the order id
	})
	if err != nil {
		panic(err)
	}
	ev := batchtest.SQSEvent("order-1")
	resp, err := core.Process(context.Background(), p, ev.Records, func(context.Context, *events.SQSMessage) error {
		return nil // charge the order
	})
	fmt.Println(len(resp.BatchItemFailures), err)
	// Output: 0 <nil>
}
