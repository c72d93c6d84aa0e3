package processors

import (
	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
)

// KinesisProcessor is the processor type of Kinesis Data Streams.
type KinesisProcessor = core.Base[events.KinesisEventRecord]

// NewKinesis returns the processor for Kinesis Data Streams: every record is
// handled, and the failed ones are reported by sequence number (Lambda
// checkpoints at the lowest and retries from there). Options:
// [Config.StopOnFirstFailure], [Config.OrderByKey] (by partition key), and the
// shared ones.
func NewKinesis(c Config) (*KinesisProcessor, error) {
	if err := c.Validate(nameKinesis); err != nil {
		return nil, err
	}
	return core.NewBase(core.Source[events.KinesisEventRecord]{
		Name:         EventSourceKinesis,
		EventSources: []string{EventSourceKinesis},
		EventSource:  func(r *events.KinesisEventRecord) string { return r.EventSource },
		Identify: func(r *events.KinesisEventRecord) core.Identifier {
			return core.StringID(r.Kinesis.SequenceNumber)
		},
		Key:        func(r *events.KinesisEventRecord) string { return r.Kinesis.PartitionKey },
		OrderByKey: c.OrderByKey,
		Stop:       c.StreamPolicy(),
	}, c.Options), nil
}
