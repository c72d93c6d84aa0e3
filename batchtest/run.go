package batchtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/lambda"
)

// Invoke runs handler on one event as Lambda would and returns the response
// bytes Lambda would receive. The event is decoded into E with
// encoding/json (a json.RawMessage handler, such as an adapter, receives the
// bytes as they are); a handler that implements aws-lambda-go's
// lambda.Handler (the adapters do) is called through it, as lambda.Start
// does. A handler error is returned wrapped (errors.Is and errors.As see
// it), with no response: under Lambda, the whole batch would be retried.
func Invoke[H ~func(context.Context, E) (R, error), E, R any](ctx context.Context, handler H, event []byte) ([]byte, error) {
	out, err := lambda.NewHandler(handler).Invoke(ctx, event)
	if err != nil {
		var decode *json.SyntaxError
		var typ *json.UnmarshalTypeError
		if errors.As(err, &decode) || errors.As(err, &typ) {
			return nil, fmt.Errorf("batchtest: the event does not decode into the handler's event type: %w", err)
		}
		return nil, fmt.Errorf("batchtest: the handler returned an error (Lambda would retry the whole batch): %w", err)
	}
	return bytes.TrimRight(out, "\n"), nil
}
