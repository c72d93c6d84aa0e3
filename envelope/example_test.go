package envelope_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/envelope"
	"github.com/batchkit/batchkit/processors"
)

// An SQS queue subscribed to an SNS topic: the handler gets the published
// message decoded into its type, and the notification around it. The second
// message is not an SNS notification: it fails alone, reported by its
// message id.
func ExampleSNS() {
	type Order struct {
		ID string `json:"id"`
	}
	handler := envelope.Wrap(envelope.Config[events.SQSMessage]{
		Layers: []envelope.Layer{envelope.SNS()},
	}, func(_ context.Context, o Order, m *envelope.Meta[events.SQSMessage]) error {
		fmt.Printf("order %s from %s (message %s)\n", o.ID, m.SNS().TopicArn, m.Record.MessageId)
		return nil
	})

	event := `{"Records":[
		{"messageId":"m1","eventSource":"aws:sqs","body":"{\"Type\":\"Notification\",\"MessageId\":\"n1\",\"TopicArn\":\"arn:aws:sns:us-east-1:123456789012:orders\",\"Message\":\"{\\\"id\\\":\\\"o-1\\\"}\",\"Timestamp\":\"2024-05-14T10:15:30.000Z\"}"},
		{"messageId":"m2","eventSource":"aws:sqs","body":"{\"id\":\"o-2\"}"}]}`
	resp, err := processors.SQSHandler(core.Must(processors.NewSQS(processors.Config{})), handler)(context.Background(), []byte(event))
	fmt.Println(ids(resp), err)
	// Output:
	// order o-1 from arn:aws:sns:us-east-1:123456789012:orders (message m1)
	// [m2] <nil>
}

// S3 event notifications published to SNS and delivered to SQS: layers
// compose, outermost first. The object key is decoded once; the s3:TestEvent
// that S3 sends when the notification is configured succeeds without
// calling the handler.
func ExampleS3() {
	handler := envelope.Wrap(envelope.Config[events.SQSMessage]{
		Layers: []envelope.Layer{envelope.SNS(), envelope.S3()},
	}, func(_ context.Context, r events.S3EventRecord, m *envelope.Meta[events.SQSMessage]) error {
		fmt.Printf("%s s3://%s/%s\n", r.EventName, r.S3.Bucket.Name, r.S3.Object.URLDecodedKey)
		return nil
	})

	notification := func(message string) string {
		b, _ := json.Marshal(map[string]string{"Type": "Notification", "Message": message})
		return string(b)
	}
	msgs := []events.SQSMessage{
		{MessageId: "m1", Body: notification(`{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"photos"}`)},
		{MessageId: "m2", Body: notification(`{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"photos"},"object":{"key":"red+flower.jpg"}}}]}`)},
	}
	b := core.NewBatch(msgs, handler)
	resp, err := core.Run(context.Background(), core.Must(processors.NewSQS(processors.Config{})), b)
	fmt.Println(ids(resp), err)
	fmt.Println(b.Outcomes[0].Status)
	// Output:
	// ObjectCreated:Put s3://photos/red flower.jpg
	// [] <nil>
	// success
}

// An EventBridge rule that targets an SQS queue: the payload is the event's
// detail; source, detail-type, time and id are in the layer.
func ExampleEventBridge() {
	type OrderPlaced struct {
		OrderID string `json:"orderId"`
	}
	handler := envelope.Wrap(envelope.Config[events.SQSMessage]{
		Layers: []envelope.Layer{envelope.EventBridge()},
	}, func(_ context.Context, d OrderPlaced, m *envelope.Meta[events.SQSMessage]) error {
		e := m.EventBridge()
		fmt.Println(e.Source, e.DetailType, e.ID, e.Time.Format("2006-01-02"), d.OrderID)
		return nil
	})
	body := `{"version":"0","id":"6a7e8feb","detail-type":"Order Placed","source":"com.example.orders","account":"123456789012","time":"2024-05-14T10:15:30Z","region":"us-east-1","resources":[],"detail":{"orderId":"o-1"}}`
	resp, err := core.Process(context.Background(), core.Must(processors.NewSQS(processors.Config{})), []events.SQSMessage{{MessageId: "m1", Body: body}}, handler)
	fmt.Println(ids(resp), err)
	// Output:
	// com.example.orders Order Placed 6a7e8feb 2024-05-14 o-1
	// [] <nil>
}

