package window

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/finish"
	"github.com/batchkit/batchkit/payload"
	"github.com/batchkit/batchkit/processors"
)

// Tumbling windows (Kinesis and DynamoDB Streams with TumblingWindowInSeconds)
// carry a state from one invocation of a window to the next: each
// invocation receives the state the previous one returned and must return
// {"state": ..., "batchItemFailures": [...]}; the last one of a window
// (isFinalInvokeForWindow) is where the aggregate is acted on.
//
// batchkit gives the window a typed aggregate ([Aggregate]): it decodes the
// incoming state into the user's S, folds each record into it through the
// same lifecycle as every processor ([core.NewBatch] and [core.Run]: the
// fold is the record handler, with hooks, deadline margin, panic recovery),
// and builds the response from the outcomes after Run, since the core
// response type carries no state. The state returned reflects exactly the
// records reported succeeded: Lambda re-delivers from the lowest failed
// sequence number, so the failed record and every record after it (one
// window is one shard) are left out of the state and reported, or they
// would be counted twice.
//
// How the failed record's effect is kept out: by default records are folded
// in order and the batch stops at the first failure ([core.StopBatch]);
// when S holds no pointers, maps or slices (numbers, strings, arrays and
// structs of them) the state is copied before each fold and restored when
// the fold fails or panics, which costs no allocation; otherwise the state
// is rebuilt after a failure by decoding the incoming state again and
// folding the records before the failed one again (so Fold must be a pure
// function of the state and the record, as a fold is). With
// [Aggregate.Commutative] and a concurrency above 1, records are folded
// concurrently, one fold at a time under a mutex, and after a failure the
// state is rebuilt the same way without the records from the first failure
// on.

// DefaultMaxWindowStateBytes is Lambda's limit on a window's state, 1 MB.
const DefaultMaxWindowStateBytes = 1 << 20

// WindowRange is the time window of a tumbling window's records.
type WindowRange struct {
	// Start is the window's start (RFC 3339 in the event).
	Start time.Time `json:"start"`
	// End is the window's end.
	End time.Time `json:"end"`
}

// WindowProperties are the tumbling window fields of a Kinesis or DynamoDB
// Streams event, beside its Records. State is kept as the JSON Lambda sent:
// any JSON value (the AWS examples use numbers, which aws-lambda-go's
// map[string]string state refuses).
type WindowProperties struct {
	// Window is the window the records belong to.
	Window WindowRange `json:"window"`
	// State is what the previous invocation of the window returned, as
	// JSON; empty or {} on a window's first invocation.
	State json.RawMessage `json:"state,omitempty"`
	// ShardID is the shard of the records.
	ShardID string `json:"shardId"`
	// EventSourceARN is the stream's ARN.
	EventSourceARN string `json:"eventSourceARN"`
	// IsFinalInvokeForWindow is set on the window's last invocation: the
	// aggregate is complete and is published (see [Aggregate.Publish]).
	IsFinalInvokeForWindow bool `json:"isFinalInvokeForWindow"`
	// IsWindowTerminatedEarly is set when Lambda ended the window early
	// (its state reached 1 MB); the next invocation starts a fresh state.
	IsWindowTerminatedEarly bool `json:"isWindowTerminatedEarly"`
}

// KinesisWindowEvent is a Kinesis event with tumbling window fields.
type KinesisWindowEvent struct {
	// Records are the window's records of this invocation, in shard order.
	Records []events.KinesisEventRecord `json:"Records"`
	WindowProperties
}

// DynamoDBWindowEvent is a DynamoDB Streams event with tumbling window
// fields.
type DynamoDBWindowEvent struct {
	// Records are the window's records of this invocation, in shard order.
	Records []events.DynamoDBEventRecord `json:"Records"`
	WindowProperties
}

// WindowResponse is the response of a tumbling window invocation:
// {"state": ..., "batchItemFailures": [...]}. State is always present ({}
// for a state that encodes as null), since Lambda fails an invocation whose
// response has none, and the list is empty, never null, when nothing failed.
type WindowResponse struct {
	// State is the aggregate after the invocation's succeeded records, as
	// JSON.
	State json.RawMessage `json:"state"`
	// BatchItemFailures are the records not in State, by sequence number.
	BatchItemFailures []core.BatchItemFailure `json:"batchItemFailures"`
}

