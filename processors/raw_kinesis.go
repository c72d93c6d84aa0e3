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
	if isNull, err := d.openObject(); err != nil || isNull {
		if isNull {
			return d.errorf("the record is null")
		}
		return err
	}
	for first := true; ; first = false {
		key, more, err := d.nextKey(first)
		if err != nil || !more {
			return err
		}
		known, err := kinesisRecordField(d, r, key)
		if !known {
			if c := foldKey(key, kinesisRecordKeys); c != "" {
				_, err = kinesisRecordField(d, r, c)
			} else {
				err = d.skip()
			}
		}
		if err != nil {
			return err
		}
	}
}

func kinesisRecordField(d *dec, r *events.KinesisEventRecord, key string) (bool, error) {
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
	case "kinesis":
		return true, decodeKinesisData(d, &r.Kinesis)
	}
	return false, nil
}

var kinesisDataKeys = []string{"approximateArrivalTimestamp", "data", "encryptionType", "partitionKey",
	"sequenceNumber", "kinesisSchemaVersion"}

func decodeKinesisData(d *dec, k *events.KinesisRecord) error {
	if isNull, err := d.openObject(); err != nil || isNull {
		return err
	}
	for first := true; ; first = false {
		key, more, err := d.nextKey(first)
		if err != nil || !more {
			return err
		}
		known, err := kinesisDataField(d, k, key)
		if !known {
			if c := foldKey(key, kinesisDataKeys); c != "" {
				_, err = kinesisDataField(d, k, c)
			} else {
				err = d.skip()
			}
		}
		if err != nil {
			return err
		}
	}
}

func kinesisDataField(d *dec, k *events.KinesisRecord, key string) (bool, error) {
	switch key {
	case "approximateArrivalTimestamp":
		sec, nsec, err := d.epochSeconds()
		if err == nil {
			k.ApproximateArrivalTimestamp = events.SecondsEpochTime{Time: time.Unix(sec, nsec)}
		}
		return true, err
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
