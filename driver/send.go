package driver

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/twmb/franz-go/pkg/kgo"
)

// SendEvent puts the records of a Lambda event file (such as an example's
// event.json) on a mapping's source, in order: SQS messages with their body
// and message group (a FIFO queue's, or a fair queue's: a standard queue
// accepts a MessageGroupId too, see
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-fair-queues.html;
// a deduplication id is sent only to a FIFO queue, since a standard queue
// refuses one), Kinesis records with their data and
// partition key, DynamoDB items (Keys and NewImage) written to the table
// (REMOVE records delete). It returns the number of records put.
func SendEvent(ctx context.Context, env *Env, m *OpenMapping, path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("batchkit/driver: read the event to send: %w", err)
	}
	switch m.Type {
	case TypeSQS:
		var ev events.SQSEvent
		if err := json.Unmarshal(data, &ev); err != nil {
			return 0, fmt.Errorf("batchkit/driver: %s is not an SQS event: %w", path, err)
		}
		fifo := strings.HasSuffix(m.SourceName, ".fifo")
		for i, r := range ev.Records {
			in := &sqs.SendMessageInput{QueueUrl: aws.String(m.SourceName), MessageBody: aws.String(r.Body)}
			if g := r.Attributes["MessageGroupId"]; g != "" {
				in.MessageGroupId = aws.String(g)
				if fifo {
					in.MessageDeduplicationId = aws.String(fmt.Sprintf("%s-%d", r.MessageId, i))
				}
			}
			if _, err := env.SQS.SendMessage(ctx, in); err != nil {
				return i, fmt.Errorf("batchkit/driver: send record %d of %s: %w", i, path, err)
			}
		}
		return len(ev.Records), nil
	case TypeKinesis:
		var ev events.KinesisEvent
		if err := json.Unmarshal(data, &ev); err != nil {
			return 0, fmt.Errorf("batchkit/driver: %s is not a Kinesis event: %w", path, err)
		}
		for i, r := range ev.Records {
			if _, err := env.Kinesis.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String(m.SourceName), Data: r.Kinesis.Data, PartitionKey: aws.String(r.Kinesis.PartitionKey)}); err != nil {
				return i, fmt.Errorf("batchkit/driver: put record %d of %s: %w", i, path, err)
			}
		}
		return len(ev.Records), nil
	case TypeDynamoDB:
		var ev events.DynamoDBEvent
		if err := json.Unmarshal(data, &ev); err != nil {
			return 0, fmt.Errorf("batchkit/driver: %s is not a DynamoDB Streams event: %w", path, err)
		}
		for i, r := range ev.Records {
			keys := toItem(r.Change.Keys)
			var err error
			if r.EventName == "REMOVE" {
				_, err = env.DynamoDB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(m.SourceName), Key: keys})
			} else {
				item := toItem(r.Change.NewImage)
				for k, v := range keys {
					item[k] = v
				}
				_, err = env.DynamoDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(m.SourceName), Item: item})
			}
			if err != nil {
				return i, fmt.Errorf("batchkit/driver: write record %d of %s to table %s (its keys must match the table's key schema): %w", i, path, m.SourceName, err)
			}
		}
		return len(ev.Records), nil
	case TypeMSK, TypeSelfManagedKafka:
		k, ok := m.Poller.(*Kafka)
		if !ok {
			return 0, fmt.Errorf("batchkit/driver: %s is not open as a Kafka mapping", m.Name())
		}
		var ev events.KafkaEvent
		if err := json.Unmarshal(data, &ev); err != nil {
			return 0, fmt.Errorf("batchkit/driver: %s is not a Kafka event: %w", path, err)
		}
		return sendKafka(ctx, k.SeedBrokers, ev)
	}
	return 0, fmt.Errorf("batchkit/driver: cannot send to a %s mapping", m.Type)
}

// sendKafka produces a Kafka event's records to their topic and partition,
// in order of partition then offset, with their keys, values and headers.
func sendKafka(ctx context.Context, brokers []string, ev events.KafkaEvent) (int, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		return 0, fmt.Errorf("batchkit/driver: connect to Kafka %v: %w", brokers, err)
	}
	defer cl.Close()
	tps := make([]string, 0, len(ev.Records))
	for tp := range ev.Records {
		tps = append(tps, tp)
	}
	sort.Strings(tps)
	n := 0
	for _, tp := range tps {
		for _, r := range ev.Records[tp] {
			rec := &kgo.Record{Topic: r.Topic, Partition: int32(r.Partition)}
			if rec.Key, err = base64.StdEncoding.DecodeString(r.Key); err != nil {
				return n, fmt.Errorf("batchkit/driver: the key of %s offset %d is not base64: %w", tp, r.Offset, err)
			}
			if rec.Value, err = base64.StdEncoding.DecodeString(r.Value); err != nil {
				return n, fmt.Errorf("batchkit/driver: the value of %s offset %d is not base64: %w", tp, r.Offset, err)
			}
			for _, h := range r.Headers {
				for k, v := range h {
					rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: k, Value: []byte(v)})
				}
			}
			if err := cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
				return n, fmt.Errorf("batchkit/driver: produce record %d to %s: %w", n, tp, err)
			}
			n++
		}
	}
	return n, nil
}

// toItem converts Lambda's attribute values to the DynamoDB API's.
func toItem(img map[string]events.DynamoDBAttributeValue) map[string]ddbtypes.AttributeValue {
	out := make(map[string]ddbtypes.AttributeValue, len(img))
	for k, v := range img {
		out[k] = toAttribute(v)
	}
	return out
}

func toAttribute(v events.DynamoDBAttributeValue) ddbtypes.AttributeValue {
	switch v.DataType() {
	case events.DataTypeString:
		return &ddbtypes.AttributeValueMemberS{Value: v.String()}
	case events.DataTypeNumber:
		return &ddbtypes.AttributeValueMemberN{Value: v.Number()}
	case events.DataTypeBinary:
		return &ddbtypes.AttributeValueMemberB{Value: v.Binary()}
	case events.DataTypeBoolean:
		return &ddbtypes.AttributeValueMemberBOOL{Value: v.Boolean()}
	case events.DataTypeStringSet:
		return &ddbtypes.AttributeValueMemberSS{Value: v.StringSet()}
	case events.DataTypeNumberSet:
		return &ddbtypes.AttributeValueMemberNS{Value: v.NumberSet()}
	case events.DataTypeBinarySet:
		return &ddbtypes.AttributeValueMemberBS{Value: v.BinarySet()}
	case events.DataTypeList:
		l := v.List()
		out := make([]ddbtypes.AttributeValue, len(l))
		for i, e := range l {
			out[i] = toAttribute(e)
		}
		return &ddbtypes.AttributeValueMemberL{Value: out}
	case events.DataTypeMap:
		return &ddbtypes.AttributeValueMemberM{Value: toItem(v.Map())}
	}
	return &ddbtypes.AttributeValueMemberNULL{Value: true}
}
