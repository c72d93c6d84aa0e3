package core_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
)

type batchValueKey struct{}

// valueHook puts a value in the batch context.
type valueHook struct{ core.NopHook }

func (valueHook) BatchStart(ctx context.Context, _ core.BatchInfo) context.Context {
	return context.WithValue(ctx, batchValueKey{}, "batch")
}

// ctxSeer records what each lifecycle method sees in its context.
type ctxSeer struct {
	*core.Base[rec]
	mu   sync.Mutex
	seen map[string]any
}

func (p *ctxSeer) see(method string, ctx context.Context) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen[method] = ctx.Value(batchValueKey{})
}

func (p *ctxSeer) Prepare(ctx context.Context, b *core.Batch[rec]) error {
	p.see("Prepare", ctx)
	return p.Base.Prepare(ctx, b)
}

func (p *ctxSeer) ProcessRecord(ctx context.Context, b *core.Batch[rec], i int) core.Outcome {
	p.see("ProcessRecord", ctx)
	return p.Base.ProcessRecord(ctx, b, i)
}

func (p *ctxSeer) Clean(ctx context.Context, b *core.Batch[rec]) error {
	p.see("Clean", ctx)
	return nil
}

func (p *ctxSeer) Response(ctx context.Context, b *core.Batch[rec]) (core.Response, error) {
	p.see("Response", ctx)
	return p.Base.Response(ctx, b)
}

// TestLifecycleMethodsShareTheBatchContext: Prepare, ProcessRecord, Clean
// and Response all get the batch context (here, the one a hook's BatchStart
// returned); Prepare used to get the invocation's.
func TestLifecycleMethodsShareTheBatchContext(t *testing.T) {
	src := core.Source[rec]{Name: "test", Identify: func(r *rec) core.Identifier { return core.StringID(r.id) }}
	p := &ctxSeer{Base: core.NewBase(src, core.Options{Hooks: []core.Hook{valueHook{}}}), seen: map[string]any{}}
	_, err := core.Process(context.Background(), p, []rec{{id: "a"}}, fpHandle)
	require.NoError(t, err)
	require.Equal(t, map[string]any{"Prepare": "batch", "ProcessRecord": "batch", "Clean": "batch", "Response": "batch"}, p.seen)
}

// TestRunDoesNotWriteThePlan: a Planner whose plan does not follow NewBase's
// rules (StopKey without OrderByKey) is scheduled by them, and Run leaves
// the processor's plan as it was.
func TestRunDoesNotWriteThePlan(t *testing.T) {
	pl := &rawPlanner{src: core.Source[rec]{
		Name: "test", Identify: func(r *rec) core.Identifier { return core.StringID(r.id) },
		Key: func(*rec) string { return "k" }, Stop: core.StopKey,
	}, opts: core.Options{Concurrency: 4}}
	resp, err := core.Process(context.Background(), pl, []rec{{id: "a", fail: true}, {id: "b"}}, fpHandle)
	require.NoError(t, err)
	require.Equal(t, []core.Identifier{core.StringID("a"), core.StringID("b")}, resp.Identifiers())
	require.False(t, pl.src.OrderByKey, "Run wrote the processor's source")
}

// rawPlanner is a processor with a Source and Options of its own, not built
// by NewBase.
type rawPlanner struct {
	src  core.Source[rec]
	opts core.Options
}

func (p *rawPlanner) Source() core.Source[rec] { return p.src }
func (p *rawPlanner) Options() core.Options    { return p.opts }
func (p *rawPlanner) Prepare(context.Context, *core.Batch[rec]) error {
	return nil
}
func (p *rawPlanner) ProcessRecord(ctx context.Context, b *core.Batch[rec], i int) core.Outcome {
	return b.Handle(ctx, i)
}
func (p *rawPlanner) Clean(context.Context, *core.Batch[rec]) error { return nil }
func (p *rawPlanner) Response(_ context.Context, b *core.Batch[rec]) (core.Response, error) {
	return core.BuildResponse(b, p.src.Identify, true)
}
