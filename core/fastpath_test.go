package core_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
)

type rec struct {
	id   string
	fail bool
	boom bool
}

func fpSource(stop core.StopPolicy) core.Source[rec] {
	return core.Source[rec]{
		Name:     "test",
		Identify: func(r *rec) core.Identifier { return core.StringID(r.id) },
		Key:      func(*rec) string { return "k" },
		Stop:     stop,
	}
}

var errRec = errors.New("record failed")

func fpHandle(_ context.Context, r *rec) error {
	if r.boom {
		panic("boom " + r.id)
	}
	if r.fail {
		return errRec
	}
	return nil
}

// TestSequentialFastPath checks the plain-Base sequential path keeps the
// lifecycle's semantics: panics recovered per record, stop policies, preset
// failures, results and cancellation.
func TestSequentialFastPath(t *testing.T) {
	recs := []rec{{id: "a"}, {id: "b", boom: true}, {id: "c", fail: true}, {id: "d"}}
	cases := []struct {
		name     string
		stop     core.StopPolicy
		preset   int // -1: none
		cancel   bool
		statuses []core.Status
	}{
		{"never", core.StopNever, -1, false, []core.Status{core.StatusSuccess, core.StatusFailure, core.StatusFailure, core.StatusSuccess}},
		{"batch", core.StopBatch, -1, false, []core.Status{core.StatusSuccess, core.StatusFailure, core.StatusNotStarted, core.StatusNotStarted}},
		{"key", core.StopKey, -1, false, []core.Status{core.StatusSuccess, core.StatusFailure, core.StatusNotStarted, core.StatusNotStarted}},
		{"batch preset", core.StopBatch, 0, false, []core.Status{core.StatusFailure, core.StatusNotStarted, core.StatusNotStarted, core.StatusNotStarted}},
		{"never preset", core.StopNever, 3, false, []core.Status{core.StatusSuccess, core.StatusFailure, core.StatusFailure, core.StatusFailure}},
		{"cancelled", core.StopNever, -1, true, []core.Status{core.StatusNotStarted, core.StatusNotStarted, core.StatusNotStarted, core.StatusNotStarted}},
	}
	okRecs := []rec{{id: "a"}, {id: "b"}}
	for _, stop := range []core.StopPolicy{core.StopNever, core.StopBatch} {
		resp, err := core.Process(context.Background(), core.NewBase(fpSource(stop), core.Options{}), okRecs, fpHandle)
		require.NoError(t, err)
		require.Empty(t, resp.BatchItemFailures)
		data, err := resp.MarshalJSON()
		require.NoError(t, err)
		require.JSONEq(t, `{"batchItemFailures":[]}`, string(data))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if c.cancel {
				cancel()
			}
			b := core.NewBatch(append([]rec(nil), recs...), fpHandle)
			if c.preset >= 0 {
				b.Fail(c.preset, errRec)
			}
			p := core.NewBase(fpSource(c.stop), core.Options{})
			resp, err := core.Run(ctx, p, b)
			if c.preset < 0 {
				// Process (hidden outcomes, untouched fast path) answers
				// exactly as Run does.
				resp2, err2 := core.Process(ctx, p, append([]rec(nil), recs...), fpHandle)
				require.Equal(t, resp, resp2)
				require.Equal(t, err == nil, err2 == nil)
				require.Equal(t, errors.Is(err, core.ErrFullBatchFailure), errors.Is(err2, core.ErrFullBatchFailure))
			}
			got := make([]core.Status, len(b.Outcomes))
			for i, o := range b.Outcomes {
				got[i] = o.Status
			}
			require.Equal(t, c.statuses, got)
			if b.Outcomes[1].Status == core.StatusFailure && c.preset < 0 {
				var pe *core.PanicError
				require.ErrorAs(t, b.Outcomes[1].Err, &pe)
				require.Equal(t, "boom b", pe.Value)
				require.NotEmpty(t, pe.Stack)
			}
		})
	}
}

// TestProcessReusesNoState checks Process gives the same answer on repeated
// calls (its outcome memory is pooled) and reports failures by identifier.
func TestProcessReusesNoState(t *testing.T) {
	p := core.NewBase(fpSource(core.StopNever), core.Options{})
	for range 3 {
		resp, err := core.Process(context.Background(), p, []rec{{id: "a"}, {id: "b", fail: true}}, fpHandle)
		require.NoError(t, err)
		require.Equal(t, []core.BatchItemFailure{{ItemIdentifier: core.StringID("b")}}, resp.BatchItemFailures)
		resp, err = core.Process(context.Background(), p, []rec{{id: "a"}}, fpHandle)
		require.NoError(t, err)
		require.Empty(t, resp.BatchItemFailures)
	}
}

// TestBuildResponseDedupManyFailures checks identifiers are reported once,
// in input order, past the linear scan's range, for string and Kafka
// identifiers alike.
func TestBuildResponseDedupManyFailures(t *testing.T) {
	type krec struct {
		id   string
		part string
		off  int64
	}
	var recs []krec
	var want []core.BatchItemFailure
	for i := range 300 {
		r := krec{id: fmt.Sprintf("id-%d", i%70)}
		if i%3 == 0 {
			r = krec{part: fmt.Sprintf("topic-%d", i%5), off: int64(i % 40)}
		}
		recs = append(recs, r)
	}
	seen := map[core.Identifier]bool{}
	identify := func(r *krec) core.Identifier {
		if r.part != "" {
			return core.KafkaID(r.part, r.off)
		}
		return core.StringID(r.id)
	}
	for i := range recs {
		if id := identify(&recs[i]); !seen[id] {
			seen[id] = true
			want = append(want, core.BatchItemFailure{ItemIdentifier: id})
		}
	}
	p := core.NewBase(core.Source[krec]{Name: "test", Identify: identify}, core.Options{SuppressFullBatchError: true})
	resp, err := core.Process(context.Background(), p, recs, func(context.Context, *krec) error { return errRec })
	require.NoError(t, err)
	require.Equal(t, want, resp.BatchItemFailures)
}
