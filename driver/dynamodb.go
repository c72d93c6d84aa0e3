package driver

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// DynamoDBStreamsAPI is the part of the DynamoDB Streams client the driver
// uses; *dynamodbstreams.Client implements it.
type DynamoDBStreamsAPI interface {
	DescribeStream(ctx context.Context, in *dynamodbstreams.DescribeStreamInput, opts ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error)
	GetShardIterator(ctx context.Context, in *dynamodbstreams.GetShardIteratorInput, opts ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *dynamodbstreams.GetRecordsInput, opts ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error)
}

// DynamoDBStreams is a DynamoDB Streams event source mapping. Each Poll reads
// one batch from every open shard, invokes the function with the
// events.DynamoDBEvent Lambda would send (eventName INSERT, MODIFY or REMOVE,
// eventSource "aws:dynamodb", the stream's ARN, and the "dynamodb" record with
// Keys, NewImage and OldImage converted to events.DynamoDBAttributeValue),
// and applies the response like [Kinesis]: checkpoint at the lowest reported
// sequence number and read again from there, or read the whole batch again
// when the function fails.
type DynamoDBStreams struct {
	// Client talks to the stream's server.
	Client DynamoDBStreamsAPI
	// StreamARN is the stream to read: the table's LatestStreamArn (see
	// [LatestStreamARN]).
	StreamARN string
	// Region is the records' awsRegion when the stream does not say; empty
	// means [DefaultRegion].
	Region string
	// BatchSize is the most records per invocation; 0 means 100.
	BatchSize int32
	// StartingPosition is [TrimHorizon] or [Latest]; DynamoDB Streams has
	// no AT_TIMESTAMP. Lambda requires it, and a template without it is
	// refused; here empty means TRIM_HORIZON.
	StartingPosition string
	// StreamSettings are the mapping's retry, bisection, age, on-failure,
	// parallelization, batching window, tumbling window and filter settings.
	StreamSettings

	mapping streamMapping[types.Record]
}

// LatestStreamARN returns the ARN of table's stream, to set
// [DynamoDBStreams.StreamARN].
func LatestStreamARN(ctx context.Context, client *dynamodb.Client, table string) (string, error) {
	out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		return "", fmt.Errorf("batchkit/driver: describe table %s: %w", table, err)
	}
	arn := aws.ToString(out.Table.LatestStreamArn)
	if arn == "" {
		return "", fmt.Errorf("batchkit/driver: table %s has no stream; create it with a StreamSpecification (StreamEnabled, StreamViewType NEW_AND_OLD_IMAGES)", table)
	}
	return arn, nil
}

// Poll reads and invokes one batch per shard that has records.
func (d *DynamoDBStreams) Poll(ctx context.Context, fn Function) ([]Batch, error) {
	if d.StartingPosition == AtTimestamp {
		return nil, &ConfigError{Setting: "StartingPosition", Value: AtTimestamp, Allowed: "TRIM_HORIZON or LATEST for DynamoDB Streams"}
	}
	return d.mapping.poll(ctx, ddbReader{d}, fn, d.BatchSize, d.StartingPosition, &d.StreamSettings)
}

// Stats returns what the mapping did so far.
func (d *DynamoDBStreams) Stats() Stats { return d.mapping.stats.get() }

// Pending reports whether the mapping holds records it has not finished
// with (a retry or the other half of a bisected batch to come) or an open
// tumbling window whose final invocation is still to come. [Run] does not
// count a poll as idle while it does. Do not call it during a Poll.
func (d *DynamoDBStreams) Pending() bool { return d.mapping.pending() }

type ddbReader struct{ d *DynamoDBStreams }

func (r ddbReader) source() string { return "aws:dynamodb" }

func (r ddbReader) shards(ctx context.Context) ([]shardInfo, error) {
	var infos []shardInfo
	in := &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(r.d.StreamARN)}
	for {
		out, err := r.d.Client.DescribeStream(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("batchkit/driver: describe DynamoDB stream %s: %w", r.d.StreamARN, err)
		}
		for _, s := range out.StreamDescription.Shards {
			info := shardInfo{id: aws.ToString(s.ShardId)}
			if p := aws.ToString(s.ParentShardId); p != "" {
				info.parents = []string{p}
			}
			infos = append(infos, info)
		}
		if out.StreamDescription.LastEvaluatedShardId == nil {
			return infos, nil
		}
		in.ExclusiveStartShardId = out.StreamDescription.LastEvaluatedShardId
	}
}

func (r ddbReader) arn() string { return r.d.StreamARN }

func (r ddbReader) arrival(rec *types.Record) time.Time {
	if rec.Dynamodb == nil {
		return time.Time{}
	}
	return aws.ToTime(rec.Dynamodb.ApproximateCreationDateTime)
}

// key is the item's key attributes, in a canonical form.
func (r ddbReader) key(rec *types.Record) string {
	if rec.Dynamodb == nil {
		return ""
	}
	b, _ := json.Marshal(Image(rec.Dynamodb.Keys)) // maps marshal with sorted keys
	return string(b)
}

func (r ddbReader) keep(f RecordFilter, _ string, rec *types.Record) bool {
	return f.MatchDynamoDB(r.record(*rec))
}

