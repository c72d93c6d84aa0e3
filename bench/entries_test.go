package bench

import (
	"context"

	"github.com/batchkit/batchkit/core"
)

// entry turns a processors adapter (SQSHandler, ...) into the raw-bytes
// entry shape the comparisons call: one call per invocation, as lambda.Start
// makes it.
func entry[R any](adapter func(core.PartialProcessor[R], core.Handler[R]) core.LambdaHandler[core.Response]) func(context.Context, core.PartialProcessor[R], []byte, core.Handler[R]) (core.Response, error) {
	return func(ctx context.Context, p core.PartialProcessor[R], event []byte, h core.Handler[R]) (core.Response, error) {
		return adapter(p, h)(ctx, event)
	}
}