// MarshalJSON writes {} for an empty or null state and [] for no failures.
func (r WindowResponse) MarshalJSON() ([]byte, error) {
	type plain WindowResponse
	if t := bytes.TrimSpace(r.State); len(t) == 0 || string(t) == "null" {
		r.State = json.RawMessage("{}")
	}
	if r.BatchItemFailures == nil {
		r.BatchItemFailures = []core.BatchItemFailure{}
	}
	return json.Marshal(plain(r))
}

// Aggregate is what a tumbling window computes: a state S folded from the
// window's records, published once the window is complete.
type Aggregate[R, S any] struct {
	// Fold folds one record into the state. An error or a panic fails the
	// record; its effect is not in the state returned (see the package
	// notes above on how). Fold must change nothing but the state: it may
	// be called again for the same record when a later record of the same
	// batch fails and the state is rebuilt.
	Fold func(ctx context.Context, state *S, record *R) error
	// Publish, optional, acts on the complete aggregate on the window's
	// final invocation, when every record of that invocation succeeded
	// (with a failure, the records are re-delivered and the window is
	// published by the invocation that completes it). Its error, or panic,
	// fails the invocation, so that Lambda retries it with the same state.
	// When window.IsWindowTerminatedEarly, Lambda ended the window before
	// its end (its state reached 1 MB): the aggregate covers only part of
	// the window, and the rest follows in a fresh state, published again.
	Publish func(ctx context.Context, state S, window WindowProperties) error
	// Commutative declares that the fold's result does not depend on the
	// records' order: records may then be folded concurrently (up to the
	// processor's concurrency, one Fold at a time). Otherwise they are
	// folded one after another in input order.
	Commutative bool
}

// WindowConfig configures a tumbling window processor.
type WindowConfig struct {
	// Options are the shared settings: SuppressFullBatchError,
	// Concurrency (used only by a commutative [Aggregate]), DeadlineMargin
	// and Hooks. The stream-ordering settings do not apply: a window's
	// records are folded in order and stop at the first failure.
	core.Options
	// MaxStateBytes bounds the returned state's JSON; 0 is
	// [DefaultMaxWindowStateBytes] (Lambda's 1 MB).
	MaxStateBytes int
}

// The kinds of the tumbling window processors, for [core.ConfigError]s.
const (
	nameKinesis  = "kinesis-window"
	nameDynamoDB = "dynamodb-window"
)

// WindowProcessor is the processor of tumbling windows over records R
// (events.KinesisEventRecord or events.DynamoDBEventRecord). Run it with
// [ProcessWindow], its typed entries ([ProcessKinesisWindow],
// [ProcessDynamoDBWindow]) or raw entries. Immutable and safe for
// concurrent use: each invocation's state lives in the invocation.
type WindowProcessor[R any] struct {
	// ordered folds in input order and stops at the first failure: its
	// failures (the failed record and the ones stopped after it) are the
	// records from the first failure on, so the plain Base reports them,
	// and core.Run calls the fold on its sequential fast path.
	ordered *core.Base[R]
	// concurrent folds up to the concurrency at once, for commutative
	// aggregates.
	concurrent    *windowCore[R]
	maxStateBytes int
}

// windowCore is the lifecycle side of a window: the shared Base with a
// Response that reports every record from the first failure on.
type windowCore[R any] struct {
	*core.Base[R]
}

