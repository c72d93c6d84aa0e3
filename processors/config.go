package processors

import (
	"errors"
	"fmt"
	"strconv"
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
// given kind as a [*ConfigError] naming the setting and what it accepts. A
// setting that could not take effect is invalid too, never silently
// ignored: Concurrency above 1 on "sqs-fifo" without SkipGroupOnError, or on
// "kinesis" and "dynamodb" with StopOnFirstFailure but without OrderByKey
// (both handle one record at a time).
func (c Config) Validate(kind Kind) error {
	if c.Concurrency < 0 {
		return &ConfigError{Processor: string(kind), Setting: "Concurrency", Value: strconv.Itoa(c.Concurrency),
			Problem: "it is negative", Accepted: "0 or more (0 and 1 handle one record at a time)"}
	}
	if c.DeadlineMargin < 0 {
		return &ConfigError{Processor: string(kind), Setting: "DeadlineMargin", Value: c.DeadlineMargin.String(),
			Problem: "it is negative", Accepted: "0 (off) or a positive duration"}
	}
	for i, h := range c.Hooks {
		if h == nil {
			return &ConfigError{Processor: string(kind), Setting: "Hooks", Value: fmt.Sprintf("[%d]=nil", i),
				Problem: "a hook is nil", Accepted: "non-nil hooks"}
		}
	}
	if c.SkipGroupOnError && kind != KindSQSFIFO {
		return &ConfigError{Processor: string(kind), Setting: "SkipGroupOnError", Value: "true",
			Problem: fmt.Sprintf("it applies only to the %q processor", KindSQSFIFO), Accepted: "false"}
	}
	if kind == KindKafka && (c.StopOnFirstFailure || c.OrderByKey) {
		setting := "StopOnFirstFailure"
		if c.OrderByKey {
			setting = "OrderByKey"
		}
		return &ConfigError{Processor: string(kind), Setting: setting, Value: "true",
			Problem: "Kafka's ordering is fixed: each topic-partition runs in offset order and stops at its first failure", Accepted: "false"}
	}
	if c.StopOnFirstFailure && kind != KindKinesis && kind != KindDynamoDB {
		return &ConfigError{Processor: string(kind), Setting: "StopOnFirstFailure", Value: "true",
			Problem: fmt.Sprintf("it applies only to the %q and %q processors", KindKinesis, KindDynamoDB), Accepted: "false"}
	}
	if c.OrderByKey && kind != KindKinesis && kind != KindDynamoDB {
		return &ConfigError{Processor: string(kind), Setting: "OrderByKey", Value: "true",
			Problem: fmt.Sprintf("it applies only to the %q and %q processors", KindKinesis, KindDynamoDB), Accepted: "false"}
	}
	// Settings that are valid alone but cannot take effect together: an
	// error, never a silent no-op.
	if c.Concurrency > 1 && kind == KindSQSFIFO && !c.SkipGroupOnError {
		return &ConfigError{Processor: string(kind), Setting: "Concurrency", Value: strconv.Itoa(c.Concurrency),
			Problem:  "the FIFO processor stops the whole batch at the first failure, so it handles one message at a time unless SkipGroupOnError is on (then one message per group at a time)",
			Accepted: "0 or 1, or any value with SkipGroupOnError"}
	}
	if c.Concurrency > 1 && (kind == KindKinesis || kind == KindDynamoDB) && c.StopOnFirstFailure && !c.OrderByKey {
		return &ConfigError{Processor: string(kind), Setting: "Concurrency", Value: strconv.Itoa(c.Concurrency),
			Problem:  "StopOnFirstFailure without OrderByKey stops the whole batch at the first failure, so records run one at a time",
			Accepted: "0 or 1, or any value with OrderByKey (then the failure stops only its key and keys run in parallel)"}
	}
	return nil
}

// ErrInvalidConfig: a [Config] setting is invalid, or does not apply to the
// processor. Matched by [*ConfigError] with errors.Is.
var ErrInvalidConfig = errors.New("batchkit: invalid processor configuration")

// ConfigError is a [Config] setting that is invalid, or that does not apply
// to the processor it configures. Custom processors registered with
// [Register] return it too, so that configuration read from the environment
// ([OpenEnv]) names the variable behind the setting.
type ConfigError struct {
	// Processor is the processor's name, for example "sqs".
	Processor string
	// Setting is the [Config] field, for example "SkipGroupOnError".
	Setting string
	// Value is the setting's value, as text.
	Value string
	// Problem says what is wrong with it.
	Problem string
	// Accepted says which values the processor accepts.
	Accepted string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("batchkit: %s=%s is invalid for the %q processor: %s; accepted: %s", e.Setting, e.Value, e.Processor, e.Problem, e.Accepted)
}

// Is matches [ErrInvalidConfig].
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

// BuildConfig applies opts and validates the result (for the contract
// packages; to be replaced by their own configuration); an invalid configuration is a
// programming error, so it panics with the reason.
func BuildConfig(kind Kind, opts []Option) Config {
	var c Config
	for _, o := range opts {
		o(&c)
	}
	if err := c.Validate(kind); err != nil {
		panic(err)
	}
	return c
}

// StreamPolicy is the stop policy of a stream processor.
func (c Config) StreamPolicy() core.StopPolicy {
	switch {
	case !c.StopOnFirstFailure:
		return core.StopNever
	case c.OrderByKey:
		return core.StopKey
	default:
		return core.StopBatch
	}
}
