// Package otel is a batchkit hook that traces and measures batches with
// OpenTelemetry (go.opentelemetry.io/otel).
//
//	var processor = core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{batchotel.New()}}}))
//
// Traces follow the OpenTelemetry messaging semantic conventions: one
// consumer span per batch and, under it, one consumer span per record, each
// named "process <destination>" (the queue, stream, table or topic name read
// from the record) with the attributes messaging.system (aws_sqs, kafka, or
// the event source such as aws:kinesis, which the conventions do not name),
// messaging.operation.type and messaging.operation.name ("process"),
// messaging.destination.name, messaging.message.id on record spans and
// messaging.batch.message_count on the batch span. A record span links to the
// producer's span when the record carries its context: the SQS AWSTraceHeader
// system attribute (X-Ray format), or a W3C traceparent SQS message attribute
// or Kafka header. A failed record's span records the error and has status
// Error; the batch span has status Error only when the invocation returns an
// error (a partial failure is the normal, reported outcome).
//
// Metrics go through the OpenTelemetry metric API:
//
//	batchkit.records.processed  counter    records given an outcome
//	batchkit.records.failed     counter    records reported failed
//	batchkit.record.duration    histogram  seconds a handler ran
//
// each with the attributes batchkit.event_source, batchkit.outcome (success,
// failure, not_started) and messaging.destination.name.
//
// The AWSTraceHeader is read by [ParseXRayTraceHeader], not by the contrib
// propagator go.opentelemetry.io/contrib/propagators/aws/xray, on
// measurement: on the same header the contrib propagator costs 4
// allocations (3 with a carrier of its own) where the parser costs none, and
// a record's whole budget is 4 (BenchmarkXRayHeader, BenchmarkRecord); the
// contrib module is also deprecated since v1.47.0 ("no longer supported",
// no owner). TestParseXRayTraceHeaderMatchesContrib holds the parser to the
// contrib propagator's results on the headers AWS sends and on malformed
// ones; it also accepts spaces after the separators. The W3C traceparent
// path goes through the configured propagator.
//
// Cost: a record costs the SDK's span (created, given its attributes, ended)
// and one histogram measurement, and no allocation of the hook's own
// (BenchmarkRecord: 3 allocations per record with the SDK). To get there a
// record span's attributes are set right after it starts instead of passed
// as a start option, which the API copies twice (the exported span is the
// same; only a sampler does not see them at the start, and the default
// parent-based one does not look); and the two record counters are added
// once per outcome when the batch ends (the same sums; a collection during
// a batch sees its records at its end).
//
// By default the hook uses the global TracerProvider, MeterProvider and
// propagator set with go.opentelemetry.io/otel; [WithTracerProvider],
// [WithMeterProvider] and [WithPropagator] change them. [WithForceFlush]
// flushes the providers before the response is returned, since Lambda may
// freeze the function as soon as it returns.
package otel

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/batchkit/batchkit/core"
)

// ScopeName is the instrumentation scope of the hook's tracer and meter.
const ScopeName = "github.com/batchkit/batchkit/hooks/otel"

// Metric and attribute names.
const (
	MetricProcessed      = "batchkit.records.processed"
	MetricFailed         = "batchkit.records.failed"
	MetricRecordDuration = "batchkit.record.duration"

	AttrEventSource = attribute.Key("batchkit.event_source")
	AttrOutcome     = attribute.Key("batchkit.outcome")
	// AttrPosition is the record's position in the batch (record spans).
	AttrPosition = attribute.Key("batchkit.record.position")
	// AttrKey is the record's ordering key: SQS FIFO message group,
	// Kinesis partition key (record spans, when not empty).
	AttrKey = attribute.Key("batchkit.record.key")
	// AttrFailed is the number of failed records (batch span).
	AttrFailed = attribute.Key("batchkit.batch.failed_count")
)

// operation is the messaging operation name and type of every span.
const operation = "process"

// Hook traces and measures batches. Create it with [New]; it is safe for
// concurrent invocations and concurrent records.
type Hook struct {
	core.NopHook
	tp         trace.TracerProvider // nil: the global one
	mp         metric.MeterProvider // nil: the global one
	flushAfter time.Duration
	tracer     trace.Tracer
	propagator propagation.TextMapPropagator
	processed  metric.Int64Counter
	failed     metric.Int64Counter
	duration   metric.Float64Histogram
}