// Response reports the first failed record and every record after it (none
// of them is in the state), in input order, each identifier once; a
// [*core.FullBatchFailureError] when every record failed (unless
// suppressed), and a [*core.UnidentifiableFailureError] for a reported
// record without a sequence number.
func (w *windowCore[R]) Response(_ context.Context, b *core.Batch[R]) (core.Response, error) {
	k := firstFailed(b.Outcomes)
	var resp core.Response
	if k < 0 {
		return resp, nil
	}
	resp.BatchItemFailures = make([]core.BatchItemFailure, 0, len(b.Records)-k)
	var seen map[core.Identifier]bool
	var unidentified *core.UnidentifiableFailureError
	allFailed := k == 0
	for i := k; i < len(b.Records); i++ {
		o := &b.Outcomes[i]
		if !o.Failed() {
			allFailed = false
		}
		id := w.Identify(&b.Records[i])
		if !id.Valid() {
			if unidentified == nil {
				unidentified = &core.UnidentifiableFailureError{}
			}
			unidentified.Positions = append(unidentified.Positions, i)
			unidentified.Errors = append(unidentified.Errors, o.Err)
			continue
		}
		if seen == nil {
			seen = make(map[core.Identifier]bool, len(b.Records)-k)
		}
		if !seen[id] {
			seen[id] = true
			resp.BatchItemFailures = append(resp.BatchItemFailures, core.BatchItemFailure{ItemIdentifier: id})
		}
	}
	if allFailed && !w.Options().SuppressFullBatchError {
		errs := make([]error, len(b.Outcomes))
		for i := range b.Outcomes {
			errs[i] = b.Outcomes[i].Err
		}
		return resp, &core.FullBatchFailureError{Errors: errs}
	}
	if unidentified != nil {
		return resp, unidentified
	}
	return resp, nil
}

// firstFailed returns the position of the first record that is not a
// success, or -1.
func firstFailed(outs []core.Outcome) int {
	for i := range outs {
		if outs[i].Status != core.StatusSuccess {
			return i
		}
	}
	return -1
}

// NewKinesisWindow returns the tumbling window processor for Kinesis Data
// Streams, with the shared options.
func NewKinesisWindow(c WindowConfig) (*WindowProcessor[events.KinesisEventRecord], error) {
	return newWindow(nameKinesis, c, core.Source[events.KinesisEventRecord]{
		Name:         processors.EventSourceKinesis,
		EventSources: []string{processors.EventSourceKinesis},
		EventSource:  func(r *events.KinesisEventRecord) string { return r.EventSource },
		Identify: func(r *events.KinesisEventRecord) core.Identifier {
			return core.StringID(r.Kinesis.SequenceNumber)
		},
		Key: func(r *events.KinesisEventRecord) string { return r.Kinesis.PartitionKey },
	})
}

// NewDynamoDBWindow returns the tumbling window processor for DynamoDB
// Streams, with the shared options.
func NewDynamoDBWindow(c WindowConfig) (*WindowProcessor[events.DynamoDBEventRecord], error) {
	return newWindow(nameDynamoDB, c, core.Source[events.DynamoDBEventRecord]{
		Name:         processors.EventSourceDynamoDB,
		EventSources: []string{processors.EventSourceDynamoDB},
		EventSource:  func(r *events.DynamoDBEventRecord) string { return r.EventSource },
		Identify: func(r *events.DynamoDBEventRecord) core.Identifier {
			return core.StringID(r.Change.SequenceNumber)
		},
		Key: processors.ItemKey,
	})
}

func newWindow[R any](kind string, c WindowConfig, src core.Source[R]) (*WindowProcessor[R], error) {
	if err := c.Options.Validate(kind); err != nil {
		return nil, err
	}
	switch {
	case c.MaxStateBytes == 0:
		c.MaxStateBytes = DefaultMaxWindowStateBytes
	case c.MaxStateBytes < 0:
		return nil, &core.ConfigError{Processor: string(kind), Setting: "MaxStateBytes", Value: strconv.Itoa(c.MaxStateBytes),
			Problem: "it is negative"}
	}
	ordered := src
	ordered.Stop = core.StopBatch
	concurrent := src
	concurrent.Stop = core.StopNever
	return &WindowProcessor[R]{
		ordered:       core.NewBase(ordered, c.Options),
		concurrent:    &windowCore[R]{core.NewBase(concurrent, c.Options)},
		maxStateBytes: c.MaxStateBytes,
	}, nil
}

// The window errors' sentinels.
var (
	// ErrWindowState: the incoming state does not decode into the
	// aggregate's type, or the state does not encode.
	ErrWindowState = errors.New("batchkit: window state could not be decoded or encoded")
	// ErrWindowStateTooLarge: the state to return is over the limit.
	ErrWindowStateTooLarge = errors.New("batchkit: window state over its size limit")
	// ErrWindowPublish: the aggregate's Publish failed.
	ErrWindowPublish = errors.New("batchkit: window publish failed")
)

