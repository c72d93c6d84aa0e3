package processors_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/benchevents"
	"github.com/batchkit/batchkit/processors"
)

// The fuzz targets feed arbitrary bytes to the raw-bytes entries and check
// that nothing panics and no record is lost: every record whose identifier
// encoding/json can read is handled successfully or reported failed, unless
// the invocation returns an error that makes Lambda retry the whole batch.

// seedRaw adds the conformance vectors' events, the sample events and small
// generated events to f's corpus.
func seedRaw(f *testing.F, kind string) {
	vectors, _ := filepath.Glob("testdata/conformance/*.json")
	for _, p := range vectors {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		var v struct {
			Event json.RawMessage `json:"event"`
		}
		if err := json.Unmarshal(data, &v); err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(v.Event))
	}
	samples, _ := filepath.Glob("testdata/events/*.json")
	for _, p := range samples {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(benchevents.Event(kind, 3))
}

func FuzzRawSQS(f *testing.F) {
	seedRaw(f, "sqs")
	f.Fuzz(func(t *testing.T, event []byte) {
		checkNoLostRecord(t, event, []string{"messageId"},
			func(ctx context.Context, h func(string) error) (core.Response, error) {
				return processors.ProcessSQSRaw(ctx, processors.NewSQS(processors.WithRaiseOnEntireBatchFailure(false)), event, func(_ context.Context, m *events.SQSMessage) (any, error) {
					return nil, h(m.MessageId)
				})
			})
	})
}

func FuzzRawKinesis(f *testing.F) {
	seedRaw(f, "kinesis")
	f.Fuzz(func(t *testing.T, event []byte) {
		checkNoLostRecord(t, event, []string{"kinesis", "sequenceNumber"},
			func(ctx context.Context, h func(string) error) (core.Response, error) {
				return processors.ProcessKinesisRaw(ctx, processors.NewKinesis(processors.WithRaiseOnEntireBatchFailure(false)), event, func(_ context.Context, r *events.KinesisEventRecord) (any, error) {
					return nil, h(r.Kinesis.SequenceNumber)
				})
			})
	})
}

func FuzzRawDynamoDB(f *testing.F) {
	seedRaw(f, "dynamodb")
	f.Fuzz(func(t *testing.T, event []byte) {
		checkNoLostRecord(t, event, []string{"dynamodb", "SequenceNumber"},
			func(ctx context.Context, h func(string) error) (core.Response, error) {
				return processors.ProcessDynamoDBRaw(ctx, processors.NewDynamoDB(processors.WithRaiseOnEntireBatchFailure(false)), event, func(_ context.Context, r *events.DynamoDBEventRecord) (any, error) {
					return nil, h(r.Change.SequenceNumber)
				})
			})
	})
}

var errFuzz = errors.New("fuzz: odd-length identifier")

// checkNoLostRecord runs the entry with a handler that fails records whose
// identifier has an odd length, and checks every identifiable record is
// accounted for. The processors return the failure list even when every
// record failed, so that the check applies to all-failed batches too.
func checkNoLostRecord(t *testing.T, event []byte, idPath []string, run func(context.Context, func(string) error) (core.Response, error)) {
	succeeded := map[string]bool{}
	resp, err := run(context.Background(), func(id string) error {
		if len(id)%2 == 1 {
			return errFuzz
		}
		succeeded[id] = true
		return nil
	})
	if err != nil {
		return // the invocation fails: Lambda retries the whole batch
	}
	failed := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		if f.ItemIdentifier.ID == "" {
			t.Fatalf("empty identifier reported: %+v", resp)
		}
		failed[f.ItemIdentifier.ID] = true
	}
	for _, id := range identifiers(event, idPath) {
		if !succeeded[id] && !failed[id] {
			t.Fatalf("record %q lost: neither handled successfully nor reported failed (response %+v, err %v)", id, resp, err)
		}
	}
}

// identifiers reads, with encoding/json, the identifier of every record of
// the event that has one.
func identifiers(event []byte, path []string) []string {
	var e struct {
		Records []json.RawMessage
	}
	if json.Unmarshal(event, &e) != nil {
		return nil
	}
	var ids []string
	for _, r := range e.Records {
		cur := r
		ok := true
		for _, key := range path[:len(path)-1] {
			var m map[string]json.RawMessage
			if json.Unmarshal(cur, &m) != nil {
				ok = false
				break
			}
			cur = m[key]
		}
		if !ok {
			continue
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(cur, &m) != nil {
			continue
		}
		var id string
		if json.Unmarshal(m[path[len(path)-1]], &id) == nil && id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}
