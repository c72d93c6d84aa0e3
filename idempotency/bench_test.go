package idempotency_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/idempotency"
	"github.com/batchkit/batchkit/processors"
)

// The cost per record on DynamoDB Local, against the floor: one bare
// conditional PutItem per record. Run with DynamoDB Local started:
//
//	go test -run '^$' -bench . -benchtime 2000x ./idempotency
//
// ns/record is the wall time per record (sequential, one connection).

func nop(context.Context, *events.SQSMessage) error { return nil }

// BenchmarkConditionalPutItem: one conditional PutItem of a new key.
func BenchmarkConditionalPutItem(b *testing.B) {
	client := newClient(endpoint(b), 0)
	table := createTable(b, client)
	i := 0
	for b.Loop() {
		i++
		_, err := client.PutItem(context.Background(), &dynamodb.PutItemInput{
			TableName: aws.String(table),
			Item: map[string]types.AttributeValue{
				"id":     &types.AttributeValueMemberS{Value: "k" + strconv.Itoa(i)},
				"status": &types.AttributeValueMemberS{Value: "IN_PROGRESS"},
			},
			ConditionExpression: aws.String("attribute_not_exists(id)"),
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/record")
}

// BenchmarkHandler: a new key through the handler wrapper (claim, handler,
// completion: two round trips).
func BenchmarkHandler(b *testing.B) {
	s, _, _ := dynamoStore(b)
	h, err := idempotency.Handler(idempotency.Config[events.SQSMessage]{Store: s, Key: bodyKey}, nop)
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		i++
		m := events.SQSMessage{Body: "k" + strconv.Itoa(i)}
		if err := h(context.Background(), &m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/record")
}

// BenchmarkHandlerDuplicate: a completed key through the handler wrapper
// (one conditional PutItem that fails and returns the item).
func BenchmarkHandlerDuplicate(b *testing.B) {
	s, _, _ := dynamoStore(b)
	h, err := idempotency.Handler(idempotency.Config[events.SQSMessage]{Store: s, Key: bodyKey}, nop)
	if err != nil {
		b.Fatal(err)
	}
	m := events.SQSMessage{Body: "dup"}
	if err := h(context.Background(), &m); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := h(context.Background(), &m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/record")
}

// BenchmarkProcessor10: batches of 10 new keys through the processor
// wrapper (one TransactWriteItems for the batch, one completion per
// record). b.N counts records.
func BenchmarkProcessor10(b *testing.B) {
	s, _, _ := dynamoStore(b)
	p, err := idempotency.New(core.Must(processors.NewSQS(processors.Config{})),
		idempotency.Config[events.SQSMessage]{Store: s, Key: bodyKey, InProgressExpiry: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	const size = 10
	bodies := make([]string, size)
	i := 0
	n := 0
	for b.Loop() {
		if n%size == 0 {
			for j := range bodies {
				i++
				bodies[j] = "k" + strconv.Itoa(i)
			}
			ev := batchtest.SQSEvent(bodies...)
			resp, err := core.Process(context.Background(), p, ev.Records, nop)
			if err != nil || len(resp.BatchItemFailures) > 0 {
				b.Fatal(err, resp)
			}
		}
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/record")
}

// BenchmarkPaired measures the contenders in alternation, each iteration
// one bare conditional PutItem, one new key through the handler wrapper,
// one duplicate through it, and a tenth of a 10-record batch through the
// processor wrapper, so that every ratio sees the same machine (DynamoDB
// Local shares the cores). Metrics: ns per record of each, and the
// wrappers' cost as a multiple of the bare PutItem.
func BenchmarkPaired(b *testing.B) {
	client := newClient(endpoint(b), 0)
	table := createTable(b, client)
	s, err := idempotency.NewDynamoDBStore(idempotency.DynamoDBConfig{Client: client, Table: table})
	if err != nil {
		b.Fatal(err)
	}
	cfg := idempotency.Config[events.SQSMessage]{Store: s, Key: bodyKey}
	h, err := idempotency.Handler(cfg, nop)
	if err != nil {
		b.Fatal(err)
	}
	p, err := idempotency.New(core.Must(processors.NewSQS(processors.Config{})), cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	dup := events.SQSMessage{Body: "dup"}
	if err := h(ctx, &dup); err != nil {
		b.Fatal(err)
	}
	var put, handler, duplicate, processor time.Duration
	const size = 10
	bodies := make([]string, size)
	i := 0
	for b.Loop() {
		i++
		t0 := time.Now()
		_, err := client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(table),
			Item: map[string]types.AttributeValue{
				"id":     &types.AttributeValueMemberS{Value: "bare" + strconv.Itoa(i)},
				"status": &types.AttributeValueMemberS{Value: "IN_PROGRESS"},
			},
			ConditionExpression: aws.String("attribute_not_exists(id)"),
		})
		t1 := time.Now()
		m := events.SQSMessage{Body: "h" + strconv.Itoa(i)}
		err = errors.Join(err, h(ctx, &m))
		t2 := time.Now()
		err = errors.Join(err, h(ctx, &dup))
		t3 := time.Now()
		put, handler, duplicate = put+t1.Sub(t0), handler+t2.Sub(t1), duplicate+t3.Sub(t2)
		if i%size == 0 {
			for j := range bodies {
				bodies[j] = "p" + strconv.Itoa(i) + "-" + strconv.Itoa(j)
			}
			ev := batchtest.SQSEvent(bodies...)
			t4 := time.Now()
			_, perr := core.Process(ctx, p, ev.Records, nop)
			processor += time.Since(t4)
			err = errors.Join(err, perr)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	n := float64(b.N)
	batches := float64(b.N / size * size)
	b.ReportMetric(float64(put.Nanoseconds())/n, "put-ns/record")
	b.ReportMetric(float64(handler.Nanoseconds())/n, "handler-ns/record")
	b.ReportMetric(float64(duplicate.Nanoseconds())/n, "duplicate-ns/record")
	if batches > 0 {
		b.ReportMetric(float64(processor.Nanoseconds())/batches, "processor10-ns/record")
		b.ReportMetric(float64(processor)/batches/(float64(put)/n), "processor10/put")
	}
	b.ReportMetric(float64(handler)/float64(put), "handler/put")
	b.ReportMetric(float64(duplicate)/float64(put), "duplicate/put")
}