// WindowStateError is returned when the incoming state does not decode into
// S, the state does not encode as JSON, or the state could not be rebuilt
// after a failure (a Fold that failed on a record it had folded before).
// The invocation fails and Lambda retries it with the same state.
type WindowStateError struct {
	// Op is "decode", "encode" or "rebuild".
	Op string
	// Type is S.
	Type string
	// Err is the cause.
	Err error
}

// Error says what failed and what to do.
func (e *WindowStateError) Error() string {
	switch e.Op {
	case "rebuild":
		return fmt.Sprintf("batchkit: the window state (%s) could not be rebuilt without the failed records, because Fold failed again on a record it had folded: %v; the invocation fails so that Lambda retries it (Fold must depend only on the state and the record)", e.Type, e.Err)
	case "encode":
		return fmt.Sprintf("batchkit: the window state (%s) does not encode as JSON: %v; the invocation fails so that Lambda retries it", e.Type, e.Err)
	}
	return fmt.Sprintf("batchkit: the incoming window state does not decode into %s: %v; the invocation fails so that Lambda retries it (was the state's type changed while a window was open?)", e.Type, e.Err)
}

// Unwrap returns the cause.
func (e *WindowStateError) Unwrap() error { return e.Err }

// Is matches [ErrWindowState].
func (e *WindowStateError) Is(target error) bool { return target == ErrWindowState }

// WindowStateTooLargeError is returned, before anything is published, when
// the state to return is over the processor's limit (Lambda's 1 MB): Lambda
// would refuse it. The invocation fails; keep the aggregate smaller (publish
// details elsewhere and keep counts in the state) or shorten the window.
type WindowStateTooLargeError struct {
	// Size is the state's JSON size.
	Size int
	// Limit is the processor's limit.
	Limit int
}

// Error says how large the state is.
func (e *WindowStateTooLargeError) Error() string {
	return fmt.Sprintf("batchkit: the window state is %d bytes of JSON, over the limit of %d that Lambda accepts; the invocation fails (keep the aggregate smaller or the window shorter)", e.Size, e.Limit)
}

// Is matches [ErrWindowStateTooLarge].
func (e *WindowStateTooLargeError) Is(target error) bool { return target == ErrWindowStateTooLarge }

// WindowPublishError is returned when [Aggregate.Publish] fails or panics
// on a window's final invocation: the invocation fails, so that Lambda
// retries it and the window is published again.
type WindowPublishError struct {
	// Err is Publish's error, or a [*core.PanicError].
	Err error
}

// Error says that the window was not published.
func (e *WindowPublishError) Error() string {
	return fmt.Sprintf("batchkit: publishing the window's aggregate failed: %v; the invocation fails so that Lambda retries the window's final invocation", e.Err)
}

// Unwrap returns Publish's error.
func (e *WindowPublishError) Unwrap() error { return e.Err }

// Is matches [ErrWindowPublish].
func (e *WindowPublishError) Is(target error) bool { return target == ErrWindowPublish }

// ProcessKinesisWindow runs a Kinesis tumbling window invocation: see
// [ProcessWindow].
func ProcessKinesisWindow[S any](ctx context.Context, p *WindowProcessor[events.KinesisEventRecord], event KinesisWindowEvent, agg Aggregate[events.KinesisEventRecord, S]) (WindowResponse, error) {
	return ProcessWindow(ctx, p, event.WindowProperties, event.Records, agg)
}

// ProcessDynamoDBWindow runs a DynamoDB Streams tumbling window invocation:
// see [ProcessWindow].
func ProcessDynamoDBWindow[S any](ctx context.Context, p *WindowProcessor[events.DynamoDBEventRecord], event DynamoDBWindowEvent, agg Aggregate[events.DynamoDBEventRecord, S]) (WindowResponse, error) {
	return ProcessWindow(ctx, p, event.WindowProperties, event.Records, agg)
}

