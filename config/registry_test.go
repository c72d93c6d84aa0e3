package config_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/config"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

// upperSQS is a custom processor registered under "test-upper": a standard
// SQS processor that upper-cases identifiers, to see that Open returns what
// the factory built.
type upperSQS struct{ *processors.SQSProcessor }

func init() {
	config.Register("test-upper", func(c processors.Config) (core.PartialProcessor[events.SQSMessage], error) {
		base, err := processors.NewSQS(c)
		if err != nil {
			return nil, err
		}
		return upperSQS{base}, nil
	})
	config.Register("test-nil", func(processors.Config) (core.PartialProcessor[events.SQSMessage], error) {
		return nil, nil
	})
	config.Register("test-broken", func(processors.Config) (core.PartialProcessor[events.SQSMessage], error) {
		return nil, errors.New("table name missing")
	})
}

// failBody fails the messages whose body is "fail".
func failBody(_ context.Context, m *events.SQSMessage) error {
	if m.Body == "fail" {
		return errors.New("boom")
	}
	return nil
}

func TestOpenBuiltins(t *testing.T) {
	// A FIFO batch: a1 fails; b1 is in another group, a2 in a1's.
	fifo := batchtest.FIFOEvent(
		batchtest.FIFOMessage{Group: "a", Body: "fail"},
		batchtest.FIFOMessage{Group: "b", Body: "ok"},
		batchtest.FIFOMessage{Group: "a", Body: "ok"},
	)
	ids := func(is ...int) []string {
		out := make([]string, len(is))
		for k, i := range is {
			out[k] = fifo.Records[i].MessageId
		}
		return out
	}
	tests := []struct {
		label   string
		name    string
		config  processors.Config
		want    []string
		wantErr error
	}{
		{label: "standard", name: "sqs", want: ids(0)},
		{label: "FIFO stops the batch", name: "sqs-fifo", want: ids(0, 1, 2), wantErr: core.ErrFullBatchFailure},
		{label: "FIFO without raising", name: "sqs-fifo", config: processors.Config{Options: core.Options{SuppressFullBatchError: true}}, want: ids(0, 1, 2)},
		{label: "FIFO skip group", name: "sqs-fifo", config: processors.Config{SkipGroupOnError: true}, want: ids(0, 2)},
		{label: "FIFO skip group concurrent", name: "sqs-fifo", config: processors.Config{SkipGroupOnError: true, Options: core.Options{Concurrency: 4}}, want: ids(0, 2)},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			p, err := config.Open[events.SQSMessage](tt.name, tt.config)
			require.NoError(t, err)
			resp, err := core.Process(t.Context(), p, fifo.Records, failBody)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, tt.want, batchtest.FailedIDs(resp))
		})
	}
}

func TestOpenStreams(t *testing.T) {
	k, err := config.Open[events.KinesisEventRecord]("kinesis", processors.Config{StopOnFirstFailure: true})
	require.NoError(t, err)
	kev := batchtest.KinesisEvent(batchtest.KinesisRecord{Data: "fail"}, batchtest.KinesisRecord{Data: "ok"})
	resp, err := core.Process(t.Context(), k, kev.Records, func(_ context.Context, r *events.KinesisEventRecord) error {
		if string(r.Kinesis.Data) == "fail" {
			return errors.New("boom")
		}
		return nil
	})
	require.ErrorIs(t, err, core.ErrFullBatchFailure, "the second record is short-circuited: every record failed")
	require.Equal(t, []string{kev.Records[0].Kinesis.SequenceNumber, kev.Records[1].Kinesis.SequenceNumber}, batchtest.FailedIDs(resp))

	d, err := config.Open[events.DynamoDBEventRecord]("dynamodb", processors.Config{})
	require.NoError(t, err)
	require.IsType(t, &processors.DynamoDBProcessor{}, d)
}

