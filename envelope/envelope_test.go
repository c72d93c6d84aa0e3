package envelope_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/batchkit/batchkit/pipes"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/envelope"
	"github.com/batchkit/batchkit/payload"
	"github.com/batchkit/batchkit/processors"
)

func readEvent(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	return data
}

// runSQS runs h over the SQS event in file through core.Run (to read every
// outcome) and through the raw-bytes entry, and requires both to report the
// same failures.
func runSQS(t *testing.T, file string, p core.PartialProcessor[events.SQSMessage], h core.Handler[events.SQSMessage]) (*core.Batch[events.SQSMessage], []string) {
	t.Helper()
	data := readEvent(t, file)
	var ev events.SQSEvent
	require.NoError(t, json.Unmarshal(data, &ev))
	b := core.NewBatch(ev.Records, h)
	resp, err := core.Run(context.Background(), p, b)
	require.NoError(t, err)
	raw, err := processors.SQSHandler(p, h)(context.Background(), data)
	require.NoError(t, err)
	require.Equal(t, resp, raw, "typed and raw entries agree")
	return b, ids(resp)
}

func runKinesis(t *testing.T, file string, p core.PartialProcessor[events.KinesisEventRecord], h core.Handler[events.KinesisEventRecord]) (*core.Batch[events.KinesisEventRecord], []string) {
	t.Helper()
	data := readEvent(t, file)
	var ev events.KinesisEvent
	require.NoError(t, json.Unmarshal(data, &ev))
	b := core.NewBatch(ev.Records, h)
	resp, err := core.Run(context.Background(), p, b)
	require.NoError(t, err)
	raw, err := processors.KinesisHandler(p, h)(context.Background(), data)
	require.NoError(t, err)
	require.Equal(t, resp, raw, "typed and raw entries agree")
	return b, ids(resp)
}

// skipped is what OnSkip hears of one record: the reason, and the layer
// that skipped, the last of m.Layers.
type skipped struct {
	Layer, Reason string
	Meta          any
}

// skipLog records what OnSkip hears, by record.
type skipLog[R any] struct {
	mu    sync.Mutex
	got   []skipped
	of    []*R
	metas []envelope.Meta[R]
}

func (l *skipLog[R]) add(_ context.Context, reason string, m *envelope.Meta[R]) {
	l.mu.Lock()
	defer l.mu.Unlock()
	last := m.Layers[len(m.Layers)-1]
	l.got = append(l.got, skipped{Layer: last.Layer, Reason: reason, Meta: last.Meta})
	l.of = append(l.of, m.Record)
	l.metas = append(l.metas, envelope.Meta[R]{Record: m.Record, Layers: slices.Clone(m.Layers)})
}

func ids(resp core.Response) []string {
	out := []string{}
	for _, f := range resp.BatchItemFailures {
		out = append(out, f.ItemIdentifier.String())
	}
	return out
}

type greeting struct {
	Message  string `json:"message"`
	Username string `json:"username"`
}

// Validate rejects a greeting without a user name.
func (g greeting) Validate() error {
	if g.Username == "" {
		return errors.New("username is required")
	}
	return nil
}

func TestSNSInSQS(t *testing.T) {
	var mu sync.Mutex
	got := map[string]greeting{}
	subjects := map[string]string{}
	var store envelope.SNSMessageAttribute
	h := envelope.Wrap(envelope.Config[events.SQSMessage]{Layers: []envelope.Layer{envelope.SNS()}}, func(_ context.Context, g greeting, m *envelope.Meta[events.SQSMessage]) error {
		mu.Lock()
		defer mu.Unlock()
		n := m.SNS()
		require.NotNil(t, n)
		got[m.Record.MessageId] = g
		subjects[m.Record.MessageId] = n.Subject
		if a, ok := n.MessageAttributes["store"]; ok {
			store = a
		}
		require.Equal(t, "arn:aws:sns:us-east-2:123456789012:orders", n.TopicArn)
		require.Equal(t, time.Date(2021, 1, 19, 10, 7, 7, 287e6, time.UTC), n.Timestamp)
		return nil
	})

	b, failed := runSQS(t, "sns_sqs.json", core.Must(processors.NewSQS(processors.Config{Options: core.Options{Concurrency: 4}})), h)
	require.Equal(t, []string{"2e1424d4-f796-459a-8184-9c92662be6da", "0f4e3b3e-2e3c-4a1f-9d39-6a3f2c1d9e77"}, failed)
	require.Equal(t, greeting{"hello world", "lessa"}, got["79406a00-bf15-46ca-978c-22c3613fcb30"])
	require.Equal(t, greeting{"second", "ana"}, got["059f36b4-87a3-44ab-83d2-661975830a7d"])
	require.Equal(t, "Order placed", subjects["059f36b4-87a3-44ab-83d2-661975830a7d"])
	require.Equal(t, envelope.SNSMessageAttribute{Type: "String", Value: "example_corp"}, store)

	// Record 2 (raw delivery, not a notification) does not unwrap.
	var ue *envelope.UnwrapError
	require.ErrorIs(t, b.Outcomes[1].Err, envelope.ErrUnwrap)
	require.ErrorAs(t, b.Outcomes[1].Err, &ue)
	require.Equal(t, "SNS notification", ue.Layer)
	require.Equal(t, "SQS body", ue.Within)
	require.Contains(t, ue.Error(), `no "Type"`)
	// Record 4 unwraps and decodes but does not validate.
	require.ErrorIs(t, b.Outcomes[3].Err, payload.ErrInvalid)
	require.NotContains(t, got, "0f4e3b3e-2e3c-4a1f-9d39-6a3f2c1d9e77")
}

