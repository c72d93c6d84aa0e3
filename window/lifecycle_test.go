package window_test

import (
	"context"
	"encoding/json"
	"errors"
	"go/parser"
	"go/token"
	"io/fs"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/contracttest"
	"github.com/batchkit/batchkit/window"
)

// endHook records what its BatchEnd sees.
type endHook struct {
	core.NopHook
	mu   sync.Mutex
	ends []core.BatchResult
}

func (h *endHook) BatchEnd(_ context.Context, res core.BatchResult) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ends = append(h.ends, res)
	return nil
}

func (h *endHook) errs() []error {
	h.mu.Lock()
	defer h.mu.Unlock()
	errs := make([]error, len(h.ends))
	for i, e := range h.ends {
		errs[i] = e.Err
	}
	return errs
}

// panicState is a window state whose UnmarshalJSON or MarshalJSON panics
// when its incoming JSON asks for it.
type panicState struct {
	N     int    `json:"n"`
	Panic string `json:"panic,omitempty"`
}

func (s *panicState) UnmarshalJSON(b []byte) error {
	if strings.Contains(string(b), `"panic":"decode"`) {
		panic("UnmarshalJSON blew up")
	}
	type plain panicState
	return json.Unmarshal(b, (*plain)(s))
}

func (s panicState) MarshalJSON() ([]byte, error) {
	if s.Panic == "encode" {
		panic("MarshalJSON blew up")
	}
	type plain panicState
	return json.Marshal(plain(s))
}

var countPanicState = window.Aggregate[events.KinesisEventRecord, panicState]{
	Fold: func(_ context.Context, s *panicState, _ *events.KinesisEventRecord) error { s.N++; return nil },
}

// Issue 18 §3: a state type whose UnmarshalJSON or MarshalJSON panics fails
// the invocation with a *core.PanicError naming the place, never crashes
// the process (before, the state was decoded before the lifecycle started,
// outside any recover), and hooks see the failed invocation.
func TestWindowStateMethodPanics(t *testing.T) {
	for _, tc := range []struct{ state, where string }{
		{`{"n":1,"panic":"decode"}`, "window state UnmarshalJSON"},
		{`{"n":1,"panic":"encode"}`, "window state MarshalJSON"},
	} {
		t.Run(tc.where, func(t *testing.T) {
			for _, hooked := range []bool{false, true} {
				hook := &endHook{}
				var cfg window.Config
				if hooked {
					cfg.Hooks = []core.Hook{hook}
				}
				p := core.Must(window.NewKinesis(cfg))
				ev := contracttest.WindowEvent(tc.state, true, "a", "b")
				raw := contracttest.JSON(t, ev)
				for _, run := range []func() (window.Response, error){
					func() (window.Response, error) {
						return contracttest.ProcessKinesisWindow(context.Background(), p, ev, countPanicState)
					},
					func() (window.Response, error) {
						return window.KinesisHandler(p, countPanicState)(context.Background(), raw)
					},
				} {
					_, err := run()
					var pe *core.PanicError
					require.ErrorAs(t, err, &pe)
					require.Equal(t, tc.where, pe.Where)
					require.ErrorIs(t, err, window.ErrState)
				}
				if hooked {
					errs := hook.errs()
					require.Len(t, errs, 2, "hooks see each invocation end")
					for _, e := range errs {
						require.ErrorIs(t, e, window.ErrState)
					}
				}
			}
		})
	}
}

