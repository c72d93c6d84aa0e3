package window

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/raw"
)

// KinesisHandler returns the Lambda handler of a Kinesis tumbling window
// function, for lambda.Start. It reads the event as Lambda sent it: the
// window fields (the state kept as its JSON, whatever its shape) and each
// record of "Records" on its own. A record that does not decode is not
// folded: it fails, and as in any window the records after it are not
// folded either and are reported. An event without a "Records" array is
// refused with an error matching [core.ErrUnexpectedBatchType] before anything is
// folded (hooks see it). Otherwise it runs like [Process].
//
//	lambda.Start(window.KinesisHandler(core.Must(window.NewKinesis(window.Config{})), aggregate))
func KinesisHandler[S any](p *Processor[events.KinesisEventRecord], agg Aggregate[events.KinesisEventRecord, S]) core.LambdaHandler[Response] {
	return func(ctx context.Context, event json.RawMessage) (Response, error) {
		return processRaw(ctx, p, event, &raw.Kinesis, agg)
	}
}

// DynamoDBHandler returns the Lambda handler of a DynamoDB Streams tumbling
// window function, for lambda.Start; see [KinesisHandler].
func DynamoDBHandler[S any](p *Processor[events.DynamoDBEventRecord], agg Aggregate[events.DynamoDBEventRecord, S]) core.LambdaHandler[Response] {
	return func(ctx context.Context, event json.RawMessage) (Response, error) {
		return processRaw(ctx, p, event, &raw.DynamoDB, agg)
	}
}

var eventKeys = []string{"window", "state", "shardId", "eventSourceARN", "isFinalInvokeForWindow", "isWindowTerminatedEarly"}

func processRaw[R, S any](ctx context.Context, p *Processor[R], event []byte, k *raw.Kind[R], agg Aggregate[R, S]) (Response, error) {
	var props Properties
	records, failures, err := raw.DecodeEnvelope(string(event), k, raw.RecordsKey, eventKeys, func(d *raw.Dec, key string) (bool, error) {
		switch key {
		case "window":
			return true, decodeRange(d, &props.Window)
		case "state":
			raw, err := d.RawValue()
			props.State = json.RawMessage(raw)
			return true, err
		case "shardId":
			return true, d.StrField(&props.ShardID)
		case "eventSourceARN":
			return true, d.StrField(&props.EventSourceARN)
		case "isFinalInvokeForWindow":
			return true, d.BoolField(&props.IsFinalInvokeForWindow)
		case "isWindowTerminatedEarly":
			return true, d.BoolField(&props.IsWindowTerminatedEarly)
		}
		return false, nil
	})
	if err != nil {
		if p == nil || p.lc == nil {
			return Response{}, err
		}
		_, err = core.Refuse(ctx, p.lc, records, err)
		return Response{}, err
	}
	return run(ctx, p, props, records, failures, agg)
}

var rangeKeys = []string{"start", "end"}

func decodeRange(d *raw.Dec, w *events.Window) error {
	if isNull, err := d.OpenObject(); err != nil || isNull {
		return err
	}
	return d.Fields(rangeKeys, func(key string) (bool, error) {
		switch key {
		case "start":
			return true, d.TimeField(&w.Start.Time)
		case "end":
			return true, d.TimeField(&w.End.Time)
		}
		return false, nil
	})
}
