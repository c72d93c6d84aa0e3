package finish

import (
	"context"

	"github.com/batchkit/batchkit/core"
)

// Finisher runs a contract's own work after the records (finish: build the
// Firehose or S3 Batch Operations response, rebuild, encode and publish a
// window's state) as its processor's Clean, inside core.Run, so that the
// hooks' BatchEnd sees finish's error: hooks see every invocation that
// fails, with its error. The entries use it only when hooks are set: a
// plain *core.Base keeps core.Run's sequential fast path otherwise.
type Finisher[R any] struct {
	core.PartialProcessor[R]
	Finish func() error
}

// Plan forwards the wrapped processor's plan (source and options).
func (w Finisher[R]) Plan() core.Plan[R] {
	return w.PartialProcessor.(core.Planner[R]).Plan()
}

// Clean runs the wrapped processor's Clean, then finish.
func (w Finisher[R]) Clean(ctx context.Context, b *core.Batch[R]) error {
	if err := w.PartialProcessor.Clean(ctx, b); err != nil {
		return err
	}
	return w.Finish()
}

// Run runs b with p and then finish: inside the lifecycle (see
// [Finisher]) when p has hooks, after it otherwise. A finish error is
// returned as it is, before core.Run's own.
func Run[R any](ctx context.Context, p *core.Base[R], b *core.Batch[R], finish func() error) error {
	if len(p.Options().Hooks) == 0 {
		if _, err := core.Run(ctx, p, b); err != nil {
			return err
		}
		return finish()
	}
	var finishErr error
	finished := false
	_, err := core.Run(ctx, Finisher[R]{PartialProcessor: p, Finish: func() error {
		finished, finishErr = true, finish()
		return finishErr
	}}, b)
	if finishErr != nil {
		return finishErr
	}
	if err != nil {
		return err
	}
	if !finished {
		return finish()
	}
	return nil
}
