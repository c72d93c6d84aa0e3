package metrics_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/hooks/metrics"
	"github.com/batchkit/batchkit/processors"
)

// emfUnits are the units the EMF specification accepts.
var emfUnits = map[string]bool{
	"Seconds": true, "Microseconds": true, "Milliseconds": true, "Bytes": true, "Kilobytes": true,
	"Megabytes": true, "Gigabytes": true, "Terabytes": true, "Bits": true, "Kilobits": true,
	"Megabits": true, "Gigabits": true, "Terabits": true, "Percent": true, "Count": true,
	"Bytes/Second": true, "Kilobytes/Second": true, "Megabytes/Second": true, "Gigabytes/Second": true,
	"Terabytes/Second": true, "Bits/Second": true, "Kilobits/Second": true, "Megabits/Second": true,
	"Gigabits/Second": true, "Terabits/Second": true, "Count/Second": true, "None": true,
}

// validateEMF checks one document against the EMF specification
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html)
// and returns the root object.
func validateEMF(t *testing.T, line []byte) map[string]any {
	t.Helper()
	var root map[string]any
	require.NoError(t, json.Unmarshal(line, &root), "the document is one JSON object: %s", line)
	aws, ok := root["_aws"].(map[string]any)
	require.True(t, ok, "_aws is an object")
	ts, ok := aws["Timestamp"].(float64)
	require.True(t, ok, "_aws.Timestamp is a number")
	require.Equal(t, float64(int64(ts)), ts, "_aws.Timestamp is an integer (milliseconds since the epoch)")
	require.InDelta(t, float64(time.Now().UnixMilli()), ts, float64(time.Minute.Milliseconds()), "_aws.Timestamp is in milliseconds")
	directives, ok := aws["CloudWatchMetrics"].([]any)
	require.True(t, ok, "_aws.CloudWatchMetrics is an array")
	require.NotEmpty(t, directives)
	for _, d := range directives {
		dir, ok := d.(map[string]any)
		require.True(t, ok, "a metric directive is an object")
		ns, ok := dir["Namespace"].(string)
		require.True(t, ok, "Namespace is a string")
		require.True(t, len(ns) >= 1 && len(ns) <= 255, "Namespace has 1 to 255 characters")
		dimSets, ok := dir["Dimensions"].([]any)
		require.True(t, ok, "Dimensions is an array of dimension sets")
		for _, set := range dimSets {
			names, ok := set.([]any)
			require.True(t, ok, "a dimension set is an array")
			require.LessOrEqual(t, len(names), 30, "a dimension set has at most 30 dimensions")
			for _, n := range names {
				name, ok := n.(string)
				require.True(t, ok, "a dimension name is a string")
				_, ok = root[name].(string)
				require.True(t, ok, "dimension %q has a string value at the root", name)
			}
		}
		ms, ok := dir["Metrics"].([]any)
		require.True(t, ok, "Metrics is an array")
		require.LessOrEqual(t, len(ms), 100, "a directive has at most 100 metrics")
		for _, m := range ms {
			def, ok := m.(map[string]any)
			require.True(t, ok, "a metric definition is an object")
			name, ok := def["Name"].(string)
			require.True(t, ok && name != "", "a metric has a Name")
			unit, ok := def["Unit"].(string)
			require.True(t, ok && emfUnits[unit], "metric %q has a valid Unit, got %v", name, def["Unit"])
			_, ok = root[name].(float64)
			require.True(t, ok, "metric %q has a number value at the root", name)
		}
	}
	return root
}

// lines splits the writer's output into documents.
func lines(t *testing.T, out []byte) [][]byte {
	t.Helper()
	var docs [][]byte
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		docs = append(docs, append([]byte(nil), sc.Bytes()...))
	}
	require.NoError(t, sc.Err())
	return docs
}

func handler() core.Handler[events.SQSMessage] {
	return func(_ context.Context, m *events.SQSMessage) error {
		time.Sleep(time.Millisecond)
		if m.Body == "fail" {
			return errors.New("boom")
		}
		return nil
	}
}

