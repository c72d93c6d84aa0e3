package config

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

// Environment variables read by [LoadEnv] and [OpenEnv]: the Lambda way to
// configure a function without rebuilding it. docs/configuration.md lists them in one
// table. An unset variable keeps the [processors.Config] zero value (Powertools'
// default); a set variable must hold an accepted value, or loading fails
// with an [*EnvError] naming the variable and the accepted values.
const (
	// EnvProcessor names the processor (required): a name given to
	// [Register], for example "sqs", "sqs-fifo", "kinesis", "dynamodb".
	EnvProcessor = "BATCHKIT_PROCESSOR"
	// EnvSkipGroupOnError sets [processors.Config.SkipGroupOnError] (sqs-fifo only).
	EnvSkipGroupOnError = "BATCHKIT_SKIP_GROUP_ON_ERROR"
	// EnvRaiseOnEntireBatchFailure, false, sets
	// [core.Options.SuppressFullBatchError].
	EnvRaiseOnEntireBatchFailure = "BATCHKIT_RAISE_ON_ENTIRE_BATCH_FAILURE"
	// EnvConcurrency sets [core.Options.Concurrency].
	EnvConcurrency = "BATCHKIT_CONCURRENCY"
	// EnvDeadlineMargin sets [core.Options.DeadlineMargin], as a Go
	// duration ("500ms", "2s").
	EnvDeadlineMargin = "BATCHKIT_DEADLINE_MARGIN"
	// EnvStopOnFirstFailure sets [processors.Config.StopOnFirstFailure] (kinesis,
	// dynamodb).
	EnvStopOnFirstFailure = "BATCHKIT_STOP_ON_FIRST_FAILURE"
	// EnvOrderByKey sets [processors.Config.OrderByKey] (kinesis, dynamodb).
	EnvOrderByKey = "BATCHKIT_ORDER_BY_KEY"
	// EnvHooks lists the hooks to turn on, comma-separated names given to
	// [core.RegisterHook]; unset or empty: no hooks.
	EnvHooks = "BATCHKIT_HOOKS"
)

// Accepted values, as error messages and docs/configuration.md state them.
const (
	acceptedBool        = "true or false (or 1 or 0, any case)"
	acceptedConcurrency = "an integer, 0 or more (0 and 1 handle one record at a time)"
	acceptedDuration    = `a Go duration, 0 or more, such as "500ms" or "2s" (0: off)`
)

// settingVars maps [core.ConfigError.Setting] to the variable that sets it.
var settingVars = map[string]string{
	"SkipGroupOnError":       EnvSkipGroupOnError,
	"SuppressFullBatchError": EnvRaiseOnEntireBatchFailure,
	"Concurrency":            EnvConcurrency,
	"DeadlineMargin":         EnvDeadlineMargin,
	"StopOnFirstFailure":     EnvStopOnFirstFailure,
	"OrderByKey":             EnvOrderByKey,
	"Hooks":                  EnvHooks,
}

// Settings is a processor chosen by name with its configuration: what
// [LoadEnv] reads from the environment, and what [Open] takes.
type Settings struct {
	// Processor is the registered processor name ("" when unset).
	Processor string
	// Config configures it; Config.Hooks holds the hooks named by
	// HookNames, created.
	Config processors.Config
	// HookNames are the names of the configured hooks, in order.
	HookNames []string

	// vars holds the raw value of every variable that was set, to name it
	// in errors found later (when the processor is opened).
	vars map[string]string
}

