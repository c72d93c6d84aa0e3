package processors_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/firehose"
	"github.com/batchkit/batchkit/internal/contracttest"
	"github.com/batchkit/batchkit/s3batch"
	"github.com/batchkit/batchkit/window"

	"github.com/aws/aws-lambda-go/events"
)

// The contract fuzz targets feed arbitrary bytes to the contracts' raw
// entries and check that nothing panics and no record is lost: without an
// invocation error, the response holds one result per record of the event
// (as encoding/json counts them), each echoing its record's identifier, and
// a success only for a record whose handler returned nil.

// seedContracts adds the contract events and vectors' events to f's corpus.
func seedContracts(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(contracttest.Dir, "events/*.json"))
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	vectors, _ := filepath.Glob(filepath.Join(contracttest.Dir, "vectors/*.json"))
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
}

// count returns how many elements encoding/json finds under key, and
// whether the event is valid JSON with such an array.
func count(data []byte, key string) (int, bool) {
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return 0, false
	}
	var recs []json.RawMessage
	if json.Unmarshal(top[key], &recs) != nil || top[key] == nil {
		return 0, false
	}
	return len(recs), true
}

var errContractFuzz = errors.New("fuzz: odd record fails")

func FuzzFirehoseRaw(f *testing.F) {
	seedContracts(f)
	p := core.Must(firehose.New(firehose.Config{}))
	f.Fuzz(func(t *testing.T, data []byte) {
		handled := map[string]bool{}
		h := func(_ context.Context, rec *firehose.Record) (firehose.Result, error) {
			if len(rec.Payload())%2 == 1 {
				return firehose.Result{}, errContractFuzz
			}
			handled[rec.RecordID] = true
			return firehose.Result{Data: rec.Payload()}, nil
		}
		resp, err := firehose.Handler(p, h)(context.Background(), data)
		if err != nil {
			return // the invocation fails: Firehose retries the batch
		}
		n, ok := count(data, "records")
		if ok && n != len(resp.Records) {
			t.Fatalf("%d records in the event, %d in the response", n, len(resp.Records))
		}
		for _, r := range resp.Records {
			if r.RecordID == "" {
				t.Fatal("a response record without recordId")
			}
			if r.Result == events.KinesisFirehoseTransformedStateOk && !handled[r.RecordID] {
				t.Fatalf("record %q is Ok but its handler did not return nil", r.RecordID)
			}
		}
		if _, err := json.Marshal(resp); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzS3BatchRaw(f *testing.F) {
	seedContracts(f)
	p := core.Must(s3batch.New(s3batch.Config{}))
	f.Fuzz(func(t *testing.T, data []byte) {
		handled := map[string]bool{}
		h := func(_ context.Context, task *s3batch.Task) (string, error) {
			if len(task.Key)%2 == 1 {
				return "", errContractFuzz
			}
			handled[task.TaskID] = true
			return "", nil
		}
		resp, err := s3batch.Handler(p, h)(context.Background(), data)
		if err != nil {
			return
		}
		n, ok := count(data, "tasks")
		if ok && n != len(resp.Results) {
			t.Fatalf("%d tasks in the event, %d results", n, len(resp.Results))
		}
		for _, r := range resp.Results {
			if r.ResultCode == s3batch.Succeeded && !handled[r.TaskID] {
				t.Fatalf("task %q succeeded but its handler did not return nil", r.TaskID)
			}
		}
	})
}

func FuzzKinesisWindowRaw(f *testing.F) {
	seedContracts(f)
	p := core.Must(window.NewKinesis(window.Config{Options: core.Options{SuppressFullBatchError: true}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		folded := 0
		agg := window.Aggregate[events.KinesisEventRecord, int]{
			Fold: func(_ context.Context, s *int, r *events.KinesisEventRecord) error {
				if len(r.Kinesis.Data)%2 == 1 {
					return errContractFuzz
				}
				folded++
				*s++
				return nil
			},
		}
		resp, err := contracttest.KinesisWindowRaw(context.Background(), p, data, agg)
		if err != nil {
			return
		}
		n, ok := count(data, "Records")
		if !ok {
			return
		}
		var state int
		if json.Unmarshal(resp.State, &state) != nil {
			return // a state of another shape, kept as it came
		}
		// Every record is folded once, or reported (with the ones after
		// it); none is both, and none is neither.
		if len(resp.BatchItemFailures) > n || folded < n-len(resp.BatchItemFailures) {
			t.Fatalf("%d records, %d folded, %d reported", n, folded, len(resp.BatchItemFailures))
		}
	})
}
