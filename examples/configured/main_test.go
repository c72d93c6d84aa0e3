package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/batchkit/batchkit/config"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
)

// The sample event: five orders; o-2 (position 1, customer-1) is invalid.
// customer-1 holds positions 0, 1, 3 and customer-2 positions 2, 4.
const (
	id1 = "3f1c0a52-1d8e-4b7a-9c35-0a1b2c3d4e01"
	id2 = "3f1c0a52-1d8e-4b7a-9c35-0a1b2c3d4e02"
	id3 = "3f1c0a52-1d8e-4b7a-9c35-0a1b2c3d4e03"
	id4 = "3f1c0a52-1d8e-4b7a-9c35-0a1b2c3d4e04"
	id5 = "3f1c0a52-1d8e-4b7a-9c35-0a1b2c3d4e05"
)

// env is an environment of the given variables, so tests leave the
// process environment alone.
func env(vars map[string]string) []string {
	out := []string{}
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	return out
}

// captureLog points the "log" hook at a buffer for the test.
func captureLog(t *testing.T) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	prev := logOutput
	logOutput = &buf
	t.Cleanup(func() { logOutput = prev })
	return &buf
}

func sample(t *testing.T) events.SQSEvent {
	t.Helper()
	var ev events.SQSEvent
	require.NoError(t, json.Unmarshal(sampleEvent, &ev))
	require.Len(t, ev.Records, 5)
	return ev
}

func failedIDs(resp core.Response) []string {
	ids := []string{}
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier.String())
	}
	return ids
}

