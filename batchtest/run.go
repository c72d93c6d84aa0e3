package batchtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/lambda"
)

// HandlerError is the error of a handler that returned an error when
// [Invoke] ran it: under Lambda, the whole batch would be retried.
type HandlerError struct {
	// Err is the handler's error.
	Err error
}

// Error says that the handler failed the invocation.
func (e *HandlerError) Error() string {
	return "handler returned an error (Lambda would retry the whole batch): " + e.Err.Error()
}

// Unwrap returns the handler's error.
func (e *HandlerError) Unwrap() error { return e.Err }

// Invoke runs handler on one event as Lambda would and returns the response
// bytes Lambda would receive. The event is decoded into E with
// encoding/json (a json.RawMessage handler, such as an adapter, receives the
// bytes as they are); a handler that implements aws-lambda-go's
// lambda.Handler (the adapters do) is called through it, as lambda.Start
// does. A handler error is returned as a [*HandlerError], with no response.
func Invoke[H ~func(context.Context, E) (R, error), E, R any](ctx context.Context, handler H, event []byte) ([]byte, error) {
	out, err := lambda.NewHandler(handler).Invoke(ctx, event)
	if err != nil {
		var decode *json.SyntaxError
		var typ *json.UnmarshalTypeError
		if errors.As(err, &decode) || errors.As(err, &typ) {
			return nil, fmt.Errorf("batchtest: the event does not decode into the handler's event type: %w", err)
		}
		return nil, &HandlerError{Err: err}
	}
	return bytes.TrimRight(out, "\n"), nil
}
