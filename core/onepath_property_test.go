package core_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/batchkit/batchkit/core"
)

// Behaviours of a record's handler in the one-path property test.
const (
	behOK = iota
	behError
	behPanic
	behGoexit
	behBlock       // waits for its context to be done, then returns its error
	behBlockIgnore // ignores its context: returns only when the test ends
)

type prec struct {
	id  string
	key string
	beh int
}

// embeddedBase is a custom processor: it embeds *Base and overrides nothing,
// so Run takes the general path (ProcessRecord, Batch.Handle), never the
// loops that call the handler themselves.
type embeddedBase struct{ *core.Base[prec] }

// observer is a hook that observes and changes nothing.
type observer struct {
	core.NopHook
	mu    sync.Mutex
	ended int
}

func (o *observer) RecordEnd(context.Context, core.RecordInfo) {
	o.mu.Lock()
	o.ended++
	o.mu.Unlock()
}

// run is what one invocation gave: the outcomes, the response, the error,
// and whether the caller's goroutine ended instead of Run returning.
type run struct {
	outcomes []string
	resp     string
	err      string
	goexited bool
}

// describe renders an outcome by what a caller can rely on: its status and
// the kind of its error (with the fields that identify it), leaving out what
// depends on the clock (time left) or the stack.
func describe(o core.Outcome) string {
	if o.Err == nil {
		return o.Status.String()
	}
	var (
		un *core.UnhandledError
		pe *core.PanicError
	)
	var what string
	switch {
	case errors.As(o.Err, &un) && un.Reason == core.ErrShortCircuit:
		what = fmt.Sprintf("short-circuit at=%d key=%q unknown=%t", un.FailedPosition, un.Key, un.KeyUnknown)
	case errors.As(o.Err, &un):
		what = un.Reason.Error() // deadline, canceled, still running, abandoned: without the clock
	case errors.As(o.Err, &pe):
		what = fmt.Sprintf("panic %v where=%q", pe.Value, pe.Where)
	default:
		what = fmt.Sprintf("%T %v", o.Err, o.Err)
	}
	return o.Status.String() + ": " + what
}

func describeErr(err error) string {
	if err == nil {
		return "<nil>"
	}
	var full *core.FullBatchFailureError
	if errors.As(err, &full) {
		parts := make([]string, len(full.Errors))
		for i, e := range full.Errors {
			parts[i] = describe(core.Failure(e))
		}
		return "full batch failure: " + strings.Join(parts, "; ")
	}
	return fmt.Sprintf("%T", err)
}