// Fold and Publish panics were already recovered: a Fold panic fails its
// record, a Publish panic the invocation, and a Fold that panics while the
// state is rebuilt fails the invocation; each a *core.PanicError.
func TestWindowFoldAndPublishPanicsAreRecovered(t *testing.T) {
	p := core.Must(window.NewKinesis(window.Config{}))
	resp, err := contracttest.ProcessKinesisWindow(context.Background(), p, contracttest.WindowEvent(`{}`, false, "a", "panic", "b"), kinesisAgg{Fold: contracttest.CountByKey(nil)})
	require.NoError(t, err)
	require.Len(t, resp.BatchItemFailures, 2)

	_, err = contracttest.ProcessKinesisWindow(context.Background(), p, contracttest.WindowEvent(`{}`, true, "a"), kinesisAgg{Fold: contracttest.CountByKey(nil),
		Publish: func(context.Context, map[string]int, window.Properties) error { panic("sink") }})
	var pe *core.PanicError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "window Publish", pe.Where)
	require.ErrorIs(t, err, window.ErrPublish)

	folds := 0
	_, err = contracttest.ProcessKinesisWindow(context.Background(), p, contracttest.WindowEvent(`{}`, false, "a", "fail"), kinesisAgg{
		Fold: func(_ context.Context, s *map[string]int, r *events.KinesisEventRecord) error {
			folds++
			if *s == nil {
				*s = map[string]int{}
			}
			(*s)["n"]++
			if folds > 2 {
				panic("not a pure fold")
			}
			if string(r.Kinesis.Data) == "fail" {
				return errors.New("bad")
			}
			return nil
		}})
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "window Fold (rebuilding the state)", pe.Where)
	require.ErrorIs(t, err, window.ErrState)
}

// Issue 18 §4: invocations refused before any record is folded (another
// event source, no Records array, a state that does not decode, an
// aggregate without Fold) reach the hooks, with their error.
func TestWindowRefusedInvocationsReachHooks(t *testing.T) {
	agg := kinesisAgg{Fold: contracttest.CountByKey(nil)}
	wrongSource := contracttest.WindowEvent(`{}`, false, "a")
	wrongSource.Records[0].EventSource = "aws:sqs"
	for _, tc := range []struct {
		name string
		run  func(p *window.Processor[events.KinesisEventRecord]) error
		want error
	}{
		{"wrong source", func(p *window.Processor[events.KinesisEventRecord]) error {
			_, err := contracttest.ProcessKinesisWindow(context.Background(), p, wrongSource, agg)
			return err
		}, core.ErrEventSourceMismatch},
		{"no Records", func(p *window.Processor[events.KinesisEventRecord]) error {
			_, err := window.KinesisHandler(p, agg)(context.Background(), json.RawMessage(`{"state":{}}`))
			return err
		}, core.ErrUnexpectedBatchType},
		{"state does not decode", func(p *window.Processor[events.KinesisEventRecord]) error {
			_, err := contracttest.ProcessKinesisWindow(context.Background(), p, contracttest.WindowEvent(`[1]`, false, "a"), agg)
			return err
		}, window.ErrState},
		{"state does not decode, raw", func(p *window.Processor[events.KinesisEventRecord]) error {
			_, err := window.KinesisHandler(p, agg)(context.Background(), contracttest.JSON(t, contracttest.WindowEvent(`"x"`, false, "a")))
			return err
		}, window.ErrState},
		{"no Fold", func(p *window.Processor[events.KinesisEventRecord]) error {
			_, err := contracttest.ProcessKinesisWindow(context.Background(), p, contracttest.WindowEvent(`{}`, false, "a"), kinesisAgg{})
			return err
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hook := &endHook{}
			p := core.Must(window.NewKinesis(window.Config{Options: core.Options{Hooks: []core.Hook{hook}}}))
			err := tc.run(p)
			require.Error(t, err)
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
			}
			errs := hook.errs()
			require.Len(t, errs, 1, "the hooks saw the refused invocation")
			require.Equal(t, err, errs[0])
		})
	}
}