// With raw message delivery the body is the payload: no SNS layer.
func TestSNSRawDelivery(t *testing.T) {
	var got []greeting
	h := envelope.Wrap(envelope.Config[events.SQSMessage]{}, func(_ context.Context, g greeting, m *envelope.Meta[events.SQSMessage]) error {
		require.Nil(t, m.SNS())
		got = append(got, g)
		return nil
	})
	b, failed := runSQS(t, "sns_sqs.json", core.Must(processors.NewSQS(processors.Config{})), h)
	require.Equal(t, []greeting{{"raw delivery", "bob"}}, got[len(got)-1:])
	// The notifications decode as a greeting without a username: invalid.
	require.Len(t, failed, 3)
	require.ErrorIs(t, b.Outcomes[0].Err, payload.ErrInvalid)
}

// Keys spelled exactly are notifications however the document is laid out:
// nested keys in any case, escaped keys, spaces.
func TestSNSExactKeysAccepted(t *testing.T) {
	for _, body := range []string{
		`{"Type":"Notification","Message":"{}","MessageAttributes":{"a":{"type":"String","value":"v"}}}`,
		` { "Type" : "Notification" , "Message" : "{}" } `,
		`{"\u0054ype":"Notification","Message":"{}"}`,
		`{"Type":"Notification","Subject":"a \" } ,\"type\":1","Message":"{}"}`,
	} {
		h := envelope.Wrap(envelope.Config[events.SQSMessage]{Layers: []envelope.Layer{envelope.SNS()}}, func(context.Context, json.RawMessage, *envelope.Meta[events.SQSMessage]) error { return nil })
		require.NoError(t, h(context.Background(), &events.SQSMessage{Body: body}), body)
	}
}

func TestSNSNotANotification(t *testing.T) {
	cases := []struct{ name, body, want string }{
		{"not JSON", `hello`, "not an SNS notification"},
		{"no Type", `{"Message":"x"}`, `no "Type"`},
		// Keys are matched exactly, as SNS writes them.
		{"lower-case keys", `{"type":"Notification","message":"x"}`, `no "Type"`},
		{"upper-case Message", `{"Type":"Notification","MESSAGE":"x"}`, `no "Message"`},
		{"both cases", `{"Type":"Notification","message":"x","TYPE":"Other"}`, `no "Message"`},
		{"folded key after nested ones", `{"Type":"Notification","MessageAttributes":{"a":{"Type":"String","Value":"{\"x\":[1,\"}\"]}"}},"mEssage":"x"}`, `no "Message"`},
		{"other Type", `{"Type":"Other","Message":"x"}`, `Type is "Other"`},
		{"no Message", `{"Type":"Notification","MessageId":"m"}`, `no "Message"`},
		{"bad timestamp", `{"Type":"Notification","Message":"{}","Timestamp":"yesterday"}`, "not an SNS notification"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			called := false
			h := envelope.Wrap(envelope.Config[events.SQSMessage]{Layers: []envelope.Layer{envelope.SNS()}}, func(context.Context, json.RawMessage, *envelope.Meta[events.SQSMessage]) error {
				called = true
				return nil
			})
			err := h(context.Background(), &events.SQSMessage{MessageId: "m1", Body: c.body})
			require.ErrorIs(t, err, envelope.ErrUnwrap)
			require.Contains(t, err.Error(), c.want)
			require.False(t, called)
		})
	}
}

func TestSNSSubscriptionConfirmationIsSkipped(t *testing.T) {
	body := `{"Type":"SubscriptionConfirmation","MessageId":"165545c9","Token":"2336412f37","TopicArn":"arn:aws:sns:us-west-2:123456789012:MyTopic",
		"Message":"You have chosen to subscribe to the topic arn:aws:sns:us-west-2:123456789012:MyTopic.\nTo confirm the subscription, visit the SubscribeURL included in this message.",
		"SubscribeURL":"https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=2336412f37",
		"Timestamp":"2012-04-26T20:45:04.751Z","SignatureVersion":"1"}`
	called := false
	var skips skipLog[events.SQSMessage]
	h := envelope.Wrap(envelope.Config[events.SQSMessage]{Layers: []envelope.Layer{envelope.SNS()}, OnSkip: skips.add},
		func(context.Context, greeting, *envelope.Meta[events.SQSMessage]) error { called = true; return nil })
	b := core.NewBatch([]events.SQSMessage{{MessageId: "m1", Body: body}}, h)
	resp, err := core.Run(context.Background(), core.Must(processors.NewSQS(processors.Config{})), b)
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	require.False(t, called)
	require.Equal(t, core.StatusSuccess, b.Outcomes[0].Status)
	require.Len(t, skips.got, 1)
	s := skips.got[0]
	require.Equal(t, "SNS SubscriptionConfirmation", s.Reason)
	require.Equal(t, "SNS notification", s.Layer)
	require.Equal(t, "m1", skips.of[0].MessageId)
	n := s.Meta.(*envelope.SNSNotification)
	require.Contains(t, n.SubscribeURL, "Action=ConfirmSubscription")
	require.Same(t, n, skips.metas[0].SNS(), "m.SNS() returns the confirmation")
	require.Contains(t, n.Message, "To confirm the subscription")
}

