package firehose

import (
	"context"
	"encoding/json"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/raw"
)

// ProcessFirehoseRaw is the raw-bytes entry for Firehose data
// transformation: it takes the event as Firehose sent it, decodes each
// record of its "records" array on its own and runs p over them with h,
// like [ProcessFirehose]. A record that does not decode (bad base64, a
// wrong type) is not handed to h: it is reported ProcessingFailed by its
// recordId with a [*core.RecordDecodeError], and every other record still gets
// its result. An event without a "records" array returns a
// [core.UnexpectedBatchTypeError] before any handler runs.
func ProcessFirehoseRaw(ctx context.Context, p *FirehoseProcessor, event []byte, h core.Handler[FirehoseRecord]) (FirehoseResponse, error) {
	var ev FirehoseEvent
	records, failures, err := raw.DecodeEnvelope(string(event), &firehoseRaw, "records", firehoseEventKeys, func(d *raw.Dec, key string) (bool, error) {
		switch key {
		case "invocationId":
			return true, d.StrField(&ev.InvocationID)
		case "deliveryStreamArn":
			return true, d.StrField(&ev.DeliveryStreamArn)
		case "sourceKinesisStreamArn":
			return true, d.StrField(&ev.SourceKinesisStreamArn)
		case "region":
			return true, d.StrField(&ev.Region)
		}
		return false, nil
	})
	if err != nil {
		return FirehoseResponse{}, err
	}
	b := core.NewBatch(records, h)
	for _, f := range failures {
		b.Fail(f.Position, f)
	}
	return runFirehose(ctx, p, b)
}

// FirehoseHandler returns the Lambda handler of a Firehose transformation
// function, for lambda.Start: it runs the raw-bytes entry
// ([ProcessFirehoseRaw]) on each event.
//
//	lambda.Start(firehose.FirehoseHandler(core.Must(firehose.NewFirehose(firehose.FirehoseConfig{})), firehose.FirehoseFunc(transform)))
func FirehoseHandler(p *FirehoseProcessor, h core.Handler[FirehoseRecord]) func(context.Context, json.RawMessage) (FirehoseResponse, error) {
	return func(ctx context.Context, event json.RawMessage) (FirehoseResponse, error) {
		return ProcessFirehoseRaw(ctx, p, event, h)
	}
}

var firehoseEventKeys = []string{"invocationId", "deliveryStreamArn", "sourceKinesisStreamArn", "region"}

var firehoseRaw = raw.Kind[FirehoseRecord]{
	Decode: decodeFirehoseRecord,
	IDPath: []string{"recordId"},
	SetID:  func(r *FirehoseRecord, id string) { r.RecordID = id },
}

var firehoseRecordKeys = []string{"recordId", "approximateArrivalTimestamp", "data", "kafkaRecordValue", "kinesisRecordMetadata"}

func decodeFirehoseRecord(d *raw.Dec, r *FirehoseRecord) error {
	if err := d.OpenRecord(); err != nil {
		return err
	}
	return d.Fields(firehoseRecordKeys, func(key string) (bool, error) {
		switch key {
		case "recordId":
			return true, d.StrField(&r.RecordID)
		case "approximateArrivalTimestamp":
			return true, d.Int64Field(&r.ApproximateArrivalTimestamp)
		case "data":
			return true, d.BytesField(&r.Data)
		case "kafkaRecordValue":
			return true, d.BytesField(&r.KafkaRecordValue)
		case "kinesisRecordMetadata":
			return true, decodeFirehoseMetadata(d, &r.KinesisRecordMetadata)
		}
		return false, nil
	})
}

var firehoseMetadataKeys = []string{"shardId", "partitionKey", "approximateArrivalTimestamp", "sequenceNumber", "subsequenceNumber"}

func decodeFirehoseMetadata(d *raw.Dec, dst **FirehoseKinesisMetadata) error {
	isNull, err := d.OpenObject()
	if err != nil || isNull {
		if isNull {
			*dst = nil
		}
		return err
	}
	m := *dst
	if m == nil {
		m = new(FirehoseKinesisMetadata)
		*dst = m
	}
	return d.Fields(firehoseMetadataKeys, func(key string) (bool, error) {
		switch key {
		case "shardId":
			return true, d.StrField(&m.ShardID)
		case "partitionKey":
			return true, d.StrField(&m.PartitionKey)
		case "approximateArrivalTimestamp":
			return true, d.TextField((*string)(&m.ApproximateArrivalTimestamp))
		case "sequenceNumber":
			return true, d.StrField(&m.SequenceNumber)
		case "subsequenceNumber":
			return true, d.TextField((*string)(&m.SubsequenceNumber))
		}
		return false, nil
	})
}