// Issue 24 §3, one lifecycle: the window's own work after the records
// (rebuild, encode, size check, publish) runs the same way with hooks on
// and off, so every outcome, response and error, is the same, and hooks see
// the invocation end with the error the caller gets.
func TestWindowHooksOnAndOffAgree(t *testing.T) {
	okFold := func(_ context.Context, s *map[string]int, r *events.KinesisEventRecord) error {
		return contracttest.CountByKey(nil)(context.Background(), s, r)
	}
	cases := []struct {
		name   string
		cfg    window.Config
		ev     window.Event[events.KinesisEventRecord]
		agg    kinesisAgg
		rawEv  string
		hasErr bool
	}{
		{name: "success, final", ev: contracttest.WindowEvent(`{"pk":1}`, true, "a", "b"), agg: kinesisAgg{Fold: okFold,
			Publish: func(context.Context, map[string]int, window.Properties) error { return nil }}},
		{name: "failure mid shard", ev: contracttest.WindowEvent(`{"pk":1}`, true, "a", "fail", "b"), agg: kinesisAgg{Fold: okFold}},
		{name: "panic mid shard", ev: contracttest.WindowEvent(`{}`, false, "a", "panic", "b"), agg: kinesisAgg{Fold: okFold}},
		{name: "all failed", ev: contracttest.WindowEvent(`{}`, false, "fail"), agg: kinesisAgg{Fold: okFold}, hasErr: true},
		{name: "all failed, suppressed", cfg: window.Config{Options: core.Options{SuppressFullBatchError: true}}, ev: contracttest.WindowEvent(`{"pk":4}`, false, "fail", "b"), agg: kinesisAgg{Fold: okFold}},
		{name: "publish fails", ev: contracttest.WindowEvent(`{}`, true, "a"), agg: kinesisAgg{Fold: okFold,
			Publish: func(context.Context, map[string]int, window.Properties) error { return errors.New("sink down") }}, hasErr: true},
		{name: "publish panics", ev: contracttest.WindowEvent(`{}`, true, "a"), agg: kinesisAgg{Fold: okFold,
			Publish: func(context.Context, map[string]int, window.Properties) error { panic("sink bug") }}, hasErr: true},
		{name: "state too large", cfg: window.Config{MaxStateBytes: 5}, ev: contracttest.WindowEvent(`{}`, true, "a"), agg: kinesisAgg{Fold: okFold}, hasErr: true},
		{name: "state does not decode", ev: contracttest.WindowEvent(`"x"`, false, "a"), agg: kinesisAgg{Fold: okFold}, hasErr: true},
		{name: "undecodable record", rawEv: `{"Records":[{"eventSource":"aws:kinesis","kinesis":{"partitionKey":"pk","sequenceNumber":"1","data":"YQ=="}},
			{"eventSource":"aws:kinesis","kinesis":{"partitionKey":"pk","sequenceNumber":"2","data":"%%%"}}],"state":{"pk":1}}`, agg: kinesisAgg{Fold: okFold}},
		{name: "no Records", rawEv: `{"state":{}}`, agg: kinesisAgg{Fold: okFold}, hasErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			type outcome struct {
				resp, err string
			}
			run := func(hooked bool) (typed, raw outcome, hook *endHook) {
				hook = &endHook{}
				cfg := tc.cfg
				if hooked {
					cfg.Hooks = []core.Hook{hook}
				}
				p := core.Must(window.NewKinesis(cfg))
				show := func(resp window.Response, err error) outcome {
					o := outcome{resp: contracttest.Marshal(t, resp)}
					if err != nil {
						o.err = err.Error()
					}
					return o
				}
				rawEv := []byte(tc.rawEv)
				if tc.rawEv == "" {
					typed = show(contracttest.ProcessKinesisWindow(context.Background(), p, tc.ev, tc.agg))
					rawEv = contracttest.JSON(t, tc.ev)
				}
				raw = show(window.KinesisHandler(p, tc.agg)(context.Background(), rawEv))
				return typed, raw, hook
			}
			offTyped, offRaw, _ := run(false)
			onTyped, onRaw, hook := run(true)
			require.Equal(t, offTyped, onTyped, "typed entry, hooks off and on")
			require.Equal(t, offRaw, onRaw, "raw entry, hooks off and on")
			require.Equal(t, tc.hasErr, offRaw.err != "", "error: %q", offRaw.err)
			for _, e := range hook.errs() {
				got := ""
				if e != nil {
					got = e.Error()
				}
				require.Equal(t, offRaw.err, got, "the hooks see the error the caller gets")
			}
		})
	}
}

