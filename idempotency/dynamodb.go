package idempotency

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/batchkit/batchkit/core"
)

// DynamoDBClient is the part of the DynamoDB API the store calls;
// *dynamodb.Client satisfies it.
type DynamoDBClient interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

var _ DynamoDBClient = (*dynamodb.Client)(nil)

// The table's attributes.
const (
	// DefaultKeyAttribute is the table's partition key (a string) unless
	// [DynamoDBConfig.KeyAttribute] names another.
	DefaultKeyAttribute = "id"
	// TTLAttribute is the attribute to enable DynamoDB Time to Live on: when
	// the item may be deleted, in epoch seconds.
	TTLAttribute = "expiration"

	attrStatus     = "status"
	attrInProgress = "in_progress_expiration" // epoch milliseconds
	attrOwner      = "owner"
	attrHash       = "payload_hash"
	attrResult     = "result"

	statusInProgress = "IN_PROGRESS"
	statusCompleted  = "COMPLETED"

	// maxTransactItems is TransactWriteItems' limit on actions per call.
	maxTransactItems = 100
)

// DynamoDBConfig configures a [DynamoDBStore].
type DynamoDBConfig struct {
	// Client is the DynamoDB client, usually a *dynamodb.Client. Required.
	Client DynamoDBClient
	// Table is the table's name. Required.
	Table string
	// KeyAttribute is the table's partition key, of type string. Default
	// [DefaultKeyAttribute].
	KeyAttribute string
}

// DynamoDBStore is a [Store] and [BatchStore] on one DynamoDB table whose
// partition key is a string and whose Time to Live attribute is
// [TTLAttribute]. Every write is conditional, so concurrent invocations,
// in one process or many, never both hold a key. A claim that finds the
// key taken costs no extra read: the condition failure returns the item
// (ReturnValuesOnConditionCheckFailure).
type DynamoDBStore struct {
	client  DynamoDBClient
	table   string
	keyAttr string
}

// NewDynamoDBStore returns a store on c.Table.
func NewDynamoDBStore(c DynamoDBConfig) (*DynamoDBStore, error) {
	switch {
	case c.Client == nil:
		return nil, &core.ConfigError{Processor: "idempotency", Setting: "Client", Value: "nil", Problem: "required"}
	case c.Table == "":
		return nil, &core.ConfigError{Processor: "idempotency", Setting: "Table", Value: `""`, Problem: "required"}
	}
	if c.KeyAttribute == "" {
		c.KeyAttribute = DefaultKeyAttribute
	}
	return &DynamoDBStore{client: c.Client, table: c.Table, keyAttr: c.KeyAttribute}, nil
}

func (s *DynamoDBStore) key(k string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{s.keyAttr: &types.AttributeValueMemberS{Value: k}}
}

// claimCondition: the key is absent, past its TTL (DynamoDB deletes
// expired items "typically within two days",
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html:
// the condition checks the time itself), an
// expired claim, or the owner's own claim (a retried call whose first
// attempt was written).
const claimCondition = "attribute_not_exists(#k) OR #exp < :now OR (#st = :ip AND #ipexp < :nowms) OR #owner = :owner"

