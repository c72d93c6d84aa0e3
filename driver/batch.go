package driver

import (
	"context"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// DefaultRegion is the region of the clients this package builds and the
// awsRegion of the events, unless a driver sets another.
const DefaultRegion = "us-east-1"

// Batch is what one invocation did: the records delivered, the response, and
// what the driver did with it by Lambda's rules.
type Batch struct {
	// Source is the records' eventSource: "aws:sqs", "aws:kinesis" or
	// "aws:dynamodb".
	Source string
	// Shard is the stream shard the records come from; empty for SQS.
	Shard string
	// IDs are the identifiers of the records delivered, in order: message ids
	// (SQS) or sequence numbers (streams).
	IDs []string
	// Event is the Lambda event the function received, as JSON.
	Event []byte
	// Response is the function's response; nil when it failed.
	Response []byte
	// Failed are the identifiers the response reported, each once.
	Failed []string
	// Err says why the whole batch failed ([ErrWholeBatchFailed] matches
	// it): the function returned an error, could not be invoked, or returned
	// an invalid response. Nil when the response was applied.
	Err error
	// Deleted are the SQS messages deleted from the queue: all but the
	// reported ones, none when Err is set.
	Deleted []string
	// Checkpoint is, for streams, the sequence number the shard is read
	// again from (AT_SEQUENCE_NUMBER): the lowest reported one, or the first
	// record's when the whole batch failed. Empty when the whole batch
	// succeeded and reading goes on after it.
	Checkpoint string
	// Attempt is 1 for the first invocation of these records as a batch, 2
	// for its first retry, and so on (streams); for SQS, the highest
	// ApproximateReceiveCount of its messages.
	Attempt int
	// Discarded is set when the batch's records were skipped (streams): their
	// retries were exhausted (the batch is then the last invocation) or they
	// were older than MaximumRecordAge (the batch was then not invoked:
	// Event is nil). It is the invocation record sent to the on-failure
	// destination, if any.
	Discarded *InvocationRecord
	// FinalForWindow is set on the final invocation of a tumbling window,
	// which has no records.
	FinalForWindow bool
}

// Poller is one event source mapping: each Poll reads what the source has,
// invokes fn with it, and applies Lambda's rules to the response. It returns
// one [Batch] per invocation (none when the source had nothing), and an error
// only when the source itself failed; a failed invocation is a Batch with
// Err set. A mapping keeps its position (stream checkpoints) between polls;
// do not call Poll on one mapping from several goroutines at once.
type Poller interface {
	Poll(ctx context.Context, fn Function) ([]Batch, error)
}

// Drain polls p until idle consecutive polls deliver nothing, or ctx ends,
// and returns every batch.
func Drain(ctx context.Context, p Poller, fn Function, idle int) ([]Batch, error) {
	var all []Batch
	for empty := 0; empty < idle; {
		if err := ctx.Err(); err != nil {
			return all, err
		}
		batches, err := p.Poll(ctx, fn)
		if err != nil {
			return all, err
		}
		all = append(all, batches...)
		if len(batches) == 0 {
			empty++
		} else {
			empty = 0
		}
	}
	return all, nil
}

// AWSConfig returns a configuration for local servers: the region and static
// test credentials, without reading the environment or shared files.
func AWSConfig(region string) aws.Config {
	if region == "" {
		region = DefaultRegion
	}
	return aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	}
}

// NewSQSClient returns an SQS client for the server at endpoint (such as
// fauxqs at "http://127.0.0.1:4566"), with [AWSConfig] and a plain HTTP
// client.
func NewSQSClient(endpoint string) *sqs.Client {
	return sqs.NewFromConfig(AWSConfig(""), func(o *sqs.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.HTTPClient = &http.Client{}
	})
}

// NewKinesisClient returns a Kinesis client for the server at endpoint (such
// as kinesalite).
func NewKinesisClient(endpoint string) *kinesis.Client {
	return kinesis.NewFromConfig(AWSConfig(""), func(o *kinesis.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.HTTPClient = &http.Client{}
	})
}

// NewDynamoDBClient returns a DynamoDB client for the server at endpoint
// (such as DynamoDB Local).
func NewDynamoDBClient(endpoint string) *dynamodb.Client {
	return dynamodb.NewFromConfig(AWSConfig(""), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.HTTPClient = &http.Client{}
	})
}

// NewDynamoDBStreamsClient returns a DynamoDB Streams client for the server
// at endpoint (DynamoDB Local serves both APIs on one port).
func NewDynamoDBStreamsClient(endpoint string) *dynamodbstreams.Client {
	return dynamodbstreams.NewFromConfig(AWSConfig(""), func(o *dynamodbstreams.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.HTTPClient = &http.Client{}
	})
}
