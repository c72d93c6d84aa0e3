package logging_test

import (
	"context"
	"errors"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/hooks/logging"
	"github.com/batchkit/batchkit/processors"
)

func Example() {
	// A text handler without the time, so the output is stable; in a
	// function, slog.NewJSONHandler(os.Stdout, nil) gives CloudWatch one
	// JSON line per record.
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "duration" {
				return slog.Attr{}
			}
			return a
		},
	}))
	hook := logging.New(logging.Config{Logger: logger})
	processor := core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{hook}}}))

	event := batchtest.SQSEvent("ok", "bad")
	_, _ = core.Process(context.Background(), processor, event.Records, func(_ context.Context, m *events.SQSMessage) error {
		if m.Body == "bad" {
			return errors.New("bad message")
		}
		return nil
	})
	// Output:
	// level=ERROR msg="batchkit: record failed" event_source=aws:sqs identifier=5eed0001-0000-4000-8000-000000000001 position=1 error="bad message" error_types=[*errors.errorString]
	// level=INFO msg="batchkit: batch processed" event_source=aws:sqs records=2 succeeded=1 failed=1
}
