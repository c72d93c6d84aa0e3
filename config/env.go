package config

import (
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

// envPrefix starts every variable [OpenEnv] reads.
const envPrefix = "BATCHKIT_"

// envProcessor names the processor; every other variable is named after the
// [processors.Config] field it sets (see envName).
const envProcessor = envPrefix + "PROCESSOR"

// field is a [processors.Config] field that a variable sets.
type field struct {
	// name is the field's name, as [core.ConfigError.Setting] gives it.
	name string
	// set parses v (trimmed of spaces) into c, or returns what is wrong
	// with it.
	set func(c *processors.Config, v string) (problem string)
}

// fields are the settings OpenEnv reads, each from envName(name). Hooks is
// read apart: it needs the hook registry.
var fields = []field{
	{"SuppressFullBatchError", setBool(func(c *processors.Config) *bool { return &c.SuppressFullBatchError })},
	{"Concurrency", func(c *processors.Config, v string) string {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return "not an integer >= 0"
		}
		c.Concurrency = n
		return ""
	}},
	{"DeadlineMargin", func(c *processors.Config, v string) string {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return `not a duration >= 0 (such as "500ms")`
		}
		c.DeadlineMargin = d
		return ""
	}},
	{"ReturnAtMargin", setBool(func(c *processors.Config) *bool { return &c.ReturnAtMargin })},
	{"SkipGroupOnError", setBool(func(c *processors.Config) *bool { return &c.SkipGroupOnError })},
	{"StopOnFirstFailure", setBool(func(c *processors.Config) *bool { return &c.StopOnFirstFailure })},
	{"OrderByKey", setBool(func(c *processors.Config) *bool { return &c.OrderByKey })},
}

// hooksField is the field BATCHKIT_HOOKS sets.
const hooksField = "Hooks"

// setBool parses true/false (or 1/0), in any case, into the field at.
func setBool(at func(*processors.Config) *bool) func(*processors.Config, string) string {
	return func(c *processors.Config, v string) string {
		switch strings.ToLower(v) {
		case "true", "1":
			*at(c) = true
		case "false", "0":
			*at(c) = false
		default:
			return "not true or false"
		}
		return ""
	}
}