type config struct {
	tp         trace.TracerProvider
	mp         metric.MeterProvider
	propagator propagation.TextMapPropagator
	flush      time.Duration
}

// flusher is implemented by the SDK's TracerProvider and MeterProvider.
type flusher interface {
	ForceFlush(context.Context) error
}

// Option configures a [Hook].
type Option func(*config)

// WithTracerProvider sets the tracer provider (default: otel.GetTracerProvider()).
func WithTracerProvider(tp trace.TracerProvider) Option { return func(c *config) { c.tp = tp } }

// WithMeterProvider sets the meter provider (default: otel.GetMeterProvider()).
func WithMeterProvider(mp metric.MeterProvider) Option { return func(c *config) { c.mp = mp } }

// WithPropagator sets the propagator that reads a producer's context from SQS
// message attributes and Kafka headers (default: otel.GetTextMapPropagator()
// at the time of the batch, or W3C Trace Context when no global propagator is
// set).
func WithPropagator(p propagation.TextMapPropagator) Option {
	return func(c *config) { c.propagator = p }
}

// WithForceFlush makes BatchEnd flush the tracer and meter providers (those
// that have a ForceFlush method, like the SDK's) after the batch span ends,
// waiting at most timeout, so that a batching exporter sends the batch's
// telemetry before the function returns and Lambda freezes it. Off by
// default: flush in the function instead when several things share the
// providers.
func WithForceFlush(timeout time.Duration) Option { return func(c *config) { c.flush = timeout } }

// New returns an OpenTelemetry hook. An instrument that cannot be created is
// reported to otel.Handle and replaced by a no-op one: telemetry never stops
// a batch.
func New(opts ...Option) *Hook {
	var c config
	for _, o := range opts {
		o(&c)
	}
	h := &Hook{tp: c.tp, mp: c.mp, propagator: c.propagator, flushAfter: c.flush}
	// Without a configured tracer provider, BatchStart resolves the global
	// one per batch. The global meter provider delegates to the first one
	// set later with otel.SetMeterProvider.
	tp, mp := c.tp, c.mp
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	h.tracer = tp.Tracer(ScopeName, trace.WithSchemaURL(semconv.SchemaURL))
	meter := mp.Meter(ScopeName)
	var err error
	if h.processed, err = meter.Int64Counter(MetricProcessed, metric.WithUnit("{record}"),
		metric.WithDescription("Records of a batch given an outcome (success, failure or not_started).")); err != nil {
		otel.Handle(err)
	}
	if h.failed, err = meter.Int64Counter(MetricFailed, metric.WithUnit("{record}"),
		metric.WithDescription("Records of a batch reported failed (failure or not_started).")); err != nil {
		otel.Handle(err)
	}
	if h.duration, err = meter.Float64Histogram(MetricRecordDuration, metric.WithUnit("s"),
		metric.WithDescription("How long a record's handler ran.")); err != nil {
		otel.Handle(err)
	}
	return h
}

type batchKey struct{}
type recordKey struct{}

// batchState is what one batch's records share. The record spans are kept
// by position in a slice allocated once per batch (records running
// concurrently write distinct elements), so that a record costs no
// allocation of the hook's own.
type batchState struct {
	tracer     trace.Tracer
	span       trace.Span
	spanName   string
	propagator propagation.TextMapPropagator
	attrs      []attribute.KeyValue // messaging.* of every span
	add        [3][]metric.AddOption
	record     [3][]metric.RecordOption

	counts [3]atomic.Int64 // records per outcome, added to the counters at BatchEnd
	spans  []trace.Span    // the record spans, by position
}

// attrBuffers holds the slices a record span's attributes are assembled in:
// the SDK copies them into the span, so the slice is free again right after.
var attrBuffers = sync.Pool{New: func() any {
	b := make([]attribute.KeyValue, 0, 8)
	return &b
}}

const (
	outcomeSuccess = iota
	outcomeFailure
	outcomeNotStarted
)

// consumerKind is the span kind option of every span, made once, and
// recordStartOptions the options of a record span without links (a variadic
// slice built per call would be allocated per record).
var (
	consumerKind       = trace.WithSpanKind(trace.SpanKindConsumer)
	recordStartOptions = []trace.SpanStartOption{consumerKind}
)

