package logging_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/hooks/logging"
)

// BenchmarkRecordEnd: a success costs a branch; a failure one log record
// through a JSON handler writing to io.Discard.
func BenchmarkRecordEnd(b *testing.B) {
	hook := logging.New(logging.Config{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	ctx := context.Background()
	ok := core.RecordInfo{Position: 3, Identifier: core.Identifier{ID: "m-3"}, EventSource: "aws:sqs", Outcome: core.Success(nil)}
	failed := ok
	failed.Outcome = core.Failure(errors.New("declined"))
	b.Run("success", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			hook.RecordEnd(ctx, ok)
		}
	})
	b.Run("failure", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			hook.RecordEnd(ctx, failed)
		}
	})
}
