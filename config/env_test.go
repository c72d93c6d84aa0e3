package config_test

import (
	"context"
	"errors"
	"fmt"
	"os"
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

func init() {
	core.RegisterHook("test-env-a", func() (core.Hook, error) { return envHook{name: "a", ends: &envHookEnds}, nil })
	core.RegisterHook("test-env-b", func() (core.Hook, error) { return envHook{name: "b", ends: &envHookEnds}, nil })
	core.RegisterHook("test-env-broken", func() (core.Hook, error) { return nil, errors.New("SENTRY_DSN is unset") })
}

// env is a lookup function over a map, so tests leave the process
// environment alone.
func env(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

func TestLoadEnv(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		want processors.Config
		// hooks are the expected hook names.
		hooks []string
	}{
		{name: "only the processor: Powertools defaults", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs"}},
		{
			name: "every variable",
			vars: map[string]string{
				"BATCHKIT_PROCESSOR":                     "sqs-fifo",
				"BATCHKIT_SKIP_GROUP_ON_ERROR":           "true",
				"BATCHKIT_RAISE_ON_ENTIRE_BATCH_FAILURE": "false",
				"BATCHKIT_CONCURRENCY":                   "8",
				"BATCHKIT_DEADLINE_MARGIN":               "1500ms",
				"BATCHKIT_STOP_ON_FIRST_FAILURE":         "1",
				"BATCHKIT_ORDER_BY_KEY":                  "TRUE",
				"BATCHKIT_HOOKS":                         " test-env-b , test-env-a",
			},
			want: processors.Config{
				Options:            core.Options{SuppressFullBatchError: true, Concurrency: 8, DeadlineMargin: 1500 * time.Millisecond},
				SkipGroupOnError:   true,
				StopOnFirstFailure: true,
				OrderByKey:         true,
			},
			hooks: []string{"test-env-b", "test-env-a"},
		},
		{
			name: "explicit defaults",
			vars: map[string]string{
				"BATCHKIT_SKIP_GROUP_ON_ERROR":           "False",
				"BATCHKIT_RAISE_ON_ENTIRE_BATCH_FAILURE": "true",
				"BATCHKIT_CONCURRENCY":                   "0",
				"BATCHKIT_DEADLINE_MARGIN":               "0",
				"BATCHKIT_HOOKS":                         "",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := config.LoadEnv(env(tt.vars))
			require.NoError(t, err)
			require.Equal(t, tt.vars["BATCHKIT_PROCESSOR"], s.Processor)
			require.Equal(t, tt.hooks, s.HookNames)
			require.Len(t, s.Config.Hooks, len(tt.hooks))
			for i, h := range s.Config.Hooks {
				require.Equal(t, tt.hooks[i], "test-env-"+h.(envHook).name, "hooks keep the listed order")
			}
			got := s.Config
			got.Hooks = nil
			require.Equal(t, tt.want, got)
		})
	}
}

func TestOpenEnvErrors(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		// variable is the variable the error must name.
		variable string
		// want are fragments of the message: the value, the problem and
		// the accepted values.
		want []string
		// cause is an error the EnvError must wrap, if any.
		cause error
	}{
		{name: "processor unset", vars: map[string]string{}, variable: "BATCHKIT_PROCESSOR",
			want: []string{"environment variable BATCHKIT_PROCESSOR is required but unset", "one of sqs, sqs-fifo", "events.SQSMessage"}},
		{name: "processor empty", vars: map[string]string{"BATCHKIT_PROCESSOR": " "}, variable: "BATCHKIT_PROCESSOR",
			want: []string{"is empty", "one of sqs, sqs-fifo"}},
		{name: "processor unknown", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs-fof"}, variable: "BATCHKIT_PROCESSOR",
			want: []string{`"sqs-fof"`, "no processor is registered under this name", "one of sqs, sqs-fifo"}, cause: config.ErrUnknownProcessor},
		{name: "processor of another record type", vars: map[string]string{"BATCHKIT_PROCESSOR": "kinesis"}, variable: "BATCHKIT_PROCESSOR",
			want: []string{"handles events.KinesisEventRecord records, not events.SQSMessage", "one of sqs, sqs-fifo"}, cause: config.ErrUnknownProcessor},
		{name: "bad bool", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs-fifo", "BATCHKIT_SKIP_GROUP_ON_ERROR": "yes"}, variable: "BATCHKIT_SKIP_GROUP_ON_ERROR",
			want: []string{`"yes"`, "not a boolean", "true or false"}},
		{name: "empty bool", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_RAISE_ON_ENTIRE_BATCH_FAILURE": ""}, variable: "BATCHKIT_RAISE_ON_ENTIRE_BATCH_FAILURE",
			want: []string{"not a boolean", "true or false"}},
		{name: "bad stop on first failure", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_STOP_ON_FIRST_FAILURE": "on"}, variable: "BATCHKIT_STOP_ON_FIRST_FAILURE",
			want: []string{`"on"`, "true or false"}},
		{name: "bad order by key", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_ORDER_BY_KEY": "2"}, variable: "BATCHKIT_ORDER_BY_KEY",
			want: []string{`"2"`, "true or false"}},
		{name: "concurrency not a number", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_CONCURRENCY": "four"}, variable: "BATCHKIT_CONCURRENCY",
			want: []string{`"four"`, "not an integer", "0 or more"}},
		{name: "concurrency negative", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_CONCURRENCY": "-2"}, variable: "BATCHKIT_CONCURRENCY",
			want: []string{`"-2"`, "negative", "0 or more"}},
		{name: "margin without unit", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_DEADLINE_MARGIN": "5"}, variable: "BATCHKIT_DEADLINE_MARGIN",
			want: []string{`"5"`, "not a Go duration", `"500ms"`}},
		{name: "margin negative", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_DEADLINE_MARGIN": "-1s"}, variable: "BATCHKIT_DEADLINE_MARGIN",
			want: []string{"negative", "Go duration"}},
		{name: "unknown hook", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_HOOKS": "test-env-a,otle"}, variable: "BATCHKIT_HOOKS",
			want: []string{`no hook is registered as "otle"`, "registered hooks:", "test-env-a", "test-env-b"}, cause: core.ErrUnknownHook},
		{name: "hook named twice", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_HOOKS": "test-env-a,test-env-a"}, variable: "BATCHKIT_HOOKS",
			want: []string{`names hook "test-env-a" twice`}},
		{name: "empty hook name", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_HOOKS": "test-env-a,"}, variable: "BATCHKIT_HOOKS",
			want: []string{"empty hook name"}},
		{name: "hook factory fails", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_HOOKS": "test-env-broken"}, variable: "BATCHKIT_HOOKS",
			want: []string{`hook "test-env-broken" could not be created`, "SENTRY_DSN is unset"}},
		{name: "skip group on a standard queue", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_SKIP_GROUP_ON_ERROR": "true"}, variable: "BATCHKIT_SKIP_GROUP_ON_ERROR",
			want: []string{`not accepted by the "sqs" processor`, "applies only to sqs-fifo"}},
		{name: "stop on first failure on FIFO", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs-fifo", "BATCHKIT_STOP_ON_FIRST_FAILURE": "true"}, variable: "BATCHKIT_STOP_ON_FIRST_FAILURE",
			want: []string{`not accepted by the "sqs-fifo" processor`, "applies only to kinesis and dynamodb"}},
		{name: "order by key on SQS", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_ORDER_BY_KEY": "true"}, variable: "BATCHKIT_ORDER_BY_KEY",
			want: []string{`not accepted by the "sqs" processor`}},
		{name: "FIFO concurrency without skip group", vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs-fifo", "BATCHKIT_CONCURRENCY": "4"}, variable: "BATCHKIT_CONCURRENCY",
			want: []string{`not accepted by the "sqs-fifo" processor`, "SkipGroupOnError"}},
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
			if !ee.Unset {
				require.Contains(t, err.Error(), "environment variable "+tt.variable+"=")
			}
			require.NotContains(t, err.Error(), `="" is invalid: it is unset`)
			if ee.Accepted != "" {
				require.Contains(t, err.Error(), "accepted values: "+ee.Accepted)
			}
			for _, s := range tt.want {
				require.Contains(t, err.Error(), s)
			}
			if tt.cause != nil {
				require.ErrorIs(t, err, tt.cause)
			}
		})
	}
}

