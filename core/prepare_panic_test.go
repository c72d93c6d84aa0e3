package core_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
)

// A panic in Prepare (here a Source.EventSource that panics, called by a
// plain Base's Prepare) fails the invocation with a *PanicError naming
// Prepare, before any handler runs; the hooks still see the batch end.
func TestPreparePanicNamesPrepare(t *testing.T) {
	log := &callLog{}
	src := itemSource(core.StopNever, false)
	src.EventSources = []string{"test"}
	src.EventSource = func(*item) string { panic("event source bug") }
	for _, opts := range []core.Options{{}, {Concurrency: 4}, {Hooks: []core.Hook{recorder{name: "h", log: log}}}} {
		ran := false
		p := core.NewBase(src, opts)
		resp, err := core.Process(context.Background(), p, items("a", "b"), func(context.Context, *item) error {
			ran = true
			return nil
		})
		require.ErrorIs(t, err, core.ErrPanic)
		var pe *core.PanicError
		require.ErrorAs(t, err, &pe)
		require.Equal(t, "Prepare", pe.Where)
		require.Equal(t, "event source bug", pe.Value)
		require.Empty(t, resp.BatchItemFailures)
		require.False(t, ran)
	}
	ends := log.method("BatchEnd")
	require.Len(t, ends, 1)
	require.ErrorIs(t, ends[0].Result.Err, core.ErrPanic)
}
