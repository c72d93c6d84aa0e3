package config_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/config"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

// envHook counts the records it sees end.
type envHook struct {
	core.NopHook
	name string
	ends *atomic.Int64
}

func (h envHook) RecordEnd(context.Context, core.RecordInfo) { h.ends.Add(1) }

var envHookEnds atomic.Int64

// captured holds the Config the "test-capture" processor was opened with.
var captured struct {
	sync.Mutex
	c processors.Config
}

func init() {
	config.RegisterHook("test-env-a", func() (core.Hook, error) { return envHook{name: "a", ends: &envHookEnds}, nil })
	config.RegisterHook("test-env-b", func() (core.Hook, error) { return envHook{name: "b", ends: &envHookEnds}, nil })
	config.RegisterHook("test-env-broken", func() (core.Hook, error) { return nil, errors.New("SENTRY_DSN is unset") })
	config.Register("test-capture", func(c processors.Config) (core.PartialProcessor[events.SQSMessage], error) {
		captured.Lock()
		captured.c = c
		captured.Unlock()
		return processors.NewSQS(processors.Config{})
	})
}

// env builds an environment from name, value pairs.
func env(vars map[string]string) []string {
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	return out
}

// openCapture opens "test-capture" from vars and returns the Config it got.
func openCapture(t *testing.T, vars map[string]string) processors.Config {
	t.Helper()
	vars["BATCHKIT_PROCESSOR"] = "test-capture"
	_, err := config.OpenEnv[events.SQSMessage](env(vars))
	require.NoError(t, err)
	captured.Lock()
	defer captured.Unlock()
	return captured.c
}

// Each variable reaches its Config field; unset ones keep the zero value.
func TestOpenEnvSettings(t *testing.T) {
	tests := []struct {
		name  string
		vars  map[string]string
		want  processors.Config
		hooks []string
	}{
		{name: "only the processor: the zero Config", vars: map[string]string{}},
		{
			name: "every variable",
			vars: map[string]string{
				"BATCHKIT_SKIP_GROUP_ON_ERROR":       "true",
				"BATCHKIT_SUPPRESS_FULL_BATCH_ERROR": "true",
				"BATCHKIT_CONCURRENCY":               "8",
				"BATCHKIT_DEADLINE_MARGIN":           "1500ms",
				"BATCHKIT_STOP_ON_FIRST_FAILURE":     "1",
				"BATCHKIT_ORDER_BY_KEY":              " TRUE ",
				"BATCHKIT_HOOKS":                     " test-env-b , test-env-a",
			},
			want: processors.Config{
				Options:            core.Options{SuppressFullBatchError: true, Concurrency: 8, DeadlineMargin: 1500 * time.Millisecond},
				SkipGroupOnError:   true,
				StopOnFirstFailure: true,
				OrderByKey:         true,
			},
			hooks: []string{"b", "a"},
		},
		{
			name: "explicit zero values",
			vars: map[string]string{
				"BATCHKIT_SKIP_GROUP_ON_ERROR":       "False",
				"BATCHKIT_SUPPRESS_FULL_BATCH_ERROR": "0",
				"BATCHKIT_CONCURRENCY":               "0",
				"BATCHKIT_DEADLINE_MARGIN":           "0",
				"BATCHKIT_HOOKS":                     "",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := openCapture(t, tt.vars)
			var hooks []string
			for _, h := range got.Hooks {
				hooks = append(hooks, h.(envHook).name)
			}
			require.Equal(t, tt.hooks, hooks, "hooks in the listed order")
			got.Hooks = nil
			require.Equal(t, tt.want, got)
		})
	}
}

