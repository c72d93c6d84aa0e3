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
	"github.com/batchkit/batchkit/envelope"
	"github.com/batchkit/batchkit/firehose"
	"github.com/batchkit/batchkit/kafkapayload"
	"github.com/batchkit/batchkit/pipes"
	"github.com/batchkit/batchkit/processors"
	"github.com/batchkit/batchkit/s3batch"
	"github.com/batchkit/batchkit/window"
)

type order struct {
	ID string `json:"id"`
}

func TestEnvelopesRoundTrip(t *testing.T) {
	p := core.Must(processors.NewSQS(processors.Config{}))
	ctx := context.Background()

	var got []string
	h := envelope.Wrap(envelope.Config[events.SQSMessage]{Layers: []envelope.Layer{envelope.SNS()}}, func(_ context.Context, o order, m *envelope.Meta[events.SQSMessage]) error {
		got = append(got, o.ID+" "+m.SNS().TopicArn)
		return nil
	})
	resp, err := processors.SQSHandler(p, h)(ctx, mustMarshal(t, batchtest.SQSEvent(batchtest.SNSNotification(`{"id":"o-1"}`))))
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	require.Equal(t, []string{"o-1 arn:aws:sns:us-east-1:123456789012:test-topic"}, got)

	got = nil
	hEB := envelope.Wrap(envelope.Config[events.SQSMessage]{Layers: []envelope.Layer{envelope.EventBridge()}}, func(_ context.Context, o order, m *envelope.Meta[events.SQSMessage]) error {
		got = append(got, o.ID+" "+m.EventBridge().DetailType)
		return nil
	})
	resp, err = processors.SQSHandler(p, hEB)(ctx, mustMarshal(t, batchtest.SQSEvent(batchtest.EventBridgeEvent("com.example", "Order Placed", `{"id":"o-2"}`))))
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	require.Equal(t, []string{"o-2 Order Placed"}, got)

	got = nil
	hS3 := envelope.Wrap(envelope.Config[events.SQSMessage]{Layers: []envelope.Layer{envelope.S3()}}, func(_ context.Context, _ json.RawMessage, m *envelope.Meta[events.SQSMessage]) error {
		got = append(got, m.S3().S3.Object.URLDecodedKey)
		return nil
	})
	resp, err = processors.SQSHandler(p, hS3)(ctx, mustMarshal(t, batchtest.SQSEvent(batchtest.S3Notification("b", "photos/red flower.jpg", "a+b"))))
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	require.Equal(t, []string{"photos/red flower.jpg", "a+b"}, got)

	got = nil
	kp := core.Must(processors.NewKinesis(processors.Config{}))
	hLogs := envelope.Wrap(envelope.Config[events.KinesisEventRecord]{Layers: []envelope.Layer{envelope.CloudWatchLogs()}}, func(_ context.Context, o order, m *envelope.Meta[events.KinesisEventRecord]) error {
		got = append(got, o.ID+" "+m.LogsData().LogGroup)
		return nil
	})
	kev := batchtest.KinesisEventOf(batchtest.KinesisRecord{PartitionKey: "pk", Data: batchtest.CloudWatchLogs("/aws/lambda/orders", `{"id":"l-1"}`, `{"id":"l-2"}`)})
	resp, err = processors.KinesisHandler(kp, hLogs)(ctx, mustMarshal(t, kev))
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	require.Equal(t, []string{"l-1 /aws/lambda/orders", "l-2 /aws/lambda/orders"}, got)
}

func TestPipesRoundTrip(t *testing.T) {
	ctx := context.Background()
	sqs := batchtest.SQSEvent("ok", "bad")
	resp, err := pipes.SQSHandler(core.Must(processors.NewSQS(processors.Config{})), func(_ context.Context, m *events.SQSMessage) error {
		if m.Body == "bad" {
			return errors.New("bad")
		}
		return nil
	})(ctx, batchtest.Pipes(sqs.Records))
	require.NoError(t, err)
	require.Equal(t, []string{sqs.Records[1].MessageId}, batchtest.FailedIDs(resp))

	kin := batchtest.KinesisEvent("ok", "bad")
	resp, err = pipes.KinesisHandler(core.Must(pipes.NewKinesis(processors.Config{})), func(_ context.Context, r *events.KinesisEventRecord) error {
		if string(r.Kinesis.Data) == "bad" {
			return errors.New("bad")
		}
		return nil
	})(ctx, batchtest.Pipes(kin.Records))
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
	ev := batchtest.WindowEvent(batchtest.KinesisEvent("a", "b", "a").Records, batchtest.Window{State: `{"a":1}`, Final: true})
	resp, err := window.KinesisHandler(p, agg)(context.Background(), ev)
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	require.Equal(t, map[string]int{"a": 3, "b": 1}, published, "the state carried in, folded, published on the final invocation")
}

func TestKafkaFramingRoundTrip(t *testing.T) {
	payload := []byte("avro-bytes")
	data, s, err := kafkapayload.Unframe(batchtest.ConfluentFrame(42, payload), kafkapayload.WireAuto, false)
	require.NoError(t, err)
	require.Equal(t, payload, data)
	require.Equal(t, uint32(42), s.ID)

	for _, idx := range [][]int{{0}, {1, 0}, {3}} {
		data, s, err = kafkapayload.Unframe(batchtest.ConfluentFrame(7, payload, idx...), kafkapayload.WireConfluent, true)
		require.NoError(t, err)
		require.Equal(t, payload, data)
		require.Equal(t, idx, s.Indexes)
	}
	require.Equal(t, []byte{0, 0, 0, 0, 7, 0}, batchtest.ConfluentFrame(7, nil, 0)[:6], "[0] is the single byte 0")

	id := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	for _, compress := range []bool{false, true} {
		data, s, err = kafkapayload.Unframe(batchtest.GlueFrame(id, compress, payload), kafkapayload.WireAuto, false)
		require.NoError(t, err)
		require.Equal(t, payload, data)
		require.Equal(t, kafkapayload.WireGlue, s.Wire)
		require.Equal(t, id, s.GUID)
		require.Equal(t, compress, s.Compressed)
	}

	// Through a decoder, with the event source mapping's metadata.
	raw := batchtest.KafkaEventJSON("aws:kafka", batchtest.KafkaMessage{
		Topic: "orders", Offset: 3, Value: string(batchtest.ConfluentFrame(9, []byte(`{"id":"k-1"}`))),
		ValueSchema: &kafkapayload.Schema{MetadataFormat: "JSON", MetadataID: "9"},
	})
	var ev struct {
		Records map[string][]struct {
			ValueSchemaMetadata struct{ DataFormat, SchemaID string } `json:"valueSchemaMetadata"`
		} `json:"records"`
	}
	require.NoError(t, json.Unmarshal(raw, &ev))
	require.Equal(t, "JSON", ev.Records["orders-0"][0].ValueSchemaMetadata.DataFormat)
}