func TestOpenCustom(t *testing.T) {
	p, err := config.Open[events.SQSMessage]("test-upper", processors.Config{})
	require.NoError(t, err)
	require.IsType(t, upperSQS{}, p)

	_, err = config.Open[events.SQSMessage]("test-upper", processors.Config{SkipGroupOnError: true})
	var ce *core.ConfigError
	require.ErrorAs(t, err, &ce, "the custom factory's ConfigError comes back as is")
	require.Equal(t, "SkipGroupOnError", ce.Setting)
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name    string
		open    func() error
		is      error
		setting string
		want    []string
	}{
		{
			name:    "unknown name lists the names for the record type",
			open:    func() error { _, err := config.Open[events.SQSMessage]("sqs-fof", processors.Config{}); return err },
			is:      core.ErrInvalidConfig,
			want:    []string{`batchkit: unknown processor "sqs-fof" for events.SQSMessage; registered: sqs, sqs-fifo, test-bad-error, test-broken, test-capture, test-nil, test-panic, test-upper`},
			setting: "",
		},
		{
			name: "registered for another record type",
			open: func() error { _, err := config.Open[events.SQSMessage]("kinesis", processors.Config{}); return err },
			is:   core.ErrInvalidConfig,
			want: []string{`batchkit: processor "kinesis" handles events.KinesisEventRecord, not events.SQSMessage; registered: sqs, sqs-fifo`},
		},
		{
			name: "no processor for the record type",
			open: func() error { _, err := config.Open[events.S3EventRecord]("s3", processors.Config{}); return err },
			is:   core.ErrInvalidConfig,
			want: []string{`batchkit: unknown processor "s3" for events.S3EventRecord; none registered`},
		},
		{
			name: "skip group on a standard queue",
			open: func() error {
				_, err := config.Open[events.SQSMessage]("sqs", processors.Config{SkipGroupOnError: true})
				return err
			},
			is:      core.ErrInvalidConfig,
			setting: "SkipGroupOnError",
			want:    []string{"batchkit: sqs: SkipGroupOnError=true: applies only to sqs-fifo"},
		},
		{
			name: "stop on first failure on SQS",
			open: func() error {
				_, err := config.Open[events.SQSMessage]("sqs-fifo", processors.Config{StopOnFirstFailure: true})
				return err
			},
			is:      core.ErrInvalidConfig,
			setting: "StopOnFirstFailure",
			want:    []string{"applies only to kinesis and dynamodb"},
		},
		{
			name: "order by key on SQS",
			open: func() error {
				_, err := config.Open[events.SQSMessage]("sqs", processors.Config{OrderByKey: true})
				return err
			},
			is:      core.ErrInvalidConfig,
			setting: "OrderByKey",
		},
		{
			name: "FIFO concurrency without skip group would be ignored",
			open: func() error {
				_, err := config.Open[events.SQSMessage]("sqs-fifo", processors.Config{Options: core.Options{Concurrency: 4}})
				return err
			},
			is:      core.ErrInvalidConfig,
			setting: "Concurrency",
			want:    []string{"Concurrency=4: needs SkipGroupOnError"},
		},
		{
			name: "negative concurrency",
			open: func() error {
				_, err := config.Open[events.KinesisEventRecord]("kinesis", processors.Config{Options: core.Options{Concurrency: -1}})
				return err
			},
			is:      core.ErrInvalidConfig,
			setting: "Concurrency",
			want:    []string{"Concurrency=-1: negative"},
		},
		{
			name: "negative deadline margin",
			open: func() error {
				_, err := config.Open[events.DynamoDBEventRecord]("dynamodb", processors.Config{Options: core.Options{DeadlineMargin: -1}})
				return err
			},
			is:      core.ErrInvalidConfig,
			setting: "DeadlineMargin",
		},
		{
			name: "nil hook",
			open: func() error {
				_, err := config.Open[events.SQSMessage]("sqs", processors.Config{Options: core.Options{Hooks: []core.Hook{nil}}})
				return err
			},
			is:      core.ErrInvalidConfig,
			setting: "Hooks",
		},
		{
			name: "factory returns nil",
			open: func() error {
				_, err := config.Open[events.SQSMessage]("test-nil", processors.Config{})
				return err
			},
			want: []string{`batchkit: processor "test-nil": nil processor and no error`},
		},
		{
			name: "factory error comes back",
			open: func() error {
				_, err := config.Open[events.SQSMessage]("test-broken", processors.Config{})
				return err
			},
			want: []string{"table name missing"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.open()
			require.Error(t, err)
			if tt.is != nil {
				require.ErrorIs(t, err, tt.is)
			}
			if tt.setting != "" {
				var ce *core.ConfigError
				require.ErrorAs(t, err, &ce)
				require.Equal(t, tt.setting, ce.Setting)
			}
			for _, s := range tt.want {
				require.Contains(t, err.Error(), s)
			}
		})
	}
}