// ProcessWindow runs one tumbling window invocation: it decodes the incoming
// state into S, folds the records into it with agg.Fold, reports the first
// failed record and every one after it, publishes the aggregate on the
// window's final invocation when nothing failed, and returns the state.
//
// The error is the invocation's: a Prepare error (another event source), a
// [*core.FullBatchFailureError] (every record failed), a
// [*WindowStateError], a [*WindowStateTooLargeError] (checked before
// publishing) or a [*WindowPublishError]; with any of them Lambda retries
// the invocation with the same state.
func ProcessWindow[R, S any](ctx context.Context, p *WindowProcessor[R], props WindowProperties, records []R, agg Aggregate[R, S]) (WindowResponse, error) {
	return runWindow(ctx, p, props, records, nil, agg)
}

func runWindow[R, S any](ctx context.Context, p *WindowProcessor[R], props WindowProperties, records []R, failures []*core.RecordDecodeError, agg Aggregate[R, S]) (WindowResponse, error) {
	if p == nil {
		return WindowResponse{}, errors.New("batchkit: ProcessWindow needs a processor (window.NewKinesisWindow or NewDynamoDBWindow), got nil")
	}
	if agg.Fold == nil {
		return WindowResponse{}, errors.New("batchkit: ProcessWindow needs an Aggregate with a Fold function, got nil")
	}
	state, err := decodeWindowState[S](props.State)
	if err != nil {
		return WindowResponse{}, err
	}
	concurrent := agg.Commutative && p.concurrent.Options().Concurrency > 1
	plain := pointerFree(reflect.TypeFor[S]())
	// dirty: a fold failed and may have left part of its effect in state.
	var (
		mu    sync.Mutex
		dirty bool
	)
	fold := agg.Fold
	h := func(ctx context.Context, r *R) error {
		if concurrent {
			mu.Lock()
			defer mu.Unlock()
		}
		if plain {
			prev, ok := state, false
			defer func() {
				if !ok {
					state = prev
				}
			}()
			err := fold(ctx, &state, r)
			ok = err == nil
			return err
		}
		ok := false
		defer func() {
			if !ok {
				dirty = true
			}
		}()
		err := fold(ctx, &state, r)
		ok = err == nil
		return err
	}
	var proc core.PartialProcessor[R] = p.ordered
	if concurrent {
		proc = p.concurrent
	}
	b := core.NewBatch(records, core.Handler[R](h))
	for _, f := range failures {
		b.Fail(f.Position, f)
	}
	// finishWork is the window's own work once the records have run: rebuild
	// the state after a failure, encode it, check its size, publish.
	var data []byte
	finishWork := func() error {
		k := firstFailed(b.Outcomes)
		if k >= 0 && (dirty || concurrent && anySuccessFrom(b.Outcomes, k)) {
			var err error
			if state, err = rebuildWindowState(ctx, props.State, b.Records[:k], fold); err != nil {
				return err
			}
		}
		var err error
		if data, err = json.Marshal(state); err != nil {
			return &WindowStateError{Op: "encode", Type: typeName[S](), Err: err}
		}
		if len(data) > p.maxStateBytes {
			return &WindowStateTooLargeError{Size: len(data), Limit: p.maxStateBytes}
		}
		if props.IsFinalInvokeForWindow && k < 0 && agg.Publish != nil {
			return publishWindow(ctx, agg.Publish, state, props)
		}
		return nil
	}
	// With hooks, finish runs in the lifecycle (as the processor's Clean,
	// before the hooks' BatchEnd), so that hooks see the invocation fail
	// when it does; without, the plain Base keeps core.Run's sequential
	// fast path.
	finished := false
	var finishErr error
	if len(p.concurrent.Options().Hooks) > 0 {
		proc = finish.Finisher[R]{PartialProcessor: proc, Finish: func() error {
			finished, finishErr = true, finishWork()
			return finishErr
		}}
	}
	resp, err := core.Run(ctx, proc, b)
	if finishErr != nil {
		return WindowResponse{}, finishErr
	}
	if err != nil {
		return WindowResponse{}, err
	}
	if !finished {
		if err := finishWork(); err != nil {
			return WindowResponse{}, err
		}
	}
	return WindowResponse{State: data, BatchItemFailures: resp.BatchItemFailures}, nil
}

// anySuccessFrom reports whether a record from position k on succeeded.
func anySuccessFrom(outs []core.Outcome, k int) bool {
	for i := k; i < len(outs); i++ {
		if outs[i].Status == core.StatusSuccess {
			return true
		}
	}
	return false
}

