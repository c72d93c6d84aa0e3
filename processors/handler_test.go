package processors_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/benchevents"
	"github.com/batchkit/batchkit/processors"
)

type adapterOrder struct {
	ID int `json:"id"`
}

func (o adapterOrder) Validate() error {
	if o.ID <= 0 {
		return errors.New("id must be positive")
	}
	return nil
}

// Every adapter, run the way lambda.Start runs it (lambda.NewHandler: the
// payload bytes in, the response bytes out), answers an event holding a
// record that does not decode among good ones with exactly Lambda's partial
// batch response: the bad record fails alone, by its own identifier, and
// the raw entry it wraps gives the same.
func TestHandlerAdapters(t *testing.T) {
	cases := []struct {
		name    string
		handler any
		event   string
		want    string
	}{{
		name: "SQS typed payload",
		handler: processors.SQSHandler(core.Must(processors.NewSQS(processors.Config{})), processors.SQSJSON(func(context.Context, adapterOrder, *events.SQSMessage) error {
			return nil
		})),
		event: `{"Records":[
			{"messageId":"m1","body":"{\"id\":1}","eventSource":"aws:sqs"},
			{"messageId":"m2","body":{"id":2},"eventSource":"aws:sqs"},
			{"messageId":"m3","body":"not json","eventSource":"aws:sqs"},
			{"messageId":"m4","body":"{\"id\":-4}","eventSource":"aws:sqs"},
			{"messageId":"m5","body":"{\"id\":5}","eventSource":"aws:sqs"}]}`,
		want: `{"batchItemFailures":[{"itemIdentifier":"m2"},{"itemIdentifier":"m3"},{"itemIdentifier":"m4"}]}`,
	}, {
		// With SkipGroupOnError the key of a record that does not
		// decode is read by the failure path of processors/raw.go (issue
		// 10, another branch); the default FIFO processor stops the batch.
		name:    "SQS FIFO: the bad record stops the rest",
		handler: processors.SQSHandler(core.Must(processors.NewSQSFIFO(processors.Config{})), nopSQS),
		event: `{"Records":[
			{"messageId":"f1","body":"a","eventSource":"aws:sqs","attributes":{"MessageGroupId":"g1"}},
			{"messageId":"f2","body":7,"eventSource":"aws:sqs","attributes":{"MessageGroupId":"g1"}},
			{"messageId":"f3","body":"c","eventSource":"aws:sqs","attributes":{"MessageGroupId":"g2"}},
			{"messageId":"f4","body":"d","eventSource":"aws:sqs","attributes":{"MessageGroupId":"g1"}}]}`,
		want: `{"batchItemFailures":[{"itemIdentifier":"f2"},{"itemIdentifier":"f3"},{"itemIdentifier":"f4"}]}`,
	}, {
		name: "Kinesis typed payload",
		handler: processors.KinesisHandler(core.Must(processors.NewKinesis(processors.Config{})), processors.KinesisJSON(func(context.Context, adapterOrder, *events.KinesisEventRecord) error {
			return nil
		})),
		event: fmt.Sprintf(`{"Records":[
			{"eventSource":"aws:kinesis","kinesis":{"sequenceNumber":"101","partitionKey":"a","data":%q}},
			{"eventSource":"aws:kinesis","kinesis":{"sequenceNumber":"102","partitionKey":"a","data":"%%%%not base64"}},
			{"eventSource":"aws:kinesis","kinesis":{"sequenceNumber":"103","partitionKey":"a","data":%q}}]}`,
			b64(`{"id":1}`), b64(`{"id":0}`)),
		want: `{"batchItemFailures":[{"itemIdentifier":"102"},{"itemIdentifier":"103"}]}`,
	}, {
		name: "DynamoDB typed new image",
		handler: processors.DynamoDBHandler(core.Must(processors.NewDynamoDB(processors.Config{})), processors.DynamoDBNewImage(func(context.Context, *adapterOrder, *events.DynamoDBEventRecord) error {
			return nil
		})),
		event: `{"Records":[
			{"eventSource":"aws:dynamodb","eventName":"INSERT","dynamodb":{"SequenceNumber":"201","NewImage":{"id":{"N":"1"}}}},
			{"eventSource":"aws:dynamodb","eventName":"INSERT","dynamodb":{"SequenceNumber":"202","NewImage":{"id":{"Q":"1"}}}},
			{"eventSource":"aws:dynamodb","eventName":"INSERT","dynamodb":{"SequenceNumber":"203","NewImage":{"id":{"N":"3"}}}}]}`,
		want: `{"batchItemFailures":[{"itemIdentifier":"202"}]}`,
	}, {
		name: "Kafka",
		handler: processors.KafkaHandler(core.Must(processors.NewKafka(processors.Config{})), func(_ context.Context, r *events.KafkaRecord) error {
			if r.Offset == 30 {
				return errors.New("offset 30 fails")
			}
			return nil
		}),
		event: `{"eventSource":"aws:kafka","records":{
			"orders-1":[{"topic":"orders","partition":1,"offset":20,"timestamp":"noon"},{"topic":"orders","partition":1,"offset":21}],
			"orders-0":[{"topic":"orders","partition":0,"offset":10},{"topic":"orders","partition":0,"offset":11}],
			"orders-2":[{"topic":"orders","partition":2,"offset":31},{"topic":"orders","partition":2,"offset":30}]}}`,
		want: `{"batchItemFailures":[
			{"itemIdentifier":{"partition":"orders-1","offset":20}},
			{"itemIdentifier":{"partition":"orders-2","offset":30}}]}`,
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := lambda.NewHandler(c.handler).Invoke(context.Background(), []byte(c.event))
			require.NoError(t, err)
			require.JSONEq(t, c.want, string(got))

			direct, err := c.handler.(core.LambdaHandler[core.Response])(context.Background(), json.RawMessage(c.event))
			require.NoError(t, err)
			out, err := json.Marshal(direct)
			require.NoError(t, err)
			require.JSONEq(t, c.want, string(out))
		})
	}
}

