package driver

import (
	"fmt"
	"time"
)

// The ranges Lambda's CreateEventSourceMapping accepts
// (https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html),
// checked by [Mapping.Validate], [StreamSettings.Validate] and the pollers
// before anything is created, sent or polled.
const (
	// MaxBatchSize is the largest BatchSize of a standard SQS queue, a
	// Kinesis stream, a DynamoDB stream or a Kafka topic.
	MaxBatchSize = 10000
	// MaxFIFOBatchSize is the largest BatchSize of a FIFO queue.
	MaxFIFOBatchSize = 10
	// MaxBatchingWindow is the longest MaximumBatchingWindowInSeconds.
	MaxBatchingWindow = 300 * time.Second
	// MaxRetryAttempts is the largest MaximumRetryAttempts (-1 is no limit).
	MaxRetryAttempts = 10000
	// MinRecordAge and MaxRecordAge bound MaximumRecordAgeInSeconds (-1 is
	// no limit).
	MinRecordAge = 60 * time.Second
	MaxRecordAge = 604800 * time.Second
	// MaxParallelizationFactor is the largest ParallelizationFactor.
	MaxParallelizationFactor = 10
	// MaxTumblingWindow is the longest TumblingWindowInSeconds.
	MaxTumblingWindow = 900 * time.Second
	// MinMaximumConcurrency and MaxMaximumConcurrency bound
	// ScalingConfig.MaximumConcurrency (SQS).
	MinMaximumConcurrency = 2
	MaxMaximumConcurrency = 1000
	// EventPollerConcurrency is how many invocations one event poller of an
	// SQS mapping in provisioned mode runs at once ("each event poller can
	// handle up to 10 concurrent invokes",
	// https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html).
	EventPollerConcurrency = 10
)

// Limits of ProvisionedPollerConfig
// (https://docs.aws.amazon.com/lambda/latest/api/API_ProvisionedPollerConfig.html):
// for SQS, MinimumPollers 2-200 (default 2) and MaximumPollers 2-10,000
// (default 200); for Kafka, 1-200 (default 1) and 1-2,000 (default 200).
const (
	MinSQSPollers          = 2
	MaxSQSMinimumPollers   = 200
	MaxSQSMaximumPollers   = 10000
	MaxKafkaMinimumPollers = 200
	MaxKafkaMaximumPollers = 2000
	DefaultMaximumPollers  = 200
)

// streamOnly are the settings Lambda takes only for streams (and, for some,
// Kafka): CreateEventSourceMapping refuses them on an SQS mapping.
var streamOnly = []string{"StartingPosition", "StartingPositionTimestamp", "BisectBatchOnFunctionError", "MaximumRetryAttempts",
	"MaximumRecordAgeInSeconds", "ParallelizationFactor", "TumblingWindowInSeconds", "DestinationConfig"}

// Validate checks the mapping's settings against what Lambda accepts when
// the event source mapping is created, and returns a [*ConfigError] naming
// the first setting, its value and the allowed range. [Template.Mappings]
// and [Mapping.Open] call it, so that nothing is created or sent for a
// mapping Lambda would refuse.
//
// Without a template, it cannot know whether an SQS source is a FIFO queue
// nor its visibility timeout; [Template.Mappings] and [Mapping.Open] check
// those too, from the queue's properties in the template.
func (m *Mapping) Validate() error {
	return m.validateWith(queueFacts{})
}

// queueFacts are what validation reads of an SQS mapping's queue in the
// template.
type queueFacts struct {
	fifo       bool
	visibility time.Duration // VisibilityTimeout; 0 when unknown
}

// validateWith is Validate with the source queue's facts.
func (m *Mapping) validateWith(q queueFacts) error {
	err := m.validate(q)
	if ce, ok := err.(*ConfigError); ok && ce.Mapping == "" {
		ce.Mapping = m.Name()
	}
	return err
}

