package processors_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

// vector is one conformance case (format: testdata/conformance/README.md).
type vector struct {
	Description string `json:"description"`
	Processor   string `json:"processor"`
	Options     struct {
		SkipGroupOnError          bool  `json:"skipGroupOnError"`
		RaiseOnEntireBatchFailure *bool `json:"raiseOnEntireBatchFailure"`
	} `json:"options"`
	Entry       string          `json:"entry"`
	FailIndexes []int           `json:"failIndexes"`
	Event       json.RawMessage `json:"event"`
	Expect      struct {
		BatchItemFailures json.RawMessage `json:"batchItemFailures"`
		Error             string          `json:"error"`
		Handled           *[]int          `json:"handled"`
	} `json:"expect"`
}

// errorKinds maps the vectors' error names to batchkit's sentinels.
var errorKinds = map[string]error{
	"FullBatchFailure":      core.ErrFullBatchFailure,
	"EventSourceMismatch":   core.ErrEventSourceMismatch,
	"UnidentifiableFailure": core.ErrUnidentifiableFailure,
	"UnexpectedBatchType":   core.ErrUnexpectedBatchType,
}

// TestConformance runs every vector in testdata/conformance, and every
// *.json in $CONFORMANCE_DIR when set, as its own subtest.
func TestConformance(t *testing.T) {
	files, err := filepath.Glob("testdata/conformance/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files, "no conformance vectors found")
	if dir := os.Getenv("CONFORMANCE_DIR"); dir != "" {
		extra, err := filepath.Glob(filepath.Join(dir, "*.json"))
		require.NoError(t, err)
		require.NotEmpty(t, extra, "CONFORMANCE_DIR=%s holds no *.json", dir)
		files = append(files, extra...)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			var v vector
			require.NoError(t, json.Unmarshal(data, &v))
			runVector(t, v)
			if v.Entry != "raw" {
				// The raw-bytes entry keeps every semantic of the typed
				// one: run the typed vectors through it too.
				t.Run("raw", func(t *testing.T) {
					v.Entry = "raw"
					runVector(t, v)
				})
			}
		})
	}
}

func runVector(t *testing.T, v vector) {
	var (
		resp    core.Response
		err     error
		handled []int
	)
	switch v.Entry {
	case "typed", "":
		resp, err, handled = runTyped(t, v)
	case "raw":
		resp, err, handled = runRaw(t, v)
	default:
		t.Fatalf("unknown entry %q", v.Entry)
	}
	if v.Expect.Error != "" {
		kind, ok := errorKinds[v.Expect.Error]
		require.True(t, ok, "unknown expected error kind %q", v.Expect.Error)
		require.ErrorIs(t, err, kind, "%s", v.Description)
	} else {
		require.NoError(t, err, "%s", v.Description)
		want := `{"batchItemFailures":` + string(v.Expect.BatchItemFailures) + `}`
		got, err := json.Marshal(resp)
		require.NoError(t, err)
		require.JSONEq(t, want, string(got), "%s", v.Description)
	}
	if v.Expect.Handled != nil {
		require.Equal(t, *v.Expect.Handled, handled, "handled positions, in call order")
	}
}

func options(v vector) processors.Config {
	var c processors.Config
	if v.Options.RaiseOnEntireBatchFailure != nil {
		c.SuppressFullBatchError = !*v.Options.RaiseOnEntireBatchFailure
	}
	c.SkipGroupOnError = v.Options.SkipGroupOnError
	return c
}

func runTyped(t *testing.T, v vector) (core.Response, error, []int) {
	ctx := context.Background()
	switch v.Processor {
	case "sqs", "sqs-fifo":
		var ev events.SQSEvent
		require.NoError(t, json.Unmarshal(v.Event, &ev))
		newProcessor := processors.NewSQS
		if v.Processor == "sqs-fifo" {
			newProcessor = processors.NewSQSFIFO
		}
		p := core.Must(newProcessor(options(v)))
		h, handled := failing(ev.Records, v.FailIndexes)
		resp, err := core.Process(ctx, p, ev.Records, h)
		return resp, err, handled()
	case "kinesis":
		var ev events.KinesisEvent
		require.NoError(t, json.Unmarshal(v.Event, &ev))
		h, handled := failing(ev.Records, v.FailIndexes)
		resp, err := core.Process(ctx, core.Must(processors.NewKinesis(options(v))), ev.Records, h)
		return resp, err, handled()
	case "dynamodb":
		var ev events.DynamoDBEvent
		require.NoError(t, json.Unmarshal(v.Event, &ev))
		h, handled := failing(ev.Records, v.FailIndexes)
		resp, err := core.Process(ctx, core.Must(processors.NewDynamoDB(options(v))), ev.Records, h)
		return resp, err, handled()
	}
	t.Fatalf("unknown processor %q", v.Processor)
	return core.Response{}, nil, nil
}

