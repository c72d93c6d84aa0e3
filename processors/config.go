package processors

import (
	"fmt"
	"time"

	"github.com/batchkit/batchkit/core"
)

// Config is the configuration of a built-in processor. The zero value is
// Powertools' default for every source: sequential, raise on entire batch
// failure, FIFO stopping at the first failure, streams handling every record.
type Config struct {
	// Options are the settings every processor shares: full batch
	// failure, concurrency, deadline margin and hooks.
	core.Options
	// SkipGroupOnError (SQS FIFO): after a failure, short-circuit only the
	// later records of the failed record's message group; other groups go
	// on. Without it the whole rest of the batch is short-circuited.
	SkipGroupOnError bool
	// StopOnFirstFailure (Kinesis, DynamoDB Streams): after a failure, later
	// records are not handled and are reported failed, since Lambda retries
	// from the lowest failed sequence number anyway. With OrderByKey it
	// stops only the failed record's key.
	StopOnFirstFailure bool
	// OrderByKey (Kinesis, DynamoDB Streams): under concurrency, records
	// with the same partition key (Kinesis) or item keys (DynamoDB) run one
	// after another in input order.
	OrderByKey bool
}

// Option changes a [Config].
type Option func(*Config)

// WithRaiseOnEntireBatchFailure sets whether a batch whose records all failed
// returns a [core.FullBatchFailureError] (true, the default) or the full
// failure list (false).
func WithRaiseOnEntireBatchFailure(raise bool) Option {
	return func(c *Config) { c.SuppressFullBatchError = !raise }
}

// WithSkipGroupOnError makes an SQS FIFO processor short-circuit only the
// failed record's message group. See [Config.SkipGroupOnError].
func WithSkipGroupOnError() Option { return func(c *Config) { c.SkipGroupOnError = true } }

// WithConcurrency handles up to n records at once (1: one after another).
// Results and the response keep input order. See [core.Options.Concurrency].
func WithConcurrency(n int) Option { return func(c *Config) { c.Concurrency = n } }

// WithDeadlineMargin keeps d free before the invocation deadline to return
// the response. See [core.Options.DeadlineMargin].
func WithDeadlineMargin(d time.Duration) Option { return func(c *Config) { c.DeadlineMargin = d } }

// WithHooks adds hooks that observe every batch and record.
func WithHooks(hooks ...core.Hook) Option {
	return func(c *Config) { c.Hooks = append(c.Hooks, hooks...) }
}

// WithStopOnFirstFailure makes a stream processor stop at the first failure.
// See [Config.StopOnFirstFailure].
func WithStopOnFirstFailure() Option { return func(c *Config) { c.StopOnFirstFailure = true } }

// WithOrderByKey makes a stream processor keep the order of records with the
// same key under concurrency. See [Config.OrderByKey].
func WithOrderByKey() Option { return func(c *Config) { c.OrderByKey = true } }

// Kind names a built-in processor.
type Kind string

// The built-in processor kinds.
const (
	KindSQS      Kind = "sqs"
	KindSQSFIFO  Kind = "sqs-fifo"
	KindKinesis  Kind = "kinesis"
	KindDynamoDB Kind = "dynamodb"
	KindKafka    Kind = "kafka"
)

// Validate reports the first setting that is invalid for a processor of the
// given kind, naming the setting and what it accepts.
func (c Config) Validate(kind Kind) error {
	if c.Concurrency < 0 {
		return fmt.Errorf("batchkit: concurrency must be 0 or more (0 and 1 mean one record at a time), got %d", c.Concurrency)
	}
	if c.DeadlineMargin < 0 {
		return fmt.Errorf("batchkit: deadline margin must be 0 (off) or positive, got %v", c.DeadlineMargin)
	}
	for i, h := range c.Hooks {
		if h == nil {
			return fmt.Errorf("batchkit: hook %d is nil", i)
		}
	}
	if c.SkipGroupOnError && kind != KindSQSFIFO {
		return fmt.Errorf("batchkit: skip group on error applies only to the %q processor, not %q", KindSQSFIFO, kind)
	}
	if (c.StopOnFirstFailure || c.OrderByKey) && kind == KindKafka {
		return fmt.Errorf("batchkit: stop on first failure and order by key do not apply to the %q processor: its ordering is fixed (each topic-partition in offset order, stopping at its first failure); remove them", KindKafka)
	}
	if (c.StopOnFirstFailure || c.OrderByKey) && kind != KindKinesis && kind != KindDynamoDB {
		return fmt.Errorf("batchkit: stop on first failure and order by key apply only to the %q and %q processors, not %q", KindKinesis, KindDynamoDB, kind)
	}
	return nil
}

// build applies opts and validates the result; an invalid configuration is a
// programming error, so it panics with the reason.
func build(kind Kind, opts []Option) Config {
	var c Config
	for _, o := range opts {
		o(&c)
	}
	if err := c.Validate(kind); err != nil {
		panic(err)
	}
	return c
}

// streamPolicy is the stop policy of a stream processor.
func (c Config) streamPolicy() core.StopPolicy {
	switch {
	case !c.StopOnFirstFailure:
		return core.StopNever
	case c.OrderByKey:
		return core.StopKey
	default:
		return core.StopBatch
	}
}
