package driver_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/driver"
)

// End to end with a real SQS server (fauxqs) as the on-failure destination:
// the poison record's invocation record lands in the queue, Lambda's shape,
// and every other record succeeds once, in order per partition.
func TestKafkaOnFailureSQSQueue(t *testing.T) {
	client := sqsClient(t)
	url, _ := createQueue(t, client, name("kafka-onfailure"), nil)
	brokers := kafkaCluster(t, "orders", 2)
	produce(t, brokers, valueRecords("orders", 0, "a0", "a1", "poison", "a3")...)
	produce(t, brokers, valueRecords("orders", 1, "b0", "b1", "b2")...)

	log := newKafkaLog(func(v string, _ int) bool { return v == "poison" })
	k := kafkaMapping(t, brokers, "orders")
	k.MaximumRetryAttempts = 2
	k.BisectBatchOnFunctionError = true
	k.OnFailure = &driver.SQSDestination{Client: client, QueueURL: url}
	batches := drainKafka(t, k, log.function())

	// The first batch reports orders-0@2; its retry [2, 3] fails as a whole
	// (batchkit raises when every record fails) and is bisected; 3 then
	// succeeds and 2 uses its retries.
	// Each partition is its own batch (one invocation per partition).
	ids := partitionBatches(batches)
	require.Equal(t, [][]string{{"orders-1@0", "orders-1@1", "orders-1@2"}}, ids["orders-1"])
	require.Equal(t, [][]string{
		{"orders-0@0", "orders-0@1", "orders-0@2", "orders-0@3"},
		{"orders-0@2", "orders-0@3"},
		{"orders-0@2"},
		{"orders-0@2"},
		{"orders-0@3"},
	}, ids["orders-0"])
	require.Equal(t, []int64{0, 1, 3}, log.succeeded["orders-0"])
	require.Equal(t, []int64{0, 1, 2}, log.succeeded["orders-1"])
	require.Equal(t, map[string]int64{"orders-0": 4, "orders-1": 3}, k.Committed())

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	require.NoError(t, err)
	require.Len(t, out.Messages, 1)
	var rec driver.KafkaInvocationRecord
	require.NoError(t, json.Unmarshal([]byte(aws.ToString(out.Messages[0].Body)), &rec))
	require.Equal(t, driver.KafkaRetryAttemptsExhausted, rec.RequestContext.Condition)
	require.Equal(t, 4, rec.RequestContext.ApproximateInvokeCount, "every invocation that held it")
	require.Equal(t, "Unhandled", rec.ResponseContext.FunctionError)
	require.Equal(t, 1, rec.KafkaBatchInfo.BatchSize)
	require.Equal(t, "2", rec.KafkaBatchInfo.RecordsInfo["orders-0"].FirstRecordOffset)
	require.Equal(t, "2", rec.KafkaBatchInfo.RecordsInfo["orders-0"].LastRecordOffset)
	require.NotContains(t, rec.KafkaBatchInfo.RecordsInfo, "orders-1")
}
