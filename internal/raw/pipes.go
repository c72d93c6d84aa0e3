package raw

import (
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/rawjson"
)

// pipesArrayKey names the bare array in the error (matching [core.ErrUnexpectedBatchType]).
const pipesArrayKey = "EventBridge Pipes records (a top-level JSON array)"

// DecodeArrayEvent decodes an event that is a bare JSON array of records,
// each on its own, like decodeEvent does for the "Records" array.
func DecodeArrayEvent[R any](s string, k *Kind[R]) ([]R, []*core.RecordDecodeError, error) {
	unexpected := func(found string) error {
		return fmt.Errorf("%w (%q: %s)", core.ErrUnexpectedBatchType, pipesArrayKey, found)
	}
	d := NewDec(s)
	switch c := d.Peek(); c {
	case '[':
	case 0:
		return nil, nil, unexpected("an empty event")
	default:
		return nil, nil, unexpected(rawjson.KindOf(c) + " instead of an array; is the function the target of an EventBridge pipe?")
	}
	records, failures, err := decodeRecords(&d, k, nil, nil)
	if err != nil {
		return nil, nil, unexpected("malformed JSON: " + err.Error())
	}
	if !d.AtEnd() {
		return nil, nil, unexpected("malformed JSON: data after the array")
	}
	return records, failures, nil
}

var PipesKinesis = Kind[events.KinesisEventRecord]{
	Decode: decodePipesKinesisRecord,
	IDPath: []string{"eventID"},
	SetID:  func(r *events.KinesisEventRecord, id string) { r.EventID = id },
}

var pipesKinesisKeys = []string{"awsRegion", "eventID", "eventName", "eventSource", "eventSourceARN",
	"eventVersion", "invokeIdentityArn", "approximateArrivalTimestamp", "data", "encryptionType",
	"partitionKey", "sequenceNumber", "kinesisSchemaVersion"}

// decodePipesKinesisRecord decodes a flattened Pipes Kinesis record: the
// record's own fields and those of Lambda's "kinesis" object side by side.
func decodePipesKinesisRecord(d *Dec, r *events.KinesisEventRecord) error {
	if err := d.OpenRecord(); err != nil {
		return err
	}
	return d.Fields(pipesKinesisKeys, func(key string) (bool, error) {
		if known, err := kinesisEventField(d, r, key); known {
			return true, err
		}
		return kinesisDataField(d, &r.Kinesis, key)
	})
}

var PipesDynamoDB = Kind[events.DynamoDBEventRecord]{
	Decode: decodeDynamoDBRecord,
	IDPath: []string{"eventID"},
	SetID:  func(r *events.DynamoDBEventRecord, id string) { r.EventID = id },
}
