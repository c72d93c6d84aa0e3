package batchtest_test

// The builders' events go through batchkit's own decoders: what a test
// builds is what the handler sees.

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/firehose"
	"github.com/batchkit/batchkit/pipes"
	"github.com/batchkit/batchkit/processors"
	"github.com/batchkit/batchkit/s3batch"
	"github.com/batchkit/batchkit/window"
)

type order struct {
	ID string `json:"id"`
}

func TestPipesRoundTrip(t *testing.T) {
	ctx := context.Background()
	sqs := batchtest.SQSEvent("ok", "bad")
	resp, err := pipes.SQSHandler(core.Must(processors.NewSQS(processors.Config{})), func(_ context.Context, m *events.SQSMessage) error {
		if m.Body == "bad" {
			return errors.New("bad")
		}
		return nil
	})(ctx, batchtest.PipesEvent(sqs.Records...))
	require.NoError(t, err)
	require.Equal(t, []string{sqs.Records[1].MessageId}, batchtest.FailedIDs(resp))

	kin := batchtest.KinesisEvent(batchtest.KinesisRecord{Data: "ok"}, batchtest.KinesisRecord{Data: "bad"})
	resp, err = pipes.KinesisHandler(core.Must(pipes.NewKinesis(processors.Config{})), func(_ context.Context, r *events.KinesisEventRecord) error {
		if string(r.Kinesis.Data) == "bad" {
			return errors.New("bad")
		}
		return nil
	})(ctx, batchtest.PipesEvent(kin.Records...))
	require.NoError(t, err)
	require.Len(t, resp.BatchItemFailures, 1, "the flattened Kinesis record decodes, data included")
}

func TestFirehoseRoundTrip(t *testing.T) {
	p := core.Must(firehose.New(firehose.Config{}))
	h := firehose.Func(func(_ context.Context, r *firehose.Record) (firehose.Result, error) {
		return firehose.Result{Data: []byte(strings.ToUpper(string(r.Payload())))}, nil
	})
	for _, src := range []string{"DirectPut", "KinesisStreamAsSource", "MSKAsSource"} {
		resp, err := firehose.Handler(p, h)(context.Background(), batchtest.FirehoseEvent(src, "a", "b"))
		require.NoError(t, err, src)
		out, err := json.Marshal(resp)
		require.NoError(t, err)
		field := "data"
		if src == "MSKAsSource" {
			field = "kafkaRecordValue"
		}
		require.Contains(t, string(out), `"`+field+`":"Qg=="`, "%s: %s", src, out)
	}
}

func TestS3BatchRoundTrip(t *testing.T) {
	p := core.Must(s3batch.New(s3batch.Config{}))
	var keys []string
	h := s3batch.Func(func(_ context.Context, task *s3batch.Task) (string, error) {
		keys = append(keys, task.Key)
		return "ok", nil
	})
	for _, v := range []string{"1.0", "2.0"} {
		keys = nil
		_, err := s3batch.Handler(p, h)(context.Background(), batchtest.S3BatchEvent(v, "b", nil, "red flower.jpg", "a+b"))
		require.NoError(t, err, v)
		require.Equal(t, []string{"red flower.jpg", "a+b"}, keys, v)
	}
}

func TestWindowRoundTrip(t *testing.T) {
	p := core.Must(window.NewKinesis(window.Config{}))
	var published map[string]int
	agg := window.Aggregate[events.KinesisEventRecord, map[string]int]{
		Fold: func(_ context.Context, s *map[string]int, r *events.KinesisEventRecord) error {
			if *s == nil {
				*s = map[string]int{}
			}
			(*s)[string(r.Kinesis.Data)]++
			return nil
		},
		Publish: func(_ context.Context, s map[string]int, _ window.Properties) error {
			published = s
			return nil
		},
	}
	ev := batchtest.WindowEvent(batchtest.Window{State: `{"a":1}`, Final: true}, batchtest.KinesisEvent(batchtest.KinesisRecord{Data: "a"}, batchtest.KinesisRecord{Data: "b"}, batchtest.KinesisRecord{Data: "a"}).Records...)
	resp, err := window.KinesisHandler(p, agg)(context.Background(), ev)
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	require.Equal(t, map[string]int{"a": 3, "b": 1}, published, "the state carried in, folded, published on the final invocation")
}
