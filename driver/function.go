package driver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"time"
)

// Function is the Lambda function under test: it takes the event's JSON and
// returns the response's JSON, or an error when the invocation failed (a
// [*FunctionError] when the function itself reported one). [Handler] runs a
// Go handler in-process; [Emulator] invokes a function running under the
// AWS Lambda Runtime Interface Emulator.
type Function interface {
	Invoke(ctx context.Context, event []byte) ([]byte, error)
}

// FunctionFunc adapts a function to [Function].
type FunctionFunc func(ctx context.Context, event []byte) ([]byte, error)

// Invoke calls f.
func (f FunctionFunc) Invoke(ctx context.Context, event []byte) ([]byte, error) { return f(ctx, event) }

// Handler returns a [Function] that runs a Lambda handler in-process the way
// the Go runtime does: the event is decoded into E, the response R is
// encoded as JSON, and an error or a panic becomes a [*FunctionError]. Use it
// with the handler your main passes to lambda.Start.
func Handler[E, R any](h func(context.Context, E) (R, error)) Function {
	return FunctionFunc(func(ctx context.Context, event []byte) (out []byte, err error) {
		var e E
		if err := json.Unmarshal(event, &e); err != nil {
			return nil, &FunctionError{Type: "Runtime.UnmarshalError", Message: err.Error(), Err: err}
		}
		defer func() {
			if p := recover(); p != nil {
				out, err = nil, &FunctionError{Type: "Runtime.Panic", Message: fmt.Sprint(p), Err: fmt.Errorf("panic: %v", p)}
			}
		}()
		resp, err := h(ctx, e)
		if err != nil {
			return nil, &FunctionError{Type: errorType(err), Message: err.Error(), Err: err}
		}
		return json.Marshal(resp)
	})
}

// errorType names an error's type the way the Go runtime does.
func errorType(err error) string {
	t := reflect.TypeOf(err)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

// Emulator invokes a function running under the AWS Lambda Runtime Interface
// Emulator (aws-lambda-rie) through Lambda's Invoke API,
// POST <URL>/2015-03-31/functions/function/invocations.
//
// The emulator runs one invocation at a time and fails when two overlap, so
// an Emulator serializes its invocations: it is safe for concurrent use.
type Emulator struct {
	// URL is the emulator's base URL, such as "http://127.0.0.1:9000".
	URL string
	// HTTPClient sends the requests; nil means a client without timeout (the
	// context bounds each invocation).
	HTTPClient *http.Client

	mu sync.Mutex
}

// NewEmulator returns an [Emulator] for the emulator listening at addr,
// a host:port or a base URL.
func NewEmulator(addr string) *Emulator {
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	return &Emulator{URL: strings.TrimRight(addr, "/")}
}

// Invoke sends event to the function and returns its response. A function
// error (the runtime posted to /error; the emulator answers 200 with an
// errorType and errorMessage, or sets X-Amz-Function-Error) is a
// [*FunctionError]; no answer or an HTTP error is an [*InvokeError].
func (e *Emulator) Invoke(ctx context.Context, event []byte) ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL+"/2015-03-31/functions/function/invocations", bytes.NewReader(event))
	if err != nil {
		return nil, &InvokeError{Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	client := e.HTTPClient
	if client == nil {
		client = &http.Client{}
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, &InvokeError{Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, &InvokeError{StatusCode: resp.StatusCode, Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &InvokeError{StatusCode: resp.StatusCode, Body: body}
	}
	if fe := functionError(body); fe != nil || resp.Header.Get("X-Amz-Function-Error") != "" {
		if fe == nil {
			fe = &FunctionError{Type: resp.Header.Get("X-Amz-Function-Error"), Message: string(body)}
		}
		return nil, fe
	}
	return body, nil
}

// functionError recognizes the runtime's error document,
// {"errorMessage": "...", "errorType": "..."}.
func functionError(body []byte) *FunctionError {
	var doc struct {
		ErrorMessage *string `json:"errorMessage"`
		ErrorType    *string `json:"errorType"`
	}
	if json.Unmarshal(body, &doc) != nil || doc.ErrorMessage == nil || doc.ErrorType == nil {
		return nil
	}
	return &FunctionError{Type: *doc.ErrorType, Message: *doc.ErrorMessage}
}

// timeoutEnforcer is a [Function] that enforces the function's timeout
// itself, such as the emulator (AWS_LAMBDA_FUNCTION_TIMEOUT): the driver
// then sets no deadline of its own.
type timeoutEnforcer interface {
	EnforcesTimeout() bool
}

// EnforcesTimeout reports that the emulator enforces the function's timeout
// itself (the runner starts it with AWS_LAMBDA_FUNCTION_TIMEOUT).
func (e *Emulator) EnforcesTimeout() bool { return true }

// TimeoutError is the [*FunctionError] type of an invocation that ran past
// the function's timeout, as Lambda reports it.
const TimeoutError = "Sandbox.Timedout"

// invoke calls fn as Lambda does with a function timeout: the handler's
// context has a deadline of timeout, and an invocation still running then
// fails with a [*FunctionError] of type [TimeoutError] (its records are
// retried; an in-process handler that ignores its context goes on in the
// background, where Lambda would stop it). timeout 0, or a function that
// enforces its timeout itself, is invoked as is.
func invoke(ctx context.Context, fn Function, event []byte, timeout time.Duration) ([]byte, error) {
	if te, ok := fn.(timeoutEnforcer); timeout <= 0 || (ok && te.EnforcesTimeout()) {
		return fn.Invoke(ctx, event)
	}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := fn.Invoke(tctx, event)
		done <- result{out, err}
	}()
	timedOut := func() error {
		msg := fmt.Sprintf("Task timed out after %.2f seconds", timeout.Seconds())
		return &FunctionError{Type: TimeoutError, Message: msg, Err: context.DeadlineExceeded}
	}
	select {
	case r := <-done:
		if ctx.Err() == nil && errors.Is(tctx.Err(), context.DeadlineExceeded) {
			return nil, timedOut()
		}
		return r.out, r.err
	case <-tctx.Done():
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, timedOut()
	}
}