func TestRegisterPanics(t *testing.T) {
	ok := func(processors.Config) (core.PartialProcessor[events.SQSMessage], error) {
		return core.Must(processors.NewSQS(processors.Config{})), nil
	}
	okKinesis := func(processors.Config) (core.PartialProcessor[events.KinesisEventRecord], error) {
		return core.Must(processors.NewKinesis(processors.Config{})), nil
	}
	tests := []struct {
		name     string
		register func()
		want     string
	}{
		{name: "duplicate", register: func() { config.Register("sqs", ok) }, want: `called twice for processor "sqs"`},
		{name: "duplicate with another record type", register: func() { config.Register("sqs", okKinesis) }, want: `called twice for processor "sqs" (first for events.SQSMessage)`},
		{name: "empty name", register: func() { config.Register("", ok) }, want: `batchkit: config.Register: invalid processor name ""`},
		{name: "space in name", register: func() { config.Register("my sqs", ok) }, want: `invalid processor name "my sqs"`},
		{name: "nil factory", register: func() { config.Register[events.SQSMessage]("test-nil-factory", nil) }, want: `nil function for processor "test-nil-factory"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				v := recover()
				require.NotNil(t, v, "Register must panic")
				require.Contains(t, fmt.Sprint(v), tt.want)
			}()
			tt.register()
		})
	}
}

// Every built-in is registered for its record type.
func TestBuiltins(t *testing.T) {
	for name, open := range map[string]func() (any, error){
		"sqs":      func() (any, error) { return config.Open[events.SQSMessage]("sqs", processors.Config{}) },
		"sqs-fifo": func() (any, error) { return config.Open[events.SQSMessage]("sqs-fifo", processors.Config{}) },
		"kinesis":  func() (any, error) { return config.Open[events.KinesisEventRecord]("kinesis", processors.Config{}) },
		"dynamodb": func() (any, error) { return config.Open[events.DynamoDBEventRecord]("dynamodb", processors.Config{}) },
		"kafka":    func() (any, error) { return config.Open[events.KafkaRecord]("kafka", processors.Config{}) },
	} {
		p, err := open()
		require.NoError(t, err, name)
		require.NotNil(t, p, name)
	}
	k, err := config.Open[events.KafkaRecord]("kafka", processors.Config{})
	require.NoError(t, err)
	require.IsType(t, &processors.KafkaProcessor{}, k)
}

// Open chooses a processor by name at run time, like sql.Open chooses a
// driver.
func ExampleOpen() {
	p, err := config.Open[events.SQSMessage]("sqs-fifo", processors.Config{SkipGroupOnError: true})
	if err != nil {
		panic(err)
	}
	event := batchtest.FIFOEvent(
		batchtest.FIFOMessage{Group: "a", Body: "fail"},
		batchtest.FIFOMessage{Group: "b", Body: "ok"},
		batchtest.FIFOMessage{Group: "a", Body: "ok"},
	)
	resp, err := core.Process(context.Background(), p, event.Records, failBody)
	fmt.Println(len(resp.BatchItemFailures), "failed; error:", err)

	_, err = config.Open[events.KinesisEventRecord]("sqs", processors.Config{})
	fmt.Println(err)
	// Output:
	// 2 failed; error: <nil>
	// batchkit: processor "sqs" handles events.SQSMessage, not events.KinesisEventRecord; registered: kinesis
}

// A custom processor registers under its own name, once (in an init
// function, or in main before opening), then configuration chooses it like a
// built-in: BATCHKIT_PROCESSOR=audited-sqs.
func ExampleRegister() {
	config.Register("audited-sqs", func(c processors.Config) (core.PartialProcessor[events.SQSMessage], error) {
		base, err := processors.NewSQS(c)
		if err != nil {
			return nil, err
		}
		return upperSQS{base}, nil // a type embedding the base, overriding ProcessRecord
	})
	p, err := config.OpenEnv[events.SQSMessage]([]string{"BATCHKIT_PROCESSOR=audited-sqs"})
	fmt.Printf("%T %v\n", p, err)
	// Output: config_test.upperSQS <nil>
}

type namedHook struct {
	core.NopHook
	name string
}

func init() {
	config.RegisterHook("test-registry-ok", func() (core.Hook, error) { return &namedHook{name: "ok"}, nil })
	config.RegisterHook("test-registry-fails", func() (core.Hook, error) { return nil, errors.New("no collector address") })
	config.RegisterHook("test-registry-nil", func() (core.Hook, error) { return nil, nil })
}

func TestNewHook(t *testing.T) {
	tests := []struct {
		name    string
		hook    string
		wantErr string
		is      error
	}{
		{name: "registered", hook: "test-registry-ok"},
		{name: "unknown lists registered", hook: "nope", is: core.ErrInvalidConfig,
			wantErr: `batchkit: unknown hook "nope"; registered: `},
		{name: "hook error", hook: "test-registry-fails", wantErr: `batchkit: hook "test-registry-fails": no collector address`},
		{name: "nil hook", hook: "test-registry-nil", wantErr: `batchkit: hook "test-registry-nil": nil hook and no error`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := config.NewHook(tt.hook)
			if tt.wantErr == "" {
				require.NoError(t, err)
				require.Equal(t, "ok", h.(*namedHook).name)
				return
			}
			require.Error(t, err)
			require.Nil(t, h)
			require.Contains(t, err.Error(), tt.wantErr)
			if tt.is != nil {
				require.ErrorIs(t, err, tt.is)
				require.Contains(t, err.Error(), "test-registry-fails, test-registry-nil, test-registry-ok", "sorted")
			}
		})
	}
}

func TestRegisterHookPanics(t *testing.T) {
	ok := func() (core.Hook, error) { return core.NopHook{}, nil }
	tests := []struct {
		name    string
		hook    string
		factory func() (core.Hook, error)
		want    string
	}{
		{name: "duplicate", hook: "test-registry-ok", factory: ok, want: `batchkit: config.RegisterHook called twice for hook "test-registry-ok"`},
		{name: "empty name", hook: "", factory: ok, want: `batchkit: config.RegisterHook: invalid hook name ""`},
		{name: "comma in name", hook: "a,b", factory: ok, want: `batchkit: config.RegisterHook: invalid hook name "a,b"`},
		{name: "nil function", hook: "test-registry-nil-factory", factory: nil, want: `batchkit: config.RegisterHook: nil function for hook "test-registry-nil-factory"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.PanicsWithValue(t, tt.want, func() { config.RegisterHook(tt.hook, tt.factory) })
		})
	}
}

