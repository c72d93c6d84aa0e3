package firehose_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/firehose"
	"github.com/batchkit/batchkit/internal/contracttest"
)

// With core.Options.ReturnAtMargin, a handler that ignores its context
// does not hold the invocation: its record is ProcessingFailed at the
// margin and the others keep their results.
func TestFirehoseReturnAtMarginFailsAHandlerThatNeverReturns(t *testing.T) {
	p := core.Must(firehose.New(firehose.Config{Options: core.Options{DeadlineMargin: 50 * time.Millisecond, ReturnAtMargin: true, Concurrency: 2}}))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	release := make(chan struct{})
	resp, err := firehose.Process(ctx, p, contracttest.FirehoseEvent("a", "block", "c"), func(_ context.Context, r *firehose.Record) (firehose.Result, error) {
		if string(r.Payload()) == "block" {
			<-release
		}
		return firehose.Result{Data: r.Payload()}, nil
	})
	close(release)
	time.Sleep(50 * time.Millisecond)
	require.NoError(t, err)
	require.Equal(t, []string{"Ok", "ProcessingFailed", "Ok"}, contracttest.Results(resp))
}
