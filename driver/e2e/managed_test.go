package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Lambda Managed Instances run several invocations at once in one process:
// the runtime reads AWS_LAMBDA_MAX_CONCURRENCY and polls the Runtime API
// from that many goroutines (aws-lambda-go does). The Runtime Interface
// Emulator has a managed-instances mode (set AWS_LAMBDA_MAX_CONCURRENCY), but
// it only launches a bootstrap from /var/runtime, /var/task or /opt (it
// treats every function as a .zip artefact and ignores the bootstrap on its
// command line), which a test cannot use without writing to the system. So
// this test serves the Runtime API itself, runtimeAPI below: the bootstrap
// runs as Lambda runs it, talking HTTP to the documented endpoints.

// managedConcurrency is the number of invocations in flight at once.
const managedConcurrency = 8

// runtimeAPI is a Lambda Runtime API stand-in
// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html):
//
//	GET  /2018-06-01/runtime/invocation/next            the next event, with its request id and deadline
//	POST /2018-06-01/runtime/invocation/{id}/response   the invocation's response (answer 202)
//	POST /2018-06-01/runtime/invocation/{id}/error      the invocation's error document (answer 202)
//	POST /2018-06-01/runtime/init/error                 the function failed to start
//
// It hands events to as many pollers as ask, so it serves any number of
// concurrent invocations, and records how many were in flight at once.
type runtimeAPI struct {
	t    *testing.T
	srv  *httptest.Server
	next chan *pendingInvoke

	mu          sync.Mutex
	inflight    map[string]*pendingInvoke
	maxInFlight int
	seq         int
}

// pendingInvoke is an invocation handed, or to hand, to the function.
type pendingInvoke struct {
	id    string
	event []byte
	done  chan invokeResult
}

// invokeResult is one invocation's answer: the response, or the function's
// error document.
type invokeResult struct {
	body     string
	funcErr  bool
	errorMsg string
}