func (m *Mapping) validate(q queueFacts) error {
	isSQS := m.Type == TypeSQS
	isStream := m.Type == TypeKinesis || m.Type == TypeDynamoDB
	isKafka := m.Type == TypeMSK || m.Type == TypeSelfManagedKafka
	if isSQS {
		for _, s := range m.present {
			return &ConfigError{Setting: s, Allowed: "not set on an SQS mapping", Reason: "a setting of stream (Kinesis, DynamoDB) mappings; CreateEventSourceMapping refuses it for an SQS queue"}
		}
		switch {
		case m.StartingPosition != "":
			return &ConfigError{Setting: "StartingPosition", Value: m.StartingPosition, Allowed: "not set on an SQS mapping"}
		case m.BisectBatchOnFunctionError:
			return &ConfigError{Setting: "BisectBatchOnFunctionError", Value: "true", Allowed: "not set on an SQS mapping"}
		case m.MaximumRetryAttempts != nil:
			return &ConfigError{Setting: "MaximumRetryAttempts", Value: fmt.Sprint(*m.MaximumRetryAttempts), Allowed: "not set on an SQS mapping"}
		case m.MaximumRecordAge != 0:
			return &ConfigError{Setting: "MaximumRecordAgeInSeconds", Value: seconds(m.MaximumRecordAge), Allowed: "not set on an SQS mapping"}
		case m.ParallelizationFactor != 0:
			return &ConfigError{Setting: "ParallelizationFactor", Value: fmt.Sprint(m.ParallelizationFactor), Allowed: "not set on an SQS mapping"}
		case m.TumblingWindow != 0:
			return &ConfigError{Setting: "TumblingWindowInSeconds", Value: seconds(m.TumblingWindow), Allowed: "not set on an SQS mapping"}
		case m.OnFailure != "":
			return &ConfigError{Setting: "DestinationConfig.OnFailure", Value: m.OnFailure, Allowed: "not set on an SQS mapping", Reason: "an SQS mapping's failed messages go to the queue's dead-letter queue (its RedrivePolicy)"}
		}
		if err := checkSQS(q.fifo, m.BatchSize, m.MaximumBatchingWindow, m.MaximumConcurrency); err != nil {
			return err
		}
		if m.FunctionTimeout > 0 && q.visibility > 0 && m.FunctionTimeout > q.visibility {
			return &ConfigError{Setting: "Timeout", Value: seconds(m.FunctionTimeout), Allowed: fmt.Sprintf("at most the queue's VisibilityTimeout, %s", seconds(q.visibility)),
				Reason: "the function's timeout is longer than the queue's visibility timeout (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html)"}
		}
	}
	if isStream || isKafka {
		if m.BatchSize < 0 || m.BatchSize > MaxBatchSize {
			return invalid("BatchSize", m.BatchSize, "1-10,000")
		}
		if err := checkWindow(m.MaximumBatchingWindow); err != nil {
			return err
		}
		if m.MaximumConcurrency != 0 {
			return &ConfigError{Setting: "ScalingConfig.MaximumConcurrency", Value: fmt.Sprint(m.MaximumConcurrency), Allowed: "only on an SQS mapping"}
		}
		if err := checkRetries(m.MaximumRetryAttempts, m.MaximumRecordAge, true); err != nil {
			return err
		}
	}
	if isStream {
		switch m.StartingPosition {
		case "":
			return &ConfigError{Setting: "StartingPosition", Allowed: "TRIM_HORIZON, LATEST or AT_TIMESTAMP (Kinesis)", Reason: "missing; Lambda requires it for a stream"}
		case TrimHorizon, Latest:
		case AtTimestamp:
			if m.Type == TypeDynamoDB {
				return &ConfigError{Setting: "StartingPosition", Value: AtTimestamp, Allowed: "TRIM_HORIZON or LATEST for DynamoDB Streams"}
			}
			if m.StartingPositionTimestamp.IsZero() {
				return &ConfigError{Setting: "StartingPositionTimestamp", Allowed: "a time, not in the future", Reason: "missing; AT_TIMESTAMP needs it"}
			}
		default:
			return &ConfigError{Setting: "StartingPosition", Value: m.StartingPosition, Allowed: "TRIM_HORIZON, LATEST or AT_TIMESTAMP (Kinesis)"}
		}
		if err := checkParallel(m.ParallelizationFactor, m.TumblingWindow); err != nil {
			return err
		}
		if m.MinimumPollers != 0 || m.MaximumPollers != 0 {
			return &ConfigError{Setting: "ProvisionedPollerConfig", Allowed: "only on SQS and Kafka mappings", Reason: "Lambda has no provisioned mode for Kinesis or DynamoDB Streams"}
		}
	}
	if isKafka {
		if m.ParallelizationFactor != 0 {
			return &ConfigError{Setting: "ParallelizationFactor", Value: fmt.Sprint(m.ParallelizationFactor), Allowed: "only on Kinesis and DynamoDB mappings"}
		}
		if m.TumblingWindow != 0 {
			return &ConfigError{Setting: "TumblingWindowInSeconds", Value: seconds(m.TumblingWindow), Allowed: "only on Kinesis and DynamoDB mappings"}
		}
	}
	if m.MinimumPollers != 0 || m.MaximumPollers != 0 {
		if err := checkPollers(isSQS, m.MinimumPollers, m.MaximumPollers); err != nil {
			return err
		}
		if isSQS && m.MaximumConcurrency != 0 {
			return &ConfigError{Setting: "ScalingConfig.MaximumConcurrency", Value: fmt.Sprint(m.MaximumConcurrency), Allowed: "not with ProvisionedPollerConfig",
				Reason: "maximum concurrency and provisioned mode are mutually exclusive (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html)"}
		}
	}
	return nil
}

