package processors_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/batchkit/batchkit/firehose"
	"github.com/batchkit/batchkit/internal/contracttest"
	"github.com/batchkit/batchkit/s3batch"
	"github.com/batchkit/batchkit/window"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

// contractVector is one conformance case of the per-record result
// contracts (format: testdata/contracts/README.md).
type contractVector struct {
	Description string `json:"description"`
	Contract    string `json:"contract"`
	Entry       string `json:"entry"`
	Options     struct {
		Concurrency               int   `json:"concurrency"`
		RaiseOnEntireBatchFailure *bool `json:"raiseOnEntireBatchFailure"`
		MaxResponseBytes          int   `json:"maxResponseBytes"`
		MaxStateBytes             int   `json:"maxStateBytes"`
	} `json:"options"`
	FailIndexes      []int           `json:"failIndexes"`
	PermanentIndexes []int           `json:"permanentIndexes"`
	PanicIndexes     []int           `json:"panicIndexes"`
	DropIndexes      []int           `json:"dropIndexes"`
	Event            json.RawMessage `json:"event"`
	Expect           struct {
		Response  json.RawMessage `json:"response"`
		Error     string          `json:"error"`
		Handled   *[]int          `json:"handled"`
		Published json.RawMessage `json:"published"`
	} `json:"expect"`
}

var contractErrorKinds = map[string]error{
	"FullBatchFailure":      core.ErrFullBatchFailure,
	"UnexpectedBatchType":   core.ErrUnexpectedBatchType,
	"UnidentifiableFailure": core.ErrUnidentifiableFailure,
	"EventSourceMismatch":   core.ErrEventSourceMismatch,
	"WindowStateTooLarge":   window.ErrStateTooLarge,
	"WindowState":           window.ErrState,
	"WindowPublish":         window.ErrPublish,
	"FirehoseResponseSize":  firehose.ErrResponseSize,
}

// TestContractConformance runs every vector in testdata/contracts/vectors,
// and every *.json in $CONTRACTS_DIR when set, each as its own subtest,
// through the typed and the raw entries (or the one the vector names).
func TestContractConformance(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(contracttest.Dir, "vectors/*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no contract vectors found")
	if dir := os.Getenv("CONTRACTS_DIR"); dir != "" {
		extra, err := filepath.Glob(filepath.Join(dir, "*.json"))
		require.NoError(t, err)
		require.NotEmpty(t, extra, "CONTRACTS_DIR=%s holds no *.json", dir)
		files = append(files, extra...)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			var v contractVector
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.DisallowUnknownFields()
			require.NoError(t, dec.Decode(&v))
			entries := []string{"typed", "raw"}
			if v.Entry != "" {
				entries = []string{v.Entry}
			}
			for _, entry := range entries {
				t.Run(entry, func(t *testing.T) { runContractVector(t, v, entry) })
			}
		})
	}
}

// vectorBehaviour is what the vector's handler does with the record at a
// position.
type vectorBehaviour struct {
	v       contractVector
	mu      sync.Mutex
	handled []int
}

var (
	errVector          = errors.New("record failed")
	errVectorPermanent = errors.New("record failed permanently")
)

// act records that position i was handled and returns its error, panics,
// or reports a drop.
func (b *vectorBehaviour) act(i int) (drop bool, err error) {
	b.mu.Lock()
	b.handled = append(b.handled, i)
	b.mu.Unlock()
	switch {
	case slices.Contains(b.v.PanicIndexes, i):
		panic("record panicked")
	case slices.Contains(b.v.PermanentIndexes, i):
		return false, s3batch.Permanent(errVectorPermanent)
	case slices.Contains(b.v.FailIndexes, i):
		return false, errVector
	}
	return slices.Contains(b.v.DropIndexes, i), nil
}

func vectorOptions(v contractVector) processors.Config {
	var c processors.Config
	c.Concurrency = v.Options.Concurrency
	if v.Options.RaiseOnEntireBatchFailure != nil {
		c.SuppressFullBatchError = !*v.Options.RaiseOnEntireBatchFailure
	}
	return c
}

// positions maps each record's identifier in the event to its position,
// so the handler can find a record's behaviour.
func positions(t *testing.T, event json.RawMessage, arrayKey string, id func(json.RawMessage) string) map[string]int {
	var top map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(event, &top))
	var recs []json.RawMessage
	if raw, ok := top[arrayKey]; ok {
		_ = json.Unmarshal(raw, &recs)
	}
	out := make(map[string]int, len(recs))
	for i, r := range recs {
		out[id(r)] = i
	}
	return out
}

func field(path ...string) func(json.RawMessage) string {
	return func(r json.RawMessage) string {
		for _, p := range path[:len(path)-1] {
			var m map[string]json.RawMessage
			_ = json.Unmarshal(r, &m)
			r = m[p]
		}
		var m map[string]any
		_ = json.Unmarshal(r, &m)
		s, _ := m[path[len(path)-1]].(string)
		return s
	}
}

