package driver

import (
	"bytes"
	"context"
	"encoding/json"
	"time"
)

// maxWindowState is the largest state Lambda carries in a tumbling window,
// 1 MB; a larger one terminates the window early.
const maxWindowState = 1 << 20

// window is a lane's open tumbling window and the state the function
// returned last.
type window struct {
	start, end time.Time
	state      json.RawMessage
	early      bool // the state outgrew 1 MB: the next invocation is final
	closing    bool // the final invocation was made and failed: it is made again
}

// newWindow opens the window of length d that holds t, aligned on the Unix
// epoch.
func newWindow(t time.Time, d time.Duration) *window {
	ns := t.UnixNano()
	start := time.Unix(0, ns-ns%int64(d)).UTC()
	return &window{start: start, end: start.Add(d)}
}

// event adds the tumbling window's fields to a stream event: window, state,
// shardId, eventSourceARN, isFinalInvokeForWindow, isWindowTerminatedEarly.
func (w *window) event(base []byte, shard, arn string, final bool) ([]byte, error) {
	var ev map[string]json.RawMessage
	if err := json.Unmarshal(base, &ev); err != nil {
		return nil, err
	}
	if string(ev["Records"]) == "null" {
		ev["Records"] = json.RawMessage("[]")
	}
	state := w.state
	if len(state) == 0 {
		state = json.RawMessage("{}")
	}
	set := func(k string, v any) {
		b, _ := json.Marshal(v)
		ev[k] = b
	}
	set("window", map[string]string{"start": w.start.Format(time.RFC3339), "end": w.end.Format(time.RFC3339)})
	ev["state"] = state
	set("shardId", shard)
	set("eventSourceARN", arn)
	set("isFinalInvokeForWindow", final)
	set("isWindowTerminatedEarly", final && w.early)
	return json.Marshal(ev)
}

// windowState returns the state of a response on a tumbling window: Lambda
// fails an invocation whose response has none.
func windowState(resp []byte) (json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(bytes.TrimSpace(resp), &obj); err != nil {
		return nil, &InvalidResponseError{Response: resp, Reason: "not a JSON object with a state, which a function on a tumbling window must return"}
	}
	st, ok := obj["state"]
	if !ok || string(st) == "null" {
		return nil, &InvalidResponseError{Response: resp, Reason: `no state: a function on a tumbling window must return {"state": {...}}`}
	}
	return st, nil
}

// closeWindow makes the final invocation of a lane's window: no records,
// the state, isFinalInvokeForWindow true. After it succeeds the state is
// dropped (a window terminated early goes on with a fresh state); until it
// does, the lane waits.
func (m *streamMapping[R]) closeWindow(ctx context.Context, r shardReader[R], fn Function, st *shardState[R], ln *lane[R], s *StreamSettings) (Batch, error) {
	w := ln.win
	b := Batch{Source: r.source(), Shard: st.id, Attempt: ln.attempts + 1, FinalForWindow: true}
	var err error
	if b.Event, err = m.encode(r, st.id, nil, w, true, s); err != nil {
		return b, err
	}
	m.stats.add(func(x *Stats) {
		x.Invocations++
		if ln.attempts > 0 || w.closing {
			x.Retries++
		}
	})
	w.closing = true
	b.Response, b.Err = invoke(ctx, fn, b.Event, s.FunctionTimeout)
	if IsServiceError(b.Err) {
		// Not a retry: made again.
		return b, backoff(ctx)
	}
	if b.Err == nil && s.ReportBatchItemFailures {
		b.Failed, b.Err = parseStreamResponse(b.Response, nil)
	}
	if b.Err != nil {
		ln.attempts++
		return b, nil
	}
	ln.attempts = 0
	if w.early && time.Now().Before(w.end) {
		ln.win = &window{start: w.start, end: w.end}
	} else {
		ln.win = nil
	}
	return b, nil
}
