// Package runlocal lets an example run both as a Lambda function and as a
// plain program. It is a thin wrapper over the public runner of package
// batchtest ([batchtest.Main], [batchtest.RunLocal]), kept so that examples
// written against it still compile; new code calls batchtest directly.
package runlocal

import (
	"bytes"
	"context"
	"io"

	"github.com/batchkit/batchkit/batchtest"
)

// InLambda reports whether the program runs under a Lambda runtime (the
// runtime API address is set); see [batchtest.InLambda].
func InLambda() bool { return batchtest.InLambda() }

// Main starts handler under Lambda; otherwise it runs it once on the event
// file named by the first command-line argument, or sampleEvent, and prints
// the response: [batchtest.Main].
func Main[H ~func(context.Context, E) (R, error), E, R any](handler H, sampleEvent []byte) {
	batchtest.Main(handler, sampleEvent)
}

// Once runs handler on one event (the file named by args[0] when given,
// sampleEvent otherwise) and writes the indented JSON response to w:
// [batchtest.RunLocal].
func Once[H ~func(context.Context, E) (R, error), E, R any](ctx context.Context, handler H, sampleEvent []byte, args []string, w io.Writer) error {
	return batchtest.RunLocal(ctx, handler, sampleEvent, args, w)
}

// Golden runs handler on sampleEvent as `go run` would and returns the
// printed output, for the examples' tests to compare with response.json.
func Golden[H ~func(context.Context, E) (R, error), E, R any](handler H, sampleEvent []byte) (string, error) {
	var buf bytes.Buffer
	err := Once(context.Background(), handler, sampleEvent, nil, &buf)
	return buf.String(), err
}