func newRuntimeAPI(t *testing.T) *runtimeAPI {
	r := &runtimeAPI{t: t, next: make(chan *pendingInvoke), inflight: map[string]*pendingInvoke{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", r.serveNext)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", func(w http.ResponseWriter, req *http.Request) {
		r.finish(w, req, false)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", func(w http.ResponseWriter, req *http.Request) {
		r.finish(w, req, true)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		t.Errorf("the function failed to initialize: %s", body)
		w.WriteHeader(http.StatusAccepted)
	})
	r.srv = httptest.NewServer(mux)
	t.Cleanup(r.srv.Close)
	return r
}

func (r *runtimeAPI) serveNext(w http.ResponseWriter, req *http.Request) {
	select {
	case inv := <-r.next:
		r.mu.Lock()
		r.inflight[inv.id] = inv
		r.maxInFlight = max(r.maxInFlight, len(r.inflight))
		r.mu.Unlock()
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(60*time.Second).UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:managed")
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
		h.Set("Content-Type", "application/json")
		_, _ = w.Write(inv.event)
	case <-req.Context().Done():
	}
}

func (r *runtimeAPI) finish(w http.ResponseWriter, req *http.Request, isErr bool) {
	id := req.PathValue("id")
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	inv, ok := r.inflight[id]
	delete(r.inflight, id)
	r.mu.Unlock()
	if !ok {
		r.t.Errorf("the function answered invocation %q, which is not in flight", id)
		http.Error(w, "unknown request id", http.StatusBadRequest)
		return
	}
	res := invokeResult{body: string(body)}
	if isErr {
		var doc struct {
			ErrorMessage string `json:"errorMessage"`
		}
		_ = json.Unmarshal(body, &doc)
		res.funcErr, res.errorMsg = true, doc.ErrorMessage
	}
	w.WriteHeader(http.StatusAccepted)
	inv.done <- res
}

// invoke hands event to the function and waits for its answer.
func (r *runtimeAPI) invoke(ctx context.Context, event []byte) (invokeResult, error) {
	r.mu.Lock()
	r.seq++
	inv := &pendingInvoke{id: fmt.Sprintf("req-%04d", r.seq), event: event, done: make(chan invokeResult, 1)}
	r.mu.Unlock()
	select {
	case r.next <- inv:
	case <-ctx.Done():
		return invokeResult{}, fmt.Errorf("no runtime poller took the invocation: %w", ctx.Err())
	}
	select {
	case res := <-inv.done:
		return res, nil
	case <-ctx.Done():
		return invokeResult{}, fmt.Errorf("the function did not answer: %w", ctx.Err())
	}
}

// startManaged starts bootstrap against api as a Lambda Managed Instances
// process: AWS_LAMBDA_MAX_CONCURRENCY pollers, a data race halting it.
func startManaged(t *testing.T, api *runtimeAPI, bootstrap string, env ...string) {
	t.Helper()
	cmd := exec.Command(bootstrap)
	cmd.Env = append(os.Environ(), env...)
	cmd.Env = append(cmd.Env,
		"AWS_LAMBDA_RUNTIME_API="+strings.TrimPrefix(api.srv.URL, "http://"),
		fmt.Sprintf("AWS_LAMBDA_MAX_CONCURRENCY=%d", managedConcurrency),
		"AWS_LAMBDA_FUNCTION_NAME=managed",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/managed",
		"AWS_LAMBDA_LOG_STREAM_NAME=test",
		"GORACE=halt_on_error=1")
	cmd.Stdout, cmd.Stderr = testWriter{t}, testWriter{t}
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	go func() {
		<-exited
		if cmd.ProcessState != nil && !cmd.ProcessState.Success() && cmd.ProcessState.ExitCode() != -1 {
			t.Errorf("the function exited: %s", cmd.ProcessState)
		}
	}()
}

// buildRaceBootstrap builds the main package in dir (relative to root) for
// this machine with the race detector, so that a data race between
// concurrent invocations halts the function and fails the test.
func buildRaceBootstrap(t *testing.T, dir string) string {
	t.Helper()
	b := goBuild{Dir: dir, Env: []string{"CGO_ENABLED=1"}, Flags: []string{"-race", "-trimpath"}}
	v, _ := builtBinaries.LoadOrStore(b.id(), &builtBinary{})
	bb := v.(*builtBinary)
	bb.once.Do(func() { bb.path, bb.err = buildCached(b) })
	if bb.err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("build %s with -race: %v", dir, bb.err)
		}
		t.Skipf("cannot build %s with -race (needs cgo and a C compiler): %v", dir, bb.err)
	}
	return bb.path
}

// invokeConcurrently sends every event at once, each from its own
// goroutine, and returns the answers in the events' order.
func invokeConcurrently(t *testing.T, api *runtimeAPI, evs [][]byte) []invokeResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out := make([]invokeResult, len(evs))
	errs := make([]error, len(evs))
	var wg sync.WaitGroup
	for i, ev := range evs {
		wg.Go(func() { out[i], errs[i] = api.invoke(ctx, ev) })
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "invocation %d", i)
	}
	return out
}

// sqsEvent builds an SQS event whose message ids are prefix-0, prefix-1...
// with the given bodies.
func sqsEvent(t *testing.T, prefix string, bodies ...string) []byte {
	t.Helper()
	type msg struct {
		MessageID   string `json:"messageId"`
		Body        string `json:"body"`
		EventSource string `json:"eventSource"`
		ARN         string `json:"eventSourceARN"`
	}
	recs := make([]msg, len(bodies))
	for i, b := range bodies {
		recs[i] = msg{fmt.Sprintf("%s-%d", prefix, i), b, "aws:sqs", "arn:aws:sqs:us-east-1:123456789012:orders"}
	}
	data, err := json.Marshal(map[string]any{"Records": recs})
	require.NoError(t, err)
	return data
}

// failuresJSON is the partial batch response naming ids.
func failuresJSON(ids ...string) string {
	items := make([]string, len(ids))
	for i, id := range ids {
		items[i] = fmt.Sprintf(`{"itemIdentifier":%q}`, id)
	}
	return `{"batchItemFailures":[` + strings.Join(items, ",") + `]}`
}

