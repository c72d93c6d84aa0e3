// Package lambdamain is the main of a Lambda function that also runs on
// your machine. [Start] is lambda.Start under a Lambda runtime; anywhere
// else (go run ., a debugger, a CI job) it runs the handler once on an event
// file, prints the response and, on stderr, why each failed record failed:
//
//	func main() { lambdamain.Start(processors.SQSHandler(processor, handle), nil) }
//
//	$ go run . event.json
//	{
//	  "batchItemFailures": [
//	    {
//	      "itemIdentifier": "5eed0001-0000-4000-8000-000000000001"
//	    }
//	  ]
//	}
//	failed: record 1 (5eed0001-0000-4000-8000-000000000001): batchkit: SQS body does not decode: ...
//
// It is a package of its own, named for the main package that calls it, so
// that a production binary imports no test package: the test helpers (event
// builders, golden responses) are in package batchtest, which no
// function's main needs. Writing lambda.Start(handler) yourself is just as
// right; outside Lambda it only says that the Lambda environment is missing.
//
// The failure reasons come from a hook the local run adds to that one
// invocation (the processor's own hooks still run, and its configuration
// is not changed); under Lambda no hook is added: log failures there with
// package hooks/logging.
package lambdamain

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/invocationhook"
)

// Start is a Lambda function's main, which also runs outside Lambda. Under a
// Lambda runtime (AWS_LAMBDA_RUNTIME_API is set, as it is in Lambda, Lambda
// Managed Instances and the Runtime Interface Emulator) it is
// lambda.Start(handler) and never returns. Elsewhere it runs handler once on
// an event and exits: the event is the file named by the first
// command-line argument (or by -event file), else sampleEvent (nil for
// none). It prints the response as indented JSON on stdout and, on stderr,
// one line per failed record with its position, identifier and error, in
// input order. A handler error, or no event, is printed on stderr with exit
// status 1.
//
// handler is anything lambda.Start takes with the shape
// func(context.Context, E) (R, error): an adapter such as
// processors.SQSHandler (passed to lambda.Start as it is, so its fast Invoke
// path is kept), or a function of an aws-lambda-go event.
func Start[H ~func(context.Context, E) (R, error), E, R any](handler H, sampleEvent []byte) {
	if os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" {
		lambda.Start(handler)
		return
	}
	if err := run(context.Background(), lambda.NewHandler(handler), sampleEvent, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// errNoEvent: not under Lambda, and no event to run.
var errNoEvent = errors.New("lambdamain: no event to run outside Lambda: pass an event file (go run . event.json)")

// localRequestID is the request id of the local run's Lambda context.
const localRequestID = "local-run"

// run runs handler once on the event args name (the first argument, or the
// one after -event) or on sampleEvent, writes the indented JSON response to
// stdout and the failure reasons to stderr.
func run(ctx context.Context, handler lambda.Handler, sampleEvent []byte, args []string, stdout, stderr io.Writer) error {
	data := sampleEvent
	if path := eventArg(args); path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return fmt.Errorf("lambdamain: read the event: %w", err)
		}
	}
	if data == nil {
		return errNoEvent
	}
	reasons := &reasons{}
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: localRequestID})
	out, err := handler.Invoke(invocationhook.With(ctx, reasons), data)
	if err == nil {
		var buf bytes.Buffer
		if err = json.Indent(&buf, bytes.TrimRight(out, "\n"), "", "  "); err != nil {
			return fmt.Errorf("lambdamain: the response is not JSON: %w", err)
		}
		buf.WriteByte('\n')
		if _, err := stdout.Write(buf.Bytes()); err != nil {
			return err
		}
	}
	reasons.print(stderr)
	if err != nil {
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		if errors.As(err, &syntax) || errors.As(err, &typ) {
			return fmt.Errorf("lambdamain: the event does not decode into the handler's event type: %w", err)
		}
		return fmt.Errorf("the handler returned an error (Lambda would retry the whole batch): %w", err)
	}
	return nil
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

// reasons is the local run's hook: it keeps each failed record's reason.
type reasons struct {
	core.NopHook
	mu     sync.Mutex
	failed []failure
}

type failure struct {
	position int
	id       string
	reason   string
}

// RecordEnd keeps a failed record's reason.
func (r *reasons) RecordEnd(_ context.Context, info core.RecordInfo) {
	if !info.Outcome.Failed() {
		return
	}
	f := failure{position: info.Position, id: info.Identifier.String(), reason: "no outcome"}
	if info.Outcome.Err != nil {
		f.reason = message(info.Outcome.Err)
	}
	r.mu.Lock()
	r.failed = append(r.failed, f)
	r.mu.Unlock()
}

// print writes one line per failed record, in input order.
func (r *reasons) print(w io.Writer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	slices.SortStableFunc(r.failed, func(a, b failure) int { return cmp.Compare(a.position, b.position) })
	for _, f := range r.failed {
		fmt.Fprintf(w, "failed: record %d (%s): %s\n", f.position, f.id, f.reason)
	}
}

// message is err.Error(), under recover: a user's error type may panic.
func message(err error) (s string) {
	defer func() {
		if v := recover(); v != nil {
			s = fmt.Sprintf("%T (its Error method panicked: %v)", err, v)
		}
	}()
	return err.Error()
}
