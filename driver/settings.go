package driver

import (
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// MaxPayload is Lambda's limit on a synchronous invocation's payload, 6 MB:
// the driver never builds a larger event, it delivers fewer records instead.
const MaxPayload = 6 * 1024 * 1024

// Conditions of an invocation record sent to an on-failure destination.
const (
	// RetryAttemptsExhausted: the batch failed MaximumRetryAttempts + 1
	// times.
	RetryAttemptsExhausted = "RetryAttemptsExhausted"
	// RecordAgeExceeded: the records were older than MaximumRecordAgeInSeconds
	// and were discarded without an invocation.
	RecordAgeExceeded = "RecordAgeExceeded"
)

// DefaultFunctionARN is the functionArn of the invocation records when
// [StreamSettings.FunctionARN] is empty.
const DefaultFunctionARN = "arn:aws:lambda:us-east-1:000000000000:function:batchkit-driver"

// RecordFilter is an event source mapping's FilterCriteria: a record that it
// does not match is not delivered (streams skip it, SQS deletes it).
// *filter.Criteria (package driver/filter) implements it.
type RecordFilter interface {
	// MatchSQS reports whether an SQS message is delivered.
	MatchSQS(events.SQSMessage) bool
	// MatchKinesis reports whether a Kinesis record is delivered.
	MatchKinesis(events.KinesisEventRecord) bool
	// MatchDynamoDB reports whether a DynamoDB Streams record is delivered.
	MatchDynamoDB(events.DynamoDBEventRecord) bool
}

// StreamSettings are the settings of a Kinesis or DynamoDB Streams event
// source mapping beyond the source itself, with Lambda's meaning. The zero
// value is Lambda's default: retry without limit, no bisection, no maximum
// age, one batch in flight per shard, no window.
type StreamSettings struct {
	// BisectBatchOnFunctionError splits a batch whose invocation failed in
	// two halves, retried one after the other; with a partial batch response
	// the batch is split at the lowest reported sequence number instead.
	// Splitting does not count as a retry.
	BisectBatchOnFunctionError bool
	// MaximumRetryAttempts is how many times a failed batch is retried
	// before its records are sent to OnFailure and skipped, -1 to 10,000;
	// nil (or -1) retries until the records reach MaximumRecordAge. A
	// throttle or service error of the Invoke API ([IsServiceError]) is not
	// a retry.
	MaximumRetryAttempts *int
	// MaximumRecordAge discards, without an invocation, the records older
	// than this (by their arrival time); 0 keeps them forever. Lambda takes
	// 60 s to 7 days (and a template is held to that); the Go API takes any
	// positive age, so that a test sees records expire in seconds.
	MaximumRecordAge time.Duration
	// OnFailure receives Lambda's invocation record of each batch skipped
	// after its retries or for its age; nil skips them silently.
	OnFailure Destination
	// ParallelizationFactor is the number of batches in flight per shard,
	// 1 to 10 (0 means 1). Records of one partition key (Kinesis) or item
	// key (DynamoDB) always go to the same batch sequence, in order.
	ParallelizationFactor int
	// MaximumBatchingWindow is how long a shard's records are gathered
	// before an invocation with fewer than BatchSize records; 0 invokes with
	// what one read returned.
	MaximumBatchingWindow time.Duration
	// TumblingWindow, when positive, groups records into windows of this
	// length by arrival time and carries the state that the function returns
	// into its next invocation of the window (see [Kinesis]).
	TumblingWindow time.Duration
	// StartingPositionTimestamp is where an AT_TIMESTAMP mapping starts.
	StartingPositionTimestamp time.Time
	// Filter drops the records it does not match before batching; nil
	// delivers every record.
	Filter RecordFilter
	// ReportBatchItemFailures is FunctionResponseTypes:
	// ["ReportBatchItemFailures"]: the response's batchItemFailures set the
	// checkpoint. Without it (the zero value, as Lambda's default) the
	// response is ignored, and only a failed invocation fails the batch.
	ReportBatchItemFailures bool
	// FunctionTimeout is the function's timeout: an invocation that runs
	// longer fails, as Lambda's timeout does. 0 sets no deadline.
	FunctionTimeout time.Duration
	// FunctionARN is the functionArn of invocation records; empty means
	// [DefaultFunctionARN].
	FunctionARN string
}

// Validate checks the settings against Lambda's limits (see
// [Mapping.Validate]) and returns a [*ConfigError] naming the first setting
// out of range.
func (s *StreamSettings) Validate() error {
	if err := checkWindow(s.MaximumBatchingWindow); err != nil {
		return err
	}
	if err := checkRetries(s.MaximumRetryAttempts, s.MaximumRecordAge, false); err != nil {
		return err
	}
	return checkParallel(s.ParallelizationFactor, s.TumblingWindow)
}

// retryLimit returns MaximumRetryAttempts, -1 for no limit.
func (s *StreamSettings) retryLimit() int {
	if s.MaximumRetryAttempts == nil || *s.MaximumRetryAttempts < 0 {
		return -1
	}
	return *s.MaximumRetryAttempts
}

func (s *StreamSettings) factor() int {
	if s.ParallelizationFactor <= 1 {
		return 1
	}
	return s.ParallelizationFactor
}

func (s *StreamSettings) functionARN() string {
	if s.FunctionARN == "" {
		return DefaultFunctionARN
	}
	return s.FunctionARN
}
