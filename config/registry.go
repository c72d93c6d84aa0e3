package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

// Two registries map names to constructors, the way database/sql maps names
// to drivers: one of processors ([Register], [Open]) and one of hooks
// ([RegisterHook], [NewHook]). The built-in processors register themselves
// in this file's init; hook modules register themselves when imported. Both
// live here, above core and processors, so that neither knows of names or
// of the environment.

// processorEntry is one registered processor: a func(processors.Config)
// (core.PartialProcessor[R], error) with R = recordType.
type processorEntry struct {
	recordType reflect.Type
	open       any
}

var processorRegistry struct {
	sync.RWMutex
	entries map[string]processorEntry
}

var hookRegistry struct {
	sync.RWMutex
	factories map[string]func() (core.Hook, error)
}

// checkName panics on a name configuration could not write: empty, or with
// a comma (the BATCHKIT_HOOKS separator) or a space.
func checkName(fn, kind, name string, nilFactory bool) {
	if name == "" || strings.ContainsAny(name, ", \t\n") {
		panic(fmt.Sprintf("batchkit: %s: invalid %s name %q", fn, kind, name))
	}
	if nilFactory {
		panic(fmt.Sprintf("batchkit: %s: nil function for %s %q", fn, kind, name))
	}
}

// Register makes a processor of records R available by name to [Open] and
// [OpenEnv] (BATCHKIT_PROCESSOR). open builds it from a [processors.Config];
// it returns a [*core.ConfigError] for a setting it does not accept, so that
// [OpenEnv] can name the variable at fault.
//
// open runs under recover: a panic is a [*core.PanicError] returned by
// [Open] and [OpenEnv].
//
// Register panics if name is empty or holds a comma or space, if open is
// nil, or if a processor, of any record type, is already registered under
// name (like database/sql.Register). Call it from an init function or from
// main before opening.
func Register[R any](name string, open func(processors.Config) (core.PartialProcessor[R], error)) {
	checkName("config.Register", "processor", name, open == nil)
	processorRegistry.Lock()
	defer processorRegistry.Unlock()
	if prev, dup := processorRegistry.entries[name]; dup {
		panic(fmt.Sprintf("batchkit: config.Register called twice for processor %q (first for %v)", name, prev.recordType))
	}
	if processorRegistry.entries == nil {
		processorRegistry.entries = make(map[string]processorEntry)
	}
	processorRegistry.entries[name] = processorEntry{recordType: reflect.TypeFor[R](), open: open}
}

// Open builds the processor of records R registered under name, configured
// by c. A name that is not registered for R is an error matching
// [core.ErrInvalidConfig] that lists the names registered for R; a setting the
// processor does not accept is its [*core.ConfigError].
func Open[R any](name string, c processors.Config) (core.PartialProcessor[R], error) {
	processorRegistry.RLock()
	e, ok := processorRegistry.entries[name]
	processorRegistry.RUnlock()
	want := reflect.TypeFor[R]()
	if !ok || e.recordType != want {
		err := &unknownNameError{kind: "processor", name: name, recordType: want, registered: processorNames(want)}
		if ok {
			err.registeredFor = e.recordType
		}
		return nil, err
	}
	open := e.open.(func(processors.Config) (core.PartialProcessor[R], error))
	p, err := guard(fmt.Sprintf("processor %q constructor", name), func() (core.PartialProcessor[R], error) { return open(c) })
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, fmt.Errorf("batchkit: processor %q: nil processor and no error", name)
	}
	return p, nil
}

