// Package driver is a local event source mapping for testing Lambda functions
// that use partial batch responses: it does on your machine what Lambda's
// pollers do in AWS, so a test can feed a function from a real queue or
// stream and see Lambda's retry rules applied to what it returns.
//
// A [Poller] reads a source through aws-sdk-go-v2 at any endpoint (fauxqs,
// kinesalite, DynamoDB Local, LocalStack, or AWS itself), builds the exact
// Lambda event from what it read, invokes a [Function], and applies the
// response:
//
//   - [SQS] (standard and FIFO): receives with every system and message
//     attribute (ApproximateReceiveCount, MessageGroupId, SequenceNumber, ...),
//     deletes the messages that the response does not report, and leaves the
//     reported ones to reappear after the visibility timeout (and reach the
//     dead-letter queue after maxReceiveCount receives).
//   - [Kinesis] and [DynamoDBStreams]: read every shard (GetShardIterator,
//     GetRecords), checkpoint at the lowest reported sequence number and read
//     again from there (AT_SEQUENCE_NUMBER).
//   - For every source, a function error, a failed invocation (the process
//     died) or an invalid response (not JSON, an empty, null or unknown
//     itemIdentifier) fails the whole batch: nothing is deleted, the batch is
//     read again. [Batch.Err] then matches [ErrWholeBatchFailed].
//
// The function is a Go handler run in-process ([Handler]) or a bootstrap
// binary running under the AWS Lambda Runtime Interface Emulator
// ([Emulator], [StartEmulator]), invoked through Lambda's Invoke API. The
// emulator runs one invocation at a time; [Emulator] serializes them, and
// [EmulatorPool] starts one instance per concurrent invocation, as Lambda
// runs one execution environment per concurrent invocation.
//
// The streams take Lambda's other settings in [StreamSettings]:
// BisectBatchOnFunctionError, MaximumRetryAttempts, MaximumRecordAgeInSeconds,
// an on-failure destination (a [Destination]: [SQSDestination] and
// [SNSDestination] receive Lambda's [InvocationRecord], [S3Destination] the
// record with the event; a [Kafka] mapping also takes a
// [KafkaTopicDestination]), ParallelizationFactor, batching and tumbling windows,
// and FilterCriteria. [SQS] takes batches up to 10,000 with a batching
// window, MaximumConcurrency and filters. No event is larger than 6 MB
// ([MaxPayload]). A mapping polls when you call Poll (or [Drain], or [Run]).
//
// # The SAM template as the configuration
//
// [LoadTemplate] reads a SAM template; [Template.Mappings] returns a
// function's SQS, Kinesis, DynamoDB and Kafka events as [Mapping]s with their
// settings; [Mapping.Open] creates (or finds) their queues, streams and
// tables on the local servers ([Env]); [Run] polls them until idle and
// returns a [Report] per mapping. `batchkit-driver run -template
// template.yaml -create` does it all from a shell, building the function
// and running it under the emulator. The table of settings, what Lambda
// does with each and the test that shows it is in docs/driver.md.
//
// # A complete test
//
// Paste this into a _test.go file of your function's package; it needs fauxqs
// (`npx fauxqs`) or any SQS endpoint in SQS_ENDPOINT:
//
//	func TestOrdersFromQueue(t *testing.T) {
//		endpoint := os.Getenv("SQS_ENDPOINT")
//		if endpoint == "" {
//			t.Skip("SQS_ENDPOINT is unset")
//		}
//		ctx := context.Background()
//		client := driver.NewSQSClient(endpoint)
//		q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{
//			QueueName:  aws.String("orders-test"),
//			Attributes: map[string]string{"VisibilityTimeout": "1"},
//		})
//		require.NoError(t, err)
//		for _, body := range []string{`{"Message":"ok"}`, `not json`} {
//			_, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(body)})
//			require.NoError(t, err)
//		}
//
//		// handler is the func(context.Context, events.SQSEvent) (core.Response, error)
//		// that your main passes to lambda.Start.
//		mapping := &driver.SQS{Client: client, QueueURL: *q.QueueUrl, WaitTime: time.Second, ReportBatchItemFailures: true}
//		batches, err := mapping.Poll(ctx, driver.Handler(handler))
//		require.NoError(t, err)
//		require.Len(t, batches, 1)
//		require.NoError(t, batches[0].Err)          // the response was valid
//		require.Len(t, batches[0].Failed, 1)        // "not json" was reported...
//		require.Len(t, batches[0].Deleted, 1)       // ...and the other deleted
//	}
//
// To run the built bootstrap instead, start it under the emulator and pass the
// [EmulatorProcess] as the function:
//
//	fn, err := driver.StartEmulator(ctx, driver.EmulatorConfig{RIE: "aws-lambda-rie", Bootstrap: "dist/bootstrap"})
//	require.NoError(t, err)
//	defer fn.Close()
//	batches, err := mapping.Poll(ctx, fn)
//
// The command batchkit-driver (package driver/cmd/batchkit-driver) does the
// same from a shell.
package driver
