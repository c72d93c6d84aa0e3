package processors

import (
	"context"
	"encoding/json"
	"time"

	"github.com/aws/aws-lambda-go/events"
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
	return processWindowRaw(ctx, p, event, &kinesisRaw, agg)
}

// ProcessDynamoDBWindowRaw is the raw-bytes entry for DynamoDB Streams
// tumbling windows; see [ProcessKinesisWindowRaw].
func ProcessDynamoDBWindowRaw[S any](ctx context.Context, p *WindowProcessor[events.DynamoDBEventRecord], event []byte, agg Aggregate[events.DynamoDBEventRecord, S]) (WindowResponse, error) {
	return processWindowRaw(ctx, p, event, &dynamoDBRaw, agg)
}

// KinesisWindowHandler returns the Lambda handler of a Kinesis tumbling
// window function, for lambda.Start: it runs the raw-bytes entry
// ([ProcessKinesisWindowRaw]) on each event.
//
//	lambda.Start(processors.KinesisWindowHandler(processors.NewKinesisWindow(), aggregate))
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

func processWindowRaw[R, S any](ctx context.Context, p *WindowProcessor[R], event []byte, k *rawKind[R], agg Aggregate[R, S]) (WindowResponse, error) {
	var props WindowProperties
	records, failures, err := decodeEnvelope(string(event), k, recordsKey, windowEventKeys, func(d *dec, key string) (bool, error) {
		switch key {
		case "window":
			return true, decodeWindowRange(d, &props.Window)
		case "state":
			raw, err := d.rawValue()
			props.State = json.RawMessage(raw)
			return true, err
		case "shardId":
			return true, d.strField(&props.ShardID)
		case "eventSourceARN":
			return true, d.strField(&props.EventSourceARN)
		case "isFinalInvokeForWindow":
			return true, d.boolField(&props.IsFinalInvokeForWindow)
		case "isWindowTerminatedEarly":
			return true, d.boolField(&props.IsWindowTerminatedEarly)
		}
		return false, nil
	})
	if err != nil {
		return WindowResponse{}, err
	}
	return runWindow(ctx, p, props, records, failures, agg)
}

var windowRangeKeys = []string{"start", "end"}

func decodeWindowRange(d *dec, w *WindowRange) error {
	if isNull, err := d.openObject(); err != nil || isNull {
		return err
	}
	return d.fields(windowRangeKeys, func(key string) (bool, error) {
		switch key {
		case "start":
			return true, d.timeField(&w.Start)
		case "end":
			return true, d.timeField(&w.End)
		}
		return false, nil
	})
}

// timeField reads an RFC 3339 time, as time.Time's UnmarshalJSON does;
// null leaves it.
func (d *dec) timeField(dst *time.Time) error {
	if isNull, err := d.null(); isNull || err != nil {
		return err
	}
	s, err := d.str()
	if err != nil {
		return err
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return d.errorf("invalid RFC 3339 time %q", s)
	}
	*dst = t
	return nil
}
