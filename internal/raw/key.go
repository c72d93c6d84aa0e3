package raw

import (
	"encoding/json"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/batchkit/batchkit/internal/rawjson"
)

// readRawKey reads the ordering key of a record that the raw entry could not
// decode from the record's bytes, as the identifier is read, and stores it
// in r (zero but for its identifier) where the processor's Source.Key finds
// it: the SQS message group, the Kinesis partition key, the DynamoDB item
// keys. It reports false when the key cannot be read (missing, empty, or
// broken; an SQS message without a group is known to have none only when its
// attributes object reads whole): the record then fails with an unknown key
// (core.Batch.FailUnknownKey), and under a stop-by-key policy every later
// keyed record is stopped, since any of them may share it.
func readRawKey[R any](d *Dec, rec string, r *R) bool {
	switch r := any(r).(type) {
	case *events.SQSMessage:
		if g := FindString(rec, []string{"attributes", "MessageGroupId"}); g != "" {
			r.Attributes = map[string]string{"MessageGroupId": d.Keep(g)}
			return true
		}
		// No group: known only when the attributes object reads whole and
		// names none (a standard-queue message, which stops nothing).
		raw := rawjson.FindRaw(rec, []string{"attributes"})
		var attrs map[string]any
		if raw == "" || json.Unmarshal([]byte(raw), &attrs) != nil || attrs == nil {
			return false
		}
		for k, v := range attrs {
			if strings.EqualFold(k, "MessageGroupId") && v != nil && v != "" {
				return false // there, but not a readable string
			}
		}
		return true
	case *events.KinesisEventRecord:
		pk := FindString(rec, []string{"kinesis", "partitionKey"})
		if pk == "" {
			return false
		}
		r.Kinesis.PartitionKey = d.Keep(pk)
		return true
	case *events.DynamoDBEventRecord:
		raw := rawjson.FindRaw(rec, []string{"dynamodb", "Keys"})
		if raw == "" {
			return false
		}
		var keys map[string]events.DynamoDBAttributeValue
		if err := json.Unmarshal([]byte(raw), &keys); err != nil || len(keys) == 0 {
			return false
		}
		r.Change.Keys = keys
		return true
	}
	return false
}
