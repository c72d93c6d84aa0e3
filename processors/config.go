package processors

import (
	"strconv"

	"github.com/batchkit/batchkit/core"
)

// Config configures a processor of this package: the argument of [NewSQS],
// [NewSQSFIFO], [NewKinesis], [NewDynamoDB] and [NewKafka]. The zero value is
// Powertools' default for every source: sequential, an error when every
// record failed, FIFO stopping at the first failure, streams handling every
// record. A setting that does not apply to the processor, or cannot take
// effect with the others, is a [*core.ConfigError] from the constructor.
type Config struct {
	// Options are the settings every processor shares: concurrency,
	// deadline margin, hooks, and whether a batch whose records all failed
	// returns an error.
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

// The processors' names in a [*core.ConfigError] (and in the config
// package's registry).
const (
	nameSQS      = "sqs"
	nameSQSFIFO  = "sqs-fifo"
	nameKinesis  = "kinesis"
	nameDynamoDB = "dynamodb"
	nameKafka    = "kafka"
)

// Validate checks c for the processor named processor ("sqs", "sqs-fifo",
// "kinesis", "dynamodb" or "kafka"): the shared options
// ([core.Options.Validate]), then the settings that do not apply to that
// processor or cannot take effect with the others, each a
// [*core.ConfigError].
func (c Config) Validate(processor string) error {
	if err := c.Options.Validate(processor); err != nil {
		return err
	}
	stream := processor == nameKinesis || processor == nameDynamoDB
	bad := func(setting, value, problem string) error {
		return &core.ConfigError{Processor: processor, Setting: setting, Value: value, Problem: problem}
	}
	switch {
	case c.SkipGroupOnError && processor != nameSQSFIFO:
		return bad("SkipGroupOnError", "true", "applies only to sqs-fifo")
	case c.StopOnFirstFailure && !stream:
		return bad("StopOnFirstFailure", "true", "applies only to kinesis and dynamodb")
	case c.OrderByKey && !stream:
		return bad("OrderByKey", "true", "applies only to kinesis and dynamodb")
	case c.Concurrency > 1 && processor == nameSQSFIFO && !c.SkipGroupOnError:
		return bad("Concurrency", strconv.Itoa(c.Concurrency), "needs SkipGroupOnError (FIFO stops the batch at its first failure)")
	case c.Concurrency > 1 && stream && c.StopOnFirstFailure && !c.OrderByKey:
		return bad("Concurrency", strconv.Itoa(c.Concurrency), "needs OrderByKey with StopOnFirstFailure")
	}
	return nil
}

// StreamPolicy is the stop policy c selects for a stream processor.
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