func TestS3InSQS(t *testing.T) {
	var keys []string
	var sizes []int64
	var skips skipLog[events.SQSMessage]
	h := envelope.Wrap(envelope.Config[events.SQSMessage]{Layers: []envelope.Layer{envelope.S3()}, OnSkip: skips.add},
		func(_ context.Context, r events.S3EventRecord, m *envelope.Meta[events.SQSMessage]) error {
			require.Same(t, m.S3(), m.Layers[0].Meta)
			keys = append(keys, r.S3.Object.URLDecodedKey)
			sizes = append(sizes, r.S3.Object.Size)
			require.Equal(t, "amzn-s3-demo-bucket", r.S3.Bucket.Name)
			require.Equal(t, "ObjectCreated:Put", r.EventName)
			return nil
		})
	b, failed := runSQS(t, "s3_sqs.json", core.Must(processors.NewSQS(processors.Config{})), h)
	require.Equal(t, []string{"a1b2c3d4-0000-4000-8000-000000000003"}, failed)
	// Form-decoded exactly once: "+" is a space, "%2B" a plus, "%25" a
	// percent sign that is not decoded again.
	// (runSQS runs the batch twice: typed, then raw.)
	require.Equal(t, []string{"photos/red flower.jpg", "a+b c%d.txt"}, keys[:2])
	require.Equal(t, keys[:2], keys[2:])
	require.Equal(t, []int64{1024, 7}, sizes[:2])

	// The test event succeeds without the handler, and OnSkip hears of it
	// (once per run: typed, then raw), and of no other record.
	require.Equal(t, core.StatusSuccess, b.Outcomes[0].Status)
	require.Len(t, skips.got, 2)
	s := skips.got[0]
	require.Equal(t, "s3:TestEvent", s.Reason)
	require.Equal(t, "S3 event notification", s.Layer)
	require.Equal(t, b.Records[0].MessageId, skips.of[0].MessageId)
	te := s.Meta.(*events.S3TestEvent)
	require.Equal(t, "amzn-s3-demo-bucket", te.Bucket)
	require.Equal(t, "Amazon S3", te.Service)

	// The bad key fails its record alone.
	var ue *envelope.UnwrapError
	require.ErrorAs(t, b.Outcomes[2].Err, &ue)
	require.Equal(t, "S3 event notification", ue.Layer)
	require.Contains(t, ue.Error(), "S3 record 1 of 1 does not decode")
}

// S3 in SNS in SQS: the handler gets the S3 records, and the SNS
// notification and SQS message around them.
func TestS3InSNSInSQS(t *testing.T) {
	type call struct{ msg, topic, key string }
	var calls []call
	var skips skipLog[events.SQSMessage]
	var skipped []envelope.Meta[events.SQSMessage]
	onSkip := func(ctx context.Context, reason string, m *envelope.Meta[events.SQSMessage]) {
		skips.add(ctx, reason, m)
		skipped = append(skipped, envelope.Meta[events.SQSMessage]{Record: m.Record, Layers: slices.Clone(m.Layers)})
	}
	h := envelope.Wrap(envelope.Config[events.SQSMessage]{Layers: []envelope.Layer{envelope.SNS(), envelope.S3()}, OnSkip: onSkip},
		func(_ context.Context, r events.S3EventRecord, m *envelope.Meta[events.SQSMessage]) error {
			calls = append(calls, call{m.Record.MessageId, m.SNS().TopicArn, r.S3.Object.URLDecodedKey})
			require.Len(t, m.Layers, 2)
			require.Equal(t, "SNS notification", m.Layers[0].Layer)
			require.Equal(t, "S3 event notification", m.Layers[1].Layer)
			return nil
		})
	b, failed := runSQS(t, "s3_sns_sqs.json", core.Must(processors.NewSQS(processors.Config{})), h)
	require.Equal(t, []string{"c0ffee00-0000-4000-8000-000000000003"}, failed)
	topic := "arn:aws:sns:us-east-2:123456789012:uploads"
	require.Equal(t, []call{
		{"c0ffee00-0000-4000-8000-000000000002", topic, "reports/q1 2024.csv"},
		{"c0ffee00-0000-4000-8000-000000000002", topic, "reports/q2 2024.csv"},
		{"c0ffee00-0000-4000-8000-000000000004", topic, "images/big cat.png"},
	}, calls[:3])
	require.Equal(t, core.StatusSuccess, b.Outcomes[0].Status)
	// The test event, in SNS: OnSkip gets the S3 layer's reason, with the
	// SNS layer above it in Meta, then the S3 layer that skipped (and no
	// layer below it).
	require.Len(t, skips.got, 2) // typed and raw runs
	require.Equal(t, "s3:TestEvent", skips.got[0].Reason)
	require.Equal(t, "S3 event notification", skips.got[0].Layer)
	require.IsType(t, &events.S3TestEvent{}, skips.got[0].Meta)
	require.Equal(t, b.Records[0].MessageId, skips.of[0].MessageId)
	require.Len(t, skipped[0].Layers, 2)
	require.Equal(t, topic, skipped[0].SNS().TopicArn)
	require.Equal(t, "S3 event notification", skipped[0].Layers[1].Layer)
	var ue *envelope.UnwrapError
	require.ErrorAs(t, b.Outcomes[2].Err, &ue)
	require.Equal(t, 1, ue.Depth)
	require.Contains(t, ue.Error(), `no "Records" array`)
}

// A notification holding several S3 records stops at the first that fails;
// the record's error names it.
func TestS3SeveralRecordsStopAtFirstFailure(t *testing.T) {
	var keys []string
	boom := errors.New("boom")
	h := envelope.Wrap(envelope.Config[events.SQSMessage]{Layers: []envelope.Layer{envelope.SNS(), envelope.S3()}}, func(_ context.Context, r events.S3EventRecord, _ *envelope.Meta[events.SQSMessage]) error {
		keys = append(keys, r.S3.Object.URLDecodedKey)
		return boom
	})
	b, failed := runSQS(t, "s3_sns_sqs.json", core.Must(processors.NewSQS(processors.Config{})), h)
	require.Equal(t, []string{"c0ffee00-0000-4000-8000-000000000002", "c0ffee00-0000-4000-8000-000000000003", "c0ffee00-0000-4000-8000-000000000004"}, failed)
	// Run twice (typed and raw): each time only the first of the two.
	require.Equal(t, []string{"reports/q1 2024.csv", "images/big cat.png", "reports/q1 2024.csv", "images/big cat.png"}, keys)
	var pe *envelope.UnwrapError
	require.ErrorAs(t, b.Outcomes[1].Err, &pe)
	require.ErrorIs(t, b.Outcomes[1].Err, envelope.ErrPart)
	require.NotErrorIs(t, pe, envelope.ErrUnwrap, "a payload's handler error is not an unwrap failure")
	require.Equal(t, 0, pe.Index)
	require.Equal(t, 2, pe.Count)
	require.Equal(t, "S3 event notification", pe.Layer)
	require.ErrorIs(t, b.Outcomes[1].Err, boom)
	// A single record's error is the handler's own.
	require.Equal(t, boom, b.Outcomes[3].Err)
}