// Issue 18 §4: no record starts after the deadline margin. A fold that runs
// past the margin is let finish, and the records after it are not folded:
// they are reported with a *core.UnhandledError (ErrDeadline), and not in the state.
func TestWindowNoFoldStartsAfterTheMargin(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	deadline, _ := ctx.Deadline()
	margin := 700 * time.Millisecond
	hook := &recordHook{}
	p := core.Must(window.NewKinesis(window.Config{Options: core.Options{DeadlineMargin: margin, Hooks: []core.Hook{hook}}}))
	var starts []time.Time
	agg := window.Aggregate[events.KinesisEventRecord, int]{
		Fold: func(ctx context.Context, s *int, _ *events.KinesisEventRecord) error {
			starts = append(starts, time.Now())
			if len(starts) == 1 {
				<-ctx.Done() // runs past the margin
			}
			*s++
			return nil
		},
	}
	resp, err := contracttest.ProcessKinesisWindow(ctx, p, contracttest.WindowEvent(`0`, false, "a", "b", "c"), agg)
	require.NoError(t, err)
	require.Len(t, starts, 1, "no fold started after the margin")
	require.JSONEq(t, `1`, string(resp.State))
	require.Equal(t, []string{contracttest.SequenceNumber(1), contracttest.SequenceNumber(2)}, windowFailedIDs(resp))
	for _, st := range starts {
		require.True(t, st.Before(deadline.Add(-margin)), "a fold started after the margin")
	}
	require.ErrorIs(t, hook.err(1), core.ErrDeadline)
}

// recordHook keeps each record's error.
type recordHook struct {
	core.NopHook
	mu   sync.Mutex
	errs map[int]error
}

func (h *recordHook) RecordEnd(_ context.Context, rec core.RecordInfo) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.errs == nil {
		h.errs = map[int]error{}
	}
	h.errs[rec.Position] = rec.Outcome.Err
}

func (h *recordHook) err(i int) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.errs[i]
}

// A fold that ends its goroutine (runtime.Goexit, as t.FailNow does) ends
// the invocation: folds run on the caller's goroutine. The invocation never
// returns a response (Lambda times it out and retries it with the same
// state), and hooks see it end with an error matching core.ErrAbandoned.
func TestWindowGoexitEndsTheInvocation(t *testing.T) {
	hook := &endHook{}
	p := core.Must(window.NewKinesis(window.Config{Options: core.Options{Hooks: []core.Hook{hook}}}))
	agg := window.Aggregate[events.KinesisEventRecord, int]{
		Fold: func(_ context.Context, s *int, r *events.KinesisEventRecord) error {
			if string(r.Kinesis.Data) == "b" {
				runtimeGoexit()
			}
			*s++
			return nil
		},
	}
	returned := make(chan bool)
	go func() {
		ok := false
		defer func() { returned <- ok }()
		_, _ = contracttest.ProcessKinesisWindow(context.Background(), p, contracttest.WindowEvent(`0`, false, "a", "b", "c"), agg)
		ok = true
	}()
	require.False(t, <-returned)
	errs := hook.errs()
	require.Len(t, errs, 1)
	require.ErrorIs(t, errs[0], core.ErrAbandoned)
}

func TestWindowConfig(t *testing.T) {
	for _, cfg := range []window.Config{
		{MaxStateBytes: -1},
		{Options: core.Options{Concurrency: 4}},
		{Options: core.Options{Concurrency: -1}},
	} {
		_, err := window.NewKinesis(cfg)
		var ce *core.ConfigError
		require.ErrorAs(t, err, &ce, "%+v", cfg)
		_, err = window.NewDynamoDB(cfg)
		require.ErrorIs(t, err, core.ErrInvalidConfig)
	}
	_, err := window.NewKinesis(window.Config{Options: core.Options{Concurrency: 1}})
	require.NoError(t, err)
}

func runtimeGoexit() { runtime.Goexit() }

// refersAbove matches a comment that sends the reader to text above it.
var refersAbove = regexp.MustCompile(`(?i)\b(notes|see|described|explained|shown|as|mentioned|defined) above\b`)

// Issue 18 §5: go doc shows one name at a time, so no doc comment of the
// package may send the reader to text "above" (the Aggregate.Fold doc
// pointed at package notes that go doc does not show).
func TestDocCommentsStandAlone(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi fs.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, parser.ParseComments)
	require.NoError(t, err)
	for _, pkg := range pkgs {
		for name, f := range pkg.Files {
			for _, cg := range f.Comments {
				if refersAbove.MatchString(cg.Text()) {
					t.Errorf("%s: a comment refers to text above, which go doc does not show: %q", fset.Position(cg.Pos()), cg.Text())
				}
			}
			_ = name
		}
	}
}

