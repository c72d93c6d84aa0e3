package envelope

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unsafe"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/payload"
)

// Layer is one level of wrapping around a payload: SNS, S3, EventBridge,
// CloudWatch Logs, or one of the user's own.
//
// Unwrap opens data, the payload of the layer above (or of the source record
// for the outermost layer), and returns the parts it holds, each with its own
// payload for the next layer (or the handler) and what the layer read about
// it. It returns an error when data is not what the layer expects: the record
// then fails alone with a [*UnwrapError] (a panic, with a *core.PanicError).
// It returns [Skip] when the record holds nothing to handle (a test event, a
// control message): the record then succeeds without the handler being
// called (see [Config.OnSkip]). Unwrap returns every part or an
// error, never both, so that no handler runs for a record that is not whole.
//
// A user-written layer receives its own copy of data: it may keep it, and
// return sub-slices of it as parts. Unwrap is called from several goroutines
// at once when the processor runs records concurrently, so it must be safe
// for concurrent use.
type Layer interface {
	// Name names the layer in errors, for example "SNS notification".
	Name() string
	// Unwrap returns the parts inside data, [Skip], or why data is not
	// what the layer expects.
	Unwrap(data []byte) ([]Part, error)
}

// Part is one payload inside a layer.
type Part struct {
	// Data is the payload: the next layer's input, or what the handler's
	// payload is decoded from.
	Data []byte
	// Meta is what the layer read about the part, for example
	// *SNSNotification. The handler finds it in [Meta.Layers]. When the
	// innermost layer's Meta is a *T (or a T) for the handler's payload
	// type T, the handler receives it as is instead of a second decoding of
	// Data: envelope.S3() gives events.S3EventRecord handlers the record it
	// decoded, with its URLDecodedKey.
	Meta any
}

// NewLayer returns a [Layer] named name that opens payloads with unwrap, for
// envelopes of the user's own. unwrap follows the contract of
// [Layer.Unwrap].
func NewLayer(name string, unwrap func(data []byte) ([]Part, error)) Layer {
	return funcLayer{name: name, unwrap: unwrap}
}

// readOnlyLayer is implemented by the built-in layers, which never write to
// their input: they may be given views of strings without a copy.
type readOnlyLayer interface{ readsOnly() }

type funcLayer struct {
	name   string
	unwrap func([]byte) ([]Part, error)
}

// Name names the layer in errors.
func (l funcLayer) Name() string { return l.name }

// Unwrap opens data; see [Layer].
func (l funcLayer) Unwrap(data []byte) ([]Part, error) { return l.unwrap(data) }

// Opened is what one layer read about the part being handled.
type Opened struct {
	// Layer is the layer's name.
	Layer string
	// Index is the part's position among the parts of its layer (0 when the
	// layer holds one payload).
	Index int
	// Meta is the part's [Part.Meta].
	Meta any
}

// Meta is what the handler receives beside its payload: the source record
// and what each layer read. Its methods return what the built-in layers
// read; the metadata of a layer of the user's own is found in Layers, by
// ranging over it or at the layer's position:
//
//	for _, o := range m.Layers {
//		if h, ok := o.Meta.(*Header); ok {
//			tenant = h.Tenant
//		}
//	}
//
// Like the record pointer of a [core.Handler], it is valid only during the
// call.
type Meta[R any] struct {
	// Record is the source record (the SQS message, the Kinesis record).
	Record *R
	// Layers holds what each layer read, outermost first.
	Layers []Opened
}

// SNS returns the SNS notification the payload came in, or nil.
func (m *Meta[R]) SNS() *SNSNotification { v, _ := find[*SNSNotification](m.Layers); return v }

// S3 returns the S3 event notification record being handled, or nil. Its
// S3.Object.URLDecodedKey holds the object key decoded once.
func (m *Meta[R]) S3() *events.S3EventRecord { v, _ := find[*events.S3EventRecord](m.Layers); return v }

// EventBridge returns the EventBridge event the payload came in (its source,
// detail-type, time, id...), or nil.
func (m *Meta[R]) EventBridge() *events.EventBridgeEvent {
	v, _ := find[*events.EventBridgeEvent](m.Layers)
	return v
}

// LogEvent returns the CloudWatch Logs log event being handled (with its
// log group and stream), or nil.
func (m *Meta[R]) LogEvent() *LogEvent { v, _ := find[*LogEvent](m.Layers); return v }

// LogsData returns the CloudWatch Logs subscription data the payload came
// in (log group, log stream, owner), or nil.
func (m *Meta[R]) LogsData() *events.CloudwatchLogsData {
	if e := m.LogEvent(); e != nil {
		return e.Data
	}
	v, _ := find[*events.CloudwatchLogsData](m.Layers)
	return v
}

// find returns the innermost layer metadata of type M in l.
func find[M any](l []Opened) (M, bool) {
	for i := len(l) - 1; i >= 0; i-- {
		if v, ok := l[i].Meta.(M); ok {
			return v, true
		}
	}
	var zero M
	return zero, false
}

