package window

import (
	"context"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/payload"
	"github.com/batchkit/batchkit/processors"
)

// KinesisJSON returns a Fold that decodes each record's data as JSON into a
// T, validates it (see package payload) and folds it with f. A record that
// does not decode or validate fails (a [*payload.DecodeError] or
// an error matching [payload.ErrInvalid]) and, as any failure in a window, stops the
// records after it.
func KinesisJSON[T, S any](f func(ctx context.Context, state *S, payload T, rec *events.KinesisEventRecord) error) func(context.Context, *S, *events.KinesisEventRecord) error {
	return func(ctx context.Context, state *S, rec *events.KinesisEventRecord) error {
		v, err := payload.Decode[T]("Kinesis data", rec.Kinesis.Data)
		if err != nil {
			return err
		}
		return f(ctx, state, v, rec)
	}
}

// DynamoDBNewImage returns a Fold that decodes each record's NewImage into
// a T (as processors.DynamoDBNewImage does; nil for a record without one),
// validates it and folds it with f.
func DynamoDBNewImage[T, S any](f func(ctx context.Context, state *S, newImage *T, rec *events.DynamoDBEventRecord) error) func(context.Context, *S, *events.DynamoDBEventRecord) error {
	return func(ctx context.Context, state *S, rec *events.DynamoDBEventRecord) error {
		if rec.Change.NewImage == nil {
			return f(ctx, state, nil, rec)
		}
		data, err := processors.ImageJSON(rec.Change.NewImage)
		if err != nil {
			return &payload.DecodeError{What: "DynamoDB NewImage", Type: typeName[T](), Err: err}
		}
		v, err := payload.Decode[T]("DynamoDB NewImage", data)
		if err != nil {
			return err
		}
		return f(ctx, state, &v, rec)
	}
}
