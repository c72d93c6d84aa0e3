package processors_test

import (
	"context"

	"github.com/batchkit/batchkit/core"
)

// entry turns an adapter (SQSHandler, ...) into a raw-bytes entry of the
// shape the table tests call: one call per invocation, as lambda.Start makes
// it.
func entry[R any](adapter func(core.PartialProcessor[R], core.Handler[R]) core.LambdaHandler[core.Response]) func(context.Context, core.PartialProcessor[R], []byte, core.Handler[R]) (core.Response, error) {
	return func(ctx context.Context, p core.PartialProcessor[R], event []byte, h core.Handler[R]) (core.Response, error) {
		return adapter(p, h)(ctx, event)
	}
}
