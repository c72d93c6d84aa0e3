package otel_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	batchotel "github.com/batchkit/batchkit/hooks/otel"
	"github.com/batchkit/batchkit/processors"
)

// telemetry is an in-memory trace and metric pipeline.
type telemetry struct {
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
	hook   *batchotel.Hook
}

func newTelemetry(t *testing.T) *telemetry {
	t.Helper()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	return &telemetry{spans: spans, reader: reader, hook: batchotel.New(batchotel.WithTracerProvider(tp), batchotel.WithMeterProvider(mp))}
}

// split returns the batch span (the one without a recorded parent) and the
// record spans keyed by messaging.message.id.
func (tel *telemetry) split(t *testing.T) (sdktrace.ReadOnlySpan, map[string]sdktrace.ReadOnlySpan) {
	t.Helper()
	var batch sdktrace.ReadOnlySpan
	records := make(map[string]sdktrace.ReadOnlySpan)
	for _, s := range tel.spans.Ended() {
		if !s.Parent().IsValid() {
			require.Nil(t, batch, "one batch span")
			batch = s
			continue
		}
		id := attrs(s)["messaging.message.id"].AsString()
		require.NotContains(t, records, id, "one span per record")
		records[id] = s
	}
	require.NotNil(t, batch)
	return batch, records
}

func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	out := make(map[attribute.Key]attribute.Value)
	for _, kv := range s.Attributes() {
		out[kv.Key] = kv.Value
	}
	return out
}

func handle(_ context.Context, m *events.SQSMessage) error {
	switch m.Body {
	case "fail":
		return errors.New("boom")
	case "panic":
		panic("kaboom")
	}
	return nil
}

func TestSpanTree(t *testing.T) {
	tests := []struct {
		name        string
		bodies      []string
		config      processors.Config
		wantErr     bool
		wantFailed  int
		wantRecords int
	}{
		{name: "partial failure", bodies: []string{"ok", "fail", "panic", "ok"}, wantFailed: 2},
		{name: "all succeed", bodies: []string{"ok", "ok"}},
		{name: "full batch failure", bodies: []string{"fail", "panic"}, wantErr: true, wantFailed: 2},
		{name: "concurrent", bodies: repeat([]string{"ok", "fail", "ok", "ok"}, 25), config: processors.Config{Options: core.Options{Concurrency: 8}}, wantFailed: 25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tel := newTelemetry(t)
			event := batchtest.SQSEvent(tt.bodies...)
			c := tt.config
			c.Hooks = append(c.Hooks, tel.hook)
			p := core.Must(processors.NewSQS(c))
			_, err := core.Process(context.Background(), p, event.Records, handle)
			require.Equal(t, tt.wantErr, err != nil, "%v", err)

			batch, records := tel.split(t)
			require.Equal(t, "process test-queue", batch.Name())
			require.Equal(t, trace.SpanKindConsumer, batch.SpanKind())
			ba := attrs(batch)
			require.Equal(t, "aws_sqs", ba["messaging.system"].AsString())
			require.Equal(t, "process", ba["messaging.operation.type"].AsString())
			require.Equal(t, "process", ba["messaging.operation.name"].AsString())
			require.Equal(t, "test-queue", ba["messaging.destination.name"].AsString())
			require.Equal(t, int64(len(tt.bodies)), ba["messaging.batch.message_count"].AsInt64())
			require.Equal(t, int64(tt.wantFailed), ba["batchkit.batch.failed_count"].AsInt64())
			if tt.wantErr {
				require.Equal(t, codes.Error, batch.Status().Code)
				require.Contains(t, batch.Status().Description, "records in the batch failed")
			} else {
				require.Equal(t, codes.Unset, batch.Status().Code, "a partial failure is not an invocation error")
			}

			require.Len(t, records, len(tt.bodies))
			for i, m := range event.Records {
				s, ok := records[m.MessageId]
				require.True(t, ok, "record %d has a span", i)
				require.Equal(t, "process test-queue", s.Name())
				require.Equal(t, trace.SpanKindConsumer, s.SpanKind())
				require.Equal(t, batch.SpanContext().SpanID(), s.Parent().SpanID(), "record spans are children of the batch span")
				require.Equal(t, batch.SpanContext().TraceID(), s.SpanContext().TraceID())
				require.True(t, !s.EndTime().Before(s.StartTime()))
				require.False(t, s.EndTime().After(batch.EndTime()))
				ra := attrs(s)
				require.Equal(t, "aws_sqs", ra["messaging.system"].AsString())
				require.Equal(t, "process", ra["messaging.operation.type"].AsString())
				require.Equal(t, "test-queue", ra["messaging.destination.name"].AsString())
				require.Equal(t, int64(i), ra["batchkit.record.position"].AsInt64())
				require.NotContains(t, ra, attribute.Key("messaging.batch.message_count"))
				if m.Body == "ok" {
					require.Equal(t, codes.Unset, s.Status().Code)
					require.Empty(t, s.Events())
					continue
				}
				require.Equal(t, codes.Error, s.Status().Code)
				require.NotEmpty(t, s.Status().Description)
				require.Len(t, s.Events(), 1)
				require.Equal(t, "exception", s.Events()[0].Name)
				require.NotEmpty(t, ra["error.type"].AsString())
			}
		})
	}
}

