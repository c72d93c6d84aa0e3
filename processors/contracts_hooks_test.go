package processors_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/batchkit/batchkit/firehose"
	"github.com/batchkit/batchkit/s3batch"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
)

// endHook records the errors its BatchEnd sees.
type endHook struct {
	core.NopHook
	mu   sync.Mutex
	errs []error
}

func (h *endHook) BatchEnd(_ context.Context, res core.BatchResult) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.errs = append(h.errs, res.Err)
	return nil
}

// TestFirehoseAndS3HooksSeeTheInvocationFail: the same defect in the
// contracts whose response is built after the records: a Firehose response
// that cannot fit, an S3 Batch Operations task without taskId. The
// invocation fails; the hooks must see it fail.
func TestFirehoseAndS3HooksSeeTheInvocationFail(t *testing.T) {
	ok := func(context.Context, *firehose.Record) (firehose.Result, error) {
		return firehose.Result{Drop: true}, nil
	}
	tests := []struct {
		name string
		run  func(hook core.Hook) error
		want error
	}{{
		name: "firehose response over its limit",
		run: func(hook core.Hook) error {
			cfg := firehose.Config{MaxResponseBytes: 20}
			cfg.Hooks = []core.Hook{hook}
			p, err := firehose.New(cfg)
			require.NoError(t, err)
			ev := firehose.Event{Records: []firehose.Record{{RecordID: "r0", Data: []byte("x")}}}
			_, err = firehose.Process(context.Background(), p, ev, ok)
			return err
		},
		want: firehose.ErrResponseSize,
	}, {
		name: "s3 task without taskId",
		run: func(hook core.Hook) error {
			p := core.Must(s3batch.New(s3batch.Config{Options: core.Options{Hooks: []core.Hook{hook}}}))
			ev := s3batch.Event{InvocationSchemaVersion: "1.0", Tasks: []s3batch.Task{{S3Key: "k"}}}
			_, err := s3batch.Process(context.Background(), p, ev, func(context.Context, *s3batch.Task) (string, error) {
				return "", errors.New("failed")
			})
			return err
		},
		want: core.ErrUnidentifiableFailure,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hook := &endHook{}
			err := tt.run(hook)
			require.ErrorIs(t, err, tt.want)
			require.Len(t, hook.errs, 1)
			require.ErrorIs(t, hook.errs[0], tt.want, "the hooks saw the invocation end with %v", hook.errs[0])
		})
	}
}
