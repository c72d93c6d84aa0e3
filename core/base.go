package core

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// PartialProcessor processes one batch of records of type R and builds its
// partial batch response. It is the Go counterpart of Powertools'
// BasePartialProcessor; [Process] and [Run] drive it:
//
//	Prepare(ctx, b)            once, before any handler runs
//	ProcessRecord(ctx, b, i)   once per record to handle, maybe concurrently
//	Clean(ctx, b)              once, after every record, even after a failure
//	Response(ctx, b)           once, last
//
// All four get the batch context: the invocation's, or the one the hooks'
// BatchStart returned; ProcessRecord gets it narrowed for its record (the
// deadline margin, the hooks' RecordStart). See [Run].
//
// Implementations must keep no per-invocation state on the processor value:
// everything about one invocation lives in the [*Batch]. The same processor
// may run concurrent invocations (ProcessRecord may also be called
// concurrently for different records of one batch when the processor allows
// concurrency) and is reused across warm invocations.
//
// Custom processors embed [*Base] and override only what they change, calling
// the embedded method for the rest: the counterpart of overriding
// success_handler or failure_handler in Powertools.
type PartialProcessor[R any] interface {
	// Prepare checks the batch before any record is handled. An error
	// stops the invocation: no handler runs, Clean is not called and Run
	// returns the error.
	Prepare(ctx context.Context, b *Batch[R]) error
	// ProcessRecord handles record i, normally through b.Handle, and
	// returns its outcome. The lifecycle stores it in b.Outcomes[i]. A
	// panic in ProcessRecord itself is recovered as a failure.
	ProcessRecord(ctx context.Context, b *Batch[R], i int) Outcome
	// Clean runs after every record has an outcome. Its error is returned
	// by Run, joined with the response's.
	Clean(ctx context.Context, b *Batch[R]) error
	// Response builds the partial batch response from b.Outcomes, and the
	// error the invocation must return, if any.
	Response(ctx context.Context, b *Batch[R]) (Response, error)
}

// Planner is an optional interface of a [PartialProcessor]: its [Source]
// and [Options] tell the lifecycle how to schedule the batch and how to
// describe records to hooks. [Base] implements it, so every processor that
// embeds Base has it. A processor without it has its records handled one
// after another, each whatever happened to the others, with no hooks.
type Planner[R any] interface {
	Source() Source[R]
	Options() Options
}

// sourcePlan is what the lifecycle reads of a [Planner].
type sourcePlan[R any] struct {
	Source  Source[R]
	Options Options
}

// StopPolicy says which records are not handled after a failure.
type StopPolicy uint8

const (
	// StopNever: every record is handled whatever happened to the others
	// (SQS standard, streams by default).
	StopNever StopPolicy = iota
	// StopBatch: after the first failure no further record of the batch is
	// handled; they are reported failed with an [*UnhandledError] (ErrShortCircuit). The
	// batch is then always handled sequentially (SQS FIFO by default).
	StopBatch
	// StopKey: after a failure no further record with the same non-empty
	// ordering key is handled (SQS FIFO skip-group-on-error, Kafka
	// partitions, streams with stop-on-first-failure). Records with an empty
	// key never stop others and are never stopped.
	StopKey
)

// Source describes an event source to [Base]: the knowledge that differs
// between SQS, Kinesis, DynamoDB Streams, Kafka or a custom source.
type Source[R any] struct {
	// Name is the event source's short name for messages and hooks, for
	// example "aws:sqs".
	Name string
	// EventSources lists the eventSource values the processor accepts. A
	// record whose non-empty eventSource is not among them makes Prepare
	// fail with an error matching [ErrEventSourceMismatch]. Empty: no check.
	EventSources []string
	// EventSource reads a record's eventSource; nil: no check.
	EventSource func(*R) string
	// Identify returns the identifier to report when the record fails.
	Identify func(*R) Identifier
	// Key returns the record's ordering key (message group, partition key,
	// topic-partition), or "" for none. Hooks see it; with OrderByKey or
	// StopKey it also orders the batch (it is then read once per record,
	// before any handler runs). nil: no key. Like every function of a
	// Source it may be called from several goroutines at once. It should
	// not panic; if it does, the record fails with a [*PanicError] without
	// running, and its key counts as unknown (see [Batch.FailUnknownKey]).
	// A panic in Identify fails the record (or, while the response is
	// built, the invocation); in EventSource it fails the invocation.
	Key func(*R) string
	// SameKey, optional, reports whether two records have the same key
	// without building it. When the lifecycle reads the keys of a batch, a
	// record with the same key as the record before it then shares that
	// record's key string instead of calling Key again: a source whose Key
	// builds its string (Kafka's "<topic>-<partition>") allocates once per
	// run of records of one key instead of once per record. It must agree
	// with Key: SameKey(a, b) implies Key(a) == Key(b).
	SameKey func(a, b *R) bool
	// OrderByKey makes records with the same non-empty key run one after
	// another in input order, even when the processor runs records
	// concurrently. Different keys still run in parallel.
	OrderByKey bool
	// Stop is the stop-on-failure policy.
	Stop StopPolicy
}

