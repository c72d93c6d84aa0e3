package pipes_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/batchkit/batchkit/internal/contracttest"

	"github.com/batchkit/batchkit/pipes"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

// The Pipes fuzz targets feed arbitrary bytes to the Pipes entries and check
// that nothing panics and no record is lost: every record whose identifier
// encoding/json can read is handled successfully or reported failed, unless
// the invocation returns an error that makes the pipe retry the whole batch.

func seedPipes(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`[{"eventID":"a1","data":"%%%"},{"eventID":"b","data":"MQ=="},null,{"messageId":"cc","body":1}]`))
	f.Add([]byte(`[]`))
}

// checkPipesNoLostRecord runs the entry with a handler that fails records
// whose identifier has an odd length, and checks every identifiable record
// of the array is accounted for.
func checkPipesNoLostRecord(t *testing.T, event []byte, idPath []string, run func(context.Context, func(string) error) (core.Response, error)) {
	succeeded := map[string]bool{}
	resp, err := run(context.Background(), func(id string) error {
		if len(id)%2 == 1 {
			return contracttest.ErrFuzz
		}
		succeeded[id] = true
		return nil
	})
	if err != nil {
		return // the invocation fails: the whole batch is retried
	}
	failed := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		if f.ItemIdentifier.ID == "" {
			t.Fatalf("empty identifier reported: %+v", resp)
		}
		failed[f.ItemIdentifier.ID] = true
	}
	if trimmed := bytes.TrimSpace(event); len(trimmed) == 0 || trimmed[0] != '[' || !json.Valid(trimmed) {
		return
	}
	wrapped := append(append([]byte(`{"Records":`), event...), '}')
	for _, id := range contracttest.Identifiers(wrapped, idPath) {
		if !succeeded[id] && !failed[id] {
			t.Fatalf("record %q lost: neither handled successfully nor reported failed (response %+v)", id, resp)
		}
	}
}

func FuzzPipesSQS(f *testing.F) {
	seedPipes(f)
	f.Fuzz(func(t *testing.T, event []byte) {
		checkPipesNoLostRecord(t, event, []string{"messageId"}, func(ctx context.Context, h func(string) error) (core.Response, error) {
			return pipes.SQSHandler(core.Must(processors.NewSQS(processors.Config{Options: core.Options{SuppressFullBatchError: true}})), func(_ context.Context, m *events.SQSMessage) error { return h(m.MessageId) })(ctx, event)
		})
	})
}

func FuzzPipesKinesis(f *testing.F) {
	seedPipes(f)
	f.Fuzz(func(t *testing.T, event []byte) {
		checkPipesNoLostRecord(t, event, []string{"eventID"}, func(ctx context.Context, h func(string) error) (core.Response, error) {
			return pipes.KinesisHandler(core.Must(pipes.NewKinesis(processors.Config{Options: core.Options{SuppressFullBatchError: true}})), func(_ context.Context, r *events.KinesisEventRecord) error { return h(r.EventID) })(ctx, event)
		})
	})
}

func FuzzPipesDynamoDB(f *testing.F) {
	seedPipes(f)
	f.Fuzz(func(t *testing.T, event []byte) {
		checkPipesNoLostRecord(t, event, []string{"eventID"}, func(ctx context.Context, h func(string) error) (core.Response, error) {
			return pipes.DynamoDBHandler(core.Must(pipes.NewDynamoDB(processors.Config{Options: core.Options{SuppressFullBatchError: true}})), func(_ context.Context, r *events.DynamoDBEventRecord) error { return h(r.EventID) })(ctx, event)
		})
	})
}
