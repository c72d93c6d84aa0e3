package s3batch_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/contracttest"
	"github.com/batchkit/batchkit/s3batch"
)

// With core.Options.ReturnAtMargin, a handler that ignores its context does
// not hold the invocation: its task is a TemporaryFailure at the margin and
// the others keep their results.
func TestS3BatchReturnAtMarginFailsAHandlerThatNeverReturns(t *testing.T) {
	p := core.Must(s3batch.New(s3batch.Config{Options: core.Options{DeadlineMargin: 50 * time.Millisecond, ReturnAtMargin: true, Concurrency: 2}}))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	release := make(chan struct{})
	resp, err := s3batch.Process(ctx, p, contracttest.S3Event("a", "block", "c"), func(_ context.Context, task *s3batch.Task) (string, error) {
		if task.Key == "block" {
			<-release
		}
		return "done " + task.Key, nil
	})
	close(release)
	require.NoError(t, err)
	codes := make([]string, len(resp.Results))
	for i, r := range resp.Results {
		codes[i] = r.ResultCode
	}
	require.Equal(t, []string{s3batch.Succeeded, s3batch.TemporaryFailure, s3batch.Succeeded}, codes)
}