func repeat(s []string, n int) []string {
	var out []string
	for range n {
		out = append(out, s...)
	}
	return out
}

func TestFIFOKeyAndNotStarted(t *testing.T) {
	tel := newTelemetry(t)
	event := batchtest.FIFOEvent(
		batchtest.FIFOMessage{Group: "g1", Body: "fail"},
		batchtest.FIFOMessage{Group: "g1", Body: "ok"},
	)
	_, _ = core.Process(context.Background(), core.Must(processors.NewSQSFIFO(processors.Config{Options: core.Options{SuppressFullBatchError: true, Hooks: []core.Hook{tel.hook}}})), event.Records, handle)
	batch, records := tel.split(t)
	require.Equal(t, "process test-queue.fifo", batch.Name())
	skipped := records[event.Records[1].MessageId]
	require.Equal(t, "g1", attrs(skipped)["batchkit.record.key"].AsString())
	require.Equal(t, codes.Error, skipped.Status().Code)
	require.Equal(t, "*core.UnhandledError:short_circuit", attrs(skipped)["error.type"].AsString())
}

func TestDestinations(t *testing.T) {
	kin := batchtest.KinesisEvent(batchtest.KinesisRecord{Data: "a"})
	ddb := batchtest.DynamoDBEvent(batchtest.Insert("1", nil))
	tests := []struct {
		name       string
		run        func(*batchotel.Hook)
		wantName   string
		wantSystem string
		wantDest   string
	}{
		{
			name: "Kinesis",
			run: func(h *batchotel.Hook) {
				_, _ = core.Process(context.Background(), core.Must(processors.NewKinesis(processors.Config{Options: core.Options{Hooks: []core.Hook{h}}})), kin.Records,
					func(context.Context, *events.KinesisEventRecord) error { return nil })
			},
			wantName: "process test-stream", wantSystem: "aws:kinesis", wantDest: "test-stream",
		},
		{
			name: "DynamoDB Streams",
			run: func(h *batchotel.Hook) {
				_, _ = core.Process(context.Background(), core.Must(processors.NewDynamoDB(processors.Config{Options: core.Options{Hooks: []core.Hook{h}}})), ddb.Records,
					func(context.Context, *events.DynamoDBEventRecord) error { return nil })
			},
			wantName: "process test-table", wantSystem: "aws:dynamodb", wantDest: "test-table",
		},
		{
			name: "Kafka",
			run: func(h *batchotel.Hook) {
				recs := []events.KafkaRecord{{Topic: "orders", Partition: 3, Offset: 42}}
				ctx := h.BatchStart(context.Background(), core.BatchInfo{EventSource: "aws:kafka", Size: 1, Start: time.Now(), Records: recs})
				info := core.RecordInfo{Identifier: core.Identifier{}, EventSource: "aws:kafka", Key: "orders-3", Record: &recs[0]}
				rctx := h.RecordStart(ctx, info)
				info.Outcome = core.Success(nil)
				h.RecordEnd(rctx, info)
				require.NoError(t, h.BatchEnd(ctx, core.BatchResult{BatchInfo: core.BatchInfo{Start: time.Now()}}))
			},
			wantName: "process orders", wantSystem: "kafka", wantDest: "orders",
		},
		{
			name: "unknown record type",
			run: func(h *batchotel.Hook) {
				ctx := h.BatchStart(context.Background(), core.BatchInfo{EventSource: "custom", Size: 0, Start: time.Now(), Records: []string{}})
				require.NoError(t, h.BatchEnd(ctx, core.BatchResult{BatchInfo: core.BatchInfo{Start: time.Now()}}))
			},
			wantName: "process", wantSystem: "custom",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tel := newTelemetry(t)
			tt.run(tel.hook)
			for _, s := range tel.spans.Ended() {
				require.Equal(t, tt.wantName, s.Name())
				a := attrs(s)
				require.Equal(t, tt.wantSystem, a["messaging.system"].AsString())
				if tt.wantDest == "" {
					require.NotContains(t, a, attribute.Key("messaging.destination.name"))
				} else {
					require.Equal(t, tt.wantDest, a["messaging.destination.name"].AsString())
				}
			}
			require.NotEmpty(t, tel.spans.Ended())
		})
	}
}