// failing returns a handler that fails exactly the records at positions
// fail of records (matched by address, so records sharing an identifier are
// told apart), and a function returning the positions handled, in call order.
func failing[R any](records []R, fail []int) (core.Handler[R], func() []int) {
	var mu sync.Mutex
	handled := []int{}
	pos := make(map[*R]int, len(records))
	for i := range records {
		pos[&records[i]] = i
	}
	fails := slices.Clone(fail)
	sort.Ints(fails)
	h := func(_ context.Context, r *R) error {
		i, ok := pos[r]
		if !ok {
			panic("handler received a record that is not in the batch")
		}
		mu.Lock()
		handled = append(handled, i)
		mu.Unlock()
		if _, found := slices.BinarySearch(fails, i); found {
			return errFailIndex
		}
		return nil
	}
	return h, func() []int { mu.Lock(); defer mu.Unlock(); return slices.Clone(handled) }
}

var errFailIndex = &failIndexError{}

type failIndexError struct{}

func (*failIndexError) Error() string { return "record is in failIndexes" }

// runRaw passes the vector's event bytes to the raw-bytes entry of its
// processor.
func runRaw(t *testing.T, v vector) (core.Response, error, []int) {
	ctx := context.Background()
	switch v.Processor {
	case "sqs", "sqs-fifo":
		newProcessor := processors.NewSQS
		if v.Processor == "sqs-fifo" {
			newProcessor = processors.NewSQSFIFO
		}
		var ev events.SQSEvent
		_ = json.Unmarshal(v.Event, &ev) // positions of the records, when there are some
		h, handled := failingByContent(t, ev.Records, v.FailIndexes)
		resp, err := processors.SQSHandler(core.Must(newProcessor(options(v))), h)(ctx, v.Event)
		return resp, err, handled()
	case "kinesis":
		var ev events.KinesisEvent
		_ = json.Unmarshal(v.Event, &ev)
		h, handled := failingByContent(t, ev.Records, v.FailIndexes)
		resp, err := processors.KinesisHandler(core.Must(processors.NewKinesis(options(v))), h)(ctx, v.Event)
		return resp, err, handled()
	case "dynamodb":
		var ev events.DynamoDBEvent
		_ = json.Unmarshal(v.Event, &ev)
		h, handled := failingByContent(t, ev.Records, v.FailIndexes)
		resp, err := processors.DynamoDBHandler(core.Must(processors.NewDynamoDB(options(v))), h)(ctx, v.Event)
		return resp, err, handled()
	}
	t.Fatalf("unknown processor %q", v.Processor)
	return core.Response{}, nil, nil
}

// failingByContent is failing for records the handler receives as copies
// (the raw entry decodes its own): a record's position is found by its JSON
// encoding, the first unused position with the same encoding, which is exact
// for sequential processing.
func failingByContent[R any](t *testing.T, records []R, fail []int) (core.Handler[R], func() []int) {
	byJSON := map[string][]int{}
	for i := range records {
		b, err := json.Marshal(&records[i])
		require.NoError(t, err)
		byJSON[string(b)] = append(byJSON[string(b)], i)
	}
	var mu sync.Mutex
	handled := []int{}
	h := func(_ context.Context, r *R) error {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		mu.Lock()
		positions := byJSON[string(b)]
		if len(positions) == 0 {
			mu.Unlock()
			panic("handler received a record unlike any in the event: " + string(b))
		}
		i := positions[0]
		byJSON[string(b)] = positions[1:]
		handled = append(handled, i)
		mu.Unlock()
		if slices.Contains(fail, i) {
			return errFailIndex
		}
		return nil
	}
	return h, func() []int { mu.Lock(); defer mu.Unlock(); return slices.Clone(handled) }
}
