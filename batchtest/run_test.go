package batchtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
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

// RunLocal runs the adapter or a typed handler on the sample event or on
// the file the arguments name, and prints the indented response.
func TestRunLocal(t *testing.T) {
	file := writeFile(t, "event.json", sqsEvent)
	other := writeFile(t, "other.json", `{"Records":[]}`)
	cases := []struct {
		name   string
		sample []byte
		args   []string
		want   string
	}{
		{"sample event", []byte(sqsEvent), nil, wantIndented},
		{"first argument", nil, []string{file}, wantIndented},
		{"-event file", []byte(`{"Records":[]}`), []string{"-event", file}, wantIndented},
		{"--event=file", nil, []string{"--event=" + file}, wantIndented},
		{"file wins over sample", []byte(sqsEvent), []string{other}, "{\n  \"batchItemFailures\": []\n}\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for name, run := range map[string]func(w *bytes.Buffer) error{
				"adapter": func(w *bytes.Buffer) error {
					return batchtest.RunLocal(context.Background(), adapter, c.sample, c.args, w)
				},
				"typed": func(w *bytes.Buffer) error {
					return batchtest.RunLocal(context.Background(), typedHandler, c.sample, c.args, w)
				},
			} {
				var out bytes.Buffer
				require.NoError(t, run(&out), name)
				require.Equal(t, c.want, out.String(), name)
			}
		})
	}
}

// Without an event, or with a handler error, RunLocal says so with a typed
// error.
func TestRunLocalErrors(t *testing.T) {
	var out bytes.Buffer
	err := batchtest.RunLocal(context.Background(), adapter, nil, nil, &out)
	require.ErrorIs(t, err, batchtest.ErrNoEvent)

	err = batchtest.RunLocal(context.Background(), adapter, []byte(`{"Records":[{"messageId":"m","eventSource":"aws:kinesis"}]}`), nil, &out)
	var he *batchtest.HandlerError
	require.ErrorAs(t, err, &he)
	require.ErrorIs(t, err, core.ErrEventSourceMismatch)

	err = batchtest.RunLocal(context.Background(), typedHandler, []byte(`{"Records":7}`), nil, &out)
	require.ErrorContains(t, err, "does not decode")

	err = batchtest.RunLocal(context.Background(), adapter, nil, []string{filepath.Join(t.TempDir(), "missing.json")}, &out)
	require.ErrorIs(t, err, os.ErrNotExist)
	require.Empty(t, out.String())
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

// fakeT records what an assertion reports.
type fakeT struct {
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
		t.Setenv(batchtest.UpdateEnv, "1")
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

// Main, outside Lambda, runs the handler on the event file and prints the
// response, with no aws-lambda-go error about missing Lambda environment
// variables; without an event it says how to pass one and exits 1.
func TestMainOutsideLambda(t *testing.T) {
	if os.Getenv("BATCHTEST_MAIN_HELPER") != "" {
		os.Args = append([]string{os.Args[0]}, strings.Fields(os.Getenv("BATCHTEST_MAIN_HELPER"))[1:]...)
		batchtest.Main(adapter, nil)
		os.Exit(0)
	}
	event := writeFile(t, "event.json", sqsEvent)
	run := func(args string) (string, string, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMainOutsideLambda$")
		cmd.Env = append(os.Environ(), "BATCHTEST_MAIN_HELPER=x "+args, "AWS_LAMBDA_RUNTIME_API=")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	stdout, stderr, err := run(event)
	require.NoError(t, err, stderr)
	require.Equal(t, wantIndented, stdout)

	stdout, stderr, err = run("")
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit))
	require.Equal(t, 1, exit.ExitCode())
	require.Empty(t, stdout)
	require.Contains(t, stderr, "pass an event file")
	require.NotContains(t, stderr, "expected AWS Lambda environment variables")
}
