package core_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/batchkit/batchkit/core"
)

// With ReturnAtMargin, the invocation returns at the deadline margin even
// though a handler ignores its context: that record is reported failed with
// an *UnhandledError (ErrStillRunning), and its goroutine is left to finish.
func ExampleOptions_returnAtMargin() {
	type job struct{ ID string }
	p := core.NewBase(core.Source[job]{
		Name:     "jobs",
		Identify: func(j *job) core.Identifier { return core.StringID(j.ID) },
	}, core.Options{DeadlineMargin: 50 * time.Millisecond, ReturnAtMargin: true})

	release := make(chan struct{})
	defer close(release) // the stuck handler finishes after the response
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	b := core.NewBatch([]job{{"j1"}, {"stuck"}}, func(_ context.Context, j *job) error {
		if j.ID == "stuck" {
			<-release // a call that takes no context
		}
		return nil
	})
	resp, err := core.Run(ctx, p, b)
	fmt.Println(resp.Identifiers(), err)
	fmt.Println(errors.Is(b.Outcomes[1].Err, core.ErrStillRunning))
	// Output:
	// [stuck] <nil>
	// true
}
