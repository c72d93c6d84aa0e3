package config

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

// The registry chooses a processor by name at run time, the way
// database/sql chooses a driver: processors register a [Factory] under a
// name with [Register] (the built-ins do it themselves: "sqs", "sqs-fifo",
// "kinesis", "dynamodb"), and [Open] builds one from a name and a [processors.Config]
// ([OpenEnv] reads both from environment variables).
//
// It lives in this package, next to [processors.Config] and the built-ins, so that the
// built-ins register themselves without an import cycle and a custom
// processor needs only this package to join them. Entries are typed by
// record type: a processor of events.SQSMessage cannot be opened as a
// processor of events.KinesisEventRecord, and the error says so.

// ErrUnknownProcessor: no processor is registered under the name for the
// record type asked for. Matched by [*UnknownProcessorError] with errors.Is.
var ErrUnknownProcessor = errors.New("batchkit: unknown processor name")

// Factory builds a processor of records R from a [processors.Config]. It returns a
// [*core.ConfigError] for a setting it does not accept, so that errors name the
// setting (and, from [OpenEnv], the environment variable).
type Factory[R any] func(processors.Config) (core.PartialProcessor[R], error)

// entry is one registered processor.
type entry struct {
	recordType reflect.Type
	factory    any // a Factory[R] with R = recordType
}

// registry maps names to processors. Tests use their own; the package uses
// [defaultRegistry].
type registry struct {
	mu      sync.RWMutex
	entries map[string]entry
}

var defaultRegistry = &registry{}

// Register makes a processor of records R available by name to [Open] and
// [OpenEnv]. It panics if name is empty, factory is nil, or a processor is
// already registered under name, whatever its record type (like
// database/sql.Register): names are global, so that configuration can list
// them unambiguously.
//
// Call it from an init function or from main before opening:
//
//	config.Register("sqs-dedup", func(c processors.Config) (core.PartialProcessor[events.SQSMessage], error) {
//		return dedup.New(c, table, client)
//	})
func Register[R any](name string, factory Factory[R]) { register(defaultRegistry, name, factory) }

func register[R any](r *registry, name string, factory Factory[R]) {
	if name == "" || strings.ContainsAny(name, ", \t\n") {
		panic(fmt.Sprintf("batchkit: config.Register: invalid processor name %q (it must be non-empty, without commas or spaces)", name))
	}
	if factory == nil {
		panic(fmt.Sprintf("batchkit: config.Register: nil factory for processor %q", name))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if prev, dup := r.entries[name]; dup {
		panic(fmt.Sprintf("batchkit: config.Register called twice for processor %q (first for %v records)", name, prev.recordType))
	}
	if r.entries == nil {
		r.entries = make(map[string]entry)
	}
	r.entries[name] = entry{recordType: recordType[R](), factory: factory}
}

// Open builds the processor of records R registered under name, configured
// by c. An unknown name, or a name registered for another record type, is an
// [*UnknownProcessorError] listing the processors registered for R; a setting
// the processor does not accept is a [*core.ConfigError].
func Open[R any](name string, c processors.Config) (core.PartialProcessor[R], error) {
	return open[R](defaultRegistry, name, c)
}

func open[R any](r *registry, name string, c processors.Config) (core.PartialProcessor[R], error) {
	r.mu.RLock()
	e, ok := r.entries[name]
	r.mu.RUnlock()
	want := recordType[R]()
	if !ok || e.recordType != want {
		err := &UnknownProcessorError{Name: name, RecordType: want.String(), Registered: r.names(want)}
		if ok {
			err.RegisteredFor = e.recordType.String()
		}
		return nil, err
	}
	p, err := e.factory.(Factory[R])(c)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, fmt.Errorf("batchkit: processor %q: its factory returned a nil processor and no error", name)
	}
	return p, nil
}

// Names returns the names of the processors registered for records R,
// sorted.
func Names[R any]() []string { return defaultRegistry.names(recordType[R]()) }

func (r *registry) names(t reflect.Type) []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var names []string
	for name, e := range r.entries {
		if e.recordType == t {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

func recordType[R any]() reflect.Type { return reflect.TypeFor[R]() }

// UnknownProcessorError is returned by [Open] and [OpenEnv] when no processor
// of the requested record type is registered under the name.
type UnknownProcessorError struct {
	// Name is the name asked for.
	Name string
	// RecordType is the record type asked for, for example
	// "events.SQSMessage".
	RecordType string
	// RegisteredFor is the record type the name is registered for, when it
	// is registered for another one; "" when the name is unknown.
	RegisteredFor string
	// Registered lists the names registered for RecordType, sorted.
	Registered []string
}

func (e *UnknownProcessorError) Error() string {
	var b strings.Builder
	if e.RegisteredFor != "" {
		fmt.Fprintf(&b, "batchkit: processor %q handles %s records, not %s", e.Name, e.RegisteredFor, e.RecordType)
	} else {
		fmt.Fprintf(&b, "batchkit: unknown processor %q for %s records", e.Name, e.RecordType)
	}
	if len(e.Registered) == 0 {
		fmt.Fprintf(&b, "; no processor is registered for %s records (register one with config.Register)", e.RecordType)
	} else {
		fmt.Fprintf(&b, "; processors for %s records: %s", e.RecordType, strings.Join(e.Registered, ", "))
	}
	return b.String()
}

// Is matches [ErrUnknownProcessor].
func (e *UnknownProcessorError) Is(target error) bool { return target == ErrUnknownProcessor }

// The built-in processors register themselves. Processors of other packages
// register in their own init; a built-in added to this package adds its line
// here.
func init() {
	Register("sqs", func(c processors.Config) (core.PartialProcessor[events.SQSMessage], error) {
		return nilIfErr(processors.NewSQS(c))
	})
	Register("sqs-fifo", func(c processors.Config) (core.PartialProcessor[events.SQSMessage], error) {
		// Concurrency without SkipGroupOnError is refused by Validate.
		return nilIfErr(processors.NewSQSFIFO(c))
	})
	Register("kinesis", func(c processors.Config) (core.PartialProcessor[events.KinesisEventRecord], error) {
		return nilIfErr(processors.NewKinesis(c))
	})
	Register("dynamodb", func(c processors.Config) (core.PartialProcessor[events.DynamoDBEventRecord], error) {
		return nilIfErr(processors.NewDynamoDB(c))
	})
	Register("kafka", func(c processors.Config) (core.PartialProcessor[events.KafkaRecord], error) {
		p, err := processors.NewKafka(c)
		if err != nil {
			return nil, err
		}
		return p, nil
	})
}

// nilIfErr turns a (*core.Base[R], error) pair into a (PartialProcessor,
// error) pair whose processor is a true nil interface on error.
func nilIfErr[R any](p *core.Base[R], err error) (core.PartialProcessor[R], error) {
	if err != nil {
		return nil, err
	}
	return p, nil
}
