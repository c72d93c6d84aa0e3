package firehose

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/raw"
	"github.com/batchkit/batchkit/internal/userfn"
)

// Handler returns the Lambda handler of a Firehose transformation function,
// for lambda.Start:
//
//	lambda.Start(firehose.Handler(core.Must(firehose.New(firehose.Config{})), transform))
//
// It decodes the event as Firehose sent it, each record of its "records"
// array on its own, and runs p over them with h, like [Process]. A record
// that does not decode (bad base64, a wrong type) is not handed to h: it is
// reported ProcessingFailed by its recordId with an error matching
// [core.ErrDecode], and every other record still gets its result. An event
// without a "records" array, or whose other fields do not decode, is
// refused before any handler runs (hooks see it, see [core.Refuse]).
func Handler(p *Processor, h Func) core.LambdaHandler[Response] {
	return func(ctx context.Context, event json.RawMessage) (Response, error) {
		return processRaw(ctx, p, event, h)
	}
}

// processRaw is [Handler]'s work on one event.
func processRaw(ctx context.Context, p *Processor, event []byte, h Func) (Response, error) {
	if p == nil || h == nil {
		return Response{}, errors.New("batchkit: firehose.Handler needs a processor and a handler")
	}
	var ev Event
	var fieldErr error
	records, failures, err := raw.DecodeEnvelope(string(event), &recordRaw, "records", eventKeys, func(d *raw.Dec, key string) (bool, error) {
		var err error
		switch key {
		case "invocationId":
			err = d.StrField(&ev.InvocationID)
		case "deliveryStreamArn":
			err = d.StrField(&ev.DeliveryStreamArn)
		case "sourceKinesisStreamArn":
			err = d.StrField(&ev.SourceKinesisStreamArn)
		case "region":
			err = d.StrField(&ev.Region)
		default:
			return false, nil
		}
		if err != nil {
			fieldErr = &userfn.EventFieldError{Event: "Firehose", Field: key, Err: err}
		}
		return true, err
	})
	if fieldErr != nil {
		err = fieldErr // the field, not "no records array"
	}
	if err != nil {
		_, err = core.Refuse(ctx, p, records, err)
		return Response{}, err
	}
	b := core.NewBatch(records, notCalled)
	for _, f := range failures {
		b.Fail(f.Position, f)
	}
	return run(ctx, p, b, h)
}

var eventKeys = []string{"invocationId", "deliveryStreamArn", "sourceKinesisStreamArn", "region"}

var recordRaw = raw.Kind[Record]{
	Decode: decodeRecord,
	IDPath: []string{"recordId"},
	SetID:  func(r *Record, id string) { r.RecordID = id },
}

var recordKeys = []string{"recordId", "approximateArrivalTimestamp", "data", "kafkaRecordValue", "kinesisRecordMetadata"}

func decodeRecord(d *raw.Dec, r *Record) error {
	if err := d.OpenRecord(); err != nil {
		return err
	}
	return d.Fields(recordKeys, func(key string) (bool, error) {
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
			return true, decodeMetadata(d, &r.KinesisRecordMetadata)
		}
		return false, nil
	})
}

var metadataKeys = []string{"shardId", "partitionKey", "approximateArrivalTimestamp", "sequenceNumber", "subsequenceNumber"}

func decodeMetadata(d *raw.Dec, dst **KinesisMetadata) error {
	isNull, err := d.OpenObject()
	if err != nil || isNull {
		if isNull {
			*dst = nil
		}
		return err
	}
	m := *dst
	if m == nil {
		m = new(KinesisMetadata)
		*dst = m
	}
	return d.Fields(metadataKeys, func(key string) (bool, error) {
		switch key {
		case "shardId":
			return true, d.StrField(&m.ShardID)
		case "partitionKey":
			return true, d.StrField(&m.PartitionKey)
		case "approximateArrivalTimestamp":
			return true, d.TextField(&m.ApproximateArrivalTimestamp)
		case "sequenceNumber":
			return true, d.StrField(&m.SequenceNumber)
		case "subsequenceNumber":
			return true, d.TextField(&m.SubsequenceNumber)
		}
		return false, nil
	})
}