const (
	xrayHeader  = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	xrayTraceID = "5759e988bd862e3fe1be46a994272793"
	xraySpanID  = "53995c3f42cd8ad8"
	traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	w3cTraceID  = "0af7651916cd43dd8448eb211c80319c"
	w3cSpanID   = "b7ad6b7169203331"
)

func str(s string) *string { return &s }

func TestProducerLinks(t *testing.T) {
	tests := []struct {
		name      string
		attrs     map[string]string
		msgAttrs  map[string]events.SQSMessageAttribute
		wantLinks [][2]string // trace id, span id
	}{
		{name: "no trace context"},
		{name: "X-Ray AWSTraceHeader", attrs: map[string]string{"AWSTraceHeader": xrayHeader}, wantLinks: [][2]string{{xrayTraceID, xraySpanID}}},
		{
			name:      "W3C traceparent message attribute",
			msgAttrs:  map[string]events.SQSMessageAttribute{"traceparent": {StringValue: str(traceparent), DataType: "String"}},
			wantLinks: [][2]string{{w3cTraceID, w3cSpanID}},
		},
		{
			name:      "both",
			attrs:     map[string]string{"AWSTraceHeader": xrayHeader},
			msgAttrs:  map[string]events.SQSMessageAttribute{"traceparent": {StringValue: str(traceparent), DataType: "String"}},
			wantLinks: [][2]string{{xrayTraceID, xraySpanID}, {w3cTraceID, w3cSpanID}},
		},
		{
			name:      "both the same span: one link",
			attrs:     map[string]string{"AWSTraceHeader": "Root=1-0af76519-16cd43dd8448eb211c80319c;Parent=b7ad6b7169203331;Sampled=1"},
			msgAttrs:  map[string]events.SQSMessageAttribute{"traceparent": {StringValue: str(traceparent), DataType: "String"}},
			wantLinks: [][2]string{{w3cTraceID, w3cSpanID}},
		},
		{name: "malformed X-Ray header", attrs: map[string]string{"AWSTraceHeader": "Root=1-xyz;Parent=nope"}},
		{
			name:     "malformed traceparent",
			msgAttrs: map[string]events.SQSMessageAttribute{"traceparent": {StringValue: str("00-zz-01"), DataType: "String"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tel := newTelemetry(t)
			event := batchtest.SQSEvent("ok")
			for k, v := range tt.attrs {
				event.Records[0].Attributes[k] = v
			}
			event.Records[0].MessageAttributes = tt.msgAttrs
			_, err := core.Process(context.Background(), core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{tel.hook}}})), event.Records, handle)
			require.NoError(t, err)
			batch, records := tel.split(t)
			rec := records[event.Records[0].MessageId]
			var got [][2]string
			for _, l := range rec.Links() {
				require.True(t, l.SpanContext.IsRemote())
				require.True(t, l.SpanContext.IsSampled())
				got = append(got, [2]string{l.SpanContext.TraceID().String(), l.SpanContext.SpanID().String()})
			}
			require.Equal(t, tt.wantLinks, got)
			// The producer's trace is linked, not adopted as parent.
			require.Equal(t, batch.SpanContext().SpanID(), rec.Parent().SpanID())
		})
	}
}