func TestS3NotANotification(t *testing.T) {
	cases := []struct{ name, body, want string }{
		{"empty Records", `{"Records":[]}`, "empty"},
		{"other source", `{"Records":[{"eventSource":"aws:sqs","s3":{"object":{"key":"k"}}}]}`, `eventSource "aws:sqs"`},
		{"not JSON", `<xml/>`, "not an S3 event notification"},
		{"Records null", `{"Records":null}`, `no "Records" array`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := envelope.Wrap(envelope.Config[events.SQSMessage]{Layers: []envelope.Layer{envelope.S3()}}, func(context.Context, events.S3EventRecord, *envelope.Meta[events.SQSMessage]) error {
				t.Fatal("handler called")
				return nil
			})
			err := h(context.Background(), &events.SQSMessage{MessageId: "m", Body: c.body})
			require.ErrorIs(t, err, envelope.ErrUnwrap)
			require.Contains(t, err.Error(), c.want)
		})
	}
}

type order struct {
	OrderID string  `json:"orderId"`
	Amount  float64 `json:"amount"`
}

func TestEventBridgeInSQS(t *testing.T) {
	var got []order
	h := envelope.Wrap(envelope.Config[events.SQSMessage]{Layers: []envelope.Layer{envelope.EventBridge()}}, func(_ context.Context, o order, m *envelope.Meta[events.SQSMessage]) error {
		e := m.EventBridge()
		require.Equal(t, "com.example.orders", e.Source)
		require.Equal(t, "Order Placed", e.DetailType)
		require.Equal(t, time.Date(2024, 5, 14, 10, 15, 30, 0, time.UTC), e.Time)
		require.NotEmpty(t, e.ID)
		require.Equal(t, "123456789012", e.AccountID)
		got = append(got, o)
		return nil
	})
	b, failed := runSQS(t, "eventbridge_sqs.json", core.Must(processors.NewSQS(processors.Config{})), h)
	require.Equal(t, []string{"e0000000-0000-4000-8000-000000000002", "e0000000-0000-4000-8000-000000000003"}, failed)
	require.Equal(t, []order{{"o-1", 42.5}, {"o-4", 7}, {"o-1", 42.5}, {"o-4", 7}}, got)
	require.ErrorIs(t, b.Outcomes[1].Err, envelope.ErrUnwrap)
	require.Contains(t, b.Outcomes[1].Err.Error(), `"detail-type"`)
	var de *payload.DecodeError
	require.ErrorAs(t, b.Outcomes[2].Err, &de)
	require.Equal(t, "payload of the EventBridge event in the SQS body", de.What)
	require.Equal(t, "envelope_test.order", de.Type)
}

func TestEventBridgeInKinesis(t *testing.T) {
	var got []string
	h := envelope.Wrap(envelope.Config[events.KinesisEventRecord]{Layers: []envelope.Layer{envelope.EventBridge()}}, func(_ context.Context, o order, m *envelope.Meta[events.KinesisEventRecord]) error {
		got = append(got, o.OrderID+"@"+m.EventBridge().ID)
		require.Equal(t, "1", m.Record.Kinesis.PartitionKey)
		return nil
	})
	b, failed := runKinesis(t, "eventbridge_kinesis.json", core.Must(processors.NewKinesis(processors.Config{})), h)
	require.Equal(t, []string{"49590338271490256608559692540925702759324208523137515618"}, failed)
	require.Equal(t, []string{"k-1@11111111-b491-4cf7-a9f1-bf3703467718", "k-3@22222222-b491-4cf7-a9f1-bf3703467718"}, got[:2])
	require.ErrorIs(t, b.Outcomes[1].Err, envelope.ErrUnwrap)
	require.Contains(t, b.Outcomes[1].Err.Error(), "Kinesis data")
}

type logLine struct {
	Level   string `json:"level"`
	Msg     string `json:"msg"`
	OrderID string `json:"orderId"`
}

func TestCloudWatchLogsInKinesis(t *testing.T) {
	var got []string
	var skips skipLog[events.KinesisEventRecord]
	h := envelope.Wrap(envelope.Config[events.KinesisEventRecord]{Layers: []envelope.Layer{envelope.CloudWatchLogs()}, OnSkip: skips.add},
		func(_ context.Context, l logLine, m *envelope.Meta[events.KinesisEventRecord]) error {
			e := m.LogEvent()
			require.Equal(t, "/aws/lambda/orders", e.Data.LogGroup)
			require.Equal(t, "/aws/lambda/orders", m.LogsData().LogGroup)
			got = append(got, l.OrderID)
			if l.Level == "error" {
				return errors.New(l.Msg)
			}
			return nil
		})
	b, failed := runKinesis(t, "logs_kinesis.json", core.Must(processors.NewKinesis(processors.Config{})), h)
	require.Equal(t, []string{"49635052289529725553291405521504870233219489715332317186", "49635052289529725553291405520881064510298312199003701251"}, failed)
	require.Equal(t, []string{"o-1", "o-2", "o-3", "o-1", "o-2", "o-3"}, got)

	var pe *envelope.UnwrapError
	require.ErrorAs(t, b.Outcomes[0].Err, &pe)
	require.ErrorIs(t, b.Outcomes[0].Err, envelope.ErrPart)
	require.NotErrorIs(t, pe, envelope.ErrUnwrap, "a payload's handler error is not an unwrap failure")
	require.Equal(t, 1, pe.Index)
	require.EqualError(t, pe.Err, "payment declined")
	require.Equal(t, core.StatusSuccess, b.Outcomes[1].Status)
	require.Len(t, skips.got, 2) // typed and raw runs
	require.Equal(t, "CONTROL_MESSAGE", skips.got[0].Reason)
	require.Equal(t, "CloudwatchLogs", skips.got[0].Meta.(*events.CloudwatchLogsData).Owner)
	require.Equal(t, b.Records[1].Kinesis.SequenceNumber, skips.of[0].Kinesis.SequenceNumber)
	require.ErrorIs(t, b.Outcomes[2].Err, envelope.ErrUnwrap)
	require.Contains(t, b.Outcomes[2].Err.Error(), "not gzip")
	require.NoError(t, b.Outcomes[3].Err)
}