// Functions built with the race detector, run as Lambda Managed Instances
// run them (AWS_LAMBDA_MAX_CONCURRENCY pollers in one process, against the
// Runtime API stand-in): invocations with different events at once, some
// with failing and panicking records, one where every record fails; every
// response is exactly the sequential one, barrier records prove that the
// invocations overlapped, and a data race would halt the function.
func TestConcurrentInvocations(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds two bootstraps with -race")
	}
	t.Run("managed function", func(t *testing.T) {
		// managedConcurrency-1 invocations hold a barrier record: each
		// waits until all of them are in flight.
		barriers := managedConcurrency - 1
		api := newRuntimeAPI(t)
		startManaged(t, api, buildRaceBootstrap(t, "driver/e2e/testdata/managed"), fmt.Sprintf("MANAGED_BARRIER=%d", barriers))
		ok, fail, boom := `{"Message":"ok"}`, `{"Message":"fail"}`, `{"Message":"panic"}`
		bar := `{"Message":"barrier"}`
		type invocation struct {
			event   []byte
			want    string // the response; "" when the function fails
			errText string // in the function error
		}
		var invs []invocation
		for i := range barriers {
			p := fmt.Sprintf("inv%d", i)
			var bodies []string
			var failed []string
			// A different mix per invocation: i oks, a failure, a panic,
			// a body that is not JSON, in an order that depends on i.
			bodies = append(bodies, bar)
			for j := range i + 1 {
				switch (i + j) % 4 {
				case 0:
					bodies = append(bodies, ok)
				case 1:
					bodies = append(bodies, fail)
				case 2:
					bodies = append(bodies, boom)
				case 3:
					bodies = append(bodies, "not json")
				}
				if (i+j)%4 != 0 {
					failed = append(failed, fmt.Sprintf("%s-%d", p, len(bodies)-1))
				}
			}
			bodies = append(bodies, ok)
			invs = append(invs, invocation{event: sqsEvent(t, p, bodies...), want: failuresJSON(failed...)})
		}
		// One invocation in which every record fails: the function
		// returns an error, so Lambda retries the whole batch.
		invs = append(invs, invocation{event: sqsEvent(t, "all", fail, boom, "not json"), errText: "all 3 records in the batch failed"})
		require.Len(t, invs, managedConcurrency)

		evs := make([][]byte, len(invs))
		for i, inv := range invs {
			evs[i] = inv.event
		}
		for round := range 2 { // cold, then warm: the processor is shared
			got := invokeConcurrently(t, api, evs)
			for i, inv := range invs {
				if inv.errText != "" {
					require.True(t, got[i].funcErr, "round %d invocation %d: %s", round, i, got[i].body)
					require.Contains(t, got[i].errorMsg, inv.errText)
					continue
				}
				require.False(t, got[i].funcErr, "round %d invocation %d: %s", round, i, got[i].body)
				require.JSONEq(t, inv.want, got[i].body, "round %d invocation %d", round, i)
			}
			// The barrier invocations were all in flight at once.
			require.GreaterOrEqual(t, api.maxInFlight, barriers, "invocations in flight at once")
		}
	})
	t.Run("SQS example", func(t *testing.T) {
		api := newRuntimeAPI(t)
		startManaged(t, api, buildRaceBootstrap(t, "examples/sqs"))
		var evs [][]byte
		var want []string
		for i := range managedConcurrency {
			p := fmt.Sprintf("ex%d", i)
			bodies := []string{`{"Message":"a"}`}
			var failed []string
			for j := range i {
				if j%2 == 0 {
					bodies = append(bodies, "not json "+fmt.Sprint(j))
					failed = append(failed, fmt.Sprintf("%s-%d", p, len(bodies)-1))
				} else {
					bodies = append(bodies, fmt.Sprintf(`{"Message":"m%d"}`, j))
				}
			}
			evs = append(evs, sqsEvent(t, p, bodies...))
			want = append(want, failuresJSON(failed...))
		}
		for round := range 3 {
			got := invokeConcurrently(t, api, evs)
			for i := range evs {
				require.False(t, got[i].funcErr, "round %d invocation %d: %s", round, i, got[i].body)
				require.JSONEq(t, want[i], got[i].body, "round %d invocation %d", round, i)
			}
		}
	})
}