func (s *DynamoDBStore) claimPut(c Claim) *types.Put {
	item := s.key(c.Key)
	item[attrStatus] = &types.AttributeValueMemberS{Value: statusInProgress}
	item[attrInProgress] = number(c.Until.UnixMilli())
	// Round up: TTL never deletes a live claim.
	item[TTLAttribute] = number(c.Until.Add(time.Second - 1).Unix())
	item[attrOwner] = &types.AttributeValueMemberS{Value: c.Owner}
	if c.Hash != "" {
		item[attrHash] = &types.AttributeValueMemberS{Value: c.Hash}
	}
	return &types.Put{
		TableName:           aws.String(s.table),
		Item:                item,
		ConditionExpression: aws.String(claimCondition),
		ExpressionAttributeNames: map[string]string{
			"#k": s.keyAttr, "#exp": TTLAttribute, "#st": attrStatus, "#ipexp": attrInProgress, "#owner": attrOwner,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now":   number(c.Now.Unix()),
			":nowms": number(c.Now.UnixMilli()),
			":ip":    &types.AttributeValueMemberS{Value: statusInProgress},
			":owner": &types.AttributeValueMemberS{Value: c.Owner},
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
}

// Claim implements [Store] with one conditional PutItem. When the condition
// fails, ReturnValuesOnConditionCheckFailure=ALL_OLD returns the item with
// the ConditionalCheckFailedException
// (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html).
func (s *DynamoDBStore) Claim(ctx context.Context, c Claim) (State, error) {
	put := s.claimPut(c)
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: put.TableName, Item: put.Item, ConditionExpression: put.ConditionExpression,
		ExpressionAttributeNames: put.ExpressionAttributeNames, ExpressionAttributeValues: put.ExpressionAttributeValues,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return stateOf(ccf.Item), nil
	}
	if err != nil {
		return State{}, err
	}
	return State{Status: StatusClaimed, Hash: c.Hash}, nil
}

// ClaimBatch implements [BatchStore] with TransactWriteItems of up to 100
// conditional puts. A transaction is all or nothing: when conditions fail,
// the TransactionCanceledException's cancellation reasons, one per action in
// order, give each failed key's item (code ConditionalCheckFailed, item with
// ReturnValuesOnConditionCheckFailure) and the others are claimed again
// without them, usually in one more call
// (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html).
func (s *DynamoDBStore) ClaimBatch(ctx context.Context, claims []Claim) ([]State, error) {
	states := make([]State, len(claims))
	for lo := 0; lo < len(claims); lo += maxTransactItems {
		hi := min(lo+maxTransactItems, len(claims))
		if err := s.claimChunk(ctx, claims[lo:hi], states[lo:hi]); err != nil {
			return states, err
		}
	}
	return states, nil
}

func (s *DynamoDBStore) claimChunk(ctx context.Context, claims []Claim, states []State) error {
	pending := make([]int, len(claims))
	for i := range pending {
		pending[i] = i
	}
	// Each round settles at least one key when conditions fail; a few
	// rounds, then the rest is left to single claims.
	for round := 0; round < 3 && len(pending) > 0; round++ {
		if len(pending) == 1 {
			st, err := s.Claim(ctx, claims[pending[0]])
			states[pending[0]] = st
			return err
		}
		items := make([]types.TransactWriteItem, len(pending))
		for j, i := range pending {
			items[j] = types.TransactWriteItem{Put: s.claimPut(claims[i])}
		}
		_, err := s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			for _, i := range pending {
				states[i] = State{Status: StatusClaimed, Hash: claims[i].Hash}
			}
			return nil
		}
		var tce *types.TransactionCanceledException
		if !errors.As(err, &tce) || len(tce.CancellationReasons) != len(pending) {
			return err
		}
		var next []int
		for j, i := range pending {
			r := tce.CancellationReasons[j]
			if aws.ToString(r.Code) == "ConditionalCheckFailed" {
				states[i] = stateOf(r.Item)
				continue
			}
			next = append(next, i)
		}
		if len(next) == len(pending) {
			return err // nothing settled (a conflict, throttling): single claims decide
		}
		pending = next
	}
	return nil
}

// Complete implements [Store] with a conditional UpdateItem.
func (s *DynamoDBStore) Complete(ctx context.Context, c Claim, expires time.Time, result []byte) error {
	update := "SET #st = :done, #exp = :exp REMOVE #ipexp, #owner"
	values := map[string]types.AttributeValue{
		":done":  &types.AttributeValueMemberS{Value: statusCompleted},
		":exp":   number(expires.Unix()),
		":owner": &types.AttributeValueMemberS{Value: c.Owner},
	}
	names := map[string]string{"#st": attrStatus, "#exp": TTLAttribute, "#ipexp": attrInProgress, "#owner": attrOwner}
	if result != nil {
		update = "SET #st = :done, #exp = :exp, #res = :res REMOVE #ipexp, #owner"
		values[":res"] = &types.AttributeValueMemberB{Value: result}
		names["#res"] = attrResult
	}
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       s.key(c.Key),
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String("#owner = :owner"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	return claimLost(err)
}

// Release implements [Store] with a conditional DeleteItem.
func (s *DynamoDBStore) Release(ctx context.Context, c Claim) error {
	_, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(s.table),
		Key:                       s.key(c.Key),
		ConditionExpression:       aws.String("#owner = :owner"),
		ExpressionAttributeNames:  map[string]string{"#owner": attrOwner},
		ExpressionAttributeValues: map[string]types.AttributeValue{":owner": &types.AttributeValueMemberS{Value: c.Owner}},
	})
	return claimLost(err)
}

func claimLost(err error) error {
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return ErrClaimLost
	}
	return err
}

// stateOf reads the item that failed a claim's condition.
func stateOf(item map[string]types.AttributeValue) State {
	var st State
	if v, ok := item[attrHash].(*types.AttributeValueMemberS); ok {
		st.Hash = v.Value
	}
	if v, ok := item[attrStatus].(*types.AttributeValueMemberS); ok && v.Value == statusCompleted {
		st.Status = StatusCompleted
		if r, ok := item[attrResult].(*types.AttributeValueMemberB); ok {
			st.Result = r.Value
		}
		return st
	}
	st.Status = StatusInProgress
	if v, ok := item[attrInProgress].(*types.AttributeValueMemberN); ok {
		if ms, err := strconv.ParseInt(v.Value, 10, 64); err == nil {
			st.Until = time.UnixMilli(ms)
		}
	}
	return st
}

func number(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}