func TestOpenEnvCustomFactoryError(t *testing.T) {
	_, err := config.OpenEnv[events.SQSMessage](env(map[string]string{"BATCHKIT_PROCESSOR": "test-broken"}))
	require.ErrorContains(t, err, `processor "test-broken" (BATCHKIT_PROCESSOR="test-broken") rejected its configuration: table name missing`)
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
			tt.vars["BATCHKIT_RAISE_ON_ENTIRE_BATCH_FAILURE"] = "false"
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

// Without a lookup function, OpenEnv reads the process environment.
func TestOpenEnvProcessEnvironment(t *testing.T) {
	t.Setenv("BATCHKIT_PROCESSOR", "kinesis")
	t.Setenv("BATCHKIT_STOP_ON_FIRST_FAILURE", "true")
	p, err := config.OpenEnv[events.KinesisEventRecord](nil)
	require.NoError(t, err)
	require.Equal(t, core.StopBatch, p.(*processors.KinesisProcessor).Source().Stop)
}

// OpenEnv builds the processor the environment describes; errors name the
// variable and what it accepts.
func ExampleOpenEnv() {
	environment := map[string]string{
		"BATCHKIT_PROCESSOR":           "sqs-fifo",
		"BATCHKIT_SKIP_GROUP_ON_ERROR": "true",
	}
	lookup := func(name string) (string, bool) { v, ok := environment[name]; return v, ok }
	p, err := config.OpenEnv[events.SQSMessage](lookup) // nil reads os.LookupEnv
	fmt.Println(p != nil, err)

	environment["BATCHKIT_PROCESSOR"] = "sqs"
	_, err = config.OpenEnv[events.SQSMessage](lookup)
	fmt.Println(err)

	environment["BATCHKIT_CONCURRENCY"] = "-1"
	_, err = config.OpenEnv[events.SQSMessage](lookup)
	fmt.Println(err)
	// Output:
	// true <nil>
	// batchkit: environment variable BATCHKIT_SKIP_GROUP_ON_ERROR="true" is not accepted by the "sqs" processor (BATCHKIT_PROCESSOR): applies only to sqs-fifo
	// batchkit: environment variable BATCHKIT_CONCURRENCY="-1" is invalid: it is negative; accepted values: an integer, 0 or more (0 and 1 handle one record at a time)
}

// OpenSettings takes a processor name and configuration from a Go struct;
// without the environment, errors are Open's.
func TestOpenSettings(t *testing.T) {
	p, err := config.OpenSettings[events.SQSMessage](config.Settings{Processor: "sqs-fifo", Config: processors.Config{SkipGroupOnError: true}})
	require.NoError(t, err)
	require.Equal(t, core.StopKey, p.(*processors.SQSProcessor).Source().Stop)

	_, err = config.OpenSettings[events.SQSMessage](config.Settings{})
	require.ErrorIs(t, err, config.ErrUnknownProcessor)
	require.ErrorContains(t, err, "sqs, sqs-fifo")

	_, err = config.OpenSettings[events.SQSMessage](config.Settings{Processor: "sqs", Config: processors.Config{OrderByKey: true}})
	var ce *core.ConfigError
	require.ErrorAs(t, err, &ce)
	var ee *config.EnvError
	require.False(t, errors.As(err, &ee), "no environment, no EnvError")
}

// Issue 10 item 11: a misspelt BATCHKIT_* variable is an error naming the
// closest known one, through a lookup function and through the process
// environment alike; a variable declared with RegisterEnvVariable is not.
func TestUnknownEnvVariableNamesTheClosest(t *testing.T) {
	tests := []struct {
		name, variable, want string
	}{
		{"letter missing", "BATCHKIT_CONCURENCY", "BATCHKIT_CONCURRENCY"},
		{"letters swapped", "BATCHKIT_ORDER_BY_KYE", "BATCHKIT_ORDER_BY_KEY"},
		{"wrong letter", "BATCHKIT_HOKS", "BATCHKIT_HOOKS"},
		{"extra letter", "BATCHKIT_PROCESSORR", "BATCHKIT_PROCESSOR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.LoadEnv(env(map[string]string{"BATCHKIT_PROCESSOR": "sqs", tt.variable: "4"}))
			var ee *config.EnvError
			require.ErrorAs(t, err, &ee)
			require.ErrorIs(t, err, core.ErrInvalidConfig)
			require.Equal(t, tt.variable, ee.Variable)
			require.ErrorContains(t, err, "did you mean "+tt.want+"?")
		})
	}
	t.Run("process environment", func(t *testing.T) {
		t.Setenv("BATCHKIT_PROCESSOR", "sqs")
		t.Setenv("BATCHKIT_CONCURENCY", "4")
		_, err := config.OpenEnv[events.SQSMessage](nil)
		require.ErrorContains(t, err, "BATCHKIT_CONCURENCY")
		require.ErrorContains(t, err, "did you mean BATCHKIT_CONCURRENCY?")
	})
	t.Run("a longer slip", func(t *testing.T) {
		t.Setenv("BATCHKIT_PROCESSOR", "sqs")
		t.Setenv("BATCHKIT_RAISE_ON_BATCH_FAILURE", "false")
		_, err := config.LoadEnv(nil)
		require.ErrorContains(t, err, "did you mean BATCHKIT_RAISE_ON_ENTIRE_BATCH_FAILURE?")
	})
	t.Run("batchkit's tools' variables", func(t *testing.T) {
		t.Setenv("BATCHKIT_PROCESSOR", "sqs")
		t.Setenv("BATCHKIT_SQS_ENDPOINT", "http://127.0.0.1:4566")
		t.Setenv("BATCHKIT_RIE", "aws-lambda-rie")
		_, err := config.LoadEnv(nil)
		require.NoError(t, err)
	})
	t.Run("any other unknown variable of the process environment", func(t *testing.T) {
		for _, lookup := range []func(string) (string, bool){nil, os.LookupEnv} {
			t.Setenv("BATCHKIT_PROCESSOR", "sqs")
			t.Setenv("BATCHKIT_PARALLELISM", "4")
			_, err := config.LoadEnv(lookup)
			var ee *config.EnvError
			require.ErrorAs(t, err, &ee)
			require.Equal(t, "BATCHKIT_PARALLELISM", ee.Variable)
			require.ErrorContains(t, err, "batchkit reads no such variable; did you mean BATCHKIT_")
		}
	})
	t.Run("far from every name, through a lookup function", func(t *testing.T) {
		// A lookup function cannot list its variables: only names one
		// typing slip away from a known one are looked up.
		_, err := config.LoadEnv(env(map[string]string{"BATCHKIT_PROCESSOR": "sqs", "BATCHKIT_PARALLELISM": "4"}))
		require.NoError(t, err)
	})
	t.Run("declared", func(t *testing.T) {
		config.RegisterEnvVariable("BATCHKIT_TEST_DECLARED")
		t.Setenv("BATCHKIT_PROCESSOR", "sqs")
		t.Setenv("BATCHKIT_TEST_DECLARED", "x")
		_, err := config.OpenEnv[events.SQSMessage](nil)
		require.NoError(t, err)
		require.Panics(t, func() { config.RegisterEnvVariable("OTHER_NAME") })
	})
}