// A Kinesis stream written by a CloudWatch Logs subscription filter: each
// log event is a payload (here plain text, as a string). A record whose log
// event fails is reported by its sequence number; the CONTROL_MESSAGE is
// skipped.
func ExampleCloudWatchLogs() {
	gz := func(s string) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write([]byte(s))
		_ = zw.Close()
		return buf.Bytes()
	}
	handler := envelope.Wrap(envelope.Config[events.KinesisEventRecord]{
		Layers: []envelope.Layer{envelope.CloudWatchLogs()},
	}, func(_ context.Context, line string, m *envelope.Meta[events.KinesisEventRecord]) error {
		fmt.Printf("%s: %s\n", m.LogEvent().Data.LogGroup, line)
		if line == "ERROR disk full" {
			return errors.New("alert not sent")
		}
		return nil
	})
	recs := []events.KinesisEventRecord{
		{Kinesis: events.KinesisRecord{SequenceNumber: "1", Data: gz(`{"messageType":"DATA_MESSAGE","logGroup":"/app","logEvents":[{"id":"a","timestamp":1,"message":"INFO started"}]}`)}},
		{Kinesis: events.KinesisRecord{SequenceNumber: "2", Data: gz(`{"messageType":"CONTROL_MESSAGE","logEvents":[{"message":"CWL CONTROL MESSAGE: Checking health of destination Kinesis stream."}]}`)}},
		{Kinesis: events.KinesisRecord{SequenceNumber: "3", Data: gz(`{"messageType":"DATA_MESSAGE","logGroup":"/app","logEvents":[{"id":"b","timestamp":2,"message":"ERROR disk full"}]}`)}},
	}
	resp, err := core.Process(context.Background(), core.Must(processors.NewKinesis(processors.Config{})), recs, handler)
	fmt.Println(ids(resp), err)
	// Output:
	// /app: INFO started
	// /app: ERROR disk full
	// [3] <nil>
}

// A user-written envelope: a layer made from a function plugs in like the
// built-in ones, and what it read is in m.Layers.
func ExampleNewLayer() {
	type Header struct {
		Tenant  string          `json:"tenant"`
		Payload json.RawMessage `json:"payload"`
	}
	tenantLayer := envelope.NewLayer("tenant envelope", func(data []byte) ([]envelope.Part, error) {
		h := new(Header)
		if err := json.Unmarshal(data, h); err != nil {
			return nil, err
		}
		if h.Tenant == "" {
			return nil, errors.New("no tenant")
		}
		return []envelope.Part{{Data: h.Payload, Meta: h}}, nil
	})
	type Item struct {
		SKU string `json:"sku"`
	}
	handler := envelope.Wrap(envelope.Config[events.SQSMessage]{
		Layers: []envelope.Layer{tenantLayer},
	}, func(_ context.Context, it Item, m *envelope.Meta[events.SQSMessage]) error {
		for _, o := range m.Layers {
			if h, ok := o.Meta.(*Header); ok {
				fmt.Println(h.Tenant, it.SKU)
			}
		}
		return nil
	})
	msgs := []events.SQSMessage{
		{MessageId: "m1", Body: `{"tenant":"acme","payload":{"sku":"A-1"}}`},
		{MessageId: "m2", Body: `{"payload":{"sku":"B-2"}}`},
	}
	b := core.NewBatch(msgs, handler)
	resp, err := core.Run(context.Background(), core.Must(processors.NewSQS(processors.Config{})), b)
	fmt.Println(ids(resp), err)
	fmt.Println(b.Outcomes[1].Err)
	// Output:
	// acme A-1
	// [m2] <nil>
	// batchkit: tenant envelope in the SQS body does not unwrap: no tenant
}