// envName is the variable that sets a field: BATCHKIT_ and the field's name
// in upper snake case (SuppressFullBatchError: BATCHKIT_SUPPRESS_FULL_BATCH_ERROR).
func envName(field string) string {
	var b strings.Builder
	b.WriteString(envPrefix)
	for i, r := range field {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

// knownEnv lists the variables OpenEnv reads.
var knownEnv = func() []string {
	names := []string{envProcessor, envName(hooksField)}
	for _, f := range fields {
		names = append(names, envName(f.name))
	}
	return names
}()

// loggedUnknown holds the unknown variables already logged.
var loggedUnknown sync.Map

// OpenEnv builds the processor of records R that the environment describes:
// BATCHKIT_PROCESSOR names a processor registered with [Register] (the
// built-ins are "sqs", "sqs-fifo", "kinesis", "dynamodb", "kafka"),
// BATCHKIT_HOOKS lists hooks registered with [RegisterHook], and every
// other variable is named after the [processors.Config] field it sets:
// BATCHKIT_SUPPRESS_FULL_BATCH_ERROR, BATCHKIT_CONCURRENCY,
// BATCHKIT_DEADLINE_MARGIN, BATCHKIT_SKIP_GROUP_ON_ERROR,
// BATCHKIT_STOP_ON_FIRST_FAILURE, BATCHKIT_ORDER_BY_KEY. An unset
// variable keeps the field's zero value.
//
// environ holds "NAME=value" entries, as [os.Environ] returns them; nil
// reads the process environment (as exec.Cmd.Env does).
//
// Call OpenEnv once at start-up and fail the start-up on error: every error
// is an [*EnvError] naming the variable at fault, an invalid value or one
// the processor does not accept. A BATCHKIT_* variable one typing slip from
// a known name (BATCHKIT_CONCURENCY) is an error naming the known one; any
// other unknown BATCHKIT_* variable (an application's own) is logged once
// with the default [slog] logger, at level Warn, and left alone.
func OpenEnv[R any](environ []string) (core.PartialProcessor[R], error) {
	if environ == nil {
		environ = os.Environ()
	}
	vars := map[string]string{}
	for _, kv := range environ {
		if name, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(name, envPrefix) {
			vars[name] = v // the last entry wins, as with exec.Cmd.Env
		}
	}
	if err := checkUnknown(vars); err != nil {
		return nil, err
	}
	var c processors.Config
	for _, f := range fields {
		name := envName(f.name)
		if v, ok := vars[name]; ok {
			if problem := f.set(&c, strings.TrimSpace(v)); problem != "" {
				return nil, &EnvError{Variable: name, Value: v, Problem: problem}
			}
		}
	}
	if list := strings.TrimSpace(vars[envName(hooksField)]); list != "" {
		hooks, err := envHooks(list, vars[envName(hooksField)])
		if err != nil {
			return nil, err
		}
		c.Hooks = hooks
	}
	name, ok := vars[envProcessor]
	registered := func() string {
		t := reflect.TypeFor[R]()
		if names := processorNames(t); len(names) > 0 {
			return fmt.Sprintf("registered for %v: %s", t, strings.Join(names, ", "))
		}
		return fmt.Sprintf("none registered for %v", t)
	}
	switch {
	case !ok:
		return nil, &EnvError{Variable: envProcessor, unset: true, Problem: registered()}
	case strings.TrimSpace(name) == "":
		return nil, &EnvError{Variable: envProcessor, Value: name, Problem: "empty; " + registered()}
	}
	p, err := Open[R](strings.TrimSpace(name), c)
	if err == nil {
		return p, nil
	}
	if unknown, ok := err.(*unknownNameError); ok {
		return nil, &EnvError{Variable: envProcessor, Value: name, Problem: unknown.problem(), Err: err}
	}
	if ce := asConfigError(err); ce != nil {
		if v, set := vars[envName(ce.Setting)]; set {
			return nil, &EnvError{Variable: envName(ce.Setting), Value: v, Problem: ce.Processor + ": " + ce.Problem, Err: err}
		}
	}
	return nil, &EnvError{Variable: envProcessor, Value: name, Problem: strings.TrimPrefix(fmt.Sprint(err), "batchkit: "), Err: err}
}

// envHooks creates the hooks of a BATCHKIT_HOOKS list (raw: the value as set).
func envHooks(list, raw string) ([]core.Hook, error) {
	var hooks []core.Hook
	var names []string
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		bad := func(problem string, err error) error {
			return &EnvError{Variable: envName(hooksField), Value: raw, Problem: problem, Err: err}
		}
		switch {
		case name == "":
			return nil, bad("empty hook name", nil)
		case slices.Contains(names, name):
			return nil, bad(fmt.Sprintf("hook %q named twice", name), nil)
		}
		h, err := NewHook(name)
		if unknown, ok := err.(*unknownNameError); ok {
			return nil, bad(unknown.problem(), err)
		}
		if err != nil {
			return nil, bad(strings.TrimPrefix(fmt.Sprint(err), "batchkit: "), err)
		}
		names = append(names, name)
		hooks = append(hooks, h)
	}
	return hooks, nil
}

// checkUnknown returns an [*EnvError] for the first (in name order) unknown
// variable of vars one edit from a known one, and logs the other unknown
// ones, each once per process.
func checkUnknown(vars map[string]string) error {
	names := make([]string, 0, len(vars))
	for name := range vars {
		if !slices.Contains(knownEnv, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		for _, known := range knownEnv {
			if editDistance(name, known) == 1 {
				return &EnvError{Variable: name, Value: vars[name], Problem: "unknown variable; did you mean " + known + "?"}
			}
		}
	}
	for _, name := range names {
		if _, logged := loggedUnknown.LoadOrStore(name, true); !logged {
			slog.Warn("batchkit: unknown environment variable ignored", "variable", name)
		}
	}
	return nil
}

// EnvError is an environment variable that [OpenEnv] cannot use: an invalid
// value, a value the chosen processor does not accept, a required variable
// unset, or a name one typing slip from a variable OpenEnv reads. It matches
// [core.ErrInvalidConfig]; Err, when set, is the underlying error (such as
// the processor's [*core.ConfigError]). docs/configuration.md lists the
// variables and their accepted values.
type EnvError struct {
	// Variable is the variable's name, for example "BATCHKIT_CONCURRENCY".
	Variable string
	// Value is its value as set ("" when unset).
	Value string
	// Problem says briefly what is wrong.
	Problem string
	// Err is the underlying error, if any.
	Err error

	unset bool
}

// Error returns "batchkit: NAME=\"value\": problem" (or "batchkit: NAME
// unset; ..." for a required variable).
func (e *EnvError) Error() string {
	if e.unset {
		return fmt.Sprintf("batchkit: %s unset; %s", e.Variable, e.Problem)
	}
	return fmt.Sprintf("batchkit: %s=%q: %s", e.Variable, e.Value, e.Problem)
}

// Unwrap returns the underlying error, if any.
func (e *EnvError) Unwrap() error { return e.Err }

// Is matches [core.ErrInvalidConfig].
func (e *EnvError) Is(target error) bool { return target == core.ErrInvalidConfig }

// editDistance is the Damerau-Levenshtein distance (optimal string
// alignment) between a and b: the insertions, deletions, substitutions and
// swaps of neighbours that turn one into the other.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