func TestDocumentPerBatch(t *testing.T) {
	tests := []struct {
		name          string
		opts          []metrics.Option
		bodies        []string
		wantProcessed float64
		wantFailed    float64
		wantDims      []string
		wantRoot      map[string]any
	}{
		{
			name:          "all succeed",
			opts:          []metrics.Option{metrics.WithService("orders")},
			bodies:        []string{"ok", "ok", "ok"},
			wantProcessed: 3,
			wantDims:      []string{"service", "EventSource"},
			wantRoot:      map[string]any{"service": "orders", "EventSource": "aws:sqs"},
		},
		{
			name:          "some fail",
			opts:          []metrics.Option{metrics.WithService("orders")},
			bodies:        []string{"ok", "fail", "ok", "fail"},
			wantProcessed: 4,
			wantFailed:    2,
			wantDims:      []string{"service", "EventSource"},
			wantRoot:      map[string]any{"service": "orders"},
		},
		{
			name:          "all fail",
			opts:          []metrics.Option{metrics.WithService("orders")},
			bodies:        []string{"fail"},
			wantProcessed: 1,
			wantFailed:    1,
			wantDims:      []string{"service", "EventSource"},
		},
		{
			name:          "extra dimensions",
			opts:          []metrics.Option{metrics.WithService("orders"), metrics.WithDimension("environment", "prod"), metrics.WithDimension("environment", "staging")},
			bodies:        []string{"ok"},
			wantProcessed: 1,
			wantDims:      []string{"service", "EventSource", "environment"},
			wantRoot:      map[string]any{"environment": "staging"},
		},
		{
			name:     "empty batch",
			opts:     []metrics.Option{metrics.WithService("orders")},
			wantDims: []string{"service", "EventSource"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			hook := metrics.New("Orders", append(tt.opts, metrics.WithWriter(&out))...)
			event := batchtest.SQSEvent(tt.bodies...)
			start := time.Now()
			_, _ = core.Process(context.Background(), core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{hook}}})), event.Records, handler())
			elapsed := time.Since(start)

			docs := lines(t, out.Bytes())
			require.Len(t, docs, 1, "one document per batch")
			root := validateEMF(t, docs[0])
			dir := root["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)
			require.Equal(t, "Orders", dir["Namespace"])
			var dims []string
			for _, n := range dir["Dimensions"].([]any)[0].([]any) {
				dims = append(dims, n.(string))
			}
			require.Equal(t, tt.wantDims, dims)
			require.Equal(t, []any{
				map[string]any{"Name": "ProcessedRecords", "Unit": "Count"},
				map[string]any{"Name": "FailedRecords", "Unit": "Count"},
				map[string]any{"Name": "BatchDuration", "Unit": "Milliseconds"},
			}, dir["Metrics"])
			require.Equal(t, tt.wantProcessed, root["ProcessedRecords"])
			require.Equal(t, tt.wantFailed, root["FailedRecords"])
			ms := root["BatchDuration"].(float64)
			require.GreaterOrEqual(t, ms, float64(len(tt.bodies)), "each record sleeps 1ms")
			require.LessOrEqual(t, ms, float64(elapsed.Microseconds())/1000)
			for k, v := range tt.wantRoot {
				require.Equal(t, v, root[k], k)
			}
		})
	}
}

func TestDefaultsFromEnvironment(t *testing.T) {
	tests := []struct {
		name          string
		env           map[string]string
		wantNamespace string
		wantService   string
	}{
		{name: "nothing set", wantNamespace: metrics.DefaultNamespace, wantService: metrics.DefaultService},
		{name: "function name", env: map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "fn"}, wantNamespace: metrics.DefaultNamespace, wantService: "fn"},
		{
			name:          "powertools variables",
			env:           map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "fn", "POWERTOOLS_SERVICE_NAME": "svc", "POWERTOOLS_METRICS_NAMESPACE": "ns"},
			wantNamespace: "ns", wantService: "svc",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"AWS_LAMBDA_FUNCTION_NAME", "POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"} {
				t.Setenv(k, tt.env[k])
			}
			doc, err := metrics.New("").Document(core.BatchResult{BatchInfo: core.BatchInfo{EventSource: "aws:kinesis", Start: time.Now()}})
			require.NoError(t, err)
			root := validateEMF(t, doc)
			require.Equal(t, tt.wantService, root["service"])
			require.Equal(t, "aws:kinesis", root["EventSource"])
			require.Equal(t, tt.wantNamespace, root["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)["Namespace"])
		})
	}
}

