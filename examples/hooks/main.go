// Command hooks is an SQS-triggered Lambda function with the three batchkit
// hook modules enabled on its processor, one line each:
//
//   - hooks/sentry reports every failed message to Sentry (set SENTRY_DSN;
//     without it the Sentry client is a no-op), tagged with its message id,
//     receive count and message group, and flushes before the response;
//   - hooks/otel traces the batch and each message with OpenTelemetry,
//     linking each message's span to its producer (the AWSTraceHeader and
//     traceparent of the sample event), and counts records;
//   - hooks/metrics writes one CloudWatch Embedded Metric Format document
//     per batch to stdout: ProcessedRecords, FailedRecords, BatchDuration.
//
// Outside Lambda, `go run .` in examples/hooks processes the bundled sample
// event (event.json): the EMF document and the partial batch response go to
// stdout, and the spans are printed on stderr. Pass another event file as the
// first argument to process it instead.
package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/hooks/metrics"
	batchotel "github.com/batchkit/batchkit/hooks/otel"
	batchsentry "github.com/batchkit/batchkit/hooks/sentry"
	"github.com/batchkit/batchkit/lambdamain"
	"github.com/batchkit/batchkit/processors"
)

//go:embed event.json
var sampleEvent []byte

// Order is the message body.
type Order struct {
	Message string `json:"Message"`
}

// processor is created once and reused by every invocation.
var handler = newHandler(os.Stdout)

// newProcessor returns the SQS processor with the three hooks, writing the
// EMF documents to metricsOut (stdout in Lambda).
func newProcessor(metricsOut io.Writer) *processors.SQSProcessor {
	return core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{batchsentry.New(), batchotel.New(batchotel.WithForceFlush(2 * time.Second)), metrics.New("BatchkitExample", metrics.WithService("orders"), metrics.WithWriter(metricsOut))}}}))
}

// handleOrder handles one decoded message.
func handleOrder(ctx context.Context, order Order, msg *events.SQSMessage) error {
	if order.Message == "" {
		return errors.New("order has no Message")
	}
	slog.DebugContext(ctx, "order", "messageId", msg.MessageId, "message", order.Message)
	return nil
}

// handler is the Lambda handler: it returns the partial batch response.
// newHandler builds it, with the metrics hook writing to metricsOut.
func newHandler(metricsOut io.Writer) core.LambdaHandler[core.Response] {
	return processors.SQSHandler(newProcessor(metricsOut), processors.SQSJSON(handleOrder))
}

func main() {
	// With SENTRY_DSN unset, Sentry captures nothing and sends nothing.
	if err := sentry.Init(sentry.ClientOptions{Dsn: os.Getenv("SENTRY_DSN")}); err != nil {
		fmt.Fprintln(os.Stderr, "sentry:", err)
		os.Exit(1)
	}
	if os.Getenv("AWS_LAMBDA_RUNTIME_API") == "" {
		// Locally, print the spans on stderr. In Lambda, install your
		// OpenTelemetry SDK and exporter here instead (for example the ADOT
		// collector's OTLP endpoint) with otel.SetTracerProvider and
		// otel.SetMeterProvider.
		tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spanPrinter{os.Stderr}))
		otel.SetTracerProvider(tp)
		defer func() { _ = tp.Shutdown(context.Background()) }()
	}
	lambdamain.Start(handler, sampleEvent)
}

// spanPrinter is a span exporter that prints one line per span.
type spanPrinter struct{ w io.Writer }

// ExportSpans prints each span's name, kind, status and links.
func (p spanPrinter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	for _, s := range spans {
		kind := "record"
		if !s.Parent().IsValid() {
			kind = "batch "
		}
		fmt.Fprintf(p.w, "span %s %q trace=%s status=%s links=%d\n", kind, s.Name(), s.SpanContext().TraceID(), s.Status().Code, len(s.Links()))
	}
	return nil
}

// Shutdown does nothing.
func (spanPrinter) Shutdown(context.Context) error { return nil }