// Issue 24 §2: one name per setting. Every field of processors.Config is set
// by the variable named after it, and by no other: a field added without
// its variable, or a variable named otherwise, fails here.
func TestEnvNamesAreConfigFieldNames(t *testing.T) {
	want := map[string]string{
		"SuppressFullBatchError": "BATCHKIT_SUPPRESS_FULL_BATCH_ERROR",
		"Concurrency":            "BATCHKIT_CONCURRENCY",
		"DeadlineMargin":         "BATCHKIT_DEADLINE_MARGIN",
		"ReturnAtMargin":         "BATCHKIT_RETURN_AT_MARGIN",
		"Hooks":                  "BATCHKIT_HOOKS",
		"SkipGroupOnError":       "BATCHKIT_SKIP_GROUP_ON_ERROR",
		"StopOnFirstFailure":     "BATCHKIT_STOP_ON_FIRST_FAILURE",
		"OrderByKey":             "BATCHKIT_ORDER_BY_KEY",
	}
	var fields []string
	for _, f := range reflect.VisibleFields(reflect.TypeFor[processors.Config]()) {
		if !f.Anonymous && f.IsExported() {
			fields = append(fields, f.Name)
		}
	}
	require.ElementsMatch(t, fields, mapKeys(want), "every processors.Config field has its variable")
	for field, name := range want {
		_, err := config.OpenEnv[events.SQSMessage](env(map[string]string{"BATCHKIT_PROCESSOR": "sqs", name: "!"}))
		var ee *config.EnvError
		require.ErrorAs(t, err, &ee, "%s is read", name)
		require.Equal(t, name, ee.Variable, "%s is set by %s", field, name)
	}
}

func mapKeys(m map[string]string) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