// Wrap serves any record type: here the values of a Kafka event (base64 in
// the event) that carry EventBridge events. A value that is not base64 fails
// its record alone.
func ExampleWrap() {
	type OrderPlaced struct {
		OrderID string `json:"orderId"`
	}
	value := func(r *events.KafkaRecord) ([]byte, error) { return base64.StdEncoding.DecodeString(r.Value) }
	handler := envelope.Wrap(envelope.Config[events.KafkaRecord]{
		Payload: "Kafka value",
		Data:    value,
		Layers:  []envelope.Layer{envelope.EventBridge()},
	}, func(_ context.Context, o OrderPlaced, m *envelope.Meta[events.KafkaRecord]) error {
		fmt.Println(m.Record.Offset, m.EventBridge().Source, o.OrderID)
		return nil
	})

	event := events.KafkaEvent{EventSource: processors.EventSourceMSK, Records: map[string][]events.KafkaRecord{"orders-0": {
		{Topic: "orders", Partition: 0, Offset: 10, Value: base64.StdEncoding.EncodeToString([]byte(`{"source":"com.example.orders","detail-type":"Order Placed","detail":{"orderId":"o-1"}}`))},
		{Topic: "orders", Partition: 0, Offset: 11, Value: "not base64!"},
	}}}
	resp, err := processors.ProcessKafka(context.Background(), core.Must(processors.NewKafka(processors.Config{})), event, handler)
	out, _ := json.Marshal(resp)
	fmt.Println(string(out), err)
	// Output:
	// 10 com.example.orders o-1
	// {"batchItemFailures":[{"itemIdentifier":{"partition":"orders-0","offset":11}}]} <nil>
}

// A user-written layer returns Skip for a record that holds nothing to
// handle (here a heartbeat): the record succeeds without the handler, and
// Config.OnSkip hears why.
func ExampleSkip() {
	heartbeats := envelope.NewLayer("heartbeat filter", func(data []byte) ([]envelope.Part, error) {
		if string(data) == "PING" {
			return nil, envelope.Skip("heartbeat", nil)
		}
		return []envelope.Part{{Data: data}}, nil
	})
	handler := envelope.Wrap(envelope.Config[events.SQSMessage]{
		Layers: []envelope.Layer{heartbeats},
		OnSkip: func(_ context.Context, reason string, m *envelope.Meta[events.SQSMessage]) {
			layer := m.Layers[len(m.Layers)-1].Layer // the layer that skipped
			fmt.Println("skipped", m.Record.MessageId, layer+":", reason)
		},
	}, func(_ context.Context, s string, _ *envelope.Meta[events.SQSMessage]) error {
		fmt.Println("handled", s)
		return nil
	})
	b := core.NewBatch([]events.SQSMessage{{MessageId: "m1", Body: "PING"}, {MessageId: "m2", Body: "hello"}}, handler)
	resp, err := core.Run(context.Background(), core.Must(processors.NewSQS(processors.Config{})), b)
	fmt.Println(ids(resp), err, b.Outcomes[0].Status)
	// Output:
	// skipped m1 heartbeat filter: heartbeat
	// handled hello
	// [] <nil> success
}

// An UnwrapError says where a record's envelope failed it: a layer that could
// not open the record (Count 0, matching ErrUnwrap and core.ErrDecode), or
// one payload among the several a layer held (Index of Count, matching
// ErrPart and what the payload's error matches).
func ExampleUnwrapError() {
	handler := envelope.Wrap(envelope.Config[events.SQSMessage]{
		Layers: []envelope.Layer{envelope.S3()},
	}, func(_ context.Context, r events.S3EventRecord, _ *envelope.Meta[events.SQSMessage]) error {
		if r.S3.Object.Key == "bad.csv" {
			return errors.New("not a CSV file")
		}
		return nil
	})
	two := `{"Records":[{"eventSource":"aws:s3","s3":{"object":{"key":"a.csv"}}},{"eventSource":"aws:s3","s3":{"object":{"key":"bad.csv"}}}]}`
	for _, body := range []string{`{"Type":"Notification"}`, two} {
		err := handler(context.Background(), &events.SQSMessage{MessageId: "m1", Body: body})
		var ue *envelope.UnwrapError
		fmt.Println(errors.As(err, &ue), ue.Index, ue.Count, errors.Is(err, envelope.ErrUnwrap), errors.Is(err, core.ErrDecode), errors.Is(err, envelope.ErrPart))
		fmt.Println(err)
	}
	// Output:
	// true 0 0 true true false
	// batchkit: S3 event notification in the SQS body does not unwrap: not an S3 event notification: it has no "Records" array (and is not the s3:TestEvent)
	// true 1 2 false false true
	// batchkit: payload 2 of 2 in the S3 event notification failed: not a CSV file
}