// An invocation error from the raw entry (a batch that is not this source's)
// reaches Lambda as the function's error: the whole batch is retried.
func TestHandlerAdapterErrors(t *testing.T) {
	cases := map[string]struct {
		handler any
		event   string
		want    error
	}{
		"SQS handler fed Kinesis":   {processors.SQSHandler(core.Must(processors.NewSQS(processors.Config{})), nopSQS), `{"Records":[{"eventSource":"aws:kinesis","messageId":"x"}]}`, core.ErrEventSourceMismatch},
		"Kinesis handler fed Kafka": {processors.KinesisHandler(core.Must(processors.NewKinesis(processors.Config{})), nopKinesis), `{"eventSource":"aws:kafka","records":{}}`, core.ErrUnexpectedBatchType},
		"Kafka handler fed SQS":     {processors.KafkaHandler(core.Must(processors.NewKafka(processors.Config{})), nopKafka), `{"Records":[]}`, core.ErrUnexpectedBatchType},
		"every record fails":        {processors.DynamoDBHandler(core.Must(processors.NewDynamoDB(processors.Config{})), nopDynamoDB), `{"Records":[{"eventSource":"aws:dynamodb","dynamodb":{"SequenceNumber":"1","Keys":{"k":{"X":"1"}}}}]}`, core.ErrFullBatchFailure},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := lambda.NewHandler(c.handler).Invoke(context.Background(), []byte(c.event))
			require.ErrorIs(t, err, c.want)
		})
	}
}