// LoadEnv reads the BATCHKIT_* variables (see [EnvProcessor] and the
// constants after it) through lookup, which is os.LookupEnv when nil (tests
// pass their own, leaving the process environment alone). Hooks named in
// BATCHKIT_HOOKS are created with [core.NewHook].
//
// A variable set to an invalid value (a bad bool, a negative number, a bad
// duration, an unknown hook, an empty value) is an [*EnvError] naming the
// variable and the accepted values: there is no silent default. So is a set
// BATCHKIT_* variable that batchkit does not know (BATCHKIT_CONCURENCY): the
// error names the closest known one. With the process environment (lookup
// nil or os.LookupEnv) every BATCHKIT_* variable must be known: LoadEnv's
// own, those of batchkit's tools (the local servers' endpoints the test
// scripts export and the driver passes on, BATCHKIT_SQS_ENDPOINT say), or
// one declared with [RegisterEnvVariable]. A lookup function of your own
// cannot list its variables, so the names one typing slip away from a known
// one are looked up instead.
// Whether the processor exists and accepts the settings is checked by
// [OpenEnv].
func LoadEnv(lookup func(string) (string, bool)) (Settings, error) {
	if err := checkUnknownEnv(lookup); err != nil {
		return Settings{}, err
	}
	if lookup == nil {
		lookup = os.LookupEnv
	}
	s := Settings{vars: map[string]string{}}
	get := func(name string) (string, bool) {
		v, ok := lookup(name)
		if ok {
			s.vars[name] = v
		}
		return strings.TrimSpace(v), ok
	}
	if v, ok := get(EnvProcessor); ok && v != "" {
		s.Processor = v
	}
	bools := []struct {
		name string
		set  func(bool)
	}{
		{EnvSkipGroupOnError, func(b bool) { s.Config.SkipGroupOnError = b }},
		{EnvRaiseOnEntireBatchFailure, func(b bool) { s.Config.SuppressFullBatchError = !b }},
		{EnvStopOnFirstFailure, func(b bool) { s.Config.StopOnFirstFailure = b }},
		{EnvOrderByKey, func(b bool) { s.Config.OrderByKey = b }},
	}
	for _, bv := range bools {
		v, ok := get(bv.name)
		if !ok {
			continue
		}
		b, valid := parseBool(v)
		if !valid {
			return Settings{}, &EnvError{Variable: bv.name, Value: s.vars[bv.name], Problem: "it is not a boolean", Accepted: acceptedBool}
		}
		bv.set(b)
	}
	if v, ok := get(EnvConcurrency); ok {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			return Settings{}, &EnvError{Variable: EnvConcurrency, Value: s.vars[EnvConcurrency], Problem: "it is not an integer", Accepted: acceptedConcurrency}
		case n < 0:
			return Settings{}, &EnvError{Variable: EnvConcurrency, Value: s.vars[EnvConcurrency], Problem: "it is negative", Accepted: acceptedConcurrency}
		}
		s.Config.Concurrency = n
	}
	if v, ok := get(EnvDeadlineMargin); ok {
		d, err := time.ParseDuration(v)
		switch {
		case err != nil:
			return Settings{}, &EnvError{Variable: EnvDeadlineMargin, Value: s.vars[EnvDeadlineMargin], Problem: "it is not a Go duration (a number needs a unit)", Accepted: acceptedDuration}
		case d < 0:
			return Settings{}, &EnvError{Variable: EnvDeadlineMargin, Value: s.vars[EnvDeadlineMargin], Problem: "it is negative", Accepted: acceptedDuration}
		}
		s.Config.DeadlineMargin = d
	}
	if v, ok := get(EnvHooks); ok && v != "" {
		if err := s.loadHooks(v); err != nil {
			return Settings{}, err
		}
	}
	return s, nil
}

// loadHooks creates the hooks of a BATCHKIT_HOOKS list.
func (s *Settings) loadHooks(list string) error {
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		bad := func(problem string, err error) error {
			return &EnvError{Variable: EnvHooks, Value: s.vars[EnvHooks], Problem: problem, Accepted: acceptedHooks(), Err: err}
		}
		switch {
		case name == "":
			return bad("it has an empty hook name", nil)
		case slices.Contains(s.HookNames, name):
			return bad(fmt.Sprintf("it names hook %q twice", name), nil)
		}
		h, err := core.NewHook(name)
		if errors.Is(err, core.ErrUnknownHook) {
			return bad(fmt.Sprintf("no hook is registered as %q", name), err)
		}
		if err != nil {
			return bad(fmt.Sprintf("hook %q could not be created: %v", name, err), err)
		}
		s.HookNames = append(s.HookNames, name)
		s.Config.Hooks = append(s.Config.Hooks, h)
	}
	return nil
}

// OpenEnv builds the processor of records R that the environment describes
// (see [LoadEnv]; lookup nil means os.LookupEnv). Call it once at start-up
// and fail the start-up on error: every error is an [*EnvError] naming the
// variable at fault and the accepted values: BATCHKIT_PROCESSOR unset or not
// registered for R, or a setting the processor does not accept (such as
// BATCHKIT_SKIP_GROUP_ON_ERROR for "sqs").
//
//	processor, err := config.OpenEnv[events.SQSMessage](nil)
//	if err != nil {
//		log.Fatal(err) // the function fails to initialise and says why
//	}
func OpenEnv[R any](lookup func(string) (string, bool)) (core.PartialProcessor[R], error) {
	s, err := LoadEnv(lookup)
	if err != nil {
		return nil, err
	}
	return OpenSettings[R](s)
}

