// Package invocationhook carries one extra hook in a context, for one
// invocation: the local runner of package lambdamain adds one that collects
// each failure's reason to print beside the response, without the user's
// processor knowing. core's lifecycle appends it to the processor's hooks;
// like every hook it changes no outcome and no response. The value is typed
// any so that core can import this package (the hook is a core.Hook).
package invocationhook

import (
	"context"
	"sync/atomic"
)

type key struct{}

// used is set by the first With: until then (always, in a function under
// Lambda) From returns at once, without a context lookup.
var used atomic.Bool

// With returns ctx carrying h, a core.Hook.
func With(ctx context.Context, h any) context.Context {
	used.Store(true)
	return context.WithValue(ctx, key{}, h)
}

// From returns the hook ctx carries, or nil.
func From(ctx context.Context) any {
	if !used.Load() {
		return nil
	}
	return ctx.Value(key{})
}
