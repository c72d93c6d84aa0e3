package processors_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/batchkit/batchkit/internal/contracttest"

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
		contracttest.CheckNoLostRecord(t, event, []string{"messageId"},
			func(ctx context.Context, h func(string) error) (core.Response, error) {
				return processors.SQSHandler(core.Must(processors.NewSQS(processors.Config{Options: core.Options{SuppressFullBatchError: true}})), func(_ context.Context, m *events.SQSMessage) error {
					return h(m.MessageId)
				})(ctx, event)
			})
	})
}

func FuzzRawKinesis(f *testing.F) {
	seedRaw(f, "kinesis")
	f.Fuzz(func(t *testing.T, event []byte) {
		contracttest.CheckNoLostRecord(t, event, []string{"kinesis", "sequenceNumber"},
			func(ctx context.Context, h func(string) error) (core.Response, error) {
				return processors.KinesisHandler(core.Must(processors.NewKinesis(processors.Config{Options: core.Options{SuppressFullBatchError: true}})), func(_ context.Context, r *events.KinesisEventRecord) error {
					return h(r.Kinesis.SequenceNumber)
				})(ctx, event)
			})
	})
}

func FuzzRawDynamoDB(f *testing.F) {
	seedRaw(f, "dynamodb")
	f.Fuzz(func(t *testing.T, event []byte) {
		contracttest.CheckNoLostRecord(t, event, []string{"dynamodb", "SequenceNumber"},
			func(ctx context.Context, h func(string) error) (core.Response, error) {
				return processors.DynamoDBHandler(core.Must(processors.NewDynamoDB(processors.Config{Options: core.Options{SuppressFullBatchError: true}})), func(_ context.Context, r *events.DynamoDBEventRecord) error {
					return h(r.Change.SequenceNumber)
				})(ctx, event)
			})
	})
}