// panicPayload is a record payload whose UnmarshalJSON or Validate panics.
type panicPayload struct{ V string }

func (p *panicPayload) UnmarshalJSON(b []byte) error {
	if string(b) == `"unmarshal"` {
		panic("payload UnmarshalJSON blew up")
	}
	p.V = string(b)
	return nil
}

func (p panicPayload) Validate() error {
	if p.V == `"validate"` {
		panic("payload Validate blew up")
	}
	return nil
}

// Issue 18 §3: every place the window calls user code, each made to panic:
// the process never crashes, and the panic fails the record it belongs to
// (Where "") or the invocation (Where naming the place). A new call site
// of user code in package window belongs in this table.
func TestWindowUserCodeCallSites(t *testing.T) {
	p := core.Must(window.NewKinesis(window.Config{}))
	boom := func() { panic("user code blew up") }
	payloadFold := window.KinesisJSON(func(_ context.Context, s *map[string]int, _ panicPayload, r *events.KinesisEventRecord) error {
		return contracttest.CountByKey(nil)(context.Background(), s, r)
	})
	for _, tc := range []struct {
		name   string
		run    func() (window.Response, error)
		record bool   // the panic fails a record, not the invocation
		where  string // the invocation's *core.PanicError.Where
	}{
		{name: "Fold", record: true, run: func() (window.Response, error) {
			return contracttest.ProcessKinesisWindow(context.Background(), p, contracttest.WindowEvent(`{}`, false, "a", "panic"), kinesisAgg{Fold: contracttest.CountByKey(nil)})
		}},
		{name: "payload UnmarshalJSON in KinesisJSON", record: true, run: func() (window.Response, error) {
			return contracttest.ProcessKinesisWindow(context.Background(), p, contracttest.WindowEvent(`{}`, false, `"a"`, `"unmarshal"`), kinesisAgg{Fold: payloadFold})
		}},
		{name: "payload Validate in KinesisJSON", record: true, run: func() (window.Response, error) {
			return contracttest.ProcessKinesisWindow(context.Background(), p, contracttest.WindowEvent(`{}`, false, `"a"`, `"validate"`), kinesisAgg{Fold: payloadFold})
		}},
		{name: "Fold rebuilding the state", where: "window Fold (rebuilding the state)", run: func() (window.Response, error) {
			n := 0
			return contracttest.ProcessKinesisWindow(context.Background(), p, contracttest.WindowEvent(`{}`, false, "a", "fail"), kinesisAgg{
				Fold: func(ctx context.Context, s *map[string]int, r *events.KinesisEventRecord) error {
					if n++; n > 2 {
						boom()
					}
					return contracttest.CountByKey(nil)(ctx, s, r)
				}})
		}},
		{name: "Publish", where: "window Publish", run: func() (window.Response, error) {
			return contracttest.ProcessKinesisWindow(context.Background(), p, contracttest.WindowEvent(`{}`, true, "a"), kinesisAgg{Fold: contracttest.CountByKey(nil),
				Publish: func(context.Context, map[string]int, window.Properties) error { boom(); return nil }})
		}},
		{name: "state UnmarshalJSON", where: "window state UnmarshalJSON", run: func() (window.Response, error) {
			return contracttest.ProcessKinesisWindow(context.Background(), p, contracttest.WindowEvent(`{"panic":"decode"}`, false, "a"), countPanicState)
		}},
		{name: "state MarshalJSON", where: "window state MarshalJSON", run: func() (window.Response, error) {
			return contracttest.ProcessKinesisWindow(context.Background(), p, contracttest.WindowEvent(`{"panic":"encode"}`, false, "a"), countPanicState)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := tc.run()
			if tc.record {
				require.NoError(t, err)
				require.Equal(t, []string{contracttest.SequenceNumber(1)}, windowFailedIDs(resp), "the record whose user code panicked is reported")
				return
			}
			var pe *core.PanicError
			require.ErrorAs(t, err, &pe)
			require.Equal(t, tc.where, pe.Where)
			require.NotEmpty(t, pe.PCs)
		})
	}
}