// A hook module (or main) registers its hook under a name; configuration
// then creates it by name: BATCHKIT_HOOKS for OpenEnv, NewHook otherwise.
func ExampleRegisterHook() {
	config.RegisterHook("example-count", func() (core.Hook, error) { return &countFailures{}, nil })

	p, err := config.OpenEnv[events.SQSMessage]([]string{"BATCHKIT_PROCESSOR=sqs", "BATCHKIT_HOOKS=example-count"})
	fmt.Println(len(p.(*processors.SQSProcessor).Options().Hooks), err)

	h, err := config.NewHook("example-count")
	fmt.Printf("%T %v\n", h, err)
	_, err = config.NewHook("example-cuont")
	fmt.Println(errors.Is(err, core.ErrInvalidConfig))
	// Output:
	// 1 <nil>
	// *config_test.countFailures <nil>
	// true
}

// countFailures counts failed records; safe for concurrent use, as hooks
// must be.
type countFailures struct {
	core.NopHook
	n atomic.Int64
}

func (c *countFailures) RecordEnd(_ context.Context, info core.RecordInfo) {
	if info.Outcome.Failed() {
		c.n.Add(1)
	}
}

// badError is a user error whose methods panic.
type badError struct{}

func (badError) Error() string { panic("Error exploded") }
func (badError) Unwrap() error { panic("Unwrap exploded") }

func init() {
	config.Register("test-panic", func(processors.Config) (core.PartialProcessor[events.SQSMessage], error) {
		panic("constructor exploded")
	})
	config.Register("test-bad-error", func(processors.Config) (core.PartialProcessor[events.SQSMessage], error) {
		return nil, badError{}
	})
	config.RegisterHook("test-registry-panic", func() (core.Hook, error) { panic("hook exploded") })
}

// v1 rule 7: the constructors given to Register and RegisterHook are user
// code and run under recover; so does reading the errors they return.
func TestUserCodeUnderRecover(t *testing.T) {
	_, err := config.Open[events.SQSMessage]("test-panic", processors.Config{})
	var pe *core.PanicError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, `processor "test-panic" constructor`, pe.Where)
	require.Equal(t, "constructor exploded", pe.Value)
	require.EqualError(t, err, `batchkit: processor "test-panic" constructor panicked: constructor exploded`)

	_, err = config.OpenEnv[events.SQSMessage]([]string{"BATCHKIT_PROCESSOR=test-panic"})
	require.ErrorAs(t, err, &pe)
	require.EqualError(t, err, `batchkit: BATCHKIT_PROCESSOR="test-panic": processor "test-panic" constructor panicked: constructor exploded`)

	_, err = config.NewHook("test-registry-panic")
	require.ErrorAs(t, err, &pe)
	require.EqualError(t, err, `batchkit: hook "test-registry-panic" constructor panicked: hook exploded`)
	_, err = config.OpenEnv[events.SQSMessage]([]string{"BATCHKIT_PROCESSOR=sqs", "BATCHKIT_HOOKS=test-registry-panic"})
	var ee *config.EnvError
	require.ErrorAs(t, err, &ee)
	require.Equal(t, "BATCHKIT_HOOKS", ee.Variable)
	require.Contains(t, ee.Problem, "hook exploded")

	require.NotPanics(t, func() {
		_, err = config.OpenEnv[events.SQSMessage]([]string{"BATCHKIT_PROCESSOR=test-bad-error"})
	})
	require.ErrorAs(t, err, &ee)
	require.Contains(t, ee.Problem, "PANIC=Error method: Error exploded")
}
