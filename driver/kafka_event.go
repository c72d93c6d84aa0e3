package driver

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The eventSource values of Kafka events.
const (
	// KafkaSourceMSK is the eventSource of Amazon MSK events.
	KafkaSourceMSK = "aws:kafka"
	// KafkaSourceSelfManaged is the eventSource of self-managed Apache Kafka
	// events; they have no eventSourceArn.
	KafkaSourceSelfManaged = "SelfManagedKafka"
)

// kafkaEvent is Lambda's Kafka event. It is events.KafkaEvent with
// eventSourceArn left out when empty, as for self-managed Kafka.
type kafkaEvent struct {
	EventSource      string                          `json:"eventSource"`
	EventSourceARN   string                          `json:"eventSourceArn,omitempty"`
	BootstrapServers string                          `json:"bootstrapServers"`
	Records          map[string][]events.KafkaRecord `json:"records"`
}

// kafkaTopicPartition names a partition the way Lambda's event and response
// do: "<topic>-<partition>".
func kafkaTopicPartition(topic string, partition int32) string {
	return topic + "-" + strconv.FormatInt(int64(partition), 10)
}

// kafkaRecordID is a record's identifier in a [Batch]: the topic-partition
// and the offset, "<topic>-<partition>@<offset>".
func kafkaRecordID(r *kgo.Record) string {
	return kafkaTopicPartition(r.Topic, r.Partition) + "@" + strconv.FormatInt(r.Offset, 10)
}

// kafkaLambdaRecord converts a record read from Kafka to Lambda's form:
// base64 key and value (left out when null), the timestamp in milliseconds
// with its type, and each header as {"name": [signed bytes]}.
func kafkaLambdaRecord(r *kgo.Record) events.KafkaRecord {
	out := events.KafkaRecord{
		Topic:         r.Topic,
		Partition:     int64(r.Partition),
		Offset:        r.Offset,
		Timestamp:     events.MilliSecondsEpochTime{Time: r.Timestamp},
		TimestampType: "CREATE_TIME",
		Headers:       make([]map[string]events.JSONNumberBytes, 0, len(r.Headers)),
	}
	if r.Attrs.TimestampType() == 1 {
		out.TimestampType = "LOG_APPEND_TIME"
	}
	if r.Key != nil {
		out.Key = base64.StdEncoding.EncodeToString(r.Key)
	}
	if r.Value != nil {
		out.Value = base64.StdEncoding.EncodeToString(r.Value)
	}
	for _, h := range r.Headers {
		out.Headers = append(out.Headers, map[string]events.JSONNumberBytes{h.Key: events.JSONNumberBytes(h.Value)})
	}
	return out
}

// buildKafkaEvent builds the event for records, grouped by topic-partition in
// the order they were read.
func buildKafkaEvent(source, arn, servers string, recs []*kgo.Record) ([]byte, error) {
	e := kafkaEvent{EventSource: source, EventSourceARN: arn, BootstrapServers: servers, Records: map[string][]events.KafkaRecord{}}
	if source == KafkaSourceSelfManaged {
		e.EventSourceARN = ""
	}
	for _, r := range recs {
		tp := kafkaTopicPartition(r.Topic, r.Partition)
		e.Records[tp] = append(e.Records[tp], kafkaLambdaRecord(r))
	}
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("batchkit/driver: encode the Kafka event: %w", err)
	}
	return b, nil
}

// kafkaRecordSize is the bytes a record adds to the event, to keep the event
// under the invocation payload limit.
func kafkaRecordSize(r *kgo.Record) int {
	b, err := json.Marshal(kafkaLambdaRecord(r))
	if err != nil {
		return 0
	}
	return len(b) + len(r.Topic) + 16 // the "<topic>-<partition>": [ ... ] around it
}

// ParseKafkaResponse applies Lambda's rules for a Kafka function with
// ReportBatchItemFailures to its response, given the identifiers of the
// batch's records as "<topic>-<partition>@<offset>". It returns, for each
// reported partition, the lowest reported offset, as identifiers in that same
// form, sorted.
//
// An empty or null response, an object without batchItemFailures, or with a
// null or empty list, means the whole batch succeeded. The whole batch fails,
// with an [*InvalidResponseError], when the response is not a JSON object,
// batchItemFailures is not a list, or an entry's itemIdentifier is not an
// object {"partition": "<topic>-<partition>", "offset": N} naming a record of
// the batch (a string identifier, an empty partition, a missing or
// non-integer offset, an offset or partition not in the batch).
func ParseKafkaResponse(response []byte, ids []string) ([]string, error) {
	invalid := func(format string, args ...any) error { return invalidResponse(response, format, args...) }
	entries, err := failureEntries(response)
	if err != nil || len(entries) == 0 {
		return nil, err
	}
	known := make(map[string]bool, len(ids))
	for _, id := range ids {
		known[id] = true
	}
	low := map[string]int64{}
	for i, e := range entries {
		var entry map[string]json.RawMessage
		if err := json.Unmarshal(e, &entry); err != nil || entry == nil {
			return nil, invalid("batchItemFailures[%d] is not an object", i)
		}
		rawID, ok := entry["itemIdentifier"]
		if !ok {
			return nil, invalid("batchItemFailures[%d] has no itemIdentifier", i)
		}
		var id map[string]json.RawMessage
		if err := json.Unmarshal(rawID, &id); err != nil || id == nil {
			return nil, invalid("batchItemFailures[%d].itemIdentifier is not an object {\"partition\": \"<topic>-<partition>\", \"offset\": N}", i)
		}
		var partition string
		if err := json.Unmarshal(id["partition"], &partition); err != nil || partition == "" {
			return nil, invalid("batchItemFailures[%d].itemIdentifier.partition is missing, empty or not a string", i)
		}
		var offset int64
		if err := json.Unmarshal(id["offset"], &offset); err != nil || id["offset"] == nil || string(id["offset"]) == "null" {
			return nil, invalid("batchItemFailures[%d].itemIdentifier.offset is missing or not an integer", i)
		}
		key := partition + "@" + strconv.FormatInt(offset, 10)
		if !known[key] {
			return nil, invalid("batchItemFailures[%d].itemIdentifier %s is not a record of the batch", i, key)
		}
		if cur, ok := low[partition]; !ok || offset < cur {
			low[partition] = offset
		}
	}
	if len(low) == 0 {
		return nil, nil
	}
	failed := make([]string, 0, len(low))
	for p, o := range low {
		failed = append(failed, p+"@"+strconv.FormatInt(o, 10))
	}
	sort.Strings(failed)
	return failed, nil
}
