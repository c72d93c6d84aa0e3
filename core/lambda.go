package core

import (
	"context"
	"encoding/json"
)

// LambdaHandler is the Lambda handler that every batchkit adapter returns
// (processors.SQSHandler, firehose.Handler, ...): a function of the event as
// the bytes Lambda sent, returning the source's response type. lambda.Start
// takes it as it is; it also implements aws-lambda-go's lambda.Handler
// interface ([LambdaHandler.Invoke]), which lambda.Start prefers, so the
// payload reaches the adapter without aws-lambda-go's reflective decoding.
type LambdaHandler[Resp any] func(ctx context.Context, event json.RawMessage) (Resp, error)

// Invoke runs the handler on one payload and returns the response as JSON,
// or the handler's error (Lambda then retries the whole batch). lambda.Start
// calls it.
func (f LambdaHandler[Resp]) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	resp, err := f(ctx, payload)
	if err != nil {
		return nil, err
	}
	return json.Marshal(resp)
}
