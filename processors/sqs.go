package processors

import (
	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
)

// SQSProcessor is the processor type of SQS standard and FIFO queues.
type SQSProcessor = core.Base[events.SQSMessage]

// NewSQS returns the processor for SQS standard queues: every message is
// handled, and the failed ones are reported by message id so that only they
// return to the queue.
func NewSQS(c Config) (*SQSProcessor, error) {
	if err := c.Validate(nameSQS); err != nil {
		return nil, err
	}
	return core.NewBase(sqsSource(), c.Options), nil
}

// NewSQSFIFO returns the processor for SQS FIFO queues. By default it stops at
// the first failure: the failed message and every message after it are
// reported failed (the later ones with an [*core.UnhandledError] (ErrShortCircuit)) so that
// the queue keeps its order. With [Config.SkipGroupOnError] only the later
// messages of the failed message's group are short-circuited, and other
// groups go on; messages without a group id never stop others.
//
// Concurrency applies only with skip-group-on-error, per message group: the
// messages of one group always run one after another in order. Without it,
// a Concurrency above 1 could not take effect and is refused (a [*core.ConfigError]).
func NewSQSFIFO(c Config) (*SQSProcessor, error) {
	if err := c.Validate(nameSQSFIFO); err != nil {
		return nil, err
	}
	src := sqsSource()
	src.Stop = core.StopBatch
	if c.SkipGroupOnError {
		src.Stop = core.StopKey
	}
	return core.NewBase(src, c.Options), nil
}

func sqsSource() core.Source[events.SQSMessage] {
	return core.Source[events.SQSMessage]{
		Name:         EventSourceSQS,
		EventSources: []string{EventSourceSQS},
		EventSource:  func(m *events.SQSMessage) string { return m.EventSource },
		Identify:     func(m *events.SQSMessage) core.Identifier { return core.StringID(m.MessageId) },
		Key:          messageGroupID,
	}
}

// messageGroupID returns an SQS FIFO message's group id ("" for a standard
// queue message).
func messageGroupID(m *events.SQSMessage) string { return m.Attributes["MessageGroupId"] }