// BatchStart starts the batch span.
func (h *Hook) BatchStart(ctx context.Context, info core.BatchInfo) context.Context {
	system, dest := describe(info.EventSource, info.Records)
	st := &batchState{spanName: operation, tracer: h.tracer, propagator: h.textMapPropagator()}
	if h.tp == nil {
		// The global provider as it is now: a function may set it after
		// building its package-level processor, and more than once.
		st.tracer = otel.GetTracerProvider().Tracer(ScopeName, trace.WithSchemaURL(semconv.SchemaURL))
	}
	if dest != "" {
		st.spanName = operation + " " + dest
	}
	st.attrs = []attribute.KeyValue{
		semconv.MessagingSystemKey.String(system),
		semconv.MessagingOperationTypeProcess,
		semconv.MessagingOperationName(operation),
	}
	if dest != "" {
		st.attrs = append(st.attrs, semconv.MessagingDestinationName(dest))
	}
	for i, o := range []string{"success", "failure", "not_started"} {
		kvs := []attribute.KeyValue{AttrEventSource.String(info.EventSource), AttrOutcome.String(o)}
		if dest != "" {
			kvs = append(kvs, semconv.MessagingDestinationName(dest))
		}
		set := metric.WithAttributeSet(attribute.NewSet(kvs...))
		st.add[i] = []metric.AddOption{set}
		st.record[i] = []metric.RecordOption{set}
	}
	if info.Size > 0 {
		st.spans = make([]trace.Span, info.Size)
	}
	attrs := append(append([]attribute.KeyValue(nil), st.attrs...), semconv.MessagingBatchMessageCount(info.Size))
	ctx, st.span = st.tracer.Start(ctx, st.spanName,
		consumerKind,
		trace.WithTimestamp(info.Start),
		trace.WithAttributes(attrs...),
	)
	return context.WithValue(ctx, batchKey{}, st)
}

// RecordStart starts the record's span, a child of the batch span, linked to
// the producer's span when the record carries its context.
func (h *Hook) RecordStart(ctx context.Context, info core.RecordInfo) context.Context {
	st, _ := ctx.Value(batchKey{}).(*batchState)
	if st == nil {
		return ctx
	}
	buf := attrBuffers.Get().(*[]attribute.KeyValue)
	attrs := append((*buf)[:0], st.attrs...)
	attrs = append(attrs, semconv.MessagingMessageID(info.Identifier.String()), AttrPosition.Int(info.Position))
	if info.Key != "" {
		attrs = append(attrs, AttrKey.String(info.Key))
	}
	// The attributes are set right after the start rather than passed as a
	// start option, which the API copies twice (into the start config, then
	// into the span): the span is the same, only a sampler does not see
	// them (the default one, parent-based, does not look).
	var span trace.Span
	if links := links(st.propagator, info.Record); len(links) > 0 {
		ctx, span = st.tracer.Start(ctx, st.spanName, consumerKind, trace.WithLinks(links...))
	} else {
		ctx, span = st.tracer.Start(ctx, st.spanName, recordStartOptions...)
	}
	span.SetAttributes(attrs...)
	clear(attrs) // drop the references to the record's strings
	*buf = attrs[:0]
	attrBuffers.Put(buf)
	if pos := info.Position; pos >= 0 && pos < len(st.spans) {
		st.spans[pos] = span
		return ctx
	}
	return context.WithValue(ctx, recordKey{}, span)
}

// recordSpan returns the span RecordStart started for the record, or nil,
// and forgets it (an ended span is not kept until the batch ends).
func (st *batchState) recordSpan(ctx context.Context, pos int) trace.Span {
	if pos >= 0 && pos < len(st.spans) {
		if span := st.spans[pos]; span != nil {
			st.spans[pos] = nil
			return span
		}
	}
	span, _ := ctx.Value(recordKey{}).(trace.Span)
	return span
}

// RecordEnd ends the record's span and records the record's metrics.
func (h *Hook) RecordEnd(ctx context.Context, info core.RecordInfo) {
	st, _ := ctx.Value(batchKey{}).(*batchState)
	if st == nil {
		return
	}
	outcome := outcomeSuccess
	switch info.Outcome.Status {
	case core.StatusFailure:
		outcome = outcomeFailure
	case core.StatusNotStarted:
		outcome = outcomeNotStarted
	}
	if span := st.recordSpan(ctx, info.Position); span != nil {
		if err := info.Outcome.Err; err != nil && info.Outcome.Failed() {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
			span.SetAttributes(errorType(err))
		}
		span.End()
	}
	st.counts[outcome].Add(1)
	if info.Outcome.Status == core.StatusSuccess || info.Outcome.Status == core.StatusFailure {
		h.duration.Record(ctx, info.Duration.Seconds(), st.record[outcome]...)
	}
}

