package dedup

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Client is the part of the DynamoDB API the deduplicator calls;
// *dynamodb.Client satisfies it. Tests can pass a stub.
type Client interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

var _ Client = (*dynamodb.Client)(nil)

// Item attributes, besides the key attribute.
const (
	// AttrStatus holds StatusInProgress or StatusCompleted.
	AttrStatus = "status"
	// AttrInProgressExpiration is when an IN_PROGRESS claim expires, in
	// epoch milliseconds.
	AttrInProgressExpiration = "in_progress_expiration"
	// AttrExpiration is the table's TTL attribute, in epoch seconds: when
	// the item may be forgotten.
	AttrExpiration = "expiration"
	// AttrOwner is the random token of the invocation holding an
	// IN_PROGRESS claim.
	AttrOwner = "owner"
)

// Item statuses.
const (
	// StatusInProgress: a handler is running for the key (or crashed).
	StatusInProgress = "IN_PROGRESS"
	// StatusCompleted: the key was handled successfully.
	StatusCompleted = "COMPLETED"
)

// claimResult is what claim found.
type claimResult int

const (
	claimed    claimResult = iota // the claim is ours
	completed                     // the key was already handled: a duplicate
	inProgress                    // someone else holds an unexpired claim
)

// store reads and writes claims in one table.
type store struct {
	client  Client
	table   string
	keyAttr string
}

func (s *store) key(k string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{s.keyAttr: &types.AttributeValueMemberS{Value: k}}
}

// claim writes an IN_PROGRESS item for key owned by owner, unless the key is
// COMPLETED (and not past its TTL) or IN_PROGRESS and not expired. until is
// the existing claim's expiry when the result is inProgress.
func (s *store) claim(ctx context.Context, key, owner string, now time.Time, expiry time.Duration) (res claimResult, until time.Time, err error) {
	inProgressUntil := now.Add(expiry)
	item := s.key(key)
	item[AttrStatus] = &types.AttributeValueMemberS{Value: StatusInProgress}
	item[AttrInProgressExpiration] = number(inProgressUntil.UnixMilli())
	// An abandoned claim is deleted by TTL once it expired; round up so
	// that TTL never deletes it before the expiry.
	item[AttrExpiration] = number(inProgressUntil.Add(time.Second - 1).Unix())
	item[AttrOwner] = &types.AttributeValueMemberS{Value: owner}
	_, err = s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(s.table),
		Item:                item,
		ConditionExpression: aws.String("attribute_not_exists(#key) OR #exp < :now OR (#status = :inprogress AND #ipexp < :nowms)"),
		ExpressionAttributeNames: map[string]string{
			"#key": s.keyAttr, "#exp": AttrExpiration, "#status": AttrStatus, "#ipexp": AttrInProgressExpiration,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now":        number(now.Unix()),
			":nowms":      number(now.UnixMilli()),
			":inprogress": &types.AttributeValueMemberS{Value: StatusInProgress},
		},
		// The item that blocked the claim comes back with the error: no
		// second read to learn whether it is COMPLETED or IN_PROGRESS.
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return claimed, time.Time{}, err
	}
	if status, _ := stringAttr(ccf.Item, AttrStatus); status == StatusCompleted {
		return completed, time.Time{}, nil
	}
	if ms, ok := numberAttr(ccf.Item, AttrInProgressExpiration); ok {
		until = time.UnixMilli(ms)
	}
	return inProgress, until, nil
}

// completion is the update that marks key COMPLETED until now+ttl, if
// owner still holds it.
func (s *store) completion(key, owner string, now time.Time, ttl time.Duration) *types.Update {
	return &types.Update{
		TableName:                aws.String(s.table),
		Key:                      s.key(key),
		UpdateExpression:         aws.String("SET #status = :completed, #exp = :exp REMOVE #ipexp, #owner"),
		ConditionExpression:      aws.String("#owner = :owner"),
		ExpressionAttributeNames: map[string]string{"#status": AttrStatus, "#exp": AttrExpiration, "#ipexp": AttrInProgressExpiration, "#owner": AttrOwner},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":completed": &types.AttributeValueMemberS{Value: StatusCompleted},
			":exp":       number(now.Add(ttl).Unix()),
			":owner":     &types.AttributeValueMemberS{Value: owner},
		},
	}
}

// complete marks key COMPLETED until now+ttl, if owner still holds it.
func (s *store) complete(ctx context.Context, key, owner string, now time.Time, ttl time.Duration) error {
	u := s.completion(key, owner, now, ttl)
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: u.TableName, Key: u.Key, UpdateExpression: u.UpdateExpression, ConditionExpression: u.ConditionExpression,
		ExpressionAttributeNames: u.ExpressionAttributeNames, ExpressionAttributeValues: u.ExpressionAttributeValues,
	})
	return err
}

// maxTransactItems is TransactWriteItems' limit of actions per transaction
// (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html).
const maxTransactItems = 100

// completeAll marks keys COMPLETED in one transaction, each on condition
// that owner still holds it: all or none.
func (s *store) completeAll(ctx context.Context, keys []string, owner string, now time.Time, ttl time.Duration) error {
	items := make([]types.TransactWriteItem, len(keys))
	for i, k := range keys {
		items[i] = types.TransactWriteItem{Update: s.completion(k, owner, now, ttl)}
	}
	_, err := s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	return err
}

// release deletes key's claim, if owner still holds it.
func (s *store) release(ctx context.Context, key, owner string) error {
	_, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(s.table),
		Key:                       s.key(key),
		ConditionExpression:       aws.String("#owner = :owner"),
		ExpressionAttributeNames:  map[string]string{"#owner": AttrOwner},
		ExpressionAttributeValues: map[string]types.AttributeValue{":owner": &types.AttributeValueMemberS{Value: owner}},
	})
	return err
}

func number(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func stringAttr(item map[string]types.AttributeValue, name string) (string, bool) {
	v, ok := item[name].(*types.AttributeValueMemberS)
	if !ok {
		return "", false
	}
	return v.Value, true
}

func numberAttr(item map[string]types.AttributeValue, name string) (int64, bool) {
	v, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v.Value, 10, 64)
	return n, err == nil
}
