package driver_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/driver"
	"github.com/batchkit/batchkit/internal/testenv"
)

// snsTopicToQueue creates an SNS topic on fauxqs and a queue subscribed to
// it with raw message delivery, and returns the topic's ARN and the
// queue's URL.
func snsTopicToQueue(t *testing.T) (*sns.Client, string, string) {
	t.Helper()
	endpoint := testenv.Endpoint(t, "BATCHKIT_SQS_ENDPOINT", "fauxqs")
	sc, qc := driver.NewSNSClient(endpoint), sqsClient(t)
	ctx := context.Background()
	out, err := sc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name("on-failure-topic"))})
	require.NoError(t, err)
	arn := aws.ToString(out.TopicArn)
	t.Cleanup(func() { _, _ = sc.DeleteTopic(context.Background(), &sns.DeleteTopicInput{TopicArn: aws.String(arn)}) })
	url, qarn := createQueue(t, qc, name("topic-subscriber"), nil)
	_, err = sc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("sqs"), Endpoint: aws.String(qarn),
		Attributes: map[string]string{"RawMessageDelivery": "true"}})
	require.NoError(t, err)
	return sc, arn, url
}

// s3Bucket creates a bucket on fauxqs and returns the client and its name.
func s3Bucket(t *testing.T) (*s3.Client, string) {
	t.Helper()
	c := driver.NewS3Client(testenv.Endpoint(t, "BATCHKIT_SQS_ENDPOINT", "fauxqs"))
	b := strings.ToLower(name("on-failure-bucket"))
	_, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(b)})
	require.NoError(t, err)
	return c, b
}

// s3Objects returns the bucket's objects, by key.
func s3Objects(t *testing.T, c *s3.Client, bucket string) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	require.NoError(t, err)
	objs := map[string][]byte{}
	for _, o := range out.Contents {
		g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: o.Key})
		require.NoError(t, err)
		b, err := io.ReadAll(g.Body)
		require.NoError(t, err)
		g.Body.Close()
		objs[aws.ToString(o.Key)] = b
	}
	return objs
}

// s3KeyLayout is Lambda's key of an on-failure object:
// aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<UUID>.
var s3KeyLayout = regexp.MustCompile(`^aws/lambda/[0-9a-f-]{36}/([^/]+)/\d{4}/\d{2}/\d{2}/\d{4}-\d{2}-\d{2}T\d{2}\.\d{2}\.\d{2}-[0-9a-f-]{36}$`)

// A Kinesis batch whose retries ran out goes to an SNS topic (the SQS
// record, published) and to an S3 bucket (the record with the whole event
// as "payload", under Lambda's key layout), through the one Destination
// abstraction.
func TestKinesisOnFailureSNSAndS3(t *testing.T) {
	t.Parallel()
	kc := driver.NewKinesisClient(testenvKinesis(t))
	qc := sqsClient(t)
	_, topicARN, subscriber := snsTopicToQueue(t)
	sc, bucket := s3Bucket(t)
	for _, tc := range []struct {
		name string
		dest driver.Destination
	}{
		{"SNS", &driver.SNSDestination{Client: driver.NewSNSClient(testenv.Endpoint(t, "BATCHKIT_SQS_ENDPOINT", "fauxqs")), TopicARN: topicARN}},
		{"S3", &driver.S3Destination{Client: sc, Bucket: bucket, MappingUUID: "11111111-2222-4333-8444-555555555555"}},
	} {
		stream := name("dest-" + strings.ToLower(tc.name))
		createStream(t, kc, stream, 1)
		putRecords(t, kc, stream, []string{"poison"}, []string{"k"})
		zero := 0
		d := &driver.Kinesis{Client: kc, StreamName: stream, StartingPosition: driver.TrimHorizon, StreamSettings: driver.StreamSettings{
			MaximumRetryAttempts: &zero, OnFailure: tc.dest,
		}}
		rec := &recorder{}
		_, err := driver.Drain(context.Background(), d, rec.wholeBatch(), 2)
		require.NoError(t, err, tc.name)
		require.Equal(t, 1, d.Stats().OnFailure, tc.name)
	}

	recs := onFailureRecords(t, qc, subscriber)
	require.Len(t, recs, 1, "the SNS topic got one invocation record")
	require.Equal(t, "RetryAttemptsExhausted", recs[0]["requestContext"].(map[string]any)["condition"])
	require.Contains(t, recs[0], "KinesisBatchInfo")
	require.NotContains(t, recs[0], "payload", "SNS gets the metadata only")

	objs := s3Objects(t, sc, bucket)
	require.Len(t, objs, 1)
	for key, body := range objs {
		m := s3KeyLayout.FindStringSubmatch(key)
		require.NotNil(t, m, "key %s", key)
		require.True(t, strings.HasPrefix(key, "aws/lambda/11111111-2222-4333-8444-555555555555/shardId-"), key)
		var doc map[string]any
		require.NoError(t, json.Unmarshal(body, &doc))
		info := doc["KinesisBatchInfo"].(map[string]any)
		require.Equal(t, m[1], info["shardId"])
		payload, ok := doc["payload"].(string)
		require.True(t, ok, "the payload is the event as a JSON string")
		var ev events.KinesisEvent
		require.NoError(t, json.Unmarshal([]byte(payload), &ev))
		require.Len(t, ev.Records, 1)
		require.Equal(t, "poison", string(ev.Records[0].Kinesis.Data))
		require.Equal(t, info["startSequenceNumber"], ev.Records[0].Kinesis.SequenceNumber)
	}
}

