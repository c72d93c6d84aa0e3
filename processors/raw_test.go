package processors_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/benchevents"
	"github.com/batchkit/batchkit/processors"
)

// TestRawConformanceVectors runs the vectors whose entry is "raw".
func TestRawConformanceVectors(t *testing.T) {
	files, err := filepath.Glob("testdata/conformance/*.json")
	require.NoError(t, err)
	ran := 0
	for _, f := range files {
		var v struct {
			Processor string          `json:"processor"`
			Entry     string          `json:"entry"`
			Event     json.RawMessage `json:"event"`
			Expect    struct {
				Error string `json:"error"`
			} `json:"expect"`
		}
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(data, &v))
		if v.Entry != "raw" {
			continue
		}
		ran++
		t.Run(filepath.Base(f), func(t *testing.T) {
			require.Equal(t, "UnexpectedBatchType", v.Expect.Error)
			called := false
			_, err := processors.SQSHandler(core.Must(processors.NewSQS(processors.Config{})), func(context.Context, *events.SQSMessage) error { called = true; return nil })(context.Background(), v.Event)
			require.ErrorIs(t, err, core.ErrUnexpectedBatchType)
			require.False(t, called)
		})
	}
	require.Equal(t, 3, ran, "raw vectors found")
}

func TestRawUnexpectedBatchType(t *testing.T) {
	cases := []struct{ event, found string }{
		{`{}`, "missing"},
		{`{"Records": null}`, "null"},
		{`{"Records": {}}`, "object"},
		{`{"Records": "x"}`, "string"},
		{`{"records": []}`, "missing"},
		{`[]`, "array instead of an object"},
		{``, "an empty event"},
		{`{"Records": [}`, "malformed JSON"},
		{`{"Records": []} x`, "malformed JSON"},
	}
	for _, c := range cases {
		t.Run(c.event, func(t *testing.T) {
			_, err := processors.SQSHandler(core.Must(processors.NewSQS(processors.Config{})), nop[events.SQSMessage])(context.Background(), []byte(c.event))
			require.ErrorIs(t, err, core.ErrUnexpectedBatchType)
			require.Contains(t, err.Error(), c.found)
		})
	}
}

func nop[R any](context.Context, *R) error { return nil }

// recorder collects the records a handler received.
type recorder[R any] struct{ got []R }

func (r *recorder[R]) handle(_ context.Context, rec *R) error {
	r.got = append(r.got, *rec)
	return nil
}

// TestRawEquivalence: for valid events the raw entry hands the handler
// exactly the records json.Unmarshal gives, and returns the same response.
func TestRawEquivalence(t *testing.T) {
	ctx := context.Background()
	events1 := map[string][]byte{}
	for _, k := range benchevents.Kinds {
		events1[k+"-gen"] = benchevents.Event(k, 25)
	}
	files, _ := filepath.Glob("testdata/events/*_event.json")
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		events1[filepath.Base(f)] = data
	}
	vectors, _ := filepath.Glob("testdata/conformance/*.json")
	for _, f := range vectors {
		var v struct {
			Processor string          `json:"processor"`
			Entry     string          `json:"entry"`
			Event     json.RawMessage `json:"event"`
		}
		data, _ := os.ReadFile(f)
		require.NoError(t, json.Unmarshal(data, &v))
		if v.Entry != "raw" {
			events1["vector-"+v.Processor+"-"+filepath.Base(f)] = v.Event
		}
	}
	for name, data := range events1 {
		t.Run(name, func(t *testing.T) {
			switch {
			case strings.Contains(name, "sqs") || strings.Contains(name, "fifo") || strings.Contains(name, "custom_partial"):
				var e events.SQSEvent
				require.NoError(t, json.Unmarshal(data, &e))
				equivalent(t, ctx, e.Records, data, core.Must(processors.NewSQS(processors.Config{Options: core.Options{SuppressFullBatchError: true}})), entry(processors.SQSHandler))
			case strings.Contains(name, "kinesis"):
				var e events.KinesisEvent
				require.NoError(t, json.Unmarshal(data, &e))
				equivalent(t, ctx, e.Records, data, core.Must(processors.NewKinesis(processors.Config{Options: core.Options{SuppressFullBatchError: true}})), entry(processors.KinesisHandler))
			case strings.Contains(name, "dynamodb"):
				var e events.DynamoDBEvent
				require.NoError(t, json.Unmarshal(data, &e))
				equivalent(t, ctx, e.Records, data, core.Must(processors.NewDynamoDB(processors.Config{Options: core.Options{SuppressFullBatchError: true}})), entry(processors.DynamoDBHandler))
			default:
				t.Skip("not an SQS, Kinesis or DynamoDB event")
			}
		})
	}
}

func equivalent[R any](t *testing.T, ctx context.Context, typed []R, data []byte, p *core.Base[R],
	raw func(context.Context, core.PartialProcessor[R], []byte, core.Handler[R]) (core.Response, error)) {
	t.Helper()
	var a, b recorder[R]
	respA, errA := core.Process(ctx, p, typed, a.handle)
	respB, errB := raw(ctx, p, data, b.handle)
	require.Equal(t, errA, errB)
	require.Equal(t, respA, respB)
	require.Equal(t, len(a.got), len(b.got))
	require.True(t, reflect.DeepEqual(a.got, b.got), "records differ:\n%#v\n%#v", a.got, b.got)
}

