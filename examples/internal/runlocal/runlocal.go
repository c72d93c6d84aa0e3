// Package runlocal lets an example run both as a Lambda function and as a
// plain program: inside Lambda it starts the runtime loop; outside, it runs
// the handler once on the example's bundled sample event and prints the
// response, so that `go run ./examples/<name>` shows what the function does.
package runlocal

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

// InLambda reports whether the program runs under a Lambda runtime (the
// runtime API address is set).
func InLambda() bool { return os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" }

// Main starts handler under Lambda; otherwise it decodes the event file named
// by the first command-line argument, or sampleEvent when there is none,
// calls handler once and prints the response as indented JSON on stdout. An
// error returned by handler is printed on stderr and exits with status 1.
func Main[E, R any](handler func(context.Context, E) (R, error), sampleEvent []byte) {
	if InLambda() {
		lambda.Start(handler)
		return
	}
	if err := Once(context.Background(), handler, sampleEvent, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// Once runs handler on one event: the file named by args[0] when given,
// sampleEvent otherwise, and writes the indented JSON response to w.
func Once[E, R any](ctx context.Context, handler func(context.Context, E) (R, error), sampleEvent []byte, args []string, w io.Writer) error {
	data := sampleEvent
	if len(args) > 0 {
		var err error
		if data, err = os.ReadFile(args[0]); err != nil {
			return err
		}
	}
	var event E
	if err := json.Unmarshal(data, &event); err != nil {
		return fmt.Errorf("decode event: %w", err)
	}
	resp, err := handler(ctx, event)
	if err != nil {
		return fmt.Errorf("handler returned an error (Lambda would retry the whole batch): %w", err)
	}
	out, err := json.MarshalIndent(resp, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", out)
	return err
}

// Golden runs handler on sampleEvent as `go run` would and returns the
// printed output, for the examples' tests to compare with response.json.
func Golden[E, R any](handler func(context.Context, E) (R, error), sampleEvent []byte) (string, error) {
	var buf bytes.Buffer
	err := Once(context.Background(), handler, sampleEvent, nil, &buf)
	return buf.String(), err
}