// TestOnePathPropertyHooksChangeNothing is the property of issue 24 §3: the
// same batch gives the same outcomes, response and error whether hooks are
// set or not, and whether the processor is a plain *Base (the loops that
// call the handler themselves) or a processor embedding one (ProcessRecord
// and Batch.Handle), over random handler behaviours (success, error, panic,
// runtime.Goexit, blocking until the deadline margin, and, under
// ReturnAtMargin, blocking past it whatever the context says), for every
// stop policy, sequential and concurrent, with and without ReturnAtMargin.
// Every success is a record whose handler returned nil.
func TestOnePathPropertyHooksChangeNothing(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // lets the handlers that ignore their context finish (after the parallel subtests)
	handler := func(ctx context.Context, r *prec) error {
		switch r.beh {
		case behError:
			return errors.New("fail " + r.id)
		case behPanic:
			panic("boom " + r.id)
		case behGoexit:
			runtime.Goexit()
		case behBlock:
			<-ctx.Done()
			return ctx.Err()
		case behBlockIgnore:
			<-release
			return nil
		}
		return nil
	}
	const margin = 250 * time.Millisecond
	invoke := func(p core.PartialProcessor[prec], recs []prec, viaProcess bool) run {
		// The window (deadline - margin) is when a blocked record is cut;
		// every other record must be done by then, on a loaded machine too.
		window := 5 * time.Second
		for _, r := range recs {
			if r.beh == behBlock || r.beh == behBlockIgnore {
				window = 300 * time.Millisecond
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), margin+window)
		defer cancel()
		b := core.NewBatch(recs, handler)
		var (
			resp     core.Response
			err      error
			returned bool
		)
		done := make(chan struct{})
		go func() {
			defer close(done)
			if viaProcess {
				resp, err = core.Process(ctx, p, recs, handler)
			} else {
				resp, err = core.Run(ctx, p, b)
			}
			returned = true
		}()
		<-done
		out := run{resp: fmt.Sprint(resp.Identifiers()), err: describeErr(err), goexited: !returned}
		if !viaProcess {
			for _, o := range b.Outcomes {
				out.outcomes = append(out.outcomes, describe(o))
			}
		}
		return out
	}
	rng := rand.New(rand.NewPCG(24, 3))
	keys := []string{"", "a", "b"}
	for _, stop := range []core.StopPolicy{core.StopNever, core.StopBatch, core.StopKey} {
		for _, concurrency := range []int{1, 4} {
			if stop == core.StopBatch && concurrency > 1 {
				continue // refused by the processors; the same as sequential in core
			}
			for _, atMargin := range []bool{false, true} {
				name := fmt.Sprintf("stop=%d/concurrency=%d/returnAtMargin=%v", stop, concurrency, atMargin)
				seed := rng.Uint64()
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					rng := rand.New(rand.NewPCG(seed, 1))
					for iter := range 12 {
						n := 1 + rng.IntN(10)
						recs := make([]prec, n)
						blocked := false
						for i := range recs {
							recs[i] = prec{id: fmt.Sprintf("r%d", i), key: keys[rng.IntN(len(keys))]}
							switch x := rng.IntN(20); {
							case x < 3:
								recs[i].beh = behError
							case x < 5:
								recs[i].beh = behPanic
							case x < 6 && (concurrency > 1 || atMargin):
								// Sequentially without ReturnAtMargin, Goexit
								// ends the caller's goroutine: covered below.
								recs[i].beh = behGoexit
							case x < 7 && !blocked && iter%3 == 0:
								// At most one blocking record: the others
								// then all finish well before the margin,
								// whatever the scheduling.
								blocked = true
								recs[i].beh = behBlock
								if atMargin {
									recs[i].beh = behBlockIgnore
								}
							}
						}
						if concurrency == 1 && !atMargin && iter%4 == 1 {
							recs[rng.IntN(n)].beh = behGoexit
						}
						src := core.Source[prec]{
							Name:     "prop",
							Identify: func(r *prec) core.Identifier { return core.StringID(r.id) },
							Key:      func(r *prec) string { return r.key },
							Stop:     stop,
						}
						variants := map[string]core.PartialProcessor[prec]{}
						for _, hooks := range []bool{false, true} {
							opts := core.Options{Concurrency: concurrency, DeadlineMargin: margin, ReturnAtMargin: atMargin}
							if hooks {
								opts.Hooks = []core.Hook{&observer{}}
							}
							base := core.NewBase(src, opts)
							variants[fmt.Sprintf("plain/hooks=%v", hooks)] = base
							variants[fmt.Sprintf("embedded/hooks=%v", hooks)] = embeddedBase{base}
						}
						want := invoke(variants["plain/hooks=false"], recs, false)
						for i, o := range want.outcomes {
							if strings.HasPrefix(o, "success") && recs[i].beh != behOK {
								t.Fatalf("record %d (behaviour %d) succeeded: %s", i, recs[i].beh, o)
							}
						}
						for vname, p := range variants {
							got := invoke(p, recs, false)
							if fmt.Sprint(got) != fmt.Sprint(want) {
								t.Fatalf("batch %+v: %s differs from plain/hooks=false:\n got  %+v\n want %+v", recs, vname, got, want)
							}
							viaProcess := invoke(p, recs, true)
							if viaProcess.resp != want.resp || viaProcess.err != want.err || viaProcess.goexited != want.goexited {
								t.Fatalf("batch %+v: Process with %s differs from Run:\n got  %+v\n want %+v", recs, vname, viaProcess, want)
							}
						}
					}
				})
			}
		}
	}
}