func TestKafkaHeaderLink(t *testing.T) {
	tel := newTelemetry(t)
	h := tel.hook
	recs := []events.KafkaRecord{{Topic: "orders", Headers: []map[string]events.JSONNumberBytes{{"traceparent": []byte(traceparent)}}}}
	ctx := h.BatchStart(context.Background(), core.BatchInfo{EventSource: "aws:kafka", Size: 1, Start: time.Now(), Records: recs})
	info := core.RecordInfo{EventSource: "aws:kafka", Record: &recs[0]}
	rctx := h.RecordStart(ctx, info)
	info.Outcome = core.Success(nil)
	h.RecordEnd(rctx, info)
	require.NoError(t, h.BatchEnd(ctx, core.BatchResult{BatchInfo: core.BatchInfo{Start: time.Now()}}))
	_, records := tel.split(t)
	require.Len(t, records[""].Links(), 1)
	require.Equal(t, w3cTraceID, records[""].Links()[0].SpanContext.TraceID().String())
}

func TestParseXRayTraceHeader(t *testing.T) {
	tests := []struct {
		header      string
		valid       bool
		wantSampled bool
	}{
		{header: xrayHeader, valid: true, wantSampled: true},
		{header: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0", valid: true},
		{header: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8", valid: true},
		{header: "Parent=53995c3f42cd8ad8; Root=1-5759e988-bd862e3fe1be46a994272793; Sampled=1; Lineage=a87bd80c:1", valid: true, wantSampled: true},
		{header: "Root=1-5759e988-bd862e3fe1be46a994272793"},
		{header: "Parent=53995c3f42cd8ad8"},
		{header: "Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8"},
		{header: "Root=1-5759e98-bd862e3fe1be46a9942727930;Parent=53995c3f42cd8ad8"},
		{header: "Root=1-00000000-000000000000000000000000;Parent=53995c3f42cd8ad8"},
		{header: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=0000000000000000"},
		{header: ""},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			sc := batchotel.ParseXRayTraceHeader(tt.header)
			require.Equal(t, tt.valid, sc.IsValid())
			if tt.valid {
				require.Equal(t, xrayTraceID, sc.TraceID().String())
				require.Equal(t, xraySpanID, sc.SpanID().String())
				require.True(t, sc.IsRemote())
				require.Equal(t, tt.wantSampled, sc.IsSampled())
			}
		})
	}
}

// point is one metric data point, flattened for comparison.
type point struct {
	Metric, EventSource, Outcome, Dest string
	Value                              float64 // sum, or histogram count
}

func collect(t *testing.T, reader *sdkmetric.ManualReader) []point {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	var out []point
	for _, sm := range rm.ScopeMetrics {
		require.Equal(t, batchotel.ScopeName, sm.Scope.Name)
		for _, m := range sm.Metrics {
			mk := func(set attribute.Set, v float64) point {
				es, _ := set.Value("batchkit.event_source")
				o, _ := set.Value("batchkit.outcome")
				d, _ := set.Value("messaging.destination.name")
				return point{m.Name, es.AsString(), o.AsString(), d.AsString(), v}
			}
			switch data := m.Data.(type) {
			case metricdata.Sum[int64]:
				require.True(t, data.IsMonotonic)
				require.Equal(t, "{record}", m.Unit)
				for _, dp := range data.DataPoints {
					out = append(out, mk(dp.Attributes, float64(dp.Value)))
				}
			case metricdata.Histogram[float64]:
				require.Equal(t, "s", m.Unit)
				for _, dp := range data.DataPoints {
					require.Positive(t, dp.Sum)
					out = append(out, mk(dp.Attributes, float64(dp.Count)))
				}
			default:
				t.Fatalf("unexpected metric %s of type %T", m.Name, m.Data)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return fmt.Sprint(out[i]) < fmt.Sprint(out[j]) })
	return out
}

func TestMetrics(t *testing.T) {
	tel := newTelemetry(t)
	slow := func(ctx context.Context, m *events.SQSMessage) error {
		time.Sleep(time.Millisecond)
		return handle(ctx, m)
	}
	std := batchtest.SQSEvent("ok", "fail", "ok", "panic", "ok")
	_, err := core.Process(context.Background(), core.Must(processors.NewSQS(processors.Config{Options: core.Options{Concurrency: 4, Hooks: []core.Hook{tel.hook}}})), std.Records, slow)
	require.NoError(t, err)
	fifo := batchtest.FIFOEvent(batchtest.FIFOMessage{Group: "g", Body: "ok"}, batchtest.FIFOMessage{Group: "g", Body: "fail"}, batchtest.FIFOMessage{Group: "g", Body: "ok"})
	_, err = core.Process(context.Background(), core.Must(processors.NewSQSFIFO(processors.Config{Options: core.Options{Hooks: []core.Hook{tel.hook}}})), fifo.Records, slow)
	require.NoError(t, err)

	const q, qf = "test-queue", "test-queue.fifo"
	want := []point{
		{batchotel.MetricRecordDuration, "aws:sqs", "failure", q, 2},
		{batchotel.MetricRecordDuration, "aws:sqs", "failure", qf, 1},
		{batchotel.MetricRecordDuration, "aws:sqs", "success", q, 3},
		{batchotel.MetricRecordDuration, "aws:sqs", "success", qf, 1},
		{batchotel.MetricFailed, "aws:sqs", "failure", q, 2},
		{batchotel.MetricFailed, "aws:sqs", "failure", qf, 1},
		{batchotel.MetricFailed, "aws:sqs", "not_started", qf, 1},
		{batchotel.MetricProcessed, "aws:sqs", "failure", q, 2},
		{batchotel.MetricProcessed, "aws:sqs", "failure", qf, 1},
		{batchotel.MetricProcessed, "aws:sqs", "not_started", qf, 1},
		{batchotel.MetricProcessed, "aws:sqs", "success", q, 3},
		{batchotel.MetricProcessed, "aws:sqs", "success", qf, 1},
	}
	sort.Slice(want, func(i, j int) bool { return fmt.Sprint(want[i]) < fmt.Sprint(want[j]) })
	require.Equal(t, want, collect(t, tel.reader))
}

func TestHandlerSeesRecordSpan(t *testing.T) {
	tel := newTelemetry(t)
	event := batchtest.SQSEvent("ok")
	var inHandler trace.SpanContext
	_, err := core.Process(context.Background(), core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{tel.hook}}})), event.Records,
		func(ctx context.Context, _ *events.SQSMessage) error {
			inHandler = trace.SpanContextFromContext(ctx)
			return nil
		})
	require.NoError(t, err)
	_, records := tel.split(t)
	require.Equal(t, records[event.Records[0].MessageId].SpanContext(), inHandler, "spans the handler starts are children of the record span")
}