func (r ddbReader) iterator(ctx context.Context, shard, typ, seq string, _ time.Time) (string, error) {
	in := &dynamodbstreams.GetShardIteratorInput{
		StreamArn:         aws.String(r.d.StreamARN),
		ShardId:           aws.String(shard),
		ShardIteratorType: types.ShardIteratorType(typ),
	}
	if seq != "" {
		in.SequenceNumber = aws.String(seq)
	}
	out, err := r.d.Client.GetShardIterator(ctx, in)
	if err != nil {
		return "", fmt.Errorf("batchkit/driver: get a %s iterator for %s/%s: %w", typ, r.d.StreamARN, shard, err)
	}
	return aws.ToString(out.ShardIterator), nil
}

// maxGetRecords is the most records one DynamoDB Streams GetRecords call
// returns (its Limit is 1-1,000,
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_GetRecords.html);
// a BatchSize up to 10,000 is read in pages.
const maxGetRecords = 1000

// read reads up to limit records in pages of at most 1,000, stopping at a
// page that is empty or not full (nothing more to read now) or at the end of
// the shard.
func (r ddbReader) read(ctx context.Context, iterator string, limit int32) ([]types.Record, string, error) {
	var recs []types.Record
	for {
		page := min(limit-int32(len(recs)), maxGetRecords)
		out, err := r.d.Client.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String(iterator), Limit: aws.Int32(page)})
		if err != nil {
			if len(recs) > 0 {
				// Give what was read; the next read goes on with this
				// iterator (or, if it expired, from after the last record).
				return recs, iterator, nil
			}
			return nil, "", fmt.Errorf("batchkit/driver: read DynamoDB stream %s: %w", r.d.StreamARN, err)
		}
		recs = append(recs, out.Records...)
		iterator = aws.ToString(out.NextShardIterator)
		if iterator == "" || int32(len(out.Records)) < page || int32(len(recs)) >= limit {
			return recs, iterator, nil
		}
	}
}

func (r ddbReader) sequence(rec *types.Record) string {
	if rec.Dynamodb == nil {
		return ""
	}
	return aws.ToString(rec.Dynamodb.SequenceNumber)
}

func (r ddbReader) event(_ string, recs []types.Record) any {
	ev := events.DynamoDBEvent{Records: make([]events.DynamoDBEventRecord, len(recs))}
	for i, rec := range recs {
		ev.Records[i] = r.record(rec)
	}
	return ev
}

// record converts a stream record to Lambda's.
func (r ddbReader) record(rec types.Record) events.DynamoDBEventRecord {
	region := aws.ToString(rec.AwsRegion)
	if region == "" {
		region = r.d.Region
	}
	if region == "" {
		region = DefaultRegion
	}
	out := events.DynamoDBEventRecord{
		AWSRegion:      region,
		EventID:        aws.ToString(rec.EventID),
		EventName:      string(rec.EventName),
		EventSource:    "aws:dynamodb",
		EventVersion:   aws.ToString(rec.EventVersion),
		EventSourceArn: r.d.StreamARN,
	}
	if out.EventVersion == "" {
		out.EventVersion = "1.1"
	}
	if rec.UserIdentity != nil {
		out.UserIdentity = &events.DynamoDBUserIdentity{Type: aws.ToString(rec.UserIdentity.Type), PrincipalID: aws.ToString(rec.UserIdentity.PrincipalId)}
	}
	if s := rec.Dynamodb; s != nil {
		out.Change = events.DynamoDBStreamRecord{
			Keys:           Image(s.Keys),
			NewImage:       Image(s.NewImage),
			OldImage:       Image(s.OldImage),
			SequenceNumber: aws.ToString(s.SequenceNumber),
			SizeBytes:      aws.ToInt64(s.SizeBytes),
			StreamViewType: string(s.StreamViewType),
		}
		if s.ApproximateCreationDateTime != nil {
			out.Change.ApproximateCreationDateTime = events.SecondsEpochTime{Time: *s.ApproximateCreationDateTime}
		}
	}
	return out
}

// Image converts an item image read from DynamoDB Streams to the attribute
// values of Lambda's events. A nil image stays nil.
func Image(item map[string]types.AttributeValue) map[string]events.DynamoDBAttributeValue {
	if item == nil {
		return nil
	}
	out := make(map[string]events.DynamoDBAttributeValue, len(item))
	for k, v := range item {
		out[k] = AttributeValue(v)
	}
	return out
}

// AttributeValue converts one DynamoDB Streams attribute value to Lambda's
// events.DynamoDBAttributeValue. An unknown member becomes NULL.
func AttributeValue(v types.AttributeValue) events.DynamoDBAttributeValue {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return events.NewStringAttribute(v.Value)
	case *types.AttributeValueMemberN:
		return events.NewNumberAttribute(v.Value)
	case *types.AttributeValueMemberB:
		return events.NewBinaryAttribute(v.Value)
	case *types.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(v.Value)
	case *types.AttributeValueMemberNULL:
		return events.NewNullAttribute()
	case *types.AttributeValueMemberSS:
		return events.NewStringSetAttribute(v.Value)
	case *types.AttributeValueMemberNS:
		return events.NewNumberSetAttribute(v.Value)
	case *types.AttributeValueMemberBS:
		return events.NewBinarySetAttribute(v.Value)
	case *types.AttributeValueMemberL:
		l := make([]events.DynamoDBAttributeValue, len(v.Value))
		for i, e := range v.Value {
			l[i] = AttributeValue(e)
		}
		return events.NewListAttribute(l)
	case *types.AttributeValueMemberM:
		return events.NewMapAttribute(Image(v.Value))
	default:
		return events.NewNullAttribute()
	}
}
