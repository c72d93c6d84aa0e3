package driver_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/driver"
	"github.com/batchkit/batchkit/driver/filter"
	"github.com/batchkit/batchkit/processors"
)

// A Kafka event source mapping fed from an in-process Kafka cluster (kfake;
// any brokers work): the handler fails the record "bad" once, and the
// mapping resumes its partition from it, as Lambda does. The filter keeps
// the record "skip" from the function.
func ExampleKafka() {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "orders"))
	if err != nil {
		panic(err)
	}
	defer cluster.Close()
	producer, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	for _, v := range []string{"ok-1", "skip", "bad", "ok-2"} {
		if err := producer.ProduceSync(ctx, &kgo.Record{Topic: "orders", Value: []byte(v)}).FirstErr(); err != nil {
			panic(err)
		}
	}
	producer.Close()

	failedOnce := false
	processor := core.Must(processors.NewKafka(processors.Config{}))
	handler := func(ctx context.Context, e events.KafkaEvent) (core.Response, error) {
		resp, err := processors.ProcessKafka(ctx, processor, e, func(_ context.Context, r *events.KafkaRecord) error {
			v, _ := base64.StdEncoding.DecodeString(r.Value)
			if string(v) == "bad" && !failedOnce {
				failedOnce = true
				return fmt.Errorf("cannot handle %s yet", v)
			}
			return nil
		})
		return resp, err
	}

	mapping := driver.NewKafka(cluster.ListenAddrs(), "orders")
	mapping.MaximumBatchingWindow = 100 * time.Millisecond
	mapping.ReportBatchItemFailures = true // FunctionResponseTypes: [ReportBatchItemFailures]
	mapping.Filter = filter.MustNew(`{"value": [{"anything-but": "skip"}]}`)
	defer mapping.Close()
	batches, err := driver.Drain(ctx, mapping, driver.Handler(handler), 2)
	if err != nil {
		panic(err)
	}
	for _, b := range batches {
		fmt.Println(b.IDs, "failed:", b.Failed)
	}
	fmt.Println("committed:", mapping.Committed(), "filtered:", mapping.Stats().Filtered)
	// Output:
	// [orders-0@0 orders-0@2 orders-0@3] failed: [orders-0@2]
	// [orders-0@2 orders-0@3] failed: []
	// committed: map[orders-0:4] filtered: 1
}

// A Kafka mapping whose on-failure destination is a Kafka topic on the same
// cluster (DestinationConfig.OnFailure.Destination "kafka://orders-dlt"):
// the record the function keeps failing is written there itself, with its
// key and the failure metadata.
func ExampleKafkaTopicDestination() {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "orders", "orders-dlt"))
	if err != nil {
		panic(err)
	}
	defer cluster.Close()
	client, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...), kgo.ConsumeTopics("orders-dlt"))
	if err != nil {
		panic(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := client.ProduceSync(ctx, &kgo.Record{Topic: "orders", Key: []byte("order-7"), Value: []byte("bad")}).FirstErr(); err != nil {
		panic(err)
	}

	mapping := driver.NewKafka(cluster.ListenAddrs(), "orders")
	mapping.MaximumRetryAttempts = 1
	mapping.OnFailure = &driver.KafkaTopicDestination{Topic: "orders-dlt"}
	defer mapping.Close()
	failing := driver.FunctionFunc(func(context.Context, []byte) ([]byte, error) {
		return nil, &driver.FunctionError{Type: "Error", Message: "cannot process"}
	})
	if _, err := driver.Drain(ctx, mapping, failing, 2); err != nil {
		panic(err)
	}

	var recs []*kgo.Record
	for len(recs) == 0 {
		recs = client.PollFetches(ctx).Records()
	}
	var doc driver.KafkaFailedRecord
	if err := json.Unmarshal(recs[0].Value, &doc); err != nil {
		panic(err)
	}
	var event events.KafkaEvent
	_ = json.Unmarshal(doc.Payload, &event)
	value, _ := base64.StdEncoding.DecodeString(event.Records["orders-0"][0].Value)
	fmt.Println(string(recs[0].Key), doc.RequestContext.Condition, doc.RequestContext.ApproximateInvokeCount, doc.KafkaBatchInfo.RecordInfo.Offset, string(value))
	// Output:
	// order-7 RetryAttemptsExhausted 2 0 bad
}