// A Kafka mapping's discarded records go to a Kafka topic on the same
// cluster: each record itself, with its key, and the failure metadata and
// the record as a one-record event ("payload"); to an SNS topic and an S3
// bucket as for streams.
func TestKafkaOnFailureDestinations(t *testing.T) {
	t.Parallel()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "orders", "orders-dlt"))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	brokers := c.ListenAddrs()
	produce(t, brokers,
		&kgo.Record{Topic: "orders", Partition: 0, Key: []byte("k1"), Value: []byte("ok-1")},
		&kgo.Record{Topic: "orders", Partition: 0, Key: []byte("k2"), Value: []byte("poison"), Headers: []kgo.RecordHeader{{Key: "h", Value: []byte("v")}}},
		&kgo.Record{Topic: "orders", Partition: 1, Value: []byte("ok-2")})
	fn := driver.Handler(func(_ context.Context, e events.KafkaEvent) (core.Response, error) {
		for _, recs := range e.Records {
			for _, r := range recs {
				if v, _ := base64.StdEncoding.DecodeString(r.Value); string(v) == "poison" {
					return core.Response{}, errors.New("poison")
				}
			}
		}
		return core.Response{}, nil
	})

	_, topicARN, subscriber := snsTopicToQueue(t)
	sc, bucket := s3Bucket(t)
	for i, dest := range []driver.Destination{
		&driver.KafkaTopicDestination{Topic: "orders-dlt"},
		&driver.SNSDestination{Client: driver.NewSNSClient(testenv.Endpoint(t, "BATCHKIT_SQS_ENDPOINT", "fauxqs")), TopicARN: topicARN},
		&driver.S3Destination{Client: sc, Bucket: bucket},
	} {
		k := kafkaMapping(t, brokers, "orders")
		k.ConsumerGroupID = name("dest")
		k.MaximumRetryAttempts = 0
		k.BisectBatchOnFunctionError = true
		k.OnFailure = dest
		drainKafka(t, k, fn)
		require.Equal(t, 1, k.Stats().Discarded, "destination %d", i)
		require.Equal(t, 2, k.Stats().Succeeded, "destination %d", i)
	}

	// The Kafka topic: the record itself with the failure metadata.
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics("orders-dlt"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []*kgo.Record
	for len(got) == 0 && ctx.Err() == nil {
		got = append(got, cl.PollFetches(ctx).Records()...)
	}
	require.Len(t, got, 1)
	require.Equal(t, "k2", string(got[0].Key), "the destination record keeps the original key")
	var doc driver.KafkaFailedRecord
	require.NoError(t, json.Unmarshal(got[0].Value, &doc))
	require.Equal(t, driver.KafkaRetryAttemptsExhausted, doc.RequestContext.Condition)
	require.Equal(t, 1, doc.KafkaBatchInfo.BatchSize)
	require.Equal(t, "1", doc.KafkaBatchInfo.RecordInfo.Offset)
	require.Equal(t, len(doc.Payload), doc.KafkaBatchInfo.PayloadSize)
	var ev events.KafkaEvent
	require.NoError(t, json.Unmarshal(doc.Payload, &ev))
	require.Len(t, ev.Records["orders-0"], 1)
	r := ev.Records["orders-0"][0]
	require.Equal(t, base64.StdEncoding.EncodeToString([]byte("poison")), r.Value)
	require.Equal(t, int64(1), r.Offset)
	require.Len(t, r.Headers, 1)

	// SNS: the invocation record.
	recs := onFailureRecords(t, sqsClient(t), subscriber)
	require.Len(t, recs, 1)
	require.Contains(t, recs[0], "KafkaBatchInfo")
	require.NotContains(t, recs[0], "payload")

	// S3: the invocation record and the event, keyed by the partition.
	objs := s3Objects(t, sc, bucket)
	require.Len(t, objs, 1)
	for key, body := range objs {
		m := s3KeyLayout.FindStringSubmatch(key)
		require.NotNil(t, m, key)
		require.Equal(t, "orders-0", m[1])
		var doc map[string]any
		require.NoError(t, json.Unmarshal(body, &doc))
		require.Contains(t, doc["payload"].(string), base64.StdEncoding.EncodeToString([]byte("poison")))
	}
}