// Options are the settings every processor shares. The zero value is the
// Powertools default: sequential, raise on entire batch failure, no deadline
// margin, no hooks.
type Options struct {
	// SuppressFullBatchError makes a batch whose records all failed return
	// the full failure list instead of a [FullBatchFailureError]. It is
	// Powertools' raise_on_entire_batch_failure=False.
	SuppressFullBatchError bool
	// Concurrency is the largest number of records handled at once; 0 or 1
	// handles them one after another. Results and the response keep input
	// order whatever order handlers finish in. It cannot take effect with
	// [StopBatch] (records then run one at a time); the processors package
	// refuses such a configuration.
	Concurrency int
	// DeadlineMargin, when positive and the invocation context has a
	// deadline, is the time kept free to return the response: no record is
	// started once less than the margin is left (each is reported failed
	// with an [*UnhandledError] (ErrDeadline)), and the context of records still running is
	// cancelled when the margin is reached.
	DeadlineMargin time.Duration
	// ReturnAtMargin, with a positive DeadlineMargin, makes Run return at
	// the margin whatever the handlers do: each record's ProcessRecord (and
	// so its handler) runs on a goroutine of its own, and a record whose
	// handler has not returned when the margin is reached (or the
	// invocation's context is done) is reported failed with a
	// [*UnhandledError] (ErrStillRunning), while its goroutine is left to finish. The
	// handler may thus still be running, and touching shared state, after
	// the response was returned; see docs/deadline.md. It costs a goroutine
	// and a channel per record, and takes effect only when the invocation's
	// context has a deadline.
	ReturnAtMargin bool
	// Hooks observe the batch and every record; see [Hook].
	Hooks []Hook
}

// Base is the reusable part of a processor. It implements every method of
// [PartialProcessor] and [Planner] from a [Source] and [Options]: built-in
// processors are a Base, and custom processors embed one and override what
// they change. A Base is immutable after [NewBase] and safe for concurrent use.
type Base[R any] struct {
	// plan is what Source and Options return; Run reads it in place,
	// without a copy.
	plan sourcePlan[R]
}

// NewBase returns a Base for the given source and options. [StopKey] implies
// OrderByKey; StopKey without a Key stops the whole batch ([StopBatch]).
func NewBase[R any](source Source[R], options Options) *Base[R] {
	source = normalize(source)
	source.EventSources = slices.Clone(source.EventSources)
	options.Hooks = slices.Clone(options.Hooks)
	return &Base[R]{plan: sourcePlan[R]{Source: source, Options: options}}
}

// normalize applies NewBase's rules to a source: StopKey without a Key stops
// the whole batch, and StopKey implies OrderByKey. NewBase normalises once at
// construction; Run normalises its own copy of a [Planner]'s plan, and never
// writes a processor's.
func normalize[R any](source Source[R]) Source[R] {
	switch {
	case source.Stop == StopKey && source.Key == nil:
		source.Stop = StopBatch // no key to stop by: stop everything
	case source.Stop == StopKey:
		source.OrderByKey = true
	}
	return source
}

// Source returns the processor's source description.
func (p *Base[R]) Source() Source[R] { return p.plan.Source }

// Options returns the processor's options.
func (p *Base[R]) Options() Options { return p.plan.Options }

// Identify returns the identifier of a record, or the zero Identifier when
// the source has no Identify function.
func (p *Base[R]) Identify(record *R) Identifier {
	if p.plan.Source.Identify == nil {
		return Identifier{}
	}
	return p.plan.Source.Identify(record)
}

// Prepare refuses, with an error matching [ErrEventSourceMismatch], a batch holding a
// record whose non-empty eventSource the source does not accept.
func (p *Base[R]) Prepare(_ context.Context, b *Batch[R]) error {
	if p.plan.Source.EventSource == nil || len(p.plan.Source.EventSources) == 0 {
		return nil
	}
	eventSource, want := p.plan.Source.EventSource, p.plan.Source.EventSources
	if len(want) == 1 { // the usual case: one accepted value, no slice search
		w := want[0]
		for i := range b.Records {
			if es := eventSource(&b.Records[i]); es != w && es != "" {
				return eventSourceMismatch(i, es, want)
			}
		}
		return nil
	}
	for i := range b.Records {
		es := eventSource(&b.Records[i])
		if es == "" || slices.Contains(want, es) {
			continue
		}
		return eventSourceMismatch(i, es, want)
	}
	return nil
}

