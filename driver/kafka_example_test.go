package driver_test

import (
	"context"
	"encoding/base64"
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
	processor := processors.NewKafka()
	handler := func(ctx context.Context, e events.KafkaEvent) (processors.KafkaEventResponse, error) {
		resp, err := processors.ProcessKafka(ctx, processor, e, core.Func(func(_ context.Context, r *events.KafkaRecord) error {
			v, _ := base64.StdEncoding.DecodeString(r.Value)
			if string(v) == "bad" && !failedOnce {
				failedOnce = true
				return fmt.Errorf("cannot handle %s yet", v)
			}
			return nil
		}))
		return processors.KafkaResponse(resp), err
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