// Plain-text messages as strings, whole log events, and whole data.
func TestCloudWatchLogsPayloadTypes(t *testing.T) {
	var texts []string
	h := envelope.Wrap(envelope.Config[events.KinesisEventRecord]{Layers: []envelope.Layer{envelope.CloudWatchLogs()}}, func(_ context.Context, s string, _ *envelope.Meta[events.KinesisEventRecord]) error {
		texts = append(texts, s)
		return nil
	})
	_, failed := runKinesis(t, "logs_kinesis.json", core.Must(processors.NewKinesis(processors.Config{})), h)
	require.Len(t, failed, 1)
	require.Equal(t, `{"level":"info","msg":"order placed","orderId":"o-1"}`, texts[0])

	var evs []envelope.LogEvent
	h2 := envelope.Wrap(envelope.Config[events.KinesisEventRecord]{Layers: []envelope.Layer{envelope.CloudWatchLogs()}}, func(_ context.Context, e envelope.LogEvent, _ *envelope.Meta[events.KinesisEventRecord]) error {
		evs = append(evs, e)
		return nil
	})
	_, _ = runKinesis(t, "logs_kinesis.json", core.Must(processors.NewKinesis(processors.Config{})), h2)
	require.Equal(t, int64(1668093027015), evs[0].Timestamp)
	require.Equal(t, "37199717562907174288355125807040114704837640994633613312", evs[0].ID)
	require.Equal(t, []string{"orders-to-kinesis"}, evs[0].Data.SubscriptionFilters)

	var datas []events.CloudwatchLogsData
	var skips skipLog[events.KinesisEventRecord]
	h3 := envelope.Wrap(envelope.Config[events.KinesisEventRecord]{Layers: []envelope.Layer{envelope.CloudWatchLogsData()}, OnSkip: skips.add},
		func(_ context.Context, d events.CloudwatchLogsData, _ *envelope.Meta[events.KinesisEventRecord]) error {
			datas = append(datas, d)
			return nil
		})
	b, failed := runKinesis(t, "logs_kinesis.json", core.Must(processors.NewKinesis(processors.Config{})), h3)
	require.Equal(t, []string{"49635052289529725553291405520881064510298312199003701251"}, failed)
	require.Len(t, datas[0].LogEvents, 2)
	require.Equal(t, core.StatusSuccess, b.Outcomes[1].Status)
	require.Len(t, skips.got, 2)
	require.Equal(t, "CONTROL_MESSAGE", skips.got[0].Reason)
	require.Equal(t, "CloudWatch Logs subscription data", skips.got[0].Layer)

	var raws [][]byte
	h4 := envelope.Wrap(envelope.Config[events.KinesisEventRecord]{Layers: []envelope.Layer{envelope.CloudWatchLogs()}}, func(_ context.Context, p []byte, _ *envelope.Meta[events.KinesisEventRecord]) error {
		raws = append(raws, p)
		return nil
	})
	_, _ = runKinesis(t, "logs_kinesis.json", core.Must(processors.NewKinesis(processors.Config{})), h4)
	require.Equal(t, texts[0], string(raws[0]))
}

func gzipped(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(data)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func TestCloudWatchLogsBadData(t *testing.T) {
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"not gzip", []byte(`{"messageType":"DATA_MESSAGE"}`), "not gzip"},
		{"truncated gzip", gzipped(t, []byte(`{"messageType":"DATA_MESSAGE","logEvents":[]}`))[:20], "gzip"},
		{"not JSON", gzipped(t, []byte(`hello`)), "not CloudWatch Logs subscription data"},
		{"other type", gzipped(t, []byte(`{"messageType":"OTHER"}`)), `messageType is "OTHER"`},
		{"no events", gzipped(t, []byte(`{"messageType":"DATA_MESSAGE","logEvents":[]}`)), "no log event"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := envelope.Wrap(envelope.Config[events.KinesisEventRecord]{Layers: []envelope.Layer{envelope.CloudWatchLogs()}}, func(context.Context, string, *envelope.Meta[events.KinesisEventRecord]) error {
				t.Fatal("handler called")
				return nil
			})
			err := h(context.Background(), &events.KinesisEventRecord{Kinesis: events.KinesisRecord{Data: c.data}})
			require.ErrorIs(t, err, envelope.ErrUnwrap)
			require.Contains(t, err.Error(), c.want)
		})
	}
}

