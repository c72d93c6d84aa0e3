package batchtest

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// KafkaMessage is one record of a Kafka event: where it sits and its value.
type KafkaMessage struct {
	Topic     string
	Partition int64
	Offset    int64
	// Value is the record's value; the event carries it base64-encoded, as
	// Lambda sends it.
	Value string
}

// KafkaEvent returns a Kafka event from eventSource ("aws:kafka" for Amazon
// MSK, with a cluster ARN; "SelfManagedKafka", with bootstrap servers), its
// records grouped under "<topic>-<partition>" keys in the order given.
func KafkaEvent(eventSource string, msgs ...KafkaMessage) events.KafkaEvent {
	ev := events.KafkaEvent{EventSource: eventSource, Records: map[string][]events.KafkaRecord{}}
	switch eventSource {
	case "aws:kafka":
		ev.EventSourceARN = fmt.Sprintf("arn:aws:kafka:%s:%s:cluster/test-cluster/0f3c2b1a-aaaa-bbbb-cccc-0123456789ab-1", Region, Account)
		ev.BootstrapServers = "b-1.test-cluster.abc123.c1.kafka." + Region + ".amazonaws.com:9098"
	default:
		ev.BootstrapServers = "kafka-1.test.internal:9092,kafka-2.test.internal:9092"
	}
	for _, m := range msgs {
		key := m.Topic + "-" + strconv.FormatInt(m.Partition, 10)
		ev.Records[key] = append(ev.Records[key], events.KafkaRecord{
			Topic:         m.Topic,
			Partition:     m.Partition,
			Offset:        m.Offset,
			Timestamp:     events.MilliSecondsEpochTime{Time: time.UnixMilli(1700000000000 + m.Offset)},
			TimestampType: "CREATE_TIME",
			Value:         base64.StdEncoding.EncodeToString([]byte(m.Value)),
			Headers:       []map[string]events.JSONNumberBytes{},
		})
	}
	return ev
}
