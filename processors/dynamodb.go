package processors

import (
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
)

// EventSourceDynamoDB is the eventSource of DynamoDB Streams records.
const EventSourceDynamoDB = "aws:dynamodb"

// DynamoDBProcessor is the processor type of DynamoDB Streams.
type DynamoDBProcessor = core.Base[events.DynamoDBEventRecord]

// NewDynamoDB returns the processor for DynamoDB Streams: every record is
// handled, and the failed ones are reported by sequence number. Options:
// [WithStopOnFirstFailure], [WithOrderByKey] (by the item's keys), and the
// shared ones. It panics on an invalid option; see [DynamoDBFrom].
func NewDynamoDB(opts ...Option) *DynamoDBProcessor {
	return must(DynamoDBFrom(build(KindDynamoDB, opts)))
}

// DynamoDBFrom returns the DynamoDB Streams processor for c, or the reason c
// is invalid for it.
func DynamoDBFrom(c Config) (*DynamoDBProcessor, error) {
	if err := c.Validate(KindDynamoDB); err != nil {
		return nil, err
	}
	return core.NewBase(core.Source[events.DynamoDBEventRecord]{
		Name:         EventSourceDynamoDB,
		EventSources: []string{EventSourceDynamoDB},
		EventSource:  func(r *events.DynamoDBEventRecord) string { return r.EventSource },
		Identify: func(r *events.DynamoDBEventRecord) core.Identifier {
			return core.StringID(r.Change.SequenceNumber)
		},
		Key:        ItemKey,
		OrderByKey: c.OrderByKey,
		Stop:       c.streamPolicy(),
	}, c.Options), nil
}

// ItemKey returns a DynamoDB stream record's item key as a string, the same
// for every record of the same item: the key attributes sorted by name, as
// name=value pairs. It returns "" for a record without keys.
func ItemKey(r *events.DynamoDBEventRecord) string {
	keys := r.Change.Keys
	switch len(keys) {
	case 0:
		return ""
	case 1:
		for name, v := range keys {
			return name + "=" + attributeKeyString(v)
		}
	}
	names := make([]string, 0, len(keys))
	for name := range keys {
		names = append(names, name)
	}
	slices.Sort(names)
	var b strings.Builder
	for i, name := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(attributeKeyString(keys[name]))
	}
	return b.String()
}

// attributeKeyString renders a key attribute (S, N or B).
func attributeKeyString(v events.DynamoDBAttributeValue) string {
	switch v.DataType() {
	case events.DataTypeString:
		return "S:" + v.String()
	case events.DataTypeNumber:
		return "N:" + v.Number()
	case events.DataTypeBinary:
		return "B:" + string(v.Binary())
	}
	return "?"
}
