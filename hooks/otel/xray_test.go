package otel_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/contrib/propagators/aws/xray"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	batchotel "github.com/batchkit/batchkit/hooks/otel"
)

// contribXRay reads header with OpenTelemetry's contrib X-Ray propagator, the
// reference the hook's own parser is held to.
func contribXRay(header string) trace.SpanContext {
	ctx := xray.Propagator{}.Extract(context.Background(), propagation.MapCarrier{"X-Amzn-Trace-Id": header})
	return trace.SpanContextFromContext(ctx)
}

// TestParseXRayTraceHeaderMatchesContrib: on the headers AWS sends (the
// AWSTraceHeader attribute of SQS messages, fields separated by ';' without
// spaces, Lineage included) and on malformed ones, the hook's parser gives
// the span context the contrib propagator gives.
func TestParseXRayTraceHeaderMatchesContrib(t *testing.T) {
	headers := []string{
		xrayHeader,
		"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0",
		"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
		"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;Lineage=a87bd80c:1|68fd508a:5c1c",
		"Parent=53995c3f42cd8ad8;Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
		"Root=1-5759e988-bd862e3fe1be46a994272793",
		"Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
		"Root=1-5759e98-bd862e3fe1be46a9942727930;Parent=53995c3f42cd8ad8",
		"Root=1-5759E988-BD862E3FE1BE46A994272793;Parent=53995c3f42cd8ad8",
		"Root=1-00000000-000000000000000000000000;Parent=53995c3f42cd8ad8",
		"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=0000000000000000",
		"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8a",
		"Root=1-xyz;Parent=nope",
	}
	for _, h := range headers {
		t.Run(h, func(t *testing.T) {
			want := contribXRay(h)
			got := batchotel.ParseXRayTraceHeader(h)
			require.Equal(t, want.IsValid(), got.IsValid())
			if want.IsValid() {
				require.Equal(t, want.TraceID(), got.TraceID())
				require.Equal(t, want.SpanID(), got.SpanID())
				require.Equal(t, want.IsSampled(), got.IsSampled())
				require.True(t, got.IsRemote())
			}
		})
	}
}

// BenchmarkXRayHeader: the hook's parser against the contrib propagator on
// the same header (the measurement behind keeping the parser, see the
// package doc).
func BenchmarkXRayHeader(b *testing.B) {
	b.Run("batchkit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !batchotel.ParseXRayTraceHeader(xrayHeader).IsValid() {
				b.Fatal("invalid")
			}
		}
	})
	b.Run("contrib-xray", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !contribXRay(xrayHeader).IsValid() {
				b.Fatal("invalid")
			}
		}
	})
}