// Issue 10 item 10: a setting that cannot take effect is an error, the same
// in code, in Config and by environment.
func TestSettingsThatCannotTakeEffectAreErrors(t *testing.T) {
	tests := []struct {
		name string
		kind string
		c    processors.Config
		vars map[string]string
		open func(processors.Config) error
	}{
		{name: "FIFO concurrency without skip-group", kind: "sqs-fifo",
			c:    processors.Config{Options: core.Options{Concurrency: 4}},
			vars: map[string]string{"BATCHKIT_PROCESSOR": "sqs-fifo", "BATCHKIT_CONCURRENCY": "4"},
			open: func(c processors.Config) error { _, err := processors.NewSQSFIFO(c); return err }},
		{name: "Kinesis stop-on-first-failure and concurrency without order-by-key", kind: "kinesis",
			c:    processors.Config{Options: core.Options{Concurrency: 4}, StopOnFirstFailure: true},
			vars: map[string]string{"BATCHKIT_PROCESSOR": "kinesis", "BATCHKIT_CONCURRENCY": "4", "BATCHKIT_STOP_ON_FIRST_FAILURE": "true"},
			open: func(c processors.Config) error { _, err := processors.NewKinesis(c); return err }},
		{name: "DynamoDB stop-on-first-failure and concurrency without order-by-key", kind: "dynamodb",
			c:    processors.Config{Options: core.Options{Concurrency: 4}, StopOnFirstFailure: true},
			vars: map[string]string{"BATCHKIT_PROCESSOR": "dynamodb", "BATCHKIT_CONCURRENCY": "4", "BATCHKIT_STOP_ON_FIRST_FAILURE": "true"},
			open: func(c processors.Config) error { _, err := processors.NewDynamoDB(c); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ce *core.ConfigError
			require.ErrorAs(t, tt.c.Validate(tt.kind), &ce)
			require.Equal(t, "Concurrency", ce.Setting)
			require.ErrorAs(t, tt.open(tt.c), &ce)
			_, err := config.Open[events.SQSMessage](tt.kind, tt.c)
			require.Error(t, err)
			var ee *config.EnvError
			var openErr error
			switch tt.kind {
			case "sqs-fifo":
				_, openErr = config.OpenEnv[events.SQSMessage](env(tt.vars))
			case "kinesis":
				_, openErr = config.OpenEnv[events.KinesisEventRecord](env(tt.vars))
			case "dynamodb":
				_, openErr = config.OpenEnv[events.DynamoDBEventRecord](env(tt.vars))
			}
			require.ErrorAs(t, openErr, &ee)
			require.Equal(t, "BATCHKIT_CONCURRENCY", ee.Variable)
		})
	}
	require.Panics(t, func() { core.Must(processors.NewSQSFIFO(processors.Config{Options: core.Options{Concurrency: 2}})) })
	require.Panics(t, func() {
		core.Must(processors.NewKinesis(processors.Config{Options: core.Options{Concurrency: 2}, StopOnFirstFailure: true}))
	})
	require.NotPanics(t, func() {
		core.Must(processors.NewSQSFIFO(processors.Config{Options: core.Options{Concurrency: 2}, SkipGroupOnError: true}))
	})
	require.NotPanics(t, func() {
		core.Must(processors.NewKinesis(processors.Config{Options: core.Options{Concurrency: 2}, StopOnFirstFailure: true, OrderByKey: true}))
	})
}
