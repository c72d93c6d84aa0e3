package core_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
)

// lateReader is a processor whose ProcessRecord, for record "stuck", waits
// for release whatever its context says, then reads the batch.
type lateReader struct {
	*core.Base[rec]
	release chan struct{}
	read    chan string
}

func (p lateReader) ProcessRecord(ctx context.Context, b *core.Batch[rec], i int) core.Outcome {
	if b.Records[i].id == "stuck" {
		<-p.release
		p.read <- b.Records[i].id // the batch is still this invocation's
	}
	return p.Base.ProcessRecord(ctx, b, i)
}

// TestReturnAtMarginProcess: through core.Process, with ReturnAtMargin, the
// invocation returns at the margin while a ProcessRecord still runs; that
// record is reported with an *UnhandledError (ErrStillRunning) (in the full-batch error's
// list when it is the only record), and Process does not reuse the batch the
// late ProcessRecord still reads (the race detector would see it: another
// Process runs before it is released).
func TestReturnAtMarginProcess(t *testing.T) {
	src := core.Source[rec]{Name: "test", Identify: func(r *rec) core.Identifier { return core.StringID(r.id) }}
	for _, concurrency := range []int{1, 3} {
		p := lateReader{
			Base:    core.NewBase(src, core.Options{Concurrency: concurrency, DeadlineMargin: 100 * time.Millisecond, ReturnAtMargin: true}),
			release: make(chan struct{}),
			read:    make(chan string, 1),
		}
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		resp, err := core.Process(ctx, p, []rec{{id: "ok"}, {id: "stuck"}, {id: "bad", fail: true}}, fpHandle)
		cancel()
		require.NoError(t, err)
		require.Equal(t, []core.Identifier{core.StringID("stuck"), core.StringID("bad")}, resp.Identifiers())

		ctx, cancel = context.WithTimeout(context.Background(), 500*time.Millisecond)
		_, err = core.Process(ctx, p, []rec{{id: "stuck"}}, fpHandle)
		cancel()
		var full *core.FullBatchFailureError
		require.ErrorAs(t, err, &full)
		require.True(t, errors.Is(full.Errors[0], core.ErrStillRunning), "%v", full.Errors[0])

		// Another invocation, then the late ones finish reading their batches.
		_, err = core.Process(context.Background(), p.Base, []rec{{id: "x"}, {id: "y"}, {id: "z"}, {id: "w"}}, fpHandle)
		require.NoError(t, err)
		close(p.release)
		require.Equal(t, "stuck", <-p.read)
		require.Equal(t, "stuck", <-p.read)
	}
}