// ProcessRecord calls the batch's handler for record i (see [Batch.Handle]).
func (p *Base[R]) ProcessRecord(ctx context.Context, b *Batch[R], i int) Outcome {
	return b.Handle(ctx, i)
}

// Clean does nothing.
func (p *Base[R]) Clean(context.Context, *Batch[R]) error { return nil }

// Response reports the failed records by their identifiers (see
// [BuildResponse]).
func (p *Base[R]) Response(_ context.Context, b *Batch[R]) (Response, error) {
	return BuildResponse(b, p.Identify, p.plan.Options.SuppressFullBatchError)
}

// BuildResponse builds the partial batch response of a processed batch:
//   - the identifiers of every record that did not succeed (failed, not
//     started, or without an outcome), in input order, each identifier once;
//   - a [*FullBatchFailureError], along with the full response, when every
//     record of a non-empty batch failed, unless suppressFullBatchError;
//   - otherwise an [*UnidentifiableFailureError] when a failed record has no
//     identifier, since Lambda could not retry it alone.
//
// Custom processors that override Response can call it and adjust the result.
func BuildResponse[R any](b *Batch[R], identify func(*R) Identifier, suppressFullBatchError bool) (Response, error) {
	var resp Response
	failed := 0
	for i := range b.Outcomes {
		if b.failed(i) { // anything but a success
			failed++
		}
	}
	if failed == 0 {
		return resp, nil
	}
	resp.BatchItemFailures = make([]BatchItemFailure, 0, failed)
	var unidentified *UnidentifiableFailureError
	seen := idSet{expected: failed}
	for i := range b.Outcomes {
		if !b.failed(i) {
			continue
		}
		id := identify(&b.Records[i])
		if !id.Valid() {
			if unidentified == nil {
				unidentified = &UnidentifiableFailureError{}
			}
			unidentified.Positions = append(unidentified.Positions, i)
			unidentified.Errors = append(unidentified.Errors, b.outcomeErr(i))
			continue
		}
		if seen.add(resp.BatchItemFailures, id) {
			resp.BatchItemFailures = append(resp.BatchItemFailures, BatchItemFailure{ItemIdentifier: id})
		}
	}
	if failed == len(b.Outcomes) && !suppressFullBatchError {
		errs := make([]error, len(b.Outcomes))
		for i := range b.Outcomes {
			errs[i] = b.outcomeErr(i)
		}
		return resp, &FullBatchFailureError{Errors: errs}
	}
	if unidentified != nil {
		return resp, unidentified
	}
	return resp, nil
}

// idSet tells whether an identifier was already reported. Failures are
// usually few: a linear scan of the list beats an index until there are more
// than linearIDs of them, when maps take over (a batch has at most 10,000
// records, so at most that many identifiers): one of the string IDs (SQS
// message ids, sequence numbers), the common case with the smaller key, and
// one of any other identifier (Kafka's partition and offset).
type idSet struct {
	expected int
	indexed  bool
	ids      map[string]struct{}
	others   map[Identifier]struct{}
}

const linearIDs = 32

// add reports whether id is new, given the identifiers already listed; when
// it is, the caller appends it to the list.
func (s *idSet) add(listed []BatchItemFailure, id Identifier) bool {
	if !s.indexed {
		if len(listed) < linearIDs {
			for i := range listed {
				if listed[i].ItemIdentifier == id {
					return false
				}
			}
			return true
		}
		s.indexed = true
		for i := range listed {
			s.put(listed[i].ItemIdentifier)
		}
	}
	return s.put(id)
}

// put adds id to the index and reports whether it was new.
func (s *idSet) put(id Identifier) bool {
	if id.Partition == "" && id.Offset == 0 {
		if s.ids == nil {
			s.ids = make(map[string]struct{}, s.expected)
		}
		n := len(s.ids)
		s.ids[id.ID] = struct{}{}
		return len(s.ids) > n
	}
	if s.others == nil {
		s.others = make(map[Identifier]struct{})
	}
	n := len(s.others)
	s.others[id] = struct{}{}
	return len(s.others) > n
}

// eventSourceMismatch is the error of a batch whose record i names event
// source got, which the processor (accepting want) does not handle: its
// identifiers would be wrong, so nothing could be reported safely.
func eventSourceMismatch(i int, got string, want []string) error {
	return fmt.Errorf("%w: record %d has eventSource %q, the processor accepts %s", ErrEventSourceMismatch, i, got, quoteList(want))
}
