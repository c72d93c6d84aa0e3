package batchtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

const sqsEvent = `{"Records":[
	{"messageId":"m1","body":"{\"n\":1}","eventSource":"aws:sqs"},
	{"messageId":"m2","body":"oops","eventSource":"aws:sqs"}]}`

type payload struct {
	N int `json:"n"`
}

var adapter = processors.SQSHandler(core.Must(processors.NewSQS(processors.Config{})), processors.SQSJSON(func(context.Context, payload, *events.SQSMessage) error { return nil }))

func typedHandler(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	resp, err := core.Process(ctx, core.Must(processors.NewSQS(processors.Config{})), ev.Records, processors.SQSJSON(func(context.Context, payload, *events.SQSMessage) error { return nil }))
	return resp.SQS(), err
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

const wantIndented = "{\n  \"batchItemFailures\": [\n    {\n      \"itemIdentifier\": \"m2\"\n    }\n  ]\n}\n"

// Invoke runs the adapter or a typed handler; a handler error is returned
// wrapped, as the handler's error, and an event of the wrong shape says it
// does not decode.
func TestInvoke(t *testing.T) {
	for name, h := range map[string]func([]byte) ([]byte, error){
		"adapter": func(e []byte) ([]byte, error) { return batchtest.Invoke(context.Background(), adapter, e) },
		"typed":   func(e []byte) ([]byte, error) { return batchtest.Invoke(context.Background(), typedHandler, e) },
	} {
		out, err := h([]byte(sqsEvent))
		require.NoError(t, err, name)
		require.JSONEq(t, `{"batchItemFailures":[{"itemIdentifier":"m2"}]}`, string(out), name)
	}
	_, err := batchtest.Invoke(context.Background(), adapter, []byte(`{"Records":[{"messageId":"m","eventSource":"aws:kinesis"}]}`))
	require.ErrorIs(t, err, core.ErrEventSourceMismatch)
	require.ErrorContains(t, err, "the handler returned an error")

	_, err = batchtest.Invoke(context.Background(), typedHandler, []byte(`{"Records":7}`))
	require.ErrorContains(t, err, "does not decode")

}

// invokeCounter is a handler type with its own Invoke method, as the
// adapters have: Invoke must go through it, as lambda.Start does.
type invokeCounter func(context.Context, json.RawMessage) (core.Response, error)

var viaInvoke int

func (f invokeCounter) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	viaInvoke++
	resp, err := f(ctx, payload)
	if err != nil {
		return nil, err
	}
	return json.Marshal(resp)
}

func TestInvokeKeepsTheHandlersInvoke(t *testing.T) {
	viaInvoke = 0
	h := invokeCounter(adapter)
	out, err := batchtest.Invoke(context.Background(), h, []byte(sqsEvent))
	require.NoError(t, err)
	require.JSONEq(t, `{"batchItemFailures":[{"itemIdentifier":"m2"}]}`, string(out))
	require.Equal(t, 1, viaInvoke)
}

// fakeT records what an assertion reports. The embedded testing.TB is nil:
// the assertions call only Helper, Errorf and FailNow.
type fakeT struct {
	testing.TB
	errors []string
	failed bool
}

func (f *fakeT) Helper() {}
func (f *fakeT) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}
func (f *fakeT) FailNow() { f.failed = true }

// RequireGolden passes on an equal response (as JSON: spacing and key order
// do not matter), fails on a different one, and rewrites the golden file
// under BATCHTEST_UPDATE=1.
func TestRequireGolden(t *testing.T) {
	event := writeFile(t, "event.json", sqsEvent)
	cases := []struct {
		name   string
		golden string
		fail   string
	}{
		{"equal, other spacing", `{ "batchItemFailures" : [ {"itemIdentifier":"m2"} ] }`, ""},
		{"another id", `{"batchItemFailures":[{"itemIdentifier":"m1"}]}`, "differs"},
		{"nothing failed", `{"batchItemFailures":[]}`, "differs"},
		{"not JSON", `{`, "not JSON"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			golden := writeFile(t, "response.json", c.golden)
			ft := &fakeT{}
			batchtest.RequireGolden(ft, adapter, event, golden)
			if c.fail == "" {
				require.False(t, ft.failed, ft.errors)
				return
			}
			require.True(t, ft.failed)
			require.Contains(t, strings.Join(ft.errors, "\n"), c.fail)
		})
	}
	t.Run("update", func(t *testing.T) {
		t.Setenv("BATCHTEST_UPDATE", "1")
		golden := filepath.Join(t.TempDir(), "response.json")
		ft := &fakeT{}
		batchtest.RequireGolden(ft, adapter, event, golden)
		require.False(t, ft.failed, ft.errors)
		data, err := os.ReadFile(golden)
		require.NoError(t, err)
		require.Equal(t, wantIndented, string(data))
	})
	t.Run("missing golden file", func(t *testing.T) {
		ft := &fakeT{}
		batchtest.RequireGolden(ft, adapter, event, filepath.Join(t.TempDir(), "none.json"))
		require.True(t, ft.failed)
	})
}
