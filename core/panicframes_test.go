package core

import (
	"context"
	"strings"
	"testing"
)

func TestPanicErrorFramesStartAtThePanic(t *testing.T) {
	b := NewBatch([]int{1}, func(ctx context.Context, r *int) error { panicHere(); return nil })
	o := b.Handle(context.Background(), 0)
	pe, ok := o.Err.(*PanicError)
	if !ok {
		t.Fatalf("got %v", o.Err)
	}
	f, _ := pe.Frames().Next()
	if !strings.HasSuffix(f.Function, "core.panicHere") {
		t.Fatalf("first frame %q, want panicHere", f.Function)
	}
}

func panicHere() { panic("boom") }