// Issue 24 §2: the setting has one polarity everywhere:
// BATCHKIT_SUPPRESS_FULL_BATCH_ERROR=true is SuppressFullBatchError: true,
// and the old, inverted name sets nothing.
func TestSuppressFullBatchError(t *testing.T) {
	event := batchtest.SQSEvent("fail")
	for _, tt := range []struct {
		vars    map[string]string
		wantErr bool
	}{
		{map[string]string{"BATCHKIT_PROCESSOR": "sqs"}, true},
		{map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_SUPPRESS_FULL_BATCH_ERROR": "false"}, true},
		{map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_SUPPRESS_FULL_BATCH_ERROR": "true"}, false},
		{map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_RAISE_ON_ENTIRE_BATCH_FAILURE": "false"}, true},
	} {
		p, err := config.OpenEnv[events.SQSMessage](env(tt.vars))
		require.NoError(t, err)
		resp, err := core.Process(t.Context(), p, event.Records, failBody)
		require.Len(t, resp.BatchItemFailures, 1)
		if tt.wantErr {
			require.ErrorIs(t, err, core.ErrFullBatchFailure, "%v", tt.vars)
		} else {
			require.NoError(t, err, "%v", tt.vars)
		}
	}
}

func TestOpenEnvErrors(t *testing.T) {
	tests := []struct {
		name     string
		vars     map[string]string
		variable string
		// message is the whole error message.
		message string
		// cause is an error the EnvError must wrap, if any.
		cause error
	}{
		{name: "processor unset", vars: map[string]string{}, variable: "BATCHKIT_PROCESSOR",
			message: "batchkit: BATCHKIT_PROCESSOR unset; registered for events.SQSMessage: sqs, sqs-fifo, test-bad-error, test-broken, test-capture, test-nil, test-panic, test-upper"},
		{name: "processor empty", vars: map[string]string{"BATCHKIT_PROCESSOR": " "}, variable: "BATCHKIT_PROCESSOR",
			message: `batchkit: BATCHKIT_PROCESSOR=" ": empty; registered for events.SQSMessage: sqs, sqs-fifo, test-bad-error, test-broken, test-capture, test-nil, test-panic, test-upper`},
		{name: "processor unknown", vars: map[string]string{"BATCHKIT_PROCESSOR": "fifo"}, variable: "BATCHKIT_PROCESSOR",
			message: `batchkit: BATCHKIT_PROCESSOR="fifo": unknown processor "fifo" for events.SQSMessage; registered: sqs, sqs-fifo, test-bad-error, test-broken, test-capture, test-nil, test-panic, test-upper`},
		{name: "processor of another record type", vars: map[string]string{"BATCHKIT_PROCESSOR": "kinesis"}, variable: "BATCHKIT_PROCESSOR",
			message: `batchkit: BATCHKIT_PROCESSOR="kinesis": processor "kinesis" handles events.KinesisEventRecord, not events.SQSMessage; registered: sqs, sqs-fifo, test-bad-error, test-broken, test-capture, test-nil, test-panic, test-upper`},
		{name: "bad bool", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs-fifo", "BATCHKIT_SKIP_GROUP_ON_ERROR": "yes"}, variable: "BATCHKIT_SKIP_GROUP_ON_ERROR",
			message: `batchkit: BATCHKIT_SKIP_GROUP_ON_ERROR="yes": not true or false`},
		{name: "empty bool", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_SUPPRESS_FULL_BATCH_ERROR": ""}, variable: "BATCHKIT_SUPPRESS_FULL_BATCH_ERROR",
			message: `batchkit: BATCHKIT_SUPPRESS_FULL_BATCH_ERROR="": not true or false`},
		{name: "bad stop on first failure", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_STOP_ON_FIRST_FAILURE": "on"}, variable: "BATCHKIT_STOP_ON_FIRST_FAILURE",
			message: `batchkit: BATCHKIT_STOP_ON_FIRST_FAILURE="on": not true or false`},
		{name: "bad order by key", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_ORDER_BY_KEY": "2"}, variable: "BATCHKIT_ORDER_BY_KEY",
			message: `batchkit: BATCHKIT_ORDER_BY_KEY="2": not true or false`},
		{name: "concurrency not a number", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_CONCURRENCY": "four"}, variable: "BATCHKIT_CONCURRENCY",
			message: `batchkit: BATCHKIT_CONCURRENCY="four": not an integer >= 0`},
		{name: "concurrency negative", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_CONCURRENCY": "-2"}, variable: "BATCHKIT_CONCURRENCY",
			message: `batchkit: BATCHKIT_CONCURRENCY="-2": not an integer >= 0`},
		{name: "margin without unit", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_DEADLINE_MARGIN": "5"}, variable: "BATCHKIT_DEADLINE_MARGIN",
			message: `batchkit: BATCHKIT_DEADLINE_MARGIN="5": not a duration >= 0 (such as "500ms")`},
		{name: "margin negative", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_DEADLINE_MARGIN": "-1s"}, variable: "BATCHKIT_DEADLINE_MARGIN",
			message: `batchkit: BATCHKIT_DEADLINE_MARGIN="-1s": not a duration >= 0 (such as "500ms")`},
		{name: "unknown hook", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_HOOKS": "test-env-a,otle"}, variable: "BATCHKIT_HOOKS",
			message: `batchkit: BATCHKIT_HOOKS="test-env-a,otle": unknown hook "otle"; registered: `},
		{name: "hook named twice", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_HOOKS": "test-env-a,test-env-a"}, variable: "BATCHKIT_HOOKS",
			message: `batchkit: BATCHKIT_HOOKS="test-env-a,test-env-a": hook "test-env-a" named twice`},
		{name: "empty hook name", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_HOOKS": "test-env-a,"}, variable: "BATCHKIT_HOOKS",
			message: `batchkit: BATCHKIT_HOOKS="test-env-a,": empty hook name`},
		{name: "hook fails", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_HOOKS": "test-env-broken"}, variable: "BATCHKIT_HOOKS",
			message: `batchkit: BATCHKIT_HOOKS="test-env-broken": hook "test-env-broken": SENTRY_DSN is unset`},
		{name: "skip group on a standard queue", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_SKIP_GROUP_ON_ERROR": "true"}, variable: "BATCHKIT_SKIP_GROUP_ON_ERROR",
			message: `batchkit: BATCHKIT_SKIP_GROUP_ON_ERROR="true": sqs: applies only to sqs-fifo`, cause: &core.ConfigError{}},
		{name: "stop on first failure on FIFO", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs-fifo", "BATCHKIT_STOP_ON_FIRST_FAILURE": "true"}, variable: "BATCHKIT_STOP_ON_FIRST_FAILURE",
			message: `batchkit: BATCHKIT_STOP_ON_FIRST_FAILURE="true": sqs-fifo: applies only to kinesis and dynamodb`, cause: &core.ConfigError{}},
		{name: "FIFO concurrency without skip group", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs-fifo", "BATCHKIT_CONCURRENCY": "4"}, variable: "BATCHKIT_CONCURRENCY",
			message: `batchkit: BATCHKIT_CONCURRENCY="4": sqs-fifo: needs SkipGroupOnError (FIFO stops the batch at its first failure)`, cause: &core.ConfigError{}},
		{name: "a custom processor's error", vars: map[string]string{"BATCHKIT_PROCESSOR": "test-broken"}, variable: "BATCHKIT_PROCESSOR",
			message: `batchkit: BATCHKIT_PROCESSOR="test-broken": table name missing`},
		{name: "a typo", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_CONCURENCY": "4"}, variable: "BATCHKIT_CONCURENCY",
			message: `batchkit: BATCHKIT_CONCURENCY="4": unknown variable; did you mean BATCHKIT_CONCURRENCY?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := config.OpenEnv[events.SQSMessage](env(tt.vars))
			require.Error(t, err)
			require.Nil(t, p)
			require.ErrorIs(t, err, core.ErrInvalidConfig)
			var ee *config.EnvError
			require.ErrorAs(t, err, &ee)
			require.Equal(t, tt.variable, ee.Variable)
			if tt.message[len(tt.message)-1] == ' ' {
				require.Contains(t, err.Error(), tt.message)
			} else {
				require.Equal(t, tt.message, err.Error())
			}
			if ce, ok := tt.cause.(*core.ConfigError); ok {
				require.ErrorAs(t, err, &ce)
			}
		})
	}
}

// The environment really changes the processor's behaviour.
func TestOpenEnvBehaviour(t *testing.T) {
	fifo := batchtest.FIFOEvent(
		batchtest.FIFOMessage{Group: "a", Body: "fail"},
		batchtest.FIFOMessage{Group: "b", Body: "ok"},
		batchtest.FIFOMessage{Group: "a", Body: "ok"},
		batchtest.FIFOMessage{Group: "b", Body: "ok"},
	)
	tests := []struct {
		name      string
		vars      map[string]string
		failed    []int
		hookCalls int64
	}{
		{name: "standard", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs"}, failed: []int{0}},
		{name: "FIFO", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs-fifo"}, failed: []int{0, 1, 2, 3}},
		{name: "FIFO skip group", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs-fifo", "BATCHKIT_SKIP_GROUP_ON_ERROR": "true"}, failed: []int{0, 2}},
		{name: "FIFO skip group concurrent with hooks", vars: map[string]string{
			"BATCHKIT_PROCESSOR": "sqs-fifo", "BATCHKIT_SKIP_GROUP_ON_ERROR": "true", "BATCHKIT_CONCURRENCY": "2", "BATCHKIT_HOOKS": "test-env-a,test-env-b",
		}, failed: []int{0, 2}, hookCalls: 2 * 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.vars["BATCHKIT_SUPPRESS_FULL_BATCH_ERROR"] = "true"
			p, err := config.OpenEnv[events.SQSMessage](env(tt.vars))
			require.NoError(t, err)
			before := envHookEnds.Load()
			resp, err := core.Process(t.Context(), p, fifo.Records, failBody)
			require.NoError(t, err)
			want := make([]string, len(tt.failed))
			for k, i := range tt.failed {
				want[k] = fifo.Records[i].MessageId
			}
			require.Equal(t, want, batchtest.FailedIDs(resp))
			require.Equal(t, tt.hookCalls, envHookEnds.Load()-before)
		})
	}
}

// With nil, OpenEnv reads the process environment; the last entry of a
// name wins, as with exec.Cmd.Env.
func TestOpenEnvProcessEnvironment(t *testing.T) {
	t.Setenv("BATCHKIT_PROCESSOR", "kinesis")
	t.Setenv("BATCHKIT_STOP_ON_FIRST_FAILURE", "true")
	p, err := config.OpenEnv[events.KinesisEventRecord](nil)
	require.NoError(t, err)
	require.Equal(t, core.StopBatch, p.(*processors.KinesisProcessor).Source().Stop)

	p, err = config.OpenEnv[events.KinesisEventRecord](append(os.Environ(), "BATCHKIT_STOP_ON_FIRST_FAILURE=false"))
	require.NoError(t, err)
	require.NotEqual(t, core.StopBatch, p.(*processors.KinesisProcessor).Source().Stop)
}

// captureLog sends the default slog logger's records to a slice for the
// test, and restores the default logger after it.
func captureLog(t *testing.T) *logRecords {
	t.Helper()
	h := &logRecords{}
	prev := slog.Default()
	slog.SetDefault(slog.New(h))
	t.Cleanup(func() { slog.SetDefault(prev) })
	return h
}

// logRecords is a slog.Handler keeping every record.
type logRecords struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecords) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r.Clone())
	return nil
}
func (h *logRecords) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logRecords) WithGroup(string) slog.Handler      { return h }

// warned returns the variables of the "unknown variable" warnings.
func (h *logRecords) warned() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var names []string
	for _, r := range h.records {
		if r.Level != slog.LevelWarn || r.Message != "batchkit: unknown environment variable ignored" {
			continue
		}
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "variable" {
				names = append(names, a.Value.String())
			}
			return true
		})
	}
	return names
}

// Issue 24 §2: a BATCHKIT_* variable one edit from a known name is an error
// naming that name; any other unknown one (an application's own) is logged,
// once per name, and start-up goes on.
func TestUnknownVariables(t *testing.T) {
	t.Run("typos are errors naming the closest", func(t *testing.T) {
		for typo, known := range map[string]string{
			"BATCHKIT_CONCURENCY":                 "BATCHKIT_CONCURRENCY",  // a letter missing
			"BATCHKIT_ORDER_BY_KYE":               "BATCHKIT_ORDER_BY_KEY", // letters swapped
			"BATCHKIT_HOKS":                       "BATCHKIT_HOOKS",        // a letter missing
			"BATCHKIT_PROCESSORR":                 "BATCHKIT_PROCESSOR",    // a letter extra
			"BATCHKIT_DEADLINE_MARGEN":            "BATCHKIT_DEADLINE_MARGIN",
			"BATCHKIT_SUPPRESS_FULL_BATCH_ERRORS": "BATCHKIT_SUPPRESS_FULL_BATCH_ERROR",
		} {
			logs := captureLog(t)
			_, err := config.OpenEnv[events.SQSMessage](env(map[string]string{"BATCHKIT_PROCESSOR": "sqs", typo: "4"}))
			var ee *config.EnvError
			require.ErrorAs(t, err, &ee)
			require.ErrorIs(t, err, core.ErrInvalidConfig)
			require.Equal(t, typo, ee.Variable)
			require.ErrorContains(t, err, "did you mean "+known+"?")
			require.Empty(t, logs.warned())
		}
	})
	t.Run("an application's own variable is logged once, not fatal", func(t *testing.T) {
		logs := captureLog(t)
		vars := map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_MY_APP_FLAG": "on", "BATCHKIT_TABLE_NAME": "orders"}
		for range 3 {
			p, err := config.OpenEnv[events.SQSMessage](env(vars))
			require.NoError(t, err)
			require.NotNil(t, p)
		}
		require.Equal(t, []string{"BATCHKIT_MY_APP_FLAG", "BATCHKIT_TABLE_NAME"}, logs.warned(), "once per name, in name order")
	})
	t.Run("the old name of SuppressFullBatchError is only unknown", func(t *testing.T) {
		// No alias (nothing was published): it is not read (see
		// TestSuppressFullBatchError) and not an error.
		_, err := config.OpenEnv[events.SQSMessage](env(map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_RAISE_ON_ENTIRE_BATCH_FAILURE": "false"}))
		require.NoError(t, err)
	})
	t.Run("process environment", func(t *testing.T) {
		logs := captureLog(t)
		t.Setenv("BATCHKIT_PROCESSOR", "sqs")
		t.Setenv("BATCHKIT_PROCESS_ENV_FLAG", "1")
		_, err := config.OpenEnv[events.SQSMessage](nil)
		require.NoError(t, err)
		require.Contains(t, logs.warned(), "BATCHKIT_PROCESS_ENV_FLAG")
		t.Setenv("BATCHKIT_CONCURRENCYY", "4")
		_, err = config.OpenEnv[events.SQSMessage](nil)
		require.ErrorContains(t, err, `batchkit: BATCHKIT_CONCURRENCYY="4": unknown variable; did you mean BATCHKIT_CONCURRENCY?`)
	})
}

// OpenEnv builds the processor the environment describes; an error names
// the variable at fault.
func ExampleOpenEnv() {
	environ := []string{ // nil reads the process environment
		"BATCHKIT_PROCESSOR=sqs-fifo",
		"BATCHKIT_SKIP_GROUP_ON_ERROR=true",
		"BATCHKIT_CONCURRENCY=4",
	}
	p, err := config.OpenEnv[events.SQSMessage](environ)
	fmt.Println(p != nil, err)

	_, err = config.OpenEnv[events.SQSMessage](append(environ, "BATCHKIT_PROCESSOR=sqs"))
	fmt.Println(err)

	_, err = config.OpenEnv[events.SQSMessage](append(environ, "BATCHKIT_CONCURRENCY=-1"))
	fmt.Println(err)
	// Output:
	// true <nil>
	// batchkit: BATCHKIT_SKIP_GROUP_ON_ERROR="true": sqs: applies only to sqs-fifo
	// batchkit: BATCHKIT_CONCURRENCY="-1": not an integer >= 0
}

// A misspelt variable stops start-up; an application's own BATCHKIT_*
// variable does not (it is logged once, at level Warn).
func ExampleOpenEnv_unknownVariables() {
	_, err := config.OpenEnv[events.SQSMessage]([]string{"BATCHKIT_PROCESSOR=sqs", "BATCHKIT_ORDER_BY_KYE=true"})
	fmt.Println(err)

	_, err = config.OpenEnv[events.SQSMessage]([]string{"BATCHKIT_PROCESSOR=sqs", "BATCHKIT_EXAMPLE_APP_TABLE=orders"})
	fmt.Println(err)
	// Output:
	// batchkit: BATCHKIT_ORDER_BY_KYE="true": unknown variable; did you mean BATCHKIT_ORDER_BY_KEY?
	// <nil>
}

// An EnvError names the variable to fix; it matches core.ErrInvalidConfig,
// and unwraps to the processor's own error when the processor refused the
// value.
func ExampleEnvError() {
	_, err := config.OpenEnv[events.KinesisEventRecord]([]string{
		"BATCHKIT_PROCESSOR=kinesis",
		"BATCHKIT_CONCURRENCY=4",
		"BATCHKIT_SKIP_GROUP_ON_ERROR=true",
	})
	var envErr *config.EnvError
	if errors.As(err, &envErr) {
		fmt.Println(envErr.Variable, errors.Is(err, core.ErrInvalidConfig))
	}
	var ce *core.ConfigError
	if errors.As(err, &ce) {
		fmt.Println(ce.Setting)
	}
	// Output:
	// BATCHKIT_SKIP_GROUP_ON_ERROR true
	// SkipGroupOnError
}