var (
	nopSQS      = func(context.Context, *events.SQSMessage) error { return nil }
	nopKinesis  = func(context.Context, *events.KinesisEventRecord) error { return nil }
	nopDynamoDB = func(context.Context, *events.DynamoDBEventRecord) error { return nil }
	nopKafka    = func(context.Context, *events.KafkaRecord) error { return nil }
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// kafkaBenchEvent is a Kafka event of n records over 4 partitions, ~1 in 10
// failing (value "fail").
func kafkaBenchEvent(n int) []byte {
	parts := make([][]string, 4)
	for i := range n {
		value := fmt.Sprintf(`{"order":"o-%06d","amount":%d,"note":"%s"}`, i, i%97+1, strings.Repeat("x", 400))
		if benchevents.Fails(i) {
			value = "fail"
		}
		p := i % 4
		parts[p] = append(parts[p], fmt.Sprintf(`{"topic":"orders","partition":%d,"offset":%d,"timestamp":%d,"timestampType":"CREATE_TIME","key":%q,"value":%q,"headers":[{"source":[119,101,98]}]}`,
			p, i, 1764100000000+int64(i), b64(fmt.Sprint("k-", i)), b64(value)))
	}
	var sb strings.Builder
	sb.WriteString(`{"eventSource":"aws:kafka","eventSourceArn":"arn:aws:kafka:us-east-1:123456789012:cluster/c/1","records":{`)
	for p, recs := range parts {
		if p > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `"orders-%d":[%s]`, p, strings.Join(recs, ","))
	}
	sb.WriteString(`}}`)
	return []byte(sb.String())
}

// BenchmarkAdapter compares, on the same event bytes and a no-op handler,
// each raw entry called directly ("raw") with its adapter ("adapter"): the
// adapter is the raw entry plus one closure call. "lambda" is the adapter as
// lambda.Start runs it (through its Invoke method: the response encoded);
// "lambda-reflect" is the same function given to lambda.Start as a plain
// func(ctx, json.RawMessage), which aws-lambda-go decodes reflectively.
func BenchmarkAdapter(b *testing.B) {
	const n = 1000
	ctx := context.Background()
	benchAdapter(b, ctx, "sqs", benchevents.Event("sqs", n), core.Must(processors.NewSQS(processors.Config{})), entry(processors.SQSHandler), processors.SQSHandler, nopSQS)
	benchAdapter(b, ctx, "kinesis", benchevents.Event("kinesis", n), core.Must(processors.NewKinesis(processors.Config{})), entry(processors.KinesisHandler), processors.KinesisHandler, nopKinesis)
	benchAdapter(b, ctx, "dynamodb", benchevents.Event("dynamodb", n), core.Must(processors.NewDynamoDB(processors.Config{})), entry(processors.DynamoDBHandler), processors.DynamoDBHandler, nopDynamoDB)
	benchAdapter(b, ctx, "kafka", kafkaBenchEvent(n), core.PartialProcessor[events.KafkaRecord](core.Must(processors.NewKafka(processors.Config{}))), entry(processors.KafkaHandler), processors.KafkaHandler, nopKafka)
}

func benchAdapter[R any](b *testing.B, ctx context.Context, name string, data []byte, p core.PartialProcessor[R],
	raw func(context.Context, core.PartialProcessor[R], []byte, core.Handler[R]) (core.Response, error),
	adapter func(core.PartialProcessor[R], core.Handler[R]) core.LambdaHandler[core.Response],
	h core.Handler[R]) {
	run := func(b *testing.B, f func() error) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if err := f(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run(name+"/raw", func(b *testing.B) {
		run(b, func() error { _, err := raw(ctx, p, data, h); return err })
	})
	fn := adapter(p, h)
	b.Run(name+"/adapter", func(b *testing.B) {
		run(b, func() error { _, err := fn(ctx, data); return err })
	})
	lh := lambda.NewHandler(fn)
	b.Run(name+"/lambda", func(b *testing.B) {
		run(b, func() error { _, err := lh.Invoke(ctx, data); return err })
	})
	var plain func(context.Context, json.RawMessage) (core.Response, error) = fn
	lp := lambda.NewHandler(plain)
	b.Run(name+"/lambda-reflect", func(b *testing.B) {
		run(b, func() error { _, err := lp.Invoke(ctx, data); return err })
	})
}
