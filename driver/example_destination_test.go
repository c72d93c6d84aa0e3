package driver_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/batchkit/batchkit/driver"
)

// Streams and Kafka mappings send their discarded batches to any
// Destination: an SQS queue or an SNS topic gets the invocation record, an
// S3 bucket the record with the whole event under Lambda's key layout
// (fauxqs serves all three locally).
func ExampleS3Destination() {
	endpoint := os.Getenv("BATCHKIT_SQS_ENDPOINT") // fauxqs
	if endpoint == "" {
		return
	}
	zero := 0
	mapping := &driver.Kinesis{
		Client:     driver.NewKinesisClient(os.Getenv("BATCHKIT_KINESIS_ENDPOINT")),
		StreamName: "orders",
		StreamSettings: driver.StreamSettings{
			MaximumRetryAttempts: &zero,
			OnFailure:            &driver.S3Destination{Client: driver.NewS3Client(endpoint), Bucket: "failed-batches"},
		},
	}
	_, _ = driver.Drain(context.Background(), mapping, driver.FunctionFunc(func(context.Context, []byte) ([]byte, error) {
		return nil, &driver.FunctionError{Type: "Error", Message: "fails"}
	}), 2)
}

// The key of an S3 on-failure object, as Lambda documents it.
func ExampleS3FailureKey() {
	at := time.Date(2026, 12, 7, 3, 4, 5, 0, time.UTC)
	fmt.Println(driver.S3FailureKey("11111111-2222-4333-8444-555555555555", "shardId-000000000000", at, "6f1c2d3e-0000-4000-8000-000000000000"))
	// Output:
	// aws/lambda/11111111-2222-4333-8444-555555555555/shardId-000000000000/2026/12/07/2026-12-07T03.04.05-6f1c2d3e-0000-4000-8000-000000000000
}

// The function under as many emulator instances as invocations run at once
// (one per Kafka partition, per ParallelizationFactor lane, up to
// MaximumConcurrency), as Lambda runs one execution environment per
// concurrent invocation.
func ExampleStartEmulatorPool() {
	ctx := context.Background()
	pool, err := driver.StartEmulatorPool(ctx, driver.EmulatorConfig{RIE: "aws-lambda-rie", Bootstrap: "dist/bootstrap"}, 0)
	if err != nil {
		return // no emulator or bootstrap here
	}
	defer pool.Close()
	mapping := driver.NewKafka([]string{"127.0.0.1:9092"}, "orders")
	defer mapping.Close()
	_, _ = driver.Drain(ctx, mapping, pool, 3)
	fmt.Println("instances:", pool.Started())
}
