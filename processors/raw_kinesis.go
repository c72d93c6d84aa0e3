package processors

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
)

// ProcessKinesisRaw is the raw-bytes entry for Kinesis Data Streams: like
// [ProcessSQSRaw], for events.KinesisEventRecord. A record whose data is not
// valid base64 (or that does not decode for another reason) fails alone,
// reported by its sequence number with a [*RecordDecodeError]; decoding the
// whole event with aws-lambda-go's types would fail the invocation instead.
func ProcessKinesisRaw(ctx context.Context, p core.PartialProcessor[events.KinesisEventRecord], event []byte, h core.Handler[events.KinesisEventRecord]) (core.Response, error) {
	return processRaw(ctx, p, event, h, &kinesisRaw)
}

var kinesisRaw = rawKind[events.KinesisEventRecord]{
	decode: decodeKinesisRecord,
	idPath: []string{"kinesis", "sequenceNumber"},
	setID:  func(r *events.KinesisEventRecord, id string) { r.Kinesis.SequenceNumber = id },
}

var kinesisRecordKeys = []string{"awsRegion", "eventID", "eventName", "eventSource", "eventSourceARN",
	"eventVersion", "invokeIdentityArn", "kinesis"}

func decodeKinesisRecord(d *dec, r *events.KinesisEventRecord) error {
	if err := d.openRecord(); err != nil {
		return err
	}
	return d.fields(kinesisRecordKeys, func(key string) (bool, error) {
		if key == "kinesis" {
			return true, decodeKinesisData(d, &r.Kinesis)
		}
		return kinesisEventField(d, r, key)
	})
}

// kinesisEventField decodes the record-level field key of a Kinesis event
// record (everything but the "kinesis" object), reporting false for another
// key.
func kinesisEventField(d *dec, r *events.KinesisEventRecord, key string) (bool, error) {
	switch key {
	case "awsRegion":
		return true, d.strField(&r.AwsRegion)
	case "eventID":
		return true, d.strField(&r.EventID)
	case "eventName":
		return true, d.strField(&r.EventName)
	case "eventSource":
		return true, d.strField(&r.EventSource)
	case "eventSourceARN":
		return true, d.strField(&r.EventSourceArn)
	case "eventVersion":
		return true, d.strField(&r.EventVersion)
	case "invokeIdentityArn":
		return true, d.strField(&r.InvokeIdentityArn)
	}
	return false, nil
}

var kinesisDataKeys = []string{"approximateArrivalTimestamp", "data", "encryptionType", "partitionKey",
	"sequenceNumber", "kinesisSchemaVersion"}

func decodeKinesisData(d *dec, k *events.KinesisRecord) error {
	if isNull, err := d.openObject(); err != nil || isNull {
		return err
	}
	return d.fields(kinesisDataKeys, func(key string) (bool, error) { return kinesisDataField(d, k, key) })
}

// kinesisDataField decodes field key of Lambda's "kinesis" object, reporting
// false for another key.
func kinesisDataField(d *dec, k *events.KinesisRecord, key string) (bool, error) {
	switch key {
	case "approximateArrivalTimestamp":
		return true, d.epochField(&k.ApproximateArrivalTimestamp)
	case "data":
		return true, d.bytesField(&k.Data)
	case "encryptionType":
		return true, d.strField(&k.EncryptionType)
	case "partitionKey":
		return true, d.strField(&k.PartitionKey)
	case "sequenceNumber":
		return true, d.strField(&k.SequenceNumber)
	case "kinesisSchemaVersion":
		return true, d.strField(&k.KinesisSchemaVersion)
	}
	return false, nil
}

// epochField reads aws-lambda-go's SecondsEpochTime into dst, as its
// UnmarshalJSON does (null is the epoch itself).
func (d *dec) epochField(dst *events.SecondsEpochTime) error {
	sec, nsec, err := d.epochSeconds()
	if err == nil {
		*dst = events.SecondsEpochTime{Time: time.Unix(sec, nsec)}
	}
	return err
}
