package processors

import (
	"bytes"
	"encoding/base64"
	"slices"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
)

// DynamoDBProcessor is the processor type of DynamoDB Streams.
type DynamoDBProcessor = core.Base[events.DynamoDBEventRecord]

// NewDynamoDB returns the processor for DynamoDB Streams: every record is
// handled, and the failed ones are reported by sequence number. Options:
// [Config.StopOnFirstFailure], [Config.OrderByKey] (by the item's keys), and the
// shared ones.
func NewDynamoDB(c Config) (*DynamoDBProcessor, error) {
	if err := c.Validate(nameDynamoDB); err != nil {
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
		Stop:       c.StreamPolicy(),
	}, c.Options), nil
}

// ItemKey returns a DynamoDB stream record's item key as a string, the same
// for every record of the same item and different for different items: the
// key attributes sorted by name, each written as its JSON-quoted name, "=",
// its type (S, N or B) and its JSON-quoted value (base64 for B), separated
// by commas, for example "pk"=S:"a","sk"=N:"7". Quoting makes the key
// injective: no attribute name or value can imitate a separator. It returns
// "" for a record without keys.
func ItemKey(r *events.DynamoDBEventRecord) string {
	keys := r.Change.Keys
	switch len(keys) {
	case 0:
		return ""
	case 1:
		var b bytes.Buffer
		for name, v := range keys {
			writeKeyAttribute(&b, name, v)
		}
		return b.String()
	}
	names := make([]string, 0, len(keys))
	for name := range keys {
		names = append(names, name)
	}
	slices.Sort(names)
	var b bytes.Buffer
	for i, name := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		writeKeyAttribute(&b, name, keys[name])
	}
	return b.String()
}

// writeKeyAttribute writes one key attribute of [ItemKey].
func writeKeyAttribute(b *bytes.Buffer, name string, v events.DynamoDBAttributeValue) {
	writeJSONString(b, name)
	b.WriteByte('=')
	switch v.DataType() {
	case events.DataTypeString:
		b.WriteString("S:")
		writeJSONString(b, v.String())
	case events.DataTypeNumber:
		b.WriteString("N:")
		writeJSONString(b, v.Number())
	case events.DataTypeBinary:
		b.WriteString("B:")
		writeJSONString(b, base64.StdEncoding.EncodeToString(v.Binary()))
	default:
		// Not a valid key type: the JSON form keeps the key injective.
		b.WriteString("?:")
		data, err := ImageJSON(map[string]events.DynamoDBAttributeValue{"v": v})
		if err != nil {
			data = []byte(err.Error())
		}
		writeJSONString(b, string(data))
	}
}
