package batchtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
)

// InLambda reports whether the program runs under a Lambda runtime: the
// runtime API address AWS_LAMBDA_RUNTIME_API is set, as it is in Lambda, in
// Lambda Managed Instances and under the Runtime Interface Emulator.
func InLambda() bool { return os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" }

// ErrNoEvent is returned by [RunLocal] when there is no event to run: no
// event file was named and there is no sample event.
var ErrNoEvent = errors.New("batchtest: no event to run: not under a Lambda runtime (AWS_LAMBDA_RUNTIME_API is unset), so pass an event file: go run . event.json (or -event event.json)")

// HandlerError is the error of a handler that returned an error when
// [RunLocal] ran it: under Lambda, the whole batch would be retried.
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

// Main is a Lambda function's main, which also runs outside Lambda. Under a
// Lambda runtime ([InLambda]) it is lambda.Start(handler). Elsewhere, as
// with `go run .`, it runs handler once on an event, prints the response as
// indented JSON on stdout and exits: the event is the file named by the
// first command-line argument (or by -event file), else sampleEvent (nil
// for none). A handler error, or no event, is printed on stderr with exit
// status 1; aws-lambda-go's "expected AWS Lambda environment variables"
// error never shows.
//
//	func main() { batchtest.Main(processors.SQSHandler(processor, handler), nil) }
//
// handler is anything lambda.Start takes that has the shape
// func(context.Context, E) (R, error): an adapter such as
// processors.SQSHandler (passed to lambda.Start as it is, so its fast Invoke
// path is kept), or a function of an aws-lambda-go event.
func Main[H ~func(context.Context, E) (R, error), E, R any](handler H, sampleEvent []byte) {
	if InLambda() {
		lambda.Start(handler)
		return
	}
	if err := RunLocal(context.Background(), handler, sampleEvent, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// RunLocal is what [Main] does outside Lambda, for a test or a command of
// your own: it runs handler on the event file named by args (its first
// argument, or the one after -event), or on sampleEvent when args name
// none, and writes the indented JSON response and a newline to w. A handler
// error is a [*HandlerError]; no event at all is [ErrNoEvent].
func RunLocal[H ~func(context.Context, E) (R, error), E, R any](ctx context.Context, handler H, sampleEvent []byte, args []string, w io.Writer) error {
	data := sampleEvent
	if path := eventArg(args); path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return fmt.Errorf("batchtest: read the event: %w", err)
		}
	}
	if data == nil {
		return ErrNoEvent
	}
	out, err := Invoke(ctx, handler, data)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, out, "", "  "); err != nil {
		return fmt.Errorf("batchtest: the response is not JSON: %w", err)
	}
	buf.WriteByte('\n')
	_, err = w.Write(buf.Bytes())
	return err
}

// eventArg returns the event file args name: "-event file", "-event=file"
// (one or two dashes), or the first argument.
func eventArg(args []string) string {
	for i, a := range args {
		name := strings.TrimLeft(a, "-")
		switch {
		case a != name && name == "event" && i+1 < len(args):
			return args[i+1]
		case a != name && strings.HasPrefix(name, "event="):
			return strings.TrimPrefix(name, "event=")
		}
	}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0]
	}
	return ""
}

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

// InvokeFile is [Invoke] on the event in the file at path.
func InvokeFile[H ~func(context.Context, E) (R, error), E, R any](ctx context.Context, handler H, path string) ([]byte, error) {
	event, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("batchtest: read the event: %w", err)
	}
	return Invoke(ctx, handler, event)
}