// processorNames returns the names registered for records of type t, sorted.
func processorNames(t reflect.Type) []string {
	processorRegistry.RLock()
	defer processorRegistry.RUnlock()
	var names []string
	for name, e := range processorRegistry.entries {
		if e.recordType == t {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// RegisterHook makes a hook available by name to [NewHook] and [OpenEnv]
// (BATCHKIT_HOOKS). newHook is called each time a configuration names the
// hook; an error stops that configuration. A hook module registers itself in
// its init, so that importing it is enough:
//
//	import _ "github.com/batchkit/batchkit/hooks/otel" // BATCHKIT_HOOKS=otel
//
// newHook runs under recover: a panic is a [*core.PanicError] returned by
// [NewHook] and [OpenEnv].
//
// RegisterHook panics if name is empty or holds a comma or space, if newHook
// is nil, or if a hook is already registered under name.
func RegisterHook(name string, newHook func() (core.Hook, error)) {
	checkName("config.RegisterHook", "hook", name, newHook == nil)
	hookRegistry.Lock()
	defer hookRegistry.Unlock()
	if _, dup := hookRegistry.factories[name]; dup {
		panic(fmt.Sprintf("batchkit: config.RegisterHook called twice for hook %q", name))
	}
	if hookRegistry.factories == nil {
		hookRegistry.factories = make(map[string]func() (core.Hook, error))
	}
	hookRegistry.factories[name] = newHook
}

// NewHook creates the hook registered under name, for a
// [core.Options.Hooks] list built from names. An unknown name is an error
// matching [core.ErrInvalidConfig] that lists the registered names; the
// hook's own error is returned wrapped.
func NewHook(name string) (core.Hook, error) {
	hookRegistry.RLock()
	newHook, ok := hookRegistry.factories[name]
	hookRegistry.RUnlock()
	if !ok {
		return nil, &unknownNameError{kind: "hook", name: name, registered: hookNames()}
	}
	where := fmt.Sprintf("hook %q constructor", name)
	h, err := guard(where, newHook)
	if pe, ok := err.(*core.PanicError); ok && pe.Where == where {
		return nil, err // its message names the hook
	}
	if err != nil {
		return nil, fmt.Errorf("batchkit: hook %q: %w", name, err)
	}
	if h == nil {
		return nil, fmt.Errorf("batchkit: hook %q: nil hook and no error", name)
	}
	return h, nil
}

// hookNames returns the registered hook names, sorted.
func hookNames() []string {
	hookRegistry.RLock()
	defer hookRegistry.RUnlock()
	names := make([]string, 0, len(hookRegistry.factories))
	for name := range hookRegistry.factories {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// unknownNameError is a processor or hook name that is not registered (for
// the record type asked for).
type unknownNameError struct {
	kind          string       // "processor" or "hook"
	name          string       // the name asked for
	recordType    reflect.Type // processors: the record type asked for
	registeredFor reflect.Type // processors: the type name is registered for, if another
	registered    []string     // the names registered (for recordType), sorted
}

func (e *unknownNameError) Error() string { return "batchkit: " + e.problem() }

// problem is the message without the prefix, as [EnvError] quotes it.
func (e *unknownNameError) problem() string {
	var b strings.Builder
	switch {
	case e.registeredFor != nil:
		fmt.Fprintf(&b, "processor %q handles %v, not %v", e.name, e.registeredFor, e.recordType)
	case e.recordType != nil:
		fmt.Fprintf(&b, "unknown processor %q for %v", e.name, e.recordType)
	default:
		fmt.Fprintf(&b, "unknown hook %q", e.name)
	}
	if len(e.registered) == 0 {
		b.WriteString("; none registered")
	} else {
		fmt.Fprintf(&b, "; registered: %s", strings.Join(e.registered, ", "))
	}
	return b.String()
}

// Is matches [core.ErrInvalidConfig].
func (e *unknownNameError) Is(target error) bool { return target == core.ErrInvalidConfig }

// The built-in processors register themselves. A processor of another
// package registers in its own package's init, or in main.
func init() {
	Register("sqs", func(c processors.Config) (core.PartialProcessor[events.SQSMessage], error) {
		return nilIfErr(processors.NewSQS(c))
	})
	Register("sqs-fifo", func(c processors.Config) (core.PartialProcessor[events.SQSMessage], error) {
		return nilIfErr(processors.NewSQSFIFO(c))
	})
	Register("kinesis", func(c processors.Config) (core.PartialProcessor[events.KinesisEventRecord], error) {
		return nilIfErr(processors.NewKinesis(c))
	})
	Register("dynamodb", func(c processors.Config) (core.PartialProcessor[events.DynamoDBEventRecord], error) {
		return nilIfErr(processors.NewDynamoDB(c))
	})
	Register("kafka", func(c processors.Config) (core.PartialProcessor[events.KafkaRecord], error) {
		return nilIfErr(processors.NewKafka(c))
	})
}

// nilIfErr turns a (processor, error) pair into a (PartialProcessor, error)
// pair whose processor is a true nil interface on error.
func nilIfErr[R any, P core.PartialProcessor[R]](p P, err error) (core.PartialProcessor[R], error) {
	if err != nil {
		return nil, err
	}
	return p, nil
}