// Config says how [Wrap] reads a record of type R: where its outermost
// payload is, the layers around the handler's payload, and who hears of the
// records a layer skips.
type Config[R any] struct {
	// Payload names the record's payload in errors, for example "Kafka
	// value". Empty: "SQS body" for events.SQSMessage, "Kinesis data" for
	// events.KinesisEventRecord, "record payload" otherwise.
	Payload string
	// Data reads the outermost payload from a record; an error fails the
	// record with an [*UnwrapError]. Nil reads the body of an
	// events.SQSMessage or the data of an events.KinesisEventRecord (and
	// fails every record of another type with a *core.ConfigError).
	Data func(*R) ([]byte, error)
	// Layers open the payload, outermost first. With none, the payload is
	// decoded as it is.
	Layers []Layer
	// OnSkip, if set, is called for each record a layer skipped (see
	// [Skip]) with the reason the layer gave, for example "s3:TestEvent",
	// "CONTROL_MESSAGE" or "SNS SubscriptionConfirmation"; the record then
	// succeeds. It is how a function logs or counts SNS subscription
	// confirmations, S3 test events and CloudWatch Logs control messages.
	// m.Layers ends with the layer that skipped: its Layer names it and its
	// Meta is what it read (the *SNSNotification with its SubscribeURL, the
	// *events.S3TestEvent, the *events.CloudwatchLogsData), so that
	// m.SNS() and m.LogsData() return them. A panic in OnSkip
	// fails the record with a *core.PanicError.
	OnSkip func(ctx context.Context, reason string, m *Meta[R])
}

// Wrap returns a handler of records of any type R: c.Data reads the
// outermost payload from a record, c.Layers open it, outermost first, and f
// handles each payload decoded into a T. For an events.SQSMessage the
// outermost payload is its body (c.Data may stay nil), for an
// events.KinesisEventRecord its data (already base64-decoded by the event).
//
// The payload is decoded as JSON into T and validated with
// [payload.Validate] (a *[payload.DecodeError] or an error matching [payload.ErrInvalid]
// fails the record), except that a T of type []byte or string receives the
// payload bytes as they are (a log message that is plain text), and that a
// T whose pointer is the innermost layer's [Part.Meta] receives that value
// (then validated the same way).
//
// A nil f or layer, or a nil c.Data for a record type other than SQS and
// Kinesis, fails every record with a *core.ConfigError: no record succeeds
// unhandled.
func Wrap[R, T any](c Config[R], f func(ctx context.Context, payload T, m *Meta[R]) error) core.Handler[R] {
	what, data := c.Payload, c.Data
	switch any((*R)(nil)).(type) {
	case *events.SQSMessage:
		if what == "" {
			what = "SQS body"
		}
		if data == nil {
			data = func(r *R) ([]byte, error) { return view(any(r).(*events.SQSMessage).Body), nil }
		}
	case *events.KinesisEventRecord:
		if what == "" {
			what = "Kinesis data"
		}
		if data == nil {
			data = func(r *R) ([]byte, error) { return any(r).(*events.KinesisEventRecord).Kinesis.Data, nil }
		}
	}
	if what == "" {
		what = "record payload"
	}
	var bad *core.ConfigError
	switch {
	case f == nil:
		bad = &core.ConfigError{Processor: "envelope", Setting: "handler", Value: "nil", Problem: "no handler"}
	case data == nil:
		bad = &core.ConfigError{Processor: "envelope", Setting: "Data", Value: "nil", Problem: "no payload reader for this record type"}
	}
	for i, l := range c.Layers {
		if l == nil && bad == nil {
			bad = &core.ConfigError{Processor: "envelope", Setting: fmt.Sprintf("Layers[%d]", i), Value: "nil", Problem: "nil layer"}
		}
	}
	if bad != nil {
		return func(context.Context, *R) error { return bad }
	}
	layers := slices.Clone(c.Layers)
	names := make([]string, len(layers))
	for i, l := range layers {
		names[i] = layerName(l, i)
	}
	w := &wrapper[R, T]{what: what, data: data, f: f, onSkip: c.OnSkip, layers: layers, names: names, payload: payloadName(what, names)}
	return w.handle
}

// layerName is l.Name() under recover: a user-written Name that panics is
// "layer i".
func layerName(l Layer, i int) (name string) {
	defer func() {
		if recover() != nil {
			name = fmt.Sprintf("layer %d", i+1)
		}
	}()
	return l.Name()
}

type wrapper[R, T any] struct {
	what    string
	data    func(*R) ([]byte, error)
	f       func(context.Context, T, *Meta[R]) error
	onSkip  func(context.Context, string, *Meta[R])
	layers  []Layer
	names   []string
	payload string
}

// payloadName names the innermost payload in decoding errors, for example
// "payload of the S3 event notification in the SNS notification in the SQS
// body".
func payloadName(what string, names []string) string {
	if len(names) == 0 {
		return what
	}
	var b strings.Builder
	b.WriteString("payload")
	for i := len(names) - 1; i >= 0; i-- {
		b.WriteString(" of the ")
		b.WriteString(names[i])
		if i > 0 {
			b.WriteString(" in")
		}
	}
	b.WriteString(" in the ")
	b.WriteString(what)
	return b.String()
}