func TestRawBadRecordFailsAlone(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name  string
		run   func(h func(id string)) (core.Response, error)
		badID string
	}{
		{
			name:  "sqs type mismatch",
			badID: "m2",
			run: func(h func(string)) (core.Response, error) {
				ev := `{"Records":[{"messageId":"m1","body":"a"},{"messageId":"m2","body":5},{"messageId":"m3","body":"c"}]}`
				return processors.SQSHandler(core.Must(processors.NewSQS(processors.Config{})), func(_ context.Context, m *events.SQSMessage) error { h(m.MessageId); return nil })(ctx, []byte(ev))
			},
		},
		{
			name:  "kinesis invalid base64",
			badID: "s2",
			run: func(h func(string)) (core.Response, error) {
				ev := `{"Records":[{"kinesis":{"sequenceNumber":"s1","data":"aGk="}},{"kinesis":{"data":"!!not base64!!","sequenceNumber":"s2"}},{"kinesis":{"sequenceNumber":"s3","data":""}}]}`
				return processors.KinesisHandler(core.Must(processors.NewKinesis(processors.Config{})), func(_ context.Context, r *events.KinesisEventRecord) error {
					h(r.Kinesis.SequenceNumber)
					return nil
				})(ctx, []byte(ev))
			},
		},
		{
			name:  "dynamodb unknown attribute type",
			badID: "d2",
			run: func(h func(string)) (core.Response, error) {
				ev := `{"Records":[{"dynamodb":{"SequenceNumber":"d1","NewImage":{"a":{"S":"x"}}}},{"dynamodb":{"NewImage":{"a":{"Q":"x"}},"SequenceNumber":"d2"}},{"dynamodb":{"SequenceNumber":"d3"}}]}`
				return processors.DynamoDBHandler(core.Must(processors.NewDynamoDB(processors.Config{})), func(_ context.Context, r *events.DynamoDBEventRecord) error {
					h(r.Change.SequenceNumber)
					return nil
				})(ctx, []byte(ev))
			},
		},
		{
			name:  "sqs syntax error inside a record",
			badID: "m2",
			run: func(h func(string)) (core.Response, error) {
				ev := `{"Records":[{"messageId":"m1"},{"messageId":"m2","x":tru},{"messageId":"m3"}]}`
				return processors.SQSHandler(core.Must(processors.NewSQS(processors.Config{})), func(_ context.Context, m *events.SQSMessage) error { h(m.MessageId); return nil })(ctx, []byte(ev))
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var handled []string
			resp, err := c.run(func(id string) { handled = append(handled, id) })
			require.NoError(t, err)
			require.Equal(t, []core.BatchItemFailure{{ItemIdentifier: core.StringID(c.badID)}}, resp.BatchItemFailures)
			require.Len(t, handled, 2)
			require.NotContains(t, handled, c.badID)
		})
	}
}

func TestRawDecodeErrorDetails(t *testing.T) {
	ctx := context.Background()
	ev := `{"Records":[{"dynamodb":{"SequenceNumber":"d1","Keys":{"k":{"X":"1"}}}},{"dynamodb":{"SequenceNumber":"d2"}}]}`
	var seen []string
	resp, err := processors.DynamoDBHandler(core.Must(processors.NewDynamoDB(processors.Config{})), func(_ context.Context, r *events.DynamoDBEventRecord) error {
		seen = append(seen, r.Change.SequenceNumber)
		return nil
	})(ctx, []byte(ev))
	require.NoError(t, err)
	require.Equal(t, []string{"d2"}, seen)
	require.Equal(t, []string{"d1"}, failedIDs(resp))

	// All records bad: the full-batch error wraps each core.RecordDecodeError.
	ev = `{"Records":[{"dynamodb":{"SequenceNumber":"d1","Keys":{"k":{"X":"1"}}}}]}`
	_, err = processors.DynamoDBHandler(core.Must(processors.NewDynamoDB(processors.Config{})), nop[events.DynamoDBEventRecord])(ctx, []byte(ev))
	var rde *core.RecordDecodeError
	require.ErrorAs(t, err, &rde)
	require.ErrorIs(t, err, core.ErrDecode)
	require.Equal(t, 0, rde.Position)
	require.Equal(t, "d1", rde.Identifier)
	var unsupported events.UnsupportedDynamoDBTypeError
	require.ErrorAs(t, err, &unsupported)
	require.Equal(t, "X", unsupported.Type)
	require.ErrorIs(t, err, core.ErrFullBatchFailure)
}

func TestRawUnidentifiable(t *testing.T) {
	cases := []string{
		`{"Records":[{"messageId":"m1"},{"body":5},{"messageId":"m3"}]}`,
		`{"Records":[{"messageId":"m1"},{"messageId":7},{"messageId":"m3"}]}`,
		`{"Records":[{"messageId":"m1"},null,{"messageId":"m3"}]}`,
		`{"Records":[{"messageId":"m1"},[1,2],{"messageId":"m3"}]}`,
	}
	for _, ev := range cases {
		t.Run(ev, func(t *testing.T) {
			n := 0
			_, err := processors.SQSHandler(core.Must(processors.NewSQS(processors.Config{})), func(context.Context, *events.SQSMessage) error { n++; return nil })(context.Background(), []byte(ev))
			var ue *core.UnidentifiableFailureError
			require.ErrorAs(t, err, &ue)
			require.Equal(t, []int{1}, ue.Positions)
			require.ErrorIs(t, err, core.ErrDecode)
			require.Equal(t, 2, n)
		})
	}
}

func failedIDs(resp core.Response) []string {
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier.String())
	}
	return ids
}