// BatchEnd ends the batch span.
func (h *Hook) BatchEnd(ctx context.Context, res core.BatchResult) error {
	st, _ := ctx.Value(batchKey{}).(*batchState)
	if st == nil {
		return nil
	}
	// The record counters, once per outcome for the whole batch: the same
	// sums as one Add per record, for a fraction of the cost.
	for outcome := range st.counts {
		n := st.counts[outcome].Load()
		if n == 0 {
			continue
		}
		h.processed.Add(ctx, n, st.add[outcome]...)
		if outcome != outcomeSuccess {
			h.failed.Add(ctx, n, st.add[outcome]...)
		}
	}
	st.span.SetAttributes(AttrFailed.Int(res.Failed))
	if res.Err != nil {
		st.span.RecordError(res.Err)
		st.span.SetStatus(codes.Error, res.Err.Error())
		st.span.SetAttributes(semconv.ErrorType(res.Err))
	}
	st.span.End(trace.WithTimestamp(res.Start.Add(res.Duration)))
	if h.flushAfter <= 0 {
		return nil
	}
	return h.flush(ctx)
}

// flush flushes the providers that can be flushed, the global ones as they
// are now when none was configured.
func (h *Hook) flush(ctx context.Context) error {
	var tp, mp any = h.tp, h.mp
	if h.tp == nil {
		tp = otel.GetTracerProvider()
	}
	if h.mp == nil {
		mp = otel.GetMeterProvider()
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.flushAfter)
	defer cancel()
	var errs []error
	for _, p := range []any{tp, mp} {
		if f, ok := p.(flusher); ok {
			if err := f.ForceFlush(ctx); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("batchkit/hooks/otel: flushing telemetry within %v failed (raise WithForceFlush's timeout or check the exporter): %w", h.flushAfter, err)
	}
	return nil
}

// describe returns the messaging.system and destination name of a batch, read
// from its first record.
func describe(eventSource string, records any) (system, dest string) {
	system = eventSource
	switch recs := records.(type) {
	case []events.SQSMessage:
		system = "aws_sqs"
		if len(recs) > 0 {
			dest = arnResource(recs[0].EventSourceARN)
		}
	case []events.KinesisEventRecord:
		if len(recs) > 0 {
			dest = strings.TrimPrefix(arnResource(recs[0].EventSourceArn), "stream/")
		}
	case []events.DynamoDBEventRecord:
		if len(recs) > 0 {
			// table/<name>/stream/<label>
			dest = strings.TrimPrefix(arnResource(recs[0].EventSourceArn), "table/")
			dest, _, _ = strings.Cut(dest, "/")
		}
	case []events.KafkaRecord:
		system = "kafka"
		if len(recs) > 0 {
			dest = recs[0].Topic
		}
	}
	return system, dest
}

// arnResource returns the resource part of an ARN
// (arn:partition:service:region:account:resource), or "" for a string that
// is not an ARN.
func arnResource(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return ""
	}
	return parts[5]
}

// textMapPropagator returns the propagator to read producer contexts with:
// the configured one, else the global one (resolved per batch, since a
// package-level processor is built before main sets the global), else W3C
// Trace Context.
func (h *Hook) textMapPropagator() propagation.TextMapPropagator {
	if h.propagator != nil {
		return h.propagator
	}
	if p := otel.GetTextMapPropagator(); len(p.Fields()) > 0 {
		return p
	}
	return propagation.TraceContext{}
}

