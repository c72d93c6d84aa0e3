package lambdamain

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

const sqsEvent = `{"Records":[
	{"messageId":"m1","body":"{\"n\":1}","eventSource":"aws:sqs"},
	{"messageId":"m2","body":"oops","eventSource":"aws:sqs"},
	{"messageId":"m3","body":"{\"n\":3}","eventSource":"aws:sqs"},
	{"messageId":"m4","body":"{\"n\":4}","eventSource":"aws:sqs"}]}`

type payload struct {
	N int `json:"n"`
}

func handle(_ context.Context, p payload, _ *events.SQSMessage) error {
	switch p.N {
	case 3:
		return errors.New("n is 3")
	case 4:
		panic("n is 4")
	}
	return nil
}

// counter is a hook of the user's processor: the local run must not
// replace it.
type counter struct {
	core.NopHook
	records int
}

func (c *counter) RecordEnd(context.Context, core.RecordInfo) { c.records++ }

var userHook = &counter{}

var processor = core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{userHook}}}))

var adapter = processors.SQSHandler(processor, processors.SQSJSON(handle))

func typedHandler(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	resp, err := core.Process(ctx, core.Must(processors.NewSQS(processors.Config{})), ev.Records, processors.SQSJSON(handle))
	return resp.SQS(), err
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

const wantResponse = `{
  "batchItemFailures": [
    {
      "itemIdentifier": "m2"
    },
    {
      "itemIdentifier": "m3"
    },
    {
      "itemIdentifier": "m4"
    }
  ]
}
`

// The local run prints the indented response on stdout and, on stderr, one
// line per failed record with its reason, in input order: the adapter and a
// typed handler alike.
func TestRunPrintsResponseAndReasons(t *testing.T) {
	file := writeFile(t, "event.json", sqsEvent)
	other := writeFile(t, "other.json", `{"Records":[]}`)
	cases := []struct {
		name   string
		sample []byte
		args   []string
		want   string
		lines  int
	}{
		{"sample event", []byte(sqsEvent), nil, wantResponse, 3},
		{"first argument", nil, []string{file}, wantResponse, 3},
		{"-event file", []byte(`{"Records":[]}`), []string{"-event", file}, wantResponse, 3},
		{"--event=file", nil, []string{"--event=" + file}, wantResponse, 3},
		{"file wins over sample", []byte(sqsEvent), []string{other}, "{\n  \"batchItemFailures\": []\n}\n", 0},
	}
	for _, c := range cases {
		for name, h := range map[string]lambda.Handler{"adapter": adapter, "typed": lambda.NewHandler(typedHandler)} {
			t.Run(c.name+"/"+name, func(t *testing.T) {
				before := userHook.records
				var stdout, stderr bytes.Buffer
				require.NoError(t, run(context.Background(), h, c.sample, c.args, &stdout, &stderr))
				require.Equal(t, c.want, stdout.String())
				lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
				if c.lines == 0 {
					require.Empty(t, stderr.String())
					return
				}
				require.Len(t, lines, c.lines, stderr.String())
				require.True(t, strings.HasPrefix(lines[0], "failed: record 1 (m2): batchkit: "), lines[0])
				require.Contains(t, lines[0], "SQS body")
				require.Equal(t, "failed: record 2 (m3): n is 3", lines[1])
				require.True(t, strings.HasPrefix(lines[2], "failed: record 3 (m4): "), lines[2])
				require.Contains(t, lines[2], "n is 4")
				if name == "adapter" {
					require.Equal(t, before+4, userHook.records, "the processor's own hook ran too")
				}
			})
		}
	}
	require.Len(t, processor.Options().Hooks, 1, "the processor's configuration is unchanged")
}

// A Kafka batch reports its failures by partition and offset.
func TestRunKafka(t *testing.T) {
	p := core.Must(processors.NewKafka(processors.Config{}))
	h := processors.KafkaHandler(p, func(_ context.Context, r *events.KafkaRecord) error {
		if r.Offset == 8 {
			return errors.New("offset 8")
		}
		return nil
	})
	event := `{"eventSource":"SelfManagedKafka","records":{"orders-0":[
		{"topic":"orders","partition":0,"offset":7,"value":""},
		{"topic":"orders","partition":0,"offset":8,"value":""}]}}`
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(context.Background(), h, []byte(event), nil, &stdout, &stderr))
	require.Contains(t, stdout.String(), `"offset": 8`)
	require.Equal(t, "failed: record 1 (orders-0@8): offset 8\n", stderr.String())
}

// Without an event, with a handler error, an event of the wrong shape or a
// missing file, the run returns an error saying so.
func TestRunErrors(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), adapter, nil, nil, &stdout, &stderr)
	require.ErrorIs(t, err, errNoEvent)

	err = run(context.Background(), adapter, []byte(`{"Records":[{"messageId":"m","eventSource":"aws:kinesis"}]}`), nil, &stdout, &stderr)
	require.ErrorIs(t, err, core.ErrEventSourceMismatch)
	require.ErrorContains(t, err, "Lambda would retry the whole batch")

	all := `{"Records":[{"messageId":"m1","body":"x","eventSource":"aws:sqs"}]}`
	stderr.Reset()
	err = run(context.Background(), adapter, []byte(all), nil, &stdout, &stderr)
	require.ErrorIs(t, err, core.ErrFullBatchFailure)
	require.Contains(t, stderr.String(), "failed: record 0 (m1): ", "the reasons are printed when every record failed")

	err = run(context.Background(), lambda.NewHandler(typedHandler), []byte(`{"Records":7}`), nil, &stdout, &stderr)
	require.ErrorContains(t, err, "does not decode")

	stdout.Reset()
	err = run(context.Background(), adapter, nil, []string{filepath.Join(t.TempDir(), "missing.json")}, &stdout, &stderr)
	require.ErrorIs(t, err, os.ErrNotExist)
	require.Empty(t, stdout.String())
}

// The local run gives the handler a Lambda context with a request id.
func TestRunLambdaContext(t *testing.T) {
	var got string
	h := lambda.NewHandler(func(ctx context.Context, _ json.RawMessage) (string, error) {
		got = requestID(ctx)
		return "1", nil
	})
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(context.Background(), h, []byte(`{}`), nil, &stdout, &stderr))
	require.Equal(t, localRequestID, got)
}

// Start, outside Lambda, runs the handler on the event file and prints the
// response and the reasons, with no aws-lambda-go error about missing Lambda
// environment variables; without an event it says how to pass one and
// exits 1.
func TestStartOutsideLambda(t *testing.T) {
	if os.Getenv("LAMBDAMAIN_HELPER") != "" {
		os.Args = append([]string{os.Args[0]}, strings.Fields(os.Getenv("LAMBDAMAIN_HELPER"))[1:]...)
		Start(adapter, nil)
		os.Exit(0)
	}
	event := writeFile(t, "event.json", sqsEvent)
	runStart := func(args string) (string, string, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestStartOutsideLambda$")
		cmd.Env = append(os.Environ(), "LAMBDAMAIN_HELPER=x "+args, "AWS_LAMBDA_RUNTIME_API=")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	stdout, stderr, err := runStart(event)
	require.NoError(t, err, stderr)
	require.Equal(t, wantResponse, stdout)
	require.Contains(t, stderr, "failed: record 2 (m3): n is 3")

	stdout, stderr, err = runStart("")
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit))
	require.Equal(t, 1, exit.ExitCode())
	require.Empty(t, stdout)
	require.Contains(t, stderr, "pass an event file")
	require.NotContains(t, stderr, "expected AWS Lambda environment variables")
}