// checkSQS checks an SQS mapping's batch size, window and concurrency.
func checkSQS(fifo bool, batchSize int, window time.Duration, concurrency int) error {
	switch {
	case fifo && (batchSize < 0 || batchSize > MaxFIFOBatchSize):
		return &ConfigError{Setting: "BatchSize", Value: fmt.Sprint(batchSize), Allowed: "1-10 for a FIFO queue"}
	case batchSize < 0 || batchSize > MaxBatchSize:
		return invalid("BatchSize", batchSize, "1-10,000")
	}
	if err := checkWindow(window); err != nil {
		return err
	}
	switch {
	case batchSize > 10 && window < time.Second:
		return &ConfigError{Setting: "MaximumBatchingWindowInSeconds", Value: seconds(window), Allowed: "at least 1 when BatchSize is over 10",
			Reason: fmt.Sprintf("BatchSize is %d", batchSize)}
	case fifo && window > 0:
		return &ConfigError{Setting: "MaximumBatchingWindowInSeconds", Value: seconds(window), Allowed: "0 for a FIFO queue"}
	case concurrency != 0 && (concurrency < MinMaximumConcurrency || concurrency > MaxMaximumConcurrency):
		return invalid("ScalingConfig.MaximumConcurrency", concurrency, "2-1,000")
	}
	return nil
}

// checkWindow checks MaximumBatchingWindowInSeconds.
func checkWindow(d time.Duration) error {
	if d < 0 || d > MaxBatchingWindow {
		return invalid("MaximumBatchingWindowInSeconds", seconds(d), "0-300")
	}
	return nil
}

// checkRetries checks MaximumRetryAttempts and MaximumRecordAge (0 is no
// limit, the template's -1). With exact, the age must be in Lambda's range,
// 60 s to 7 days; the Go API ([StreamSettings]) takes any positive age, so
// that a test sees records expire in seconds.
func checkRetries(retries *int, age time.Duration, exact bool) error {
	if retries != nil && (*retries < -1 || *retries > MaxRetryAttempts) {
		return invalid("MaximumRetryAttempts", *retries, "-1 (no limit) to 10,000")
	}
	low := time.Duration(1)
	if exact {
		low = MinRecordAge
	}
	if age != 0 && (age < low || age > MaxRecordAge) {
		return invalid("MaximumRecordAgeInSeconds", seconds(age), "-1 (no limit) or 60-604,800")
	}
	return nil
}

// checkParallel checks ParallelizationFactor and TumblingWindowInSeconds.
func checkParallel(factor int, tumbling time.Duration) error {
	if factor < 0 || factor > MaxParallelizationFactor {
		return invalid("ParallelizationFactor", factor, "1-10")
	}
	if tumbling < 0 || tumbling > MaxTumblingWindow {
		return invalid("TumblingWindowInSeconds", seconds(tumbling), "0-900")
	}
	return nil
}

// checkPollers checks ProvisionedPollerConfig (0 is the default).
func checkPollers(sqs bool, minimum, maximum int) error {
	minLow, minHigh, maxLow, maxHigh := 1, MaxKafkaMinimumPollers, 1, MaxKafkaMaximumPollers
	minAllowed, maxAllowed := "1-200", "1-2,000"
	if sqs {
		minLow, minHigh, maxLow, maxHigh = MinSQSPollers, MaxSQSMinimumPollers, MinSQSPollers, MaxSQSMaximumPollers
		minAllowed, maxAllowed = "2-200 for SQS", "2-10,000 for SQS"
	}
	if minimum != 0 && (minimum < minLow || minimum > minHigh) {
		return invalid("ProvisionedPollerConfig.MinimumPollers", minimum, minAllowed)
	}
	if maximum != 0 && (maximum < maxLow || maximum > maxHigh) {
		return invalid("ProvisionedPollerConfig.MaximumPollers", maximum, maxAllowed)
	}
	if maximum == 0 {
		maximum = DefaultMaximumPollers
	}
	if minimum > maximum {
		return &ConfigError{Setting: "ProvisionedPollerConfig.MinimumPollers", Value: fmt.Sprint(minimum), Allowed: fmt.Sprintf("at most MaximumPollers (%d)", maximum)}
	}
	return nil
}

// seconds writes a duration as Lambda's settings do, in seconds.
func seconds(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprint(int64(d / time.Second))
	}
	return fmt.Sprintf("%gs", d.Seconds())
}