// OpenSettings builds the processor s names, configured by s.Config, like
// [Open]. When s comes from [LoadEnv], errors name the variable at fault
// ([*EnvError]); otherwise they are [Open]'s.
func OpenSettings[R any](s Settings) (core.PartialProcessor[R], error) {
	fromEnv := s.vars != nil
	if s.Processor == "" {
		if !fromEnv {
			return nil, &UnknownProcessorError{Name: "", RecordType: recordType[R]().String(), Registered: Names[R]()}
		}
		if _, set := s.vars[EnvProcessor]; !set {
			return nil, &EnvError{Variable: EnvProcessor, Unset: true, Problem: "it names the processor to use", Accepted: acceptedProcessors[R]()}
		}
		return nil, &EnvError{Variable: EnvProcessor, Value: s.vars[EnvProcessor], Problem: "it is empty; it names the processor to use", Accepted: acceptedProcessors[R]()}
	}
	p, err := Open[R](s.Processor, s.Config)
	if err == nil || !fromEnv {
		return p, err
	}
	var unknown *UnknownProcessorError
	if errors.As(err, &unknown) {
		problem := "no processor is registered under this name"
		if unknown.RegisteredFor != "" {
			problem = fmt.Sprintf("this processor handles %s records, not %s", unknown.RegisteredFor, unknown.RecordType)
		}
		return nil, &EnvError{Variable: EnvProcessor, Value: s.vars[EnvProcessor], Problem: problem, Accepted: acceptedProcessors[R](), Err: err}
	}
	var ce *core.ConfigError
	if errors.As(err, &ce) {
		if name, ok := settingVars[ce.Setting]; ok {
			if _, set := s.vars[name]; set {
				return nil, &EnvError{Variable: name, Value: s.vars[name], Processor: s.Processor, Problem: ce.Problem, Err: err}
			}
		}
	}
	return nil, fmt.Errorf("batchkit: processor %q (%s=%q) rejected its configuration: %w", s.Processor, EnvProcessor, s.Processor, err)
}

// EnvError is an environment variable whose value is invalid, or not
// accepted by the chosen processor. It names the variable and the accepted
// values; Err, when set, is the underlying error ([*core.ConfigError],
// [*UnknownProcessorError], [core.UnknownHookError]).
type EnvError struct {
	// Variable is the variable's name, for example "BATCHKIT_CONCURRENCY".
	Variable string
	// Value is its raw value ("" when unset).
	Value string
	// Unset: the variable is required but unset.
	Unset bool
	// Processor is the chosen processor when the value is valid in itself
	// but not accepted by that processor; "" otherwise.
	Processor string
	// Problem says what is wrong.
	Problem string
	// Accepted says which values are accepted.
	Accepted string
	// Err is the underlying error, if any.
	Err error
}

func (e *EnvError) Error() string {
	var b strings.Builder
	if e.Unset {
		fmt.Fprintf(&b, "batchkit: environment variable %s is required but unset (%s)", e.Variable, e.Problem)
		if e.Accepted != "" {
			fmt.Fprintf(&b, "; accepted values: %s", e.Accepted)
		}
		return b.String()
	}
	fmt.Fprintf(&b, "batchkit: environment variable %s=%q ", e.Variable, e.Value)
	if e.Processor != "" {
		fmt.Fprintf(&b, "is not accepted by the %q processor (%s): %s", e.Processor, EnvProcessor, e.Problem)
	} else {
		fmt.Fprintf(&b, "is invalid: %s", e.Problem)
	}
	if e.Accepted != "" {
		fmt.Fprintf(&b, "; accepted values: %s", e.Accepted)
	}
	return b.String()
}

// Unwrap returns the underlying error, if any.
func (e *EnvError) Unwrap() error { return e.Err }

// Is matches [core.ErrInvalidConfig].
func (e *EnvError) Is(target error) bool { return target == core.ErrInvalidConfig }

// parseBool accepts true/false and 1/0, in any case.
func parseBool(v string) (value, ok bool) {
	switch strings.ToLower(v) {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	return false, false
}

func acceptedProcessors[R any]() string {
	names := Names[R]()
	if len(names) == 0 {
		return fmt.Sprintf("none: no processor is registered for %s records (register one with config.Register)", recordType[R]())
	}
	return fmt.Sprintf("one of %s (the processors registered for %s records)", strings.Join(names, ", "), recordType[R]())
}

func acceptedHooks() string {
	names := core.HookNames()
	if len(names) == 0 {
		return "unset or empty (no hooks); no hook is registered: import a hook module or call core.RegisterHook in main"
	}
	return "a comma-separated list of registered hooks: " + strings.Join(names, ", ") + " (unset or empty: no hooks)"
}