// links returns the links to the producer spans a record carries, read with
// the batch's propagator p.
func links(p propagation.TextMapPropagator, record any) []trace.Link {
	var links []trace.Link
	add := func(sc trace.SpanContext) {
		if !sc.IsValid() {
			return
		}
		for _, l := range links {
			if l.SpanContext.Equal(sc) {
				return
			}
		}
		links = append(links, trace.Link{SpanContext: sc})
	}
	switch r := record.(type) {
	case *events.SQSMessage:
		if hdr, ok := r.Attributes["AWSTraceHeader"]; ok {
			add(ParseXRayTraceHeader(hdr))
		}
		if len(r.MessageAttributes) > 0 {
			add(trace.SpanContextFromContext(p.Extract(context.Background(), sqsCarrier(r.MessageAttributes))))
		}
	case *events.KafkaRecord:
		if len(r.Headers) > 0 {
			add(trace.SpanContextFromContext(p.Extract(context.Background(), kafkaCarrier(r.Headers))))
		}
	}
	return links
}

// sqsCarrier reads String message attributes for a propagator.
type sqsCarrier map[string]events.SQSMessageAttribute

func (c sqsCarrier) Get(key string) string {
	for k, v := range c {
		if strings.EqualFold(k, key) && v.StringValue != nil {
			return *v.StringValue
		}
	}
	return ""
}

func (c sqsCarrier) Set(string, string) {}

func (c sqsCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// kafkaCarrier reads Kafka record headers for a propagator.
type kafkaCarrier []map[string]events.JSONNumberBytes

func (c kafkaCarrier) Get(key string) string {
	for _, h := range c {
		for k, v := range h {
			if strings.EqualFold(k, key) {
				return string(v)
			}
		}
	}
	return ""
}

func (c kafkaCarrier) Set(string, string) {}

func (c kafkaCarrier) Keys() []string {
	var keys []string
	for _, h := range c {
		for k := range h {
			keys = append(keys, k)
		}
	}
	return keys
}

// ParseXRayTraceHeader returns the remote span context of an AWS X-Ray trace
// header such as
// "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
// (the AWSTraceHeader attribute of an SQS message): the trace id is the root's
// two hex parts joined, the span id is Parent. It returns an invalid span
// context when the header has no valid root and parent. It reads the header
// in place, without allocating.
func ParseXRayTraceHeader(header string) trace.SpanContext {
	var cfg trace.SpanContextConfig
	var haveTrace, haveSpan bool
	for rest := header; rest != ""; {
		var field string
		field, rest, _ = strings.Cut(rest, ";")
		k, v, ok := strings.Cut(strings.TrimSpace(field), "=")
		if !ok {
			continue
		}
		switch k {
		case "Root":
			// 1-<8 hex digits: epoch seconds>-<24 hex digits>
			if len(v) != 35 || v[:2] != "1-" || v[10] != '-' ||
				!lowerHex(cfg.TraceID[:4], v[2:10]) || !lowerHex(cfg.TraceID[4:], v[11:]) || !cfg.TraceID.IsValid() {
				return trace.SpanContext{}
			}
			haveTrace = true
		case "Parent":
			if !lowerHex(cfg.SpanID[:], v) || !cfg.SpanID.IsValid() {
				return trace.SpanContext{}
			}
			haveSpan = true
		case "Sampled":
			if v == "1" {
				cfg.TraceFlags = trace.FlagsSampled
			}
		}
	}
	if !haveTrace || !haveSpan {
		return trace.SpanContext{}
	}
	cfg.Remote = true
	return trace.NewSpanContext(cfg)
}

// lowerHex decodes s, lowercase hex digits only (as trace.TraceIDFromHex and
// trace.SpanIDFromHex accept), into dst, which it fills exactly.
func lowerHex(dst []byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i := range dst {
		hi, ok1 := unhex(s[2*i])
		lo, ok2 := unhex(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// errorType is a failed record's error.type: the error's Go type
// (semconv.ErrorType), and for a *core.UnhandledError the reason too
// ("*core.UnhandledError:deadline"), since that one type stands for every
// record whose handler did not return, short-circuited or not started alike.
func errorType(err error) attribute.KeyValue {
	u, ok := err.(*core.UnhandledError)
	if !ok {
		return semconv.ErrorType(err)
	}
	reason := "other"
	switch u.Reason {
	case core.ErrShortCircuit:
		reason = "short_circuit"
	case core.ErrDeadline:
		reason = "deadline"
	case core.ErrCanceled:
		reason = "canceled"
	case core.ErrStillRunning:
		reason = "still_running"
	case core.ErrAbandoned:
		reason = "abandoned"
	}
	return semconv.ErrorTypeKey.String("*core.UnhandledError:" + reason)
}