// Under SQS FIFO, a record that does not unwrap stops the records after it,
// as any failure does.
func TestFIFOStopsAtRecordThatDoesNotUnwrap(t *testing.T) {
	body := func(msg string) string {
		b, _ := json.Marshal(map[string]string{"Type": "Notification", "MessageId": "x", "Message": msg})
		return string(b)
	}
	msgs := []events.SQSMessage{
		{MessageId: "m1", Body: body(`{"message":"a","username":"u"}`), Attributes: map[string]string{"MessageGroupId": "g"}},
		{MessageId: "m2", Body: `not SNS`, Attributes: map[string]string{"MessageGroupId": "g"}},
		{MessageId: "m3", Body: body(`{"message":"c","username":"u"}`), Attributes: map[string]string{"MessageGroupId": "g"}},
		{MessageId: "m4", Body: body(`{"message":"d","username":"u"}`), Attributes: map[string]string{"MessageGroupId": "h"}},
	}
	var handled []string
	h := envelope.Wrap(envelope.Config[events.SQSMessage]{Layers: []envelope.Layer{envelope.SNS()}}, func(_ context.Context, g greeting, m *envelope.Meta[events.SQSMessage]) error {
		handled = append(handled, m.Record.MessageId)
		return nil
	})

	b := core.NewBatch(msgs, h)
	resp, err := core.Run(context.Background(), core.Must(processors.NewSQSFIFO(processors.Config{})), b)
	require.NoError(t, err)
	require.Equal(t, []string{"m2", "m3", "m4"}, ids(resp))
	require.Equal(t, []string{"m1"}, handled)
	require.ErrorIs(t, b.Outcomes[2].Err, core.ErrShortCircuit)

	handled = nil
	resp, err = core.Process(context.Background(), core.Must(processors.NewSQSFIFO(processors.Config{SkipGroupOnError: true})), msgs, h)
	require.NoError(t, err)
	require.Equal(t, []string{"m2", "m3"}, ids(resp))
	require.Equal(t, []string{"m1", "m4"}, handled)
}

// A user-written layer plugs in like the built-in ones, and its metadata is
// in m.Layers.
type versioned struct {
	Version int             `json:"version"`
	Body    json.RawMessage `json:"body"`
}

func versionLayer() envelope.Layer {
	return envelope.NewLayer("versioned envelope", func(data []byte) ([]envelope.Part, error) {
		v := new(versioned)
		if err := json.Unmarshal(data, v); err != nil {
			return nil, err
		}
		if v.Version != 2 {
			return nil, errors.New("unsupported version")
		}
		return []envelope.Part{{Data: v.Body, Meta: v}}, nil
	})
}

func TestCustomLayer(t *testing.T) {
	var got []string
	h := envelope.Wrap(envelope.Config[events.SQSMessage]{Layers: []envelope.Layer{envelope.SNS(), versionLayer()}}, func(_ context.Context, g greeting, m *envelope.Meta[events.SQSMessage]) error {
		var v *versioned
		for _, o := range m.Layers {
			if mv, ok := o.Meta.(*versioned); ok {
				v = mv
			}
		}
		require.NotNil(t, v)
		require.Equal(t, 2, v.Version)
		require.Equal(t, "versioned envelope", m.Layers[1].Layer)
		got = append(got, g.Username)
		return nil
	})
	body := func(inner string) string {
		b, _ := json.Marshal(map[string]string{"Type": "Notification", "Message": inner})
		return string(b)
	}
	msgs := []events.SQSMessage{
		{MessageId: "m1", Body: body(`{"version":2,"body":{"message":"hi","username":"ann"}}`)},
		{MessageId: "m2", Body: body(`{"version":1,"body":{}}`)},
	}
	b := core.NewBatch(msgs, h)
	resp, err := core.Run(context.Background(), core.Must(processors.NewSQS(processors.Config{})), b)
	require.NoError(t, err)
	require.Equal(t, []string{"m2"}, ids(resp))
	require.Equal(t, []string{"ann"}, got)
	var ue *envelope.UnwrapError
	require.ErrorAs(t, b.Outcomes[1].Err, &ue)
	require.Equal(t, "versioned envelope", ue.Layer)
	require.Equal(t, 1, ue.Depth)
	require.EqualError(t, ue.Err, "unsupported version")

}

// A layer that holds nothing must say so with Skip: an empty list of parts
// fails the record rather than letting it succeed unhandled.
func TestLayerWithNoPartsFails(t *testing.T) {
	empty := envelope.NewLayer("empty", func([]byte) ([]envelope.Part, error) { return nil, nil })
	h := envelope.Wrap(envelope.Config[events.SQSMessage]{Layers: []envelope.Layer{empty}}, func(context.Context, string, *envelope.Meta[events.SQSMessage]) error { return nil })
	err := h(context.Background(), &events.SQSMessage{Body: "x"})
	require.ErrorIs(t, err, envelope.ErrUnwrap)

	skip := envelope.NewLayer("skipper", func([]byte) ([]envelope.Part, error) { return nil, envelope.Skip("nothing", 7) })
	var skips skipLog[events.SQSMessage]
	h = envelope.Wrap(envelope.Config[events.SQSMessage]{Layers: []envelope.Layer{skip}, OnSkip: skips.add},
		func(context.Context, string, *envelope.Meta[events.SQSMessage]) error { return nil })
	err = h(context.Background(), &events.SQSMessage{Body: "x"})
	require.NoError(t, err)
	require.Equal(t, []skipped{{Layer: "skipper", Reason: "nothing", Meta: 7}}, skips.got)

	// A skip wrapped by the layer is still a skip.
	wrapped := envelope.NewLayer("wrapper", func([]byte) ([]envelope.Part, error) {
		return nil, fmt.Errorf("control: %w", envelope.Skip("wrapped", nil))
	})
	err = envelope.Wrap(envelope.Config[events.SQSMessage]{Layers: []envelope.Layer{wrapped}}, func(context.Context, string, *envelope.Meta[events.SQSMessage]) error { return nil })(context.Background(), &events.SQSMessage{Body: "x"})
	require.NoError(t, err)
}

// OnSkip runs under recover: a panic in it fails the record, which was not
// confirmed handled.
func TestOnSkipPanicFailsTheRecord(t *testing.T) {
	skip := envelope.NewLayer("skipper", func([]byte) ([]envelope.Part, error) { return nil, envelope.Skip("nothing", nil) })
	h := envelope.Wrap(envelope.Config[events.SQSMessage]{Layers: []envelope.Layer{skip},
		OnSkip: func(context.Context, string, *envelope.Meta[events.SQSMessage]) { panic("log sink down") }},
		func(context.Context, string, *envelope.Meta[events.SQSMessage]) error { return nil })
	err := h(context.Background(), &events.SQSMessage{Body: "x"})
	var pe *core.PanicError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "envelope OnSkip", pe.Where)
}

