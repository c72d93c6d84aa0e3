package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/batchkit/batchkit/batchtest"
)

func TestSampleEvent(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	t.Cleanup(func() { otel.SetTracerProvider(prev) })

	var emf bytes.Buffer
	handler = newHandler(&emf)
	out, err := batchtest.Invoke(context.Background(), handler, sampleEvent)
	require.NoError(t, err)

	// The message whose body is not JSON is the only failure.
	var resp events.SQSEventResponse
	require.NoError(t, json.Unmarshal(out, &resp))
	require.Equal(t, []events.SQSBatchItemFailure{{ItemIdentifier: "244fc6b4-87a3-44ab-83d2-361172410c3a"}}, resp.BatchItemFailures)

	// One EMF document for the batch.
	var doc map[string]any
	require.NoError(t, json.Unmarshal(emf.Bytes(), &doc))
	require.Equal(t, "orders", doc["service"])
	require.Equal(t, float64(3), doc["ProcessedRecords"])
	require.Equal(t, float64(1), doc["FailedRecords"])

	// A batch span and three record spans; two records link to producers.
	ended := spans.Ended()
	require.Len(t, ended, 4)
	links := 0
	for _, s := range ended {
		require.Equal(t, "process my-queue", s.Name())
		links += len(s.Links())
	}
	require.Equal(t, 2, links)
}
