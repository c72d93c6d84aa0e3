package envelope_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/envelope"
	"github.com/batchkit/batchkit/processors"
)

// The envelope benchmarks compare a handler built with this package with
// the same work written by hand in the handler (decode the envelope with
// encoding/json, then the payload), on 1,000-record batches: the difference
// is what the layers, the per-record metadata and the error typing cost.
//
//	go test ./envelope/ -run '^$' -bench . -benchmem -count 6

const benchRecords = 1000

func snsMessages() []events.SQSMessage {
	msgs := make([]events.SQSMessage, benchRecords)
	for i := range msgs {
		inner, _ := json.Marshal(order{OrderID: fmt.Sprintf("o-%d", i), Amount: float64(i)})
		body, _ := json.Marshal(map[string]any{
			"Type": "Notification", "MessageId": fmt.Sprintf("n-%d", i), "TopicArn": "arn:aws:sns:us-east-1:123456789012:orders",
			"Subject": "order", "Message": string(inner), "Timestamp": "2024-05-14T10:15:30.118Z", "SignatureVersion": "1",
			"Signature":         "EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQvi2egU3N858fiTDN6bkkOxYDVrY0Ad8L10Hs3zH81mtnPk5uvvolIC1CXGu43obcgFxeL3khZl8IKvO61GWB6jI9b5+gLPoBc1Q=",
			"SigningCertURL":    "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
			"UnsubscribeURL":    "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-1:123456789012:orders:c7fe3a54",
			"MessageAttributes": map[string]any{"channel": map[string]string{"Type": "String", "Value": "web"}},
		})
		msgs[i] = events.SQSMessage{MessageId: fmt.Sprintf("m-%d", i), Body: string(body), EventSource: "aws:sqs"}
	}
	return msgs
}

var sink float64

func BenchmarkSNSInSQS(b *testing.B) {
	msgs := snsMessages()
	p := core.Must(processors.NewSQS(processors.Config{}))
	ctx := context.Background()
	b.Run("envelope", func(b *testing.B) {
		h := envelope.Wrap(envelope.Config[events.SQSMessage]{Layers: []envelope.Layer{envelope.SNS()}}, func(_ context.Context, o order, m *envelope.Meta[events.SQSMessage]) error {
			sink += o.Amount + float64(len(m.SNS().TopicArn))
			return nil
		})
		b.ReportAllocs()
		for b.Loop() {
			if _, err := core.Process(ctx, p, msgs, h); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchRecords), "ns/record")
	})
	b.Run("handwritten", func(b *testing.B) {
		h := func(_ context.Context, m *events.SQSMessage) error {
			var n envelope.SNSNotification
			if err := json.Unmarshal([]byte(m.Body), &n); err != nil {
				return err
			}
			var o order
			if err := json.Unmarshal([]byte(n.Message), &o); err != nil {
				return err
			}
			sink += o.Amount + float64(len(n.TopicArn))
			return nil
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := core.Process(ctx, p, msgs, h); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchRecords), "ns/record")
	})
}

func logRecords(b *testing.B) []events.KinesisEventRecord {
	recs := make([]events.KinesisEventRecord, benchRecords)
	for i := range recs {
		var evs []map[string]any
		for j := range 5 {
			evs = append(evs, map[string]any{"id": fmt.Sprintf("%d-%d", i, j), "timestamp": 1668093027015 + j,
				"message": fmt.Sprintf(`{"level":"info","msg":"order placed","orderId":"o-%d-%d"}`, i, j)})
		}
		data, _ := json.Marshal(map[string]any{"messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "/aws/lambda/orders",
			"logStream": "2024/05/14/[$LATEST]26b6a45d574f442ea28438923cbf7bf7", "subscriptionFilters": []string{"orders"}, "logEvents": evs})
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write(data); err != nil {
			b.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			b.Fatal(err)
		}
		recs[i] = events.KinesisEventRecord{EventSource: "aws:kinesis", Kinesis: events.KinesisRecord{SequenceNumber: fmt.Sprint(i), Data: buf.Bytes()}}
	}
	return recs
}

func BenchmarkCloudWatchLogsInKinesis(b *testing.B) {
	recs := logRecords(b)
	p := core.Must(processors.NewKinesis(processors.Config{}))
	ctx := context.Background()
	b.Run("envelope", func(b *testing.B) {
		h := envelope.Wrap(envelope.Config[events.KinesisEventRecord]{Layers: []envelope.Layer{envelope.CloudWatchLogs()}}, func(_ context.Context, l logLine, m *envelope.Meta[events.KinesisEventRecord]) error {
			sink += float64(len(l.OrderID) + len(m.LogEvent().Data.LogGroup))
			return nil
		})
		b.ReportAllocs()
		for b.Loop() {
			if _, err := core.Process(ctx, p, recs, h); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchRecords), "ns/record")
	})
	b.Run("handwritten", func(b *testing.B) {
		h := func(_ context.Context, r *events.KinesisEventRecord) error {
			zr, err := gzip.NewReader(bytes.NewReader(r.Kinesis.Data))
			if err != nil {
				return err
			}
			plain, err := io.ReadAll(zr)
			if err != nil {
				return err
			}
			var d events.CloudwatchLogsData
			if err := json.Unmarshal(plain, &d); err != nil {
				return err
			}
			for _, e := range d.LogEvents {
				var l logLine
				if err := json.Unmarshal([]byte(e.Message), &l); err != nil {
					return err
				}
				sink += float64(len(l.OrderID) + len(d.LogGroup))
			}
			return nil
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := core.Process(ctx, p, recs, h); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchRecords), "ns/record")
	})
}
