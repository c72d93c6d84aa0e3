// Package metrics is a batchkit hook that publishes batch metrics to Amazon
// CloudWatch in the Embedded Metric Format (EMF): one JSON document per batch,
// written as one line to standard output, which Lambda sends to CloudWatch
// Logs and CloudWatch turns into metrics, with no API call and no added
// latency. It is the counterpart of Powertools' batch metrics recipe.
//
//	var processor = core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{//		metrics.New("Orders", metrics.WithService("order-intake")), //}}}))
//
// Each document has the dimensions service and EventSource (plus any added
// with [WithDimension]) and three metrics:
//
//	ProcessedRecords  Count         records in the batch (succeeded + failed)
//	FailedRecords     Count         records reported failed (not-started included)
//	BatchDuration     Milliseconds  time from the batch start to the response
package metrics

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/batchkit/batchkit/core"
)

// Metric names, units and dimension names of the documents.
const (
	MetricProcessedRecords = "ProcessedRecords"
	MetricFailedRecords    = "FailedRecords"
	MetricBatchDuration    = "BatchDuration"

	UnitCount        = "Count"
	UnitMilliseconds = "Milliseconds"

	DimensionService     = "service"
	DimensionEventSource = "EventSource"

	// DefaultNamespace is the namespace when New is given none and
	// POWERTOOLS_METRICS_NAMESPACE is unset.
	DefaultNamespace = "batchkit"
	// DefaultService is the service dimension when none is set and neither
	// POWERTOOLS_SERVICE_NAME nor AWS_LAMBDA_FUNCTION_NAME is set.
	DefaultService = "service_undefined"
)

// Hook writes one EMF document per batch. Create it with [New]; it is safe for
// concurrent invocations and is meant to be created once, with the processor.
type Hook struct {
	core.NopHook
	namespace string
	service   string
	w         io.Writer
	dims      []dimension
}

type dimension struct{ name, value string }

// Option configures a [Hook].
type Option func(*Hook)

// WithService sets the service dimension. The default is the
// POWERTOOLS_SERVICE_NAME environment variable, else AWS_LAMBDA_FUNCTION_NAME,
// else [DefaultService].
func WithService(name string) Option { return func(h *Hook) { h.service = name } }

// WithWriter sets where documents are written; the default is os.Stdout,
// which Lambda sends to CloudWatch Logs. Each document is one Write call of
// one line ending in a newline.
func WithWriter(w io.Writer) Option { return func(h *Hook) { h.w = w } }

// WithDimension adds a dimension with a fixed value (for example
// "environment", "prod") to every document, after service and EventSource.
// A later dimension with the same name replaces the earlier one.
func WithDimension(name, value string) Option {
	return func(h *Hook) {
		for i := range h.dims {
			if h.dims[i].name == name {
				h.dims[i].value = value
				return
			}
		}
		h.dims = append(h.dims, dimension{name, value})
	}
}

// New returns a hook that writes the batch metrics under namespace. An empty
// namespace means the POWERTOOLS_METRICS_NAMESPACE environment variable, else
// [DefaultNamespace].
func New(namespace string, opts ...Option) *Hook {
	h := &Hook{namespace: namespace, w: os.Stdout}
	for _, o := range opts {
		o(h)
	}
	if h.namespace == "" {
		h.namespace = firstNonEmpty(os.Getenv("POWERTOOLS_METRICS_NAMESPACE"), DefaultNamespace)
	}
	if h.service == "" {
		h.service = firstNonEmpty(os.Getenv("POWERTOOLS_SERVICE_NAME"), os.Getenv("AWS_LAMBDA_FUNCTION_NAME"), DefaultService)
	}
	if h.w == nil {
		h.w = os.Stdout
	}
	return h
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// writeMu serializes writes of every hook, so that documents of concurrent
// invocations sharing stdout never interleave.
var writeMu sync.Mutex

// BatchEnd writes the batch's document. A write error is returned (the
// lifecycle logs it; the response is unchanged).
func (h *Hook) BatchEnd(_ context.Context, res core.BatchResult) error {
	doc, err := h.Document(res)
	if err != nil {
		return err
	}
	writeMu.Lock()
	defer writeMu.Unlock()
	if _, err := h.w.Write(doc); err != nil {
		return fmt.Errorf("batchkit/hooks/metrics: writing the EMF document failed (check the writer given to WithWriter): %w", err)
	}
	return nil
}

// Document returns the EMF document of a finished batch: one line of JSON
// ending in a newline. BatchEnd writes it; it is exported for tests and for
// callers that ship documents themselves.
func (h *Hook) Document(res core.BatchResult) ([]byte, error) {
	dimNames := make([]string, 0, 2+len(h.dims))
	dimNames = append(dimNames, DimensionService, DimensionEventSource)
	root := map[string]any{
		DimensionService:       h.service,
		DimensionEventSource:   res.EventSource,
		MetricProcessedRecords: res.Succeeded + res.Failed,
		MetricFailedRecords:    res.Failed,
		MetricBatchDuration:    float64(res.Duration.Microseconds()) / 1000,
	}
	for _, d := range h.dims {
		switch d.name {
		case DimensionService, DimensionEventSource:
			root[d.name] = d.value // already a dimension: the value wins
		case MetricProcessedRecords, MetricFailedRecords, MetricBatchDuration, "_aws":
			return nil, fmt.Errorf("batchkit/hooks/metrics: dimension name %q is taken by a metric or the EMF metadata; choose another name in WithDimension", d.name)
		default:
			dimNames = append(dimNames, d.name)
			root[d.name] = d.value
		}
	}
	root["_aws"] = emfMetadata{
		Timestamp: res.Start.Add(res.Duration).UnixMilli(),
		CloudWatchMetrics: []emfDirective{{
			Namespace:  h.namespace,
			Dimensions: [][]string{dimNames},
			Metrics: []emfMetric{
				{Name: MetricProcessedRecords, Unit: UnitCount},
				{Name: MetricFailedRecords, Unit: UnitCount},
				{Name: MetricBatchDuration, Unit: UnitMilliseconds},
			},
		}},
	}
	doc, err := json.Marshal(root)
	if err != nil {
		return nil, fmt.Errorf("batchkit/hooks/metrics: encoding the EMF document failed: %w", err)
	}
	return append(doc, '\n'), nil
}

// emfMetadata is the "_aws" member of an EMF document.
type emfMetadata struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

// emfDirective tells CloudWatch which root members are metrics and which are
// dimensions.
type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}