// A user-written layer that panics fails its record with a PanicError
// naming it; a Name that panics does not crash construction.
func TestLayerPanicFailsTheRecord(t *testing.T) {
	boom := envelope.NewLayer("boom", func([]byte) ([]envelope.Part, error) { panic("bad layer") })
	h := envelope.Wrap(envelope.Config[events.SQSMessage]{Layers: []envelope.Layer{boom}}, func(context.Context, string, *envelope.Meta[events.SQSMessage]) error { return nil })
	b := core.NewBatch([]events.SQSMessage{{MessageId: "m1", Body: "x"}, {MessageId: "m2", Body: "y"}}, h)
	resp, err := core.Run(context.Background(), core.Must(processors.NewSQS(processors.Config{Options: core.Options{SuppressFullBatchError: true}})), b)
	require.NoError(t, err)
	require.Equal(t, []string{"m1", "m2"}, ids(resp))
	var pe *core.PanicError
	require.ErrorAs(t, b.Outcomes[0].Err, &pe)
	require.Equal(t, "envelope layer boom", pe.Where)

	h = envelope.Wrap(envelope.Config[events.SQSMessage]{Layers: []envelope.Layer{panicName{}}}, func(context.Context, string, *envelope.Meta[events.SQSMessage]) error { return nil })
	err = h(context.Background(), &events.SQSMessage{Body: "x"})
	require.NoError(t, err)
}

type panicName struct{}

func (panicName) Name() string { panic("no name") }
func (panicName) Unwrap(data []byte) ([]envelope.Part, error) {
	return []envelope.Part{{Data: data}}, nil
}

// Validate runs under recover: a panicking Validate fails the record.
func TestValidatePanicFailsTheRecord(t *testing.T) {
	h := envelope.Wrap(envelope.Config[events.SQSMessage]{}, func(context.Context, panicky, *envelope.Meta[events.SQSMessage]) error { return nil })
	err := h(context.Background(), &events.SQSMessage{Body: `{}`})
	require.ErrorIs(t, err, payload.ErrInvalid)
	var pe *core.PanicError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "Validate", pe.Where)
}

type panicky struct{}

func (panicky) Validate() error { panic("validator bug") }

// Wrap serves any record type: here Kafka values, base64 in the event.
func TestWrapKafkaValue(t *testing.T) {
	value := func(r *events.KafkaRecord) ([]byte, error) { return base64.StdEncoding.DecodeString(r.Value) }
	var got []order
	h := envelope.Wrap(envelope.Config[events.KafkaRecord]{Payload: "Kafka value", Data: value, Layers: []envelope.Layer{envelope.EventBridge()}}, func(_ context.Context, o order, m *envelope.Meta[events.KafkaRecord]) error {
		got = append(got, o)
		require.Equal(t, "orders", m.Record.Topic)
		require.Equal(t, "com.example.orders", m.EventBridge().Source)
		return nil
	})
	good := base64.StdEncoding.EncodeToString([]byte(`{"source":"com.example.orders","detail-type":"Order Placed","detail":{"orderId":"o-9","amount":9}}`))
	err := h(context.Background(), &events.KafkaRecord{Topic: "orders", Value: good})
	require.NoError(t, err)
	require.Equal(t, []order{{"o-9", 9}}, got)

	err = h(context.Background(), &events.KafkaRecord{Topic: "orders", Value: "%%%"})
	var ue *envelope.UnwrapError
	require.ErrorAs(t, err, &ue)
	require.Equal(t, -1, ue.Depth)
	require.Contains(t, ue.Error(), "Kafka value could not be read")
}

// Records unwrap concurrently: layers keep no state between records.
func TestConcurrentUnwrapping(t *testing.T) {
	data := readEvent(t, "logs_kinesis.json")
	var ev events.KinesisEvent
	require.NoError(t, json.Unmarshal(data, &ev))
	recs := make([]events.KinesisEventRecord, 0, 400)
	for len(recs) < 400 {
		recs = append(recs, ev.Records...)
	}
	for i := range recs {
		recs[i].Kinesis.SequenceNumber = string(rune('a'+i%26)) + recs[i].Kinesis.SequenceNumber + string(rune('0'+i%10))
	}
	var mu sync.Mutex
	n := 0
	h := envelope.Wrap(envelope.Config[events.KinesisEventRecord]{Layers: []envelope.Layer{envelope.CloudWatchLogs()}}, func(_ context.Context, l logLine, m *envelope.Meta[events.KinesisEventRecord]) error {
		mu.Lock()
		n++
		mu.Unlock()
		require.NotEmpty(t, l.OrderID)
		return nil
	})
	b := core.NewBatch(recs, h)
	_, err := core.Run(context.Background(), core.Must(processors.NewKinesis(processors.Config{Options: core.Options{Concurrency: 8}})), b)
	require.NoError(t, err)
	require.Equal(t, 300, n) // 3 log events in every 4 records; the control message is skipped
	for i, o := range b.Outcomes {
		require.Equal(t, i%4 == 2, o.Err != nil, "record %d", i)
	}
}

// A nil handler, layer or payload reader fails every record with a
// ConfigError: nothing panics and no record succeeds unhandled.
func TestWrapRefusesNil(t *testing.T) {
	h := func(context.Context, string, *envelope.Meta[events.SQSMessage]) error { return nil }
	msg := &events.SQSMessage{Body: "x"}
	var ce *core.ConfigError
	require.ErrorAs(t, envelope.Wrap(envelope.Config[events.SQSMessage]{Layers: []envelope.Layer{envelope.SNS(), nil}}, h)(context.Background(), msg), &ce)
	require.Equal(t, "Layers[1]", ce.Setting)
	require.ErrorIs(t, envelope.Wrap[events.SQSMessage, string](envelope.Config[events.SQSMessage]{}, nil)(context.Background(), msg), core.ErrInvalidConfig)
	kh := envelope.Wrap(envelope.Config[events.KafkaRecord]{}, func(context.Context, string, *envelope.Meta[events.KafkaRecord]) error { return nil })
	require.ErrorAs(t, kh(context.Background(), &events.KafkaRecord{}), &ce)
	require.Equal(t, "Data", ce.Setting)
}