// Example traces an SQS batch: one batch span and one span per record.
func Example() {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))

	processor := core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{batchotel.New(batchotel.WithTracerProvider(tp))}}}))
	event := batchtest.SQSEvent("ok", "fail")
	_, _ = core.Process(context.Background(), processor, event.Records, handle)

	for _, s := range spans.Ended() {
		kind := "record"
		if !s.Parent().IsValid() {
			kind = "batch"
		}
		fmt.Println(kind, s.Name(), s.Status().Code)
	}
	// Output:
	// record process test-queue Unset
	// record process test-queue Error
	// batch process test-queue Unset
}

// failingProvider is a tracer provider whose flush fails.
type failingProvider struct{ trace.TracerProvider }

var errExporterDown = errors.New("exporter down")

func (failingProvider) ForceFlush(context.Context) error { return errExporterDown }

func TestForceFlush(t *testing.T) {
	tests := []struct {
		name      string
		flush     time.Duration
		wantSpans int
	}{
		{name: "off: spans wait in the batcher", flush: 0, wantSpans: 0},
		{name: "on: spans exported before Process returns", flush: time.Second, wantSpans: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exp := tracetest.NewInMemoryExporter()
			tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(time.Hour)))
			t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
			hook := batchotel.New(batchotel.WithTracerProvider(tp), batchotel.WithForceFlush(tt.flush))
			event := batchtest.SQSEvent("ok", "fail")
			_, err := core.Process(context.Background(), core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{hook}}})), event.Records, handle)
			require.NoError(t, err)
			require.Len(t, exp.GetSpans(), tt.wantSpans)
		})
	}
	t.Run("global providers, set after New", func(t *testing.T) {
		hook := batchotel.New(batchotel.WithForceFlush(time.Second))
		exp := tracetest.NewInMemoryExporter()
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(time.Hour)))
		t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
		prev := otel.GetTracerProvider()
		otel.SetTracerProvider(tp)
		t.Cleanup(func() { otel.SetTracerProvider(prev) })

		event := batchtest.SQSEvent("ok")
		_, err := core.Process(context.Background(), core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{hook}}})), event.Records, handle)
		require.NoError(t, err)
		require.Len(t, exp.GetSpans(), 2)
	})
	t.Run("flush error", func(t *testing.T) {
		tp := failingProvider{sdktrace.NewTracerProvider()}
		hook := batchotel.New(batchotel.WithTracerProvider(tp), batchotel.WithForceFlush(time.Second))
		ctx := hook.BatchStart(context.Background(), core.BatchInfo{Start: time.Now()})
		err := hook.BatchEnd(ctx, core.BatchResult{BatchInfo: core.BatchInfo{Start: time.Now()}})
		require.ErrorIs(t, err, errExporterDown)

		event := batchtest.SQSEvent("ok", "fail")
		resp, err := core.Process(context.Background(), core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{hook}}})), event.Records, handle)
		require.NoError(t, err, "a flush error does not change the response")
		require.Equal(t, []string{event.Records[1].MessageId}, batchtest.FailedIDs(resp))
	})
}

// BenchmarkProcess measures a 100-message SQS batch traced and measured by
// the SDK (sampled spans, no exporter), against no hook.
func BenchmarkProcess(b *testing.B) {
	tp := sdktrace.NewTracerProvider()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	event := batchtest.SQSEvent(make([]string, 100)...)
	ok := func(context.Context, *events.SQSMessage) error { return nil }
	for _, hooked := range []bool{false, true} {
		var c processors.Config
		if hooked {
			c.Hooks = []core.Hook{batchotel.New(batchotel.WithTracerProvider(tp), batchotel.WithMeterProvider(mp))}
		}
		p := core.Must(processors.NewSQS(c))
		b.Run(fmt.Sprint("otel=", hooked), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := core.Process(context.Background(), p, event.Records, ok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
