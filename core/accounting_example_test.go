package core_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	"github.com/batchkit/batchkit/core"
)

// A handler that ends its goroutine instead of returning (runtime.Goexit,
// as t.FailNow and testify's require do) never counts as a success: under
// concurrency its record is reported failed with an UnhandledError whose
// Reason is ErrAbandoned.
func ExampleUnhandledError_abandoned() {
	type job struct{ ID string }
	p := core.NewBase(core.Source[job]{
		Name:     "jobs",
		Identify: func(j *job) core.Identifier { return core.StringID(j.ID) },
	}, core.Options{Concurrency: 2})
	b := core.NewBatch([]job{{"j1"}, {"j2"}}, func(_ context.Context, j *job) error {
		if j.ID == "j2" {
			runtime.Goexit()
		}
		return nil
	})
	resp, err := core.Run(context.Background(), p, b)
	fmt.Println(resp.Identifiers(), err, errors.Is(b.Outcomes[1].Err, core.ErrAbandoned))
	// Output: [j2] <nil> true
}

// A record whose ordering key cannot be read (it did not decode) stops every
// later record with a key under StopKey: any of them may share it.
func ExampleBatch_FailUnknownKey() {
	type msg struct{ ID, Group string }
	p := core.NewBase(core.Source[msg]{
		Name:     "fifo",
		Identify: func(m *msg) core.Identifier { return core.StringID(m.ID) },
		Key:      func(m *msg) string { return m.Group },
		Stop:     core.StopKey,
	}, core.Options{})
	b := core.NewBatch([]msg{{"m1", "a"}, {"m2", ""}, {"m3", "b"}, {"m4", ""}}, func(context.Context, *msg) error { return nil })
	b.FailUnknownKey(1, errors.New("does not decode"))
	resp, err := core.Run(context.Background(), p, b)
	fmt.Println(resp.Identifiers(), err)
	// Output: [m2 m3] <nil>
}

// Whatever a custom processor's Response returns is checked before it
// leaves: an identifier that is not one of the batch's fails the invocation
// instead of making Lambda fail the batch silently.
func ExampleProcess_invalidResponse() {
	type job struct{ ID string }
	p := core.NewBase(core.Source[job]{
		Name:     "jobs",
		Identify: func(j *job) core.Identifier { return core.StringID(j.ID) },
	}, core.Options{})
	_, err := core.Process(context.Background(), wrongIDs[job]{p}, []job{{"j1"}}, func(context.Context, *job) error { return nil })
	fmt.Println(errors.Is(err, core.ErrInvalidResponse))
	// Output: true
}

// wrongIDs reports an identifier of another batch.
type wrongIDs[R any] struct{ *core.Base[R] }

func (wrongIDs[R]) Response(context.Context, *core.Batch[R]) (core.Response, error) {
	return core.Response{BatchItemFailures: []core.BatchItemFailure{{ItemIdentifier: core.StringID("j9")}}}, nil
}