// rebuildWindowState decodes the incoming state again and folds records
// (all of which succeeded) into it again.
func rebuildWindowState[R, S any](ctx context.Context, raw json.RawMessage, records []R, fold func(context.Context, *S, *R) error) (state S, err error) {
	if state, err = decodeWindowState[S](raw); err != nil {
		return state, err
	}
	i := 0
	defer func() {
		if v := recover(); v != nil {
			err = &WindowStateError{Op: "rebuild", Type: typeName[S](), Err: fmt.Errorf("record %d: %w", i, core.NewPanicError(v))}
		}
	}()
	for ; i < len(records); i++ {
		if err := fold(ctx, &state, &records[i]); err != nil {
			return state, &WindowStateError{Op: "rebuild", Type: typeName[S](), Err: fmt.Errorf("record %d: %w", i, err)}
		}
	}
	return state, nil
}

// publishWindow calls publish, recovering a panic.
func publishWindow[S any](ctx context.Context, publish func(context.Context, S, WindowProperties) error, state S, props WindowProperties) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &WindowPublishError{Err: core.NewPanicError(v)}
		}
	}()
	if err := publish(ctx, state, props); err != nil {
		return &WindowPublishError{Err: err}
	}
	return nil
}

// decodeWindowState decodes the incoming state into an S. No state, null
// and, for an S that is not a JSON object, {} (Lambda's state on a window's
// first invocation) give the zero S.
func decodeWindowState[S any](raw json.RawMessage) (S, error) {
	var s S
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return s, nil
	}
	if err := json.Unmarshal(t, &s); err != nil {
		var zero S
		if isEmptyObject(t) {
			return zero, nil
		}
		return zero, &WindowStateError{Op: "decode", Type: typeName[S](), Err: err}
	}
	return s, nil
}

// isEmptyObject reports whether t is {} (with any inner whitespace).
func isEmptyObject(t []byte) bool {
	return len(t) >= 2 && t[0] == '{' && t[len(t)-1] == '}' && len(bytes.TrimSpace(t[1:len(t)-1])) == 0
}

func typeName[S any]() string { return reflect.TypeFor[S]().String() }

// pointerFree reports whether a value of type t can be copied by
// assignment into an independent snapshot: no pointer, map, slice,
// channel, function or interface inside (strings are immutable).
func pointerFree(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128, reflect.String:
		return true
	case reflect.Array:
		return pointerFree(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if !pointerFree(t.Field(i).Type) {
				return false
			}
		}
		return true
	}
	return false
}

// KinesisWindowJSON returns a Fold that decodes each record's data as JSON
// into a T, validates it (see [Validator]) and folds it with f. A record
// that does not decode or validate fails (and, in a window, stops the
// records after it).
func KinesisWindowJSON[T, S any](f func(ctx context.Context, state *S, payload T, rec *events.KinesisEventRecord) error) func(context.Context, *S, *events.KinesisEventRecord) error {
	return func(ctx context.Context, state *S, rec *events.KinesisEventRecord) error {
		v, err := payload.Decode[T]("Kinesis data", rec.Kinesis.Data)
		if err != nil {
			return err
		}
		return f(ctx, state, v, rec)
	}
}

// DynamoDBWindowNewImage returns a Fold that decodes each record's NewImage
// into a T (as [DynamoDBNewImage] does; nil for a record without one),
// validates it and folds it with f.
func DynamoDBWindowNewImage[T, S any](f func(ctx context.Context, state *S, newImage *T, rec *events.DynamoDBEventRecord) error) func(context.Context, *S, *events.DynamoDBEventRecord) error {
	return func(ctx context.Context, state *S, rec *events.DynamoDBEventRecord) error {
		if rec.Change.NewImage == nil {
			return f(ctx, state, nil, rec)
		}
		data, err := processors.ImageJSON(rec.Change.NewImage)
		if err != nil {
			return &payload.DecodeError{What: "DynamoDB NewImage", Type: typeName[T](), Err: err}
		}
		v, err := payload.Decode[T]("DynamoDB NewImage", data)
		if err != nil {
			return err
		}
		return f(ctx, state, &v, rec)
	}
}