// Lambda refuses a Kafka topic destination that is a source topic, or that
// is not on the mapping's cluster, when the mapping is created; and a
// kafka:// destination on a stream.
func TestKafkaTopicDestinationRefused(t *testing.T) {
	t.Parallel()
	brokers := kafkaCluster(t, "orders", 1)
	k := kafkaMapping(t, brokers, "orders")
	k.OnFailure = &driver.KafkaTopicDestination{Topic: "orders"}
	require.ErrorIs(t, k.Validate(), driver.ErrInvalidKafkaConfig)

	k = kafkaMapping(t, brokers, "orders")
	k.OnFailure = &driver.KafkaTopicDestination{Topic: "elsewhere"}
	_, err := k.Poll(context.Background(), driver.FunctionFunc(func(context.Context, []byte) ([]byte, error) { return nil, nil }))
	require.ErrorIs(t, err, driver.ErrInvalidKafkaConfig)
	require.ErrorContains(t, err, "same cluster")

	for _, tc := range []struct{ event, want string }{
		{"{Type: SelfManagedKafka, Properties: {KafkaBootstrapServers: [b:9092], Topics: [orders], DestinationConfig: {OnFailure: {Destination: 'kafka://orders'}}}}", "source topic"},
		{"{Type: Kinesis, Properties: {Stream: !GetAtt S.Arn, StartingPosition: LATEST, DestinationConfig: {OnFailure: {Destination: 'kafka://dlt'}}}}", "Kafka (MSK, SelfManagedKafka) event source mappings only"},
	} {
		tpl, err := driver.ParseTemplate([]byte(`
Resources:
  S: {Type: AWS::Kinesis::Stream}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        E: ` + tc.event + `
`))
		require.NoError(t, err)
		_, _, err = tpl.Mappings("")
		require.ErrorIs(t, err, driver.ErrTemplate)
		require.ErrorContains(t, err, tc.want)
	}
}

// A template's on-failure destination may be an SNS topic or an S3 bucket
// of the template: -create creates it, the mapping sends to it, and the
// report names it by its logical ID.
func TestTemplateOnFailureSNSAndS3(t *testing.T) {
	t.Parallel()
	endpoint := testenv.Endpoint(t, "BATCHKIT_SQS_ENDPOINT", "fauxqs")
	kc := driver.NewKinesisClient(testenvKinesis(t))
	for _, dest := range []string{"FailedTopic", "FailedBucket"} {
		ref := map[string]string{"FailedTopic": "!Ref FailedTopic", "FailedBucket": "!GetAtt FailedBucket.Arn"}[dest]
		tpl, err := driver.ParseTemplate([]byte(`
Resources:
  Stream: {Type: AWS::Kinesis::Stream, Properties: {ShardCount: 1}}
  FailedTopic: {Type: AWS::SNS::Topic}
  FailedBucket: {Type: AWS::S3::Bucket}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        E:
          Type: Kinesis
          Properties:
            Stream: !GetAtt Stream.Arn
            StartingPosition: TRIM_HORIZON
            MaximumRetryAttempts: 0
            DestinationConfig: {OnFailure: {Destination: ` + ref + `}}
`))
		require.NoError(t, err)
		maps, _, err := tpl.Mappings("")
		require.NoError(t, err)
		require.Equal(t, dest, maps[0].OnFailure)
		prefix := strings.ToLower(name("tpl")) + "-"
		env := &driver.Env{Create: true, Prefix: prefix, SQS: sqsClient(t), Kinesis: kc, SNS: driver.NewSNSClient(endpoint), S3: driver.NewS3Client(endpoint)}
		o, err := maps[0].Open(context.Background(), tpl, env)
		require.NoError(t, err)
		putRecords(t, kc, o.SourceName, []string{"poison"}, []string{"k"})
		reports, err := driver.Run(context.Background(), []*driver.OpenMapping{o}, (&recorder{}).wholeBatch(), driver.RunOptions{Idle: 2})
		require.NoError(t, err)
		require.Equal(t, 1, reports[0].OnFailure)
		require.Equal(t, dest, reports[0].OnFailureDestination)
		if dest == "FailedBucket" {
			require.Len(t, s3Objects(t, env.S3, prefix+"failedbucket"), 1)
		} else {
			attrs, err := env.SNS.GetTopicAttributes(context.Background(), &sns.GetTopicAttributesInput{TopicArn: aws.String(o.OnFailureURL)})
			require.NoError(t, err)
			require.NotEmpty(t, attrs.Attributes)
		}
	}
}