// Only environment variables switch the function between standard, FIFO
// and FIFO skip-group, and hooks on and off.
func TestEnvironmentChoosesProcessor(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		want []string
		// logged are the message ids the "log" hook must log, one line
		// each; nil: hooks off, nothing logged.
		logged []string
	}{
		{name: "standard", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs"}, want: []string{id2}},
		{name: "FIFO", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs-fifo"}, want: []string{id2, id3, id4, id5}},
		{name: "FIFO skip group", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs-fifo", "BATCHKIT_SKIP_GROUP_ON_ERROR": "true"}, want: []string{id2, id4}},
		{name: "FIFO skip group, concurrent", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs-fifo", "BATCHKIT_SKIP_GROUP_ON_ERROR": "true", "BATCHKIT_CONCURRENCY": "2"}, want: []string{id2, id4}},
		{name: "standard, hooks on", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_HOOKS": "log"}, want: []string{id2}, logged: []string{id2}},
		{name: "FIFO skip group, hooks on", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs-fifo", "BATCHKIT_SKIP_GROUP_ON_ERROR": "true", "BATCHKIT_HOOKS": "log"}, want: []string{id2, id4}, logged: []string{id2, id4}},
		{name: "FIFO, hooks explicitly off", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs-fifo", "BATCHKIT_HOOKS": ""}, want: []string{id2, id3, id4, id5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := captureLog(t)
			handler, err := newHandler(env(tt.vars))
			require.NoError(t, err)
			resp, err := handler(t.Context(), rawEvent(t, sample(t)))
			require.NoError(t, err)
			require.Equal(t, tt.want, failedIDs(resp))

			lines := strings.FieldsFunc(logs.String(), func(r rune) bool { return r == '\n' })
			require.Len(t, lines, len(tt.logged), "one log line per failed record with hooks on, none with hooks off:\n%s", logs)
			for i, id := range tt.logged {
				require.Contains(t, lines[i], `msg="record failed"`)
				require.Contains(t, lines[i], "messageId="+id)
			}
		})
	}
}

// Invalid settings fail at start-up with a message that names the variable
// and the accepted values.
func TestInvalidEnvironment(t *testing.T) {
	tests := []struct {
		name     string
		vars     map[string]string
		variable string
		message  string
	}{
		{name: "no processor", vars: map[string]string{}, variable: "BATCHKIT_PROCESSOR",
			message: "batchkit: BATCHKIT_PROCESSOR unset; registered for events.SQSMessage: sqs, sqs-fifo"},
		{name: "unknown processor", vars: map[string]string{"BATCHKIT_PROCESSOR": "fifo"}, variable: "BATCHKIT_PROCESSOR",
			message: `batchkit: BATCHKIT_PROCESSOR="fifo": unknown processor "fifo" for events.SQSMessage; registered: sqs, sqs-fifo`},
		{name: "stream processor for an SQS function", vars: map[string]string{"BATCHKIT_PROCESSOR": "kinesis"}, variable: "BATCHKIT_PROCESSOR",
			message: `batchkit: BATCHKIT_PROCESSOR="kinesis": processor "kinesis" handles events.KinesisEventRecord, not events.SQSMessage; registered: sqs, sqs-fifo`},
		{name: "skip group not a bool", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs-fifo", "BATCHKIT_SKIP_GROUP_ON_ERROR": "yes"}, variable: "BATCHKIT_SKIP_GROUP_ON_ERROR",
			message: `batchkit: BATCHKIT_SKIP_GROUP_ON_ERROR="yes": not true or false`},
		{name: "skip group on a standard queue", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_SKIP_GROUP_ON_ERROR": "true"}, variable: "BATCHKIT_SKIP_GROUP_ON_ERROR",
			message: `batchkit: BATCHKIT_SKIP_GROUP_ON_ERROR="true": sqs: applies only to sqs-fifo`},
		{name: "unknown hook", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_HOOKS": "logs"}, variable: "BATCHKIT_HOOKS",
			message: `batchkit: BATCHKIT_HOOKS="logs": unknown hook "logs"; registered: log`},
		{name: "negative concurrency", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_CONCURRENCY": "-1"}, variable: "BATCHKIT_CONCURRENCY",
			message: `batchkit: BATCHKIT_CONCURRENCY="-1": not an integer >= 0`},
		{name: "margin without unit", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_DEADLINE_MARGIN": "200"}, variable: "BATCHKIT_DEADLINE_MARGIN",
			message: `batchkit: BATCHKIT_DEADLINE_MARGIN="200": not a duration >= 0 (such as "500ms")`},
		{name: "suppress not a bool", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_SUPPRESS_FULL_BATCH_ERROR": "no"}, variable: "BATCHKIT_SUPPRESS_FULL_BATCH_ERROR",
			message: `batchkit: BATCHKIT_SUPPRESS_FULL_BATCH_ERROR="no": not true or false`},
		{name: "misspelt variable", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_SKIP_GROUP_ON_EROR": "true"}, variable: "BATCHKIT_SKIP_GROUP_ON_EROR",
			message: `batchkit: BATCHKIT_SKIP_GROUP_ON_EROR="true": unknown variable; did you mean BATCHKIT_SKIP_GROUP_ON_ERROR?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			handler, err := newHandler(env(tt.vars))
			require.Nil(t, handler)
			var envErr *config.EnvError
			require.ErrorAs(t, err, &envErr)
			require.Equal(t, tt.variable, envErr.Variable)
			require.Equal(t, tt.message, err.Error())
		})
	}
}

// The local run (go run) prints the response for the bundled event.
func TestLocalRun(t *testing.T) {
	handler, err := newHandler(env(map[string]string{"BATCHKIT_PROCESSOR": "sqs-fifo", "BATCHKIT_SKIP_GROUP_ON_ERROR": "true"}))
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, batchtest.RunLocal(t.Context(), handler, sampleEvent, nil, &out))
	require.JSONEq(t, `{"batchItemFailures":[{"itemIdentifier":"`+id2+`"},{"itemIdentifier":"`+id4+`"}]}`, out.String())
}

// With BATCHKIT_SUPPRESS_FULL_BATCH_ERROR=true, a batch whose records all
// fail returns the list instead of an error.
func TestSuppressFullBatchError(t *testing.T) {
	ev := sample(t)
	ev.Records = ev.Records[1:2] // only the invalid order
	for _, suppress := range []string{"true", "false"} {
		handler, err := newHandler(env(map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_SUPPRESS_FULL_BATCH_ERROR": suppress}))
		require.NoError(t, err)
		resp, err := handler(t.Context(), rawEvent(t, ev))
		require.Equal(t, []string{id2}, failedIDs(resp))
		if suppress == "false" {
			require.ErrorIs(t, err, core.ErrFullBatchFailure)
		} else {
			require.NoError(t, err)
		}
	}
}

// An application's own BATCHKIT_* variable does not stop start-up.
func TestOwnVariable(t *testing.T) {
	handler, err := newHandler(env(map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_ORDERS_TABLE": "orders"}))
	require.NoError(t, err)
	require.NotNil(t, handler)
}

// rawEvent is the event as Lambda sends it.
func rawEvent(t *testing.T, ev events.SQSEvent) json.RawMessage {
	t.Helper()
	data, err := json.Marshal(ev)
	require.NoError(t, err)
	return data
}