func runContractVector(t *testing.T, v contractVector, entry string) {
	ctx := context.Background()
	b := &vectorBehaviour{v: v}
	var (
		resp      any
		err       error
		published json.RawMessage
	)
	switch v.Contract {
	case "s3batch":
		pos := positions(t, v.Event, "tasks", field("taskId"))
		p, perr := s3batch.New(s3batch.Config{Options: vectorOptions(v).Options})
		require.NoError(t, perr)
		h := func(_ context.Context, task *s3batch.Task) (string, error) {
			if _, err := b.act(pos[task.TaskID]); err != nil {
				return "", err
			}
			return "ok " + task.Bucket() + "/" + task.Key, nil
		}
		if entry == "raw" {
			resp, err = s3batch.Handler(p, h)(ctx, v.Event)
		} else {
			var ev s3batch.Event
			require.NoError(t, json.Unmarshal(v.Event, &ev))
			resp, err = s3batch.Process(ctx, p, ev, h)
		}
	case "firehose":
		pos := positions(t, v.Event, "records", field("recordId"))
		p, perr := firehose.New(firehose.Config{Options: vectorOptions(v).Options, MaxResponseBytes: v.Options.MaxResponseBytes})
		require.NoError(t, perr)
		h := func(_ context.Context, rec *firehose.Record) (firehose.Result, error) {
			drop, err := b.act(pos[rec.RecordID])
			if err != nil || drop {
				return firehose.Result{Drop: true}, err
			}
			return firehose.Result{Data: bytes.ToUpper(rec.Payload())}, nil
		}
		if entry == "raw" {
			resp, err = firehose.Handler(p, h)(ctx, v.Event)
		} else {
			var ev firehose.Event
			require.NoError(t, json.Unmarshal(v.Event, &ev))
			resp, err = firehose.Process(ctx, p, ev, h)
		}
	case "kinesis-window":
		pos := positions(t, v.Event, "Records", field("kinesis", "sequenceNumber"))
		p, perr := window.NewKinesis(window.Config{Options: vectorOptions(v).Options, MaxStateBytes: v.Options.MaxStateBytes})
		require.NoError(t, perr)
		agg := window.Aggregate[events.KinesisEventRecord, map[string]int]{
			Fold: func(_ context.Context, s *map[string]int, r *events.KinesisEventRecord) error {
				(*s)[r.Kinesis.PartitionKey]++ // before failing: must not stay
				_, err := b.act(pos[r.Kinesis.SequenceNumber])
				return err
			},
			Publish: func(_ context.Context, s map[string]int, _ window.Properties) error {
				published = mustJSON(t, s)
				return nil
			},
		}
		if entry == "raw" {
			resp, err = contracttest.KinesisWindowRaw(ctx, p, v.Event, agg)
		} else {
			var ev window.Event[events.KinesisEventRecord]
			require.NoError(t, json.Unmarshal(v.Event, &ev))
			resp, err = contracttest.ProcessKinesisWindow(ctx, p, ev, agg)
		}
	case "dynamodb-window":
		pos := positions(t, v.Event, "Records", field("dynamodb", "SequenceNumber"))
		p, perr := window.NewDynamoDB(window.Config{Options: vectorOptions(v).Options, MaxStateBytes: v.Options.MaxStateBytes})
		require.NoError(t, perr)
		agg := window.Aggregate[events.DynamoDBEventRecord, map[string]int]{
			Fold: func(_ context.Context, s *map[string]int, r *events.DynamoDBEventRecord) error {
				(*s)[r.EventName]++
				_, err := b.act(pos[r.Change.SequenceNumber])
				return err
			},
			Publish: func(_ context.Context, s map[string]int, _ window.Properties) error {
				published = mustJSON(t, s)
				return nil
			},
		}
		if entry == "raw" {
			resp, err = contracttest.DynamoDBWindowRaw(ctx, p, v.Event, agg)
		} else {
			var ev window.Event[events.DynamoDBEventRecord]
			require.NoError(t, json.Unmarshal(v.Event, &ev))
			resp, err = contracttest.ProcessDynamoDBWindow(ctx, p, ev, agg)
		}
	default:
		t.Fatalf("unknown contract %q", v.Contract)
	}
	if v.Expect.Error != "" {
		kind, ok := contractErrorKinds[v.Expect.Error]
		require.True(t, ok, "unknown expected error kind %q", v.Expect.Error)
		require.ErrorIs(t, err, kind, "%s", v.Description)
	} else {
		require.NoError(t, err, "%s", v.Description)
		require.JSONEq(t, string(v.Expect.Response), string(mustJSON(t, resp)), "%s", v.Description)
	}
	if v.Expect.Handled != nil {
		require.Equal(t, *v.Expect.Handled, append([]int{}, b.handled...), "handled positions, in call order")
	}
	switch {
	case v.Expect.Published == nil:
	case string(v.Expect.Published) == "null":
		require.Nil(t, published, "nothing is published")
	default:
		require.JSONEq(t, string(v.Expect.Published), string(published), "the published aggregate")
	}
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	return data
}