// skipped is what OnSkip hears of a skip: the reason, and m.Layers when
// the skip happened, ending with the layer that skipped.
type skipped struct {
	reason string
	layers []Opened
}

// run is the state of one record's unwrapping.
type run[R, T any] struct {
	w *wrapper[R, T]
	m Meta[R]
	// skipped is the first skip, for OnSkip (set only when there is one).
	skipped *skipped
	// layers backs m.Layers for up to 4 layers: one allocation per record
	// for the run and its layers together.
	layers [4]Opened
}

func (w *wrapper[R, T]) handle(ctx context.Context, rec *R) error {
	data, err := w.data(rec)
	if err != nil {
		return &UnwrapError{Layer: w.what, Depth: -1, Within: w.what, Err: err}
	}
	r := &run[R, T]{w: w, m: Meta[R]{Record: rec}}
	if n := len(w.layers); n <= len(r.layers) {
		r.m.Layers = r.layers[:n:n]
	} else {
		r.m.Layers = make([]Opened, n)
	}
	if err := r.open(ctx, data, 0); err != nil {
		return err
	}
	if r.skipped != nil {
		return r.reportSkip(ctx)
	}
	return nil
}

// reportSkip calls the OnSkip callback under recover.
func (r *run[R, T]) reportSkip(ctx context.Context) (err error) {
	defer func() {
		if p := recover(); p != nil {
			pe := core.NewPanicError(p)
			pe.Where = "envelope OnSkip"
			err = pe
		}
	}()
	r.m.Layers = r.skipped.layers
	r.w.onSkip(ctx, r.skipped.reason, &r.m)
	return nil
}

// open unwraps data at layer depth and handles what it holds.
func (r *run[R, T]) open(ctx context.Context, data []byte, depth int) error {
	w := r.w
	if depth == len(w.layers) {
		var meta any
		if depth > 0 {
			meta = r.m.Layers[depth-1].Meta
		}
		v, err := decode[T](w.payload, data, meta)
		if err != nil {
			return err
		}
		return w.f(ctx, v, &r.m)
	}
	l := w.layers[depth]
	if _, ok := l.(readOnlyLayer); !ok {
		// data may be a view of an immutable string (see view): a layer
		// of the user's own gets a copy, so that even one that writes to
		// its input cannot corrupt memory.
		data = bytes.Clone(data)
	}
	parts, err := unwrap(l, data, w.names[depth])
	if err != nil {
		var skip *skipError
		if errors.As(err, &skip) {
			if r.skipped == nil && w.onSkip != nil {
				// The layers below the one that skipped read nothing.
				r.skipped = &skipped{reason: skip.reason, layers: append(slices.Clone(r.m.Layers[:depth]), Opened{Layer: w.names[depth], Meta: skip.meta})}
			}
			return nil
		}
		return &UnwrapError{Layer: w.names[depth], Depth: depth, Within: w.what, Err: err}
	}
	if len(parts) == 0 {
		return &UnwrapError{Layer: w.names[depth], Depth: depth, Within: w.what, Err: errNoParts}
	}
	for i, p := range parts {
		r.m.Layers[depth] = Opened{Layer: w.names[depth], Index: i, Meta: p.Meta}
		err := r.open(ctx, p.Data, depth+1)
		if err == nil {
			continue
		}
		if len(parts) > 1 {
			err = &UnwrapError{Layer: w.names[depth], Depth: depth, Within: w.what, Index: i, Count: len(parts), Err: err}
		}
		return err
	}
	return nil
}

var errNoParts = errors.New("the layer holds no payload")

// unwrap calls l.Unwrap under recover: a layer that panics fails its record
// with a *core.PanicError naming it.
func unwrap(l Layer, data []byte, name string) (parts []Part, err error) {
	if _, ok := l.(readOnlyLayer); ok {
		return l.Unwrap(data)
	}
	defer func() {
		if p := recover(); p != nil {
			pe := core.NewPanicError(p)
			pe.Where = "envelope layer " + name
			parts, err = nil, pe
		}
	}()
	return l.Unwrap(data)
}

// decode turns the innermost payload into a T: the layer's metadata when it
// is one, the bytes as they are for []byte and string, JSON otherwise; then
// validates it with [payload.Validate].
func decode[T any](what string, data []byte, meta any) (T, error) {
	var v T
	if m, ok := meta.(*T); ok && m != nil {
		v = *m
		return v, payload.Validate(&v)
	}
	switch p := any(&v).(type) {
	case *[]byte:
		*p = bytes.Clone(data)
		return v, nil
	case *string:
		*p = string(data)
		return v, nil
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return v, &payload.DecodeError{What: what, Type: fmt.Sprintf("%T", v), Err: err}
	}
	return v, payload.Validate(&v)
}

// view returns the bytes of s without a copy. The built-in layers and
// encoding/json only read them, a user-written layer gets a copy, and so
// does a []byte payload handed to the handler: the bytes are never written.
func view(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