// The innermost layer's own type is handed over as the layer decoded it.
func TestPayloadIsLayerMeta(t *testing.T) {
	var got envelope.SNSNotification
	h := envelope.Wrap(envelope.Config[events.SQSMessage]{Layers: []envelope.Layer{envelope.SNS()}}, func(_ context.Context, n envelope.SNSNotification, m *envelope.Meta[events.SQSMessage]) error {
		got = n
		require.Equal(t, &got, &n)
		return nil
	})
	err := h(context.Background(), &events.SQSMessage{Body: `{"Type":"Notification","TopicArn":"arn:t","Message":"not JSON at all"}`})
	require.NoError(t, err)
	require.Equal(t, "not JSON at all", got.Message)
	require.Equal(t, "arn:t", got.TopicArn)
}

// On a stream with stop-on-first-failure, a record that does not unwrap
// stops the records after it, reported by sequence number.
func TestStreamStopsAtRecordThatDoesNotUnwrap(t *testing.T) {
	var handled []string
	h := envelope.Wrap(envelope.Config[events.KinesisEventRecord]{Layers: []envelope.Layer{envelope.EventBridge()}}, func(_ context.Context, o order, m *envelope.Meta[events.KinesisEventRecord]) error {
		handled = append(handled, o.OrderID)
		return nil
	})
	b, failed := runKinesis(t, "eventbridge_kinesis.json", core.Must(processors.NewKinesis(processors.Config{StopOnFirstFailure: true})), h)
	require.Equal(t, []string{"49590338271490256608559692540925702759324208523137515618", "49590338271490256608559692541010215237853011296575045634"}, failed)
	require.Equal(t, []string{"k-1", "k-1"}, handled) // typed and raw runs
	require.ErrorIs(t, b.Outcomes[1].Err, envelope.ErrUnwrap)
	require.ErrorIs(t, b.Outcomes[2].Err, core.ErrShortCircuit)
}

// Envelopes run on the EventBridge Pipes entries too: an SQS queue fed by an
// SNS topic, piped to the function.
func TestEnvelopeOnPipes(t *testing.T) {
	var ev events.SQSEvent
	require.NoError(t, json.Unmarshal(readEvent(t, "sns_sqs.json"), &ev))
	pipesEvent, err := json.Marshal(ev.Records) // a bare array, as Pipes sends
	require.NoError(t, err)
	var got []string
	h := envelope.Wrap(envelope.Config[events.SQSMessage]{Layers: []envelope.Layer{envelope.SNS()}}, func(_ context.Context, g greeting, _ *envelope.Meta[events.SQSMessage]) error {
		got = append(got, g.Username)
		return nil
	})
	resp, err := pipes.SQSHandler(core.Must(processors.NewSQS(processors.Config{})), h)(context.Background(), pipesEvent)
	require.NoError(t, err)
	require.Equal(t, []string{"2e1424d4-f796-459a-8184-9c92662be6da", "0f4e3b3e-2e3c-4a1f-9d39-6a3f2c1d9e77"}, ids(resp))
	require.Equal(t, []string{"lessa", "ana"}, got)
}

// A pointer payload type is validated too; a JSON null gives a nil pointer,
// which cannot be validated and fails (payload.ErrNilPayload), as with
// processors.SQSJSON: one validation for every entry.
func TestPointerPayloadValidated(t *testing.T) {
	var got []*greeting
	h := envelope.Wrap(envelope.Config[events.SQSMessage]{}, func(_ context.Context, g *greeting, _ *envelope.Meta[events.SQSMessage]) error {
		got = append(got, g)
		return nil
	})
	err := h(context.Background(), &events.SQSMessage{Body: `{"message":"hi","username":""}`})
	require.ErrorIs(t, err, payload.ErrInvalid)
	err = h(context.Background(), &events.SQSMessage{Body: `{"message":"hi","username":"u"}`})
	require.NoError(t, err)
	err = h(context.Background(), &events.SQSMessage{Body: `null`})
	require.ErrorIs(t, err, payload.ErrNilPayload)
	require.Equal(t, []*greeting{{"hi", "u"}}, got)
}

// A user-written layer that writes to its input (against the Layer
// contract) works on a copy: it cannot corrupt the record's body, even when
// the body is a string literal in read-only memory.
func TestCustomLayerGetsACopy(t *testing.T) {
	scribble := envelope.NewLayer("scribbler", func(data []byte) ([]envelope.Part, error) {
		for i := range data {
			data[i] = 'x'
		}
		return []envelope.Part{{Data: data}}, nil
	})
	var got string
	h := envelope.Wrap(envelope.Config[events.SQSMessage]{Layers: []envelope.Layer{scribble}}, func(_ context.Context, s string, _ *envelope.Meta[events.SQSMessage]) error { got = s; return nil })
	msg := &events.SQSMessage{Body: "hello"}
	err := h(context.Background(), msg)
	require.NoError(t, err)
	require.Equal(t, "xxxxx", got)
	require.Equal(t, "hello", msg.Body)

	// Behind a built-in layer too.
	h = envelope.Wrap(envelope.Config[events.SQSMessage]{Layers: []envelope.Layer{envelope.SNS(), scribble}}, func(_ context.Context, s string, _ *envelope.Meta[events.SQSMessage]) error { got = s; return nil })
	msg = &events.SQSMessage{Body: `{"Type":"Notification","Message":"hello"}`}
	err = h(context.Background(), msg)
	require.NoError(t, err)
	require.Equal(t, "xxxxx", got)
	require.Equal(t, `{"Type":"Notification","Message":"hello"}`, msg.Body)
}
