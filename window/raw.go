package window

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/events"
	"github.com/batchkit/batchkit/internal/raw"
)

// ProcessKinesisWindowRaw is the raw-bytes entry for Kinesis tumbling
// windows: it takes the event as Lambda sent it, reads the window fields
// (the state kept as its JSON, whatever its shape), decodes each record of
// "Records" on its own and runs the invocation like [ProcessWindow]. A
// record that does not decode is not folded: it fails, and as in any
// window the records after it are not folded either and are reported. An
// event without a "Records" array returns a [core.UnexpectedBatchTypeError]
// before anything is folded.
func ProcessKinesisWindowRaw[S any](ctx context.Context, p *WindowProcessor[events.KinesisEventRecord], event []byte, agg Aggregate[events.KinesisEventRecord, S]) (WindowResponse, error) {
	return processWindowRaw(ctx, p, event, &raw.Kinesis, agg)
}

// ProcessDynamoDBWindowRaw is the raw-bytes entry for DynamoDB Streams
// tumbling windows; see [ProcessKinesisWindowRaw].
func ProcessDynamoDBWindowRaw[S any](ctx context.Context, p *WindowProcessor[events.DynamoDBEventRecord], event []byte, agg Aggregate[events.DynamoDBEventRecord, S]) (WindowResponse, error) {
	return processWindowRaw(ctx, p, event, &raw.DynamoDB, agg)
}

// KinesisWindowHandler returns the Lambda handler of a Kinesis tumbling
// window function, for lambda.Start: it runs the raw-bytes entry
// ([ProcessKinesisWindowRaw]) on each event.
//
//	lambda.Start(window.KinesisWindowHandler(core.Must(window.NewKinesisWindow(window.WindowConfig{})), aggregate))
func KinesisWindowHandler[S any](p *WindowProcessor[events.KinesisEventRecord], agg Aggregate[events.KinesisEventRecord, S]) func(context.Context, json.RawMessage) (WindowResponse, error) {
	return func(ctx context.Context, event json.RawMessage) (WindowResponse, error) {
		return ProcessKinesisWindowRaw(ctx, p, event, agg)
	}
}

// DynamoDBWindowHandler returns the Lambda handler of a DynamoDB Streams
// tumbling window function, for lambda.Start: it runs the raw-bytes entry
// ([ProcessDynamoDBWindowRaw]) on each event.
func DynamoDBWindowHandler[S any](p *WindowProcessor[events.DynamoDBEventRecord], agg Aggregate[events.DynamoDBEventRecord, S]) func(context.Context, json.RawMessage) (WindowResponse, error) {
	return func(ctx context.Context, event json.RawMessage) (WindowResponse, error) {
		return ProcessDynamoDBWindowRaw(ctx, p, event, agg)
	}
}

var windowEventKeys = []string{"window", "state", "shardId", "eventSourceARN", "isFinalInvokeForWindow", "isWindowTerminatedEarly"}

func processWindowRaw[R, S any](ctx context.Context, p *WindowProcessor[R], event []byte, k *raw.Kind[R], agg Aggregate[R, S]) (WindowResponse, error) {
	var props WindowProperties
	records, failures, err := raw.DecodeEnvelope(string(event), k, raw.RecordsKey, windowEventKeys, func(d *raw.Dec, key string) (bool, error) {
		switch key {
		case "window":
			return true, decodeWindowRange(d, &props.Window)
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
		return WindowResponse{}, err
	}
	return runWindow(ctx, p, props, records, failures, agg)
}

var windowRangeKeys = []string{"start", "end"}

func decodeWindowRange(d *raw.Dec, w *WindowRange) error {
	if isNull, err := d.OpenObject(); err != nil || isNull {
		return err
	}
	return d.Fields(windowRangeKeys, func(key string) (bool, error) {
		switch key {
		case "start":
			return true, d.TimeField(&w.Start)
		case "end":
			return true, d.TimeField(&w.End)
		}
		return false, nil
	})
}
