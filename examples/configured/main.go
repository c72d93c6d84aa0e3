// Command configured is an SQS-triggered Lambda function whose processor is
// chosen only by its environment, so that one build serves a standard queue,
// a FIFO queue, or a FIFO queue that skips only the failed message group,
// with hooks on or off:
//
//	BATCHKIT_PROCESSOR=sqs                                      standard queue
//	BATCHKIT_PROCESSOR=sqs-fifo                                 FIFO: stop at the first failure
//	BATCHKIT_PROCESSOR=sqs-fifo BATCHKIT_SKIP_GROUP_ON_ERROR=true   FIFO: stop only the failed group
//	BATCHKIT_HOOKS=log                                          log one line per failed record
//
// (every variable is in the table of docs/configuration.md). An invalid
// setting, or a misspelt variable, stops the function at start-up with a
// message naming the variable; the function's own BATCHKIT_* variables
// are logged once and left alone.
//
// The function registers one hook, "log", which writes one slog line per
// failed record, so that turning hooks on and off shows.
//
// Outside Lambda, `go run ./examples/configured` processes the bundled FIFO
// sample event (event.json: five orders in two message groups, the second
// order invalid) and prints the partial batch response, which changes with
// the variables:
//
//	BATCHKIT_PROCESSOR=sqs go run ./examples/configured
//	BATCHKIT_PROCESSOR=sqs-fifo BATCHKIT_SKIP_GROUP_ON_ERROR=true BATCHKIT_HOOKS=log go run ./examples/configured
//
// When BATCHKIT_PROCESSOR is unset outside Lambda, the local run says so and
// uses sqs-fifo; under Lambda it is required.
package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/batchkit/batchkit/config"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

//go:embed event.json
var sampleEvent []byte

// logOutput is where the "log" hook writes (tests capture it).
var logOutput io.Writer = os.Stderr

func init() {
	config.RegisterHook("log", func() (core.Hook, error) {
		return failureLog{logger: slog.New(slog.NewTextHandler(logOutput, nil))}, nil
	})
}

// failureLog is the "log" hook: one warning line per failed record.
type failureLog struct {
	core.NopHook
	logger *slog.Logger
}

// RecordEnd logs a failed or not-started record.
func (h failureLog) RecordEnd(ctx context.Context, info core.RecordInfo) {
	if !info.Outcome.Failed() {
		return
	}
	h.logger.LogAttrs(ctx, slog.LevelWarn, "record failed",
		slog.String("messageId", info.Identifier.String()),
		slog.String("group", info.Key),
		slog.Int("position", info.Position),
		slog.String("status", info.Outcome.Status.String()),
		slog.Any("error", info.Outcome.Err))
}

// Order is a message body.
type Order struct {
	OrderID  string `json:"orderId"`
	Quantity int    `json:"quantity"`
}

// Validate refuses an order without a positive quantity.
func (o *Order) Validate() error {
	if o.Quantity <= 0 {
		return fmt.Errorf("order %q: quantity must be positive, got %d", o.OrderID, o.Quantity)
	}
	return nil
}

// handleOrder handles one valid order.
func handleOrder(ctx context.Context, order Order, msg *events.SQSMessage) error {
	slog.DebugContext(ctx, "order", "messageId", msg.MessageId, "orderId", order.OrderID)
	return nil
}

// newHandler builds the Lambda handler from environ ("NAME=value" entries;
// nil: the process environment): the processor is opened once, at
// start-up, and reused.
func newHandler(environ []string) (core.LambdaHandler[core.Response], error) {
	processor, err := config.OpenEnv[events.SQSMessage](environ)
	if err != nil {
		return nil, err
	}
	return processors.SQSHandler(processor, processors.SQSJSON(handleOrder)), nil
}

// environment is the process environment, except that outside Lambda an
// unset BATCHKIT_PROCESSOR is reported on stderr and taken as "sqs-fifo",
// the sample event's queue type.
func environment() []string {
	environ := os.Environ()
	if _, set := os.LookupEnv("BATCHKIT_PROCESSOR"); !set && !batchtest.InLambda() {
		fmt.Fprintln(os.Stderr, "BATCHKIT_PROCESSOR is unset: this local run uses sqs-fifo (set it to sqs or sqs-fifo; under Lambda it is required)")
		environ = append(environ, "BATCHKIT_PROCESSOR=sqs-fifo")
	}
	return environ
}

func main() {
	handler, err := newHandler(environment())
	if err != nil {
		// Under Lambda this fails the function's initialisation, and the
		// message names the variable to fix.
		var envErr *config.EnvError
		if errors.As(err, &envErr) {
			slog.Error("invalid configuration", "variable", envErr.Variable, "error", err)
		} else {
			slog.Error("invalid configuration", "error", err)
		}
		os.Exit(1)
	}
	batchtest.Main(handler, sampleEvent)
}
