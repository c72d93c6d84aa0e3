package raw

import (
	"time"

	"github.com/aws/aws-lambda-go/events"
)

var Kinesis = Kind[events.KinesisEventRecord]{
	Decode: decodeKinesisRecord,
	IDPath: []string{"kinesis", "sequenceNumber"},
	SetID:  func(r *events.KinesisEventRecord, id string) { r.Kinesis.SequenceNumber = id },
}

var kinesisRecordKeys = []string{"awsRegion", "eventID", "eventName", "eventSource", "eventSourceARN",
	"eventVersion", "invokeIdentityArn", "kinesis"}

func decodeKinesisRecord(d *Dec, r *events.KinesisEventRecord) error {
	if err := d.OpenRecord(); err != nil {
		return err
	}
	return d.Fields(kinesisRecordKeys, func(key string) (bool, error) {
		if key == "kinesis" {
			return true, decodeKinesisData(d, &r.Kinesis)
		}
		return kinesisEventField(d, r, key)
	})
}

// kinesisEventField decodes the record-level field key of a Kinesis event
// record (everything but the "kinesis" object), reporting false for another
// key.
func kinesisEventField(d *Dec, r *events.KinesisEventRecord, key string) (bool, error) {
	switch key {
	case "awsRegion":
		return true, d.StrField(&r.AwsRegion)
	case "eventID":
		return true, d.StrField(&r.EventID)
	case "eventName":
		return true, d.StrField(&r.EventName)
	case "eventSource":
		return true, d.StrField(&r.EventSource)
	case "eventSourceARN":
		return true, d.StrField(&r.EventSourceArn)
	case "eventVersion":
		return true, d.StrField(&r.EventVersion)
	case "invokeIdentityArn":
		return true, d.StrField(&r.InvokeIdentityArn)
	}
	return false, nil
}

var kinesisDataKeys = []string{"approximateArrivalTimestamp", "data", "encryptionType", "partitionKey",
	"sequenceNumber", "kinesisSchemaVersion"}

func decodeKinesisData(d *Dec, k *events.KinesisRecord) error {
	if isNull, err := d.OpenObject(); err != nil || isNull {
		return err
	}
	return d.Fields(kinesisDataKeys, func(key string) (bool, error) { return kinesisDataField(d, k, key) })
}

// kinesisDataField decodes field key of Lambda's "kinesis" object, reporting
// false for another key.
func kinesisDataField(d *Dec, k *events.KinesisRecord, key string) (bool, error) {
	switch key {
	case "approximateArrivalTimestamp":
		return true, epochField(d, &k.ApproximateArrivalTimestamp)
	case "data":
		return true, d.BytesField(&k.Data)
	case "encryptionType":
		return true, d.StrField(&k.EncryptionType)
	case "partitionKey":
		return true, d.StrField(&k.PartitionKey)
	case "sequenceNumber":
		return true, d.StrField(&k.SequenceNumber)
	case "kinesisSchemaVersion":
		return true, d.StrField(&k.KinesisSchemaVersion)
	}
	return false, nil
}

// epochField reads aws-lambda-go's SecondsEpochTime into dst, as its
// UnmarshalJSON does (null is the epoch itself).
func epochField(d *Dec, dst *events.SecondsEpochTime) error {
	sec, nsec, err := d.EpochSeconds()
	if err == nil {
		*dst = events.SecondsEpochTime{Time: time.Unix(sec, nsec)}
	}
	return err
}
