package driver

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// KinesisAPI is the part of the Kinesis client the driver uses;
// *kinesis.Client implements it.
type KinesisAPI interface {
	DescribeStream(ctx context.Context, in *kinesis.DescribeStreamInput, opts ...func(*kinesis.Options)) (*kinesis.DescribeStreamOutput, error)
	GetShardIterator(ctx context.Context, in *kinesis.GetShardIteratorInput, opts ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *kinesis.GetRecordsInput, opts ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error)
}

// Kinesis is a Kinesis Data Streams event source mapping. Each Poll reads one
// batch from every open shard (GetShardIterator, then GetRecords), invokes the
// function with the events.KinesisEvent Lambda would send (base64 data,
// eventID "<shard>:<sequence number>", eventSource "aws:kinesis", the stream's
// ARN), then:
//   - goes on after the batch when nothing was reported;
//   - checkpoints at the lowest reported sequence number and reads the shard
//     again from there (AT_SEQUENCE_NUMBER), so that every record from it on
//     is delivered again;
//   - reads the whole batch again when the function fails or the response is
//     invalid.
//
// Its [StreamSettings] add Lambda's other stream settings: retry limit,
// bisection, maximum record age, on-failure destination, parallelization
// factor, batching and tumbling windows, and filtering.
type Kinesis struct {
	// Client talks to the stream's server.
	Client KinesisAPI
	// StreamName is the stream to read.
	StreamName string
	// Region is the records' awsRegion; empty means [DefaultRegion].
	Region string
	// BatchSize is the most records per invocation; 0 means 100.
	BatchSize int32
	// StartingPosition is [TrimHorizon], [Latest] or [AtTimestamp] (with
	// StreamSettings.StartingPositionTimestamp). Lambda requires it, and a
	// template without it is refused; here empty means TRIM_HORIZON.
	StartingPosition string
	// StreamSettings are the mapping's retry, bisection, age, on-failure,
	// parallelization, batching window, tumbling window and filter settings.
	StreamSettings
	// InvokeIdentityARN is the records' invokeIdentityArn, the role of the
	// mapping; empty means a placeholder role.
	InvokeIdentityARN string

	arn     string
	mapping streamMapping[kinesisRecord]
}

type kinesisRecord struct {
	types.Record
}

// Poll reads and invokes one batch per shard that has records.
func (d *Kinesis) Poll(ctx context.Context, fn Function) ([]Batch, error) {
	return d.mapping.poll(ctx, kinesisReader{d}, fn, d.BatchSize, d.StartingPosition, &d.StreamSettings)
}

// Stats returns what the mapping did so far.
func (d *Kinesis) Stats() Stats { return d.mapping.stats.get() }

// Pending reports whether the mapping holds records it has not finished
// with (a retry or the other half of a bisected batch to come) or an open
// tumbling window whose final invocation is still to come. [Run] does not
// count a poll as idle while it does. Do not call it during a Poll.
func (d *Kinesis) Pending() bool { return d.mapping.pending() }

type kinesisReader struct{ d *Kinesis }

func (r kinesisReader) source() string { return "aws:kinesis" }

func (r kinesisReader) shards(ctx context.Context) ([]shardInfo, error) {
	var infos []shardInfo
	in := &kinesis.DescribeStreamInput{StreamName: aws.String(r.d.StreamName)}
	for {
		out, err := r.d.Client.DescribeStream(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("batchkit/driver: describe Kinesis stream %s: %w", r.d.StreamName, err)
		}
		desc := out.StreamDescription
		r.d.arn = aws.ToString(desc.StreamARN)
		for _, s := range desc.Shards {
			info := shardInfo{id: aws.ToString(s.ShardId)}
			for _, p := range []*string{s.ParentShardId, s.AdjacentParentShardId} {
				if aws.ToString(p) != "" {
					info.parents = append(info.parents, *p)
				}
			}
			infos = append(infos, info)
		}
		if !aws.ToBool(desc.HasMoreShards) || len(desc.Shards) == 0 {
			return infos, nil
		}
		in.ExclusiveStartShardId = desc.Shards[len(desc.Shards)-1].ShardId
	}
}

func (r kinesisReader) arn() string { return r.d.arn }

func (r kinesisReader) arrival(rec *kinesisRecord) time.Time {
	return aws.ToTime(rec.ApproximateArrivalTimestamp)
}

func (r kinesisReader) key(rec *kinesisRecord) string { return aws.ToString(rec.PartitionKey) }

func (r kinesisReader) keep(f RecordFilter, shard string, rec *kinesisRecord) bool {
	ev := r.event(shard, []kinesisRecord{*rec}).(events.KinesisEvent)
	return f.MatchKinesis(ev.Records[0])
}

func (r kinesisReader) iterator(ctx context.Context, shard, typ, seq string, ts time.Time) (string, error) {
	in := &kinesis.GetShardIteratorInput{
		StreamName:        aws.String(r.d.StreamName),
		ShardId:           aws.String(shard),
		ShardIteratorType: types.ShardIteratorType(typ),
	}
	if seq != "" {
		in.StartingSequenceNumber = aws.String(seq)
	}
	if typ == AtTimestamp {
		in.Timestamp = aws.Time(ts)
	}
	out, err := r.d.Client.GetShardIterator(ctx, in)
	if err != nil {
		return "", fmt.Errorf("batchkit/driver: get a %s iterator for %s/%s: %w", typ, r.d.StreamName, shard, err)
	}
	return aws.ToString(out.ShardIterator), nil
}

func (r kinesisReader) read(ctx context.Context, iterator string, limit int32) ([]kinesisRecord, string, error) {
	out, err := r.d.Client.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String(iterator), Limit: aws.Int32(limit)})
	if err != nil {
		return nil, "", fmt.Errorf("batchkit/driver: read Kinesis stream %s: %w", r.d.StreamName, err)
	}
	recs := make([]kinesisRecord, len(out.Records))
	for i, rec := range out.Records {
		recs[i] = kinesisRecord{rec}
	}
	return recs, aws.ToString(out.NextShardIterator), nil
}

func (r kinesisReader) sequence(rec *kinesisRecord) string { return aws.ToString(rec.SequenceNumber) }

func (r kinesisReader) event(shard string, recs []kinesisRecord) any {
	region, role := r.d.Region, r.d.InvokeIdentityARN
	if region == "" {
		region = DefaultRegion
	}
	if role == "" {
		role = "arn:aws:iam::000000000000:role/batchkit-driver"
	}
	ev := events.KinesisEvent{Records: make([]events.KinesisEventRecord, len(recs))}
	for i, rec := range recs {
		k := events.KinesisRecord{
			Data:                 rec.Data,
			EncryptionType:       string(rec.EncryptionType),
			PartitionKey:         aws.ToString(rec.PartitionKey),
			SequenceNumber:       aws.ToString(rec.SequenceNumber),
			KinesisSchemaVersion: "1.0",
		}
		if rec.ApproximateArrivalTimestamp != nil {
			k.ApproximateArrivalTimestamp = events.SecondsEpochTime{Time: *rec.ApproximateArrivalTimestamp}
		}
		ev.Records[i] = events.KinesisEventRecord{
			AwsRegion:         region,
			EventID:           shard + ":" + k.SequenceNumber,
			EventName:         "aws:kinesis:record",
			EventSource:       "aws:kinesis",
			EventSourceArn:    r.d.arn,
			EventVersion:      "1.0",
			InvokeIdentityArn: role,
			Kinesis:           k,
		}
	}
	return ev
}