func TestTimestampIsBatchEnd(t *testing.T) {
	start := time.UnixMilli(1_700_000_000_000)
	doc, err := metrics.New("ns").Document(core.BatchResult{
		BatchInfo: core.BatchInfo{EventSource: "aws:sqs", Size: 2, Start: start},
		Succeeded: 1, Failed: 1, Duration: 1500 * time.Microsecond,
	})
	require.NoError(t, err)
	var root map[string]any
	require.NoError(t, json.Unmarshal(doc, &root))
	require.Equal(t, float64(1_700_000_000_001), root["_aws"].(map[string]any)["Timestamp"])
	require.Equal(t, 1.5, root["BatchDuration"])
	require.Equal(t, float64(2), root["ProcessedRecords"])
	require.Equal(t, byte('\n'), doc[len(doc)-1], "one document per line")
}

func TestDimensionNameTaken(t *testing.T) {
	for _, name := range []string{"ProcessedRecords", "FailedRecords", "BatchDuration", "_aws"} {
		t.Run(name, func(t *testing.T) {
			_, err := metrics.New("ns", metrics.WithDimension(name, "x")).Document(core.BatchResult{})
			require.ErrorContains(t, err, "choose another name")
		})
	}
}

func TestConcurrentInvocationsDoNotInterleave(t *testing.T) {
	var out bytes.Buffer
	w := &slowWriter{w: &out}
	p := core.Must(processors.NewSQS(processors.Config{Options: core.Options{Concurrency: 4, Hooks: []core.Hook{metrics.New("ns", metrics.WithWriter(w)), metrics.New("ns2", metrics.WithWriter(w))}}}))
	const invocations = 20
	var wg sync.WaitGroup
	for i := range invocations {
		wg.Go(func() {
			event := batchtest.SQSEvent(make([]string, i%5+1)...)
			_, _ = core.Process(context.Background(), p, event.Records, handler())
		})
	}
	wg.Wait()
	docs := lines(t, out.Bytes())
	require.Len(t, docs, 2*invocations)
	for _, d := range docs {
		validateEMF(t, d)
	}
}

// slowWriter writes a document in two halves, so that unsynchronized writers
// would interleave.
type slowWriter struct{ w *bytes.Buffer }

func (s *slowWriter) Write(p []byte) (int, error) {
	half := len(p) / 2
	s.w.Write(p[:half])
	time.Sleep(100 * time.Microsecond)
	s.w.Write(p[half:])
	return len(p), nil
}

type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestWriteErrorLeavesResponse(t *testing.T) {
	hook := metrics.New("ns", metrics.WithWriter(failingWriter{}))
	require.ErrorIs(t, hook.BatchEnd(context.Background(), core.BatchResult{}), errDiskFull)

	event := batchtest.SQSEvent("ok", "fail")
	resp, err := core.Process(context.Background(), core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{hook}}})), event.Records, handler())
	require.NoError(t, err)
	require.Equal(t, []string{event.Records[1].MessageId}, batchtest.FailedIDs(resp))
}

// Example enables CloudWatch EMF metrics on an SQS processor. In Lambda the
// document goes to stdout, and CloudWatch turns it into three metrics.
func Example() {
	var out bytes.Buffer // os.Stdout in Lambda: leave WithWriter out
	processor := core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{metrics.New("Orders", metrics.WithService("order-intake"), metrics.WithWriter(&out))}}}))
	event := batchtest.SQSEvent("ok", "fail", "ok")
	_, _ = core.Process(context.Background(), processor, event.Records, handler())

	var doc map[string]any
	_ = json.Unmarshal(out.Bytes(), &doc)
	fmt.Println("service:", doc["service"], "EventSource:", doc["EventSource"])
	fmt.Println("ProcessedRecords:", doc["ProcessedRecords"], "FailedRecords:", doc["FailedRecords"])
	// Output:
	// service: order-intake EventSource: aws:sqs
	// ProcessedRecords: 3 FailedRecords: 1
}

// BenchmarkBatchEnd measures the document of one batch, built and written.
func BenchmarkBatchEnd(b *testing.B) {
	hook := metrics.New("ns", metrics.WithService("svc"), metrics.WithWriter(io.Discard))
	res := core.BatchResult{BatchInfo: core.BatchInfo{EventSource: "aws:sqs", Size: 10, Start: time.Now()}, Succeeded: 9, Failed: 1, Duration: time.Millisecond}
	b.ReportAllocs()
	for b.Loop() {
		if err := hook.BatchEnd(context.Background(), res); err != nil {
			b.Fatal(err)
		}
	}
}
