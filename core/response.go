package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
)

// Identifier names one record in a partial batch response.
//
// For SQS it is the message id, for Kinesis and DynamoDB Streams the sequence
// number: [Identifier.ID] is set and the identifier marshals as a JSON string.
// For Kafka it is the topic-partition and offset: [Identifier.Partition] is set
// and the identifier marshals as {"partition":"<topic>-<partition>","offset":N}.
// The zero Identifier identifies nothing; batchkit never reports it.
type Identifier struct {
	// ID is the message id (SQS) or sequence number (Kinesis, DynamoDB Streams).
	ID string
	// Partition is the Kafka topic-partition, "<topic>-<partition>".
	Partition string
	// Offset is the Kafka offset within Partition.
	Offset int64
}

// StringID returns the identifier of an SQS, Kinesis or DynamoDB Streams record.
func StringID(id string) Identifier { return Identifier{ID: id} }

// KafkaID returns the identifier of a Kafka record.
func KafkaID(topicPartition string, offset int64) Identifier {
	return Identifier{Partition: topicPartition, Offset: offset}
}

// IsKafka reports whether the identifier is a Kafka object identifier.
func (id Identifier) IsKafka() bool { return id.Partition != "" }

// Valid reports whether the identifier names a record: a non-empty ID, or a
// Kafka partition.
func (id Identifier) Valid() bool { return id.ID != "" || id.Partition != "" }

// String returns the ID, or "<partition>@<offset>" for Kafka.
func (id Identifier) String() string {
	if id.IsKafka() {
		return id.Partition + "@" + strconv.FormatInt(id.Offset, 10)
	}
	return id.ID
}

// MarshalJSON writes a string for string identifiers and Lambda's
// {"partition","offset"} object for Kafka ones.
func (id Identifier) MarshalJSON() ([]byte, error) {
	if id.IsKafka() {
		return json.Marshal(struct {
			Partition string `json:"partition"`
			Offset    int64  `json:"offset"`
		}{id.Partition, id.Offset})
	}
	return json.Marshal(id.ID)
}

// UnmarshalJSON reads either form written by [Identifier.MarshalJSON].
func (id *Identifier) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '{' {
		var k struct {
			Partition string `json:"partition"`
			Offset    int64  `json:"offset"`
		}
		if err := json.Unmarshal(data, &k); err != nil {
			return err
		}
		*id = KafkaID(k.Partition, k.Offset)
		return nil
	}
	if len(data) > 0 && data[0] == '"' {
		*id = Identifier{}
		return json.Unmarshal(data, &id.ID)
	}
	if string(data) == "null" {
		*id = Identifier{}
		return nil
	}
	return errors.New("batchkit: itemIdentifier must be a string or a {partition, offset} object, got " + string(data))
}

// BatchItemFailure is one entry of a partial batch response.
type BatchItemFailure struct {
	ItemIdentifier Identifier `json:"itemIdentifier"`
}

// Response is the partial batch response a Lambda function returns to report
// the records that failed. Its JSON is exactly Lambda's:
// {"batchItemFailures":[{"itemIdentifier":...}]}, with an empty list (never
// null) when nothing failed. Return it from a Lambda handler as it is, or
// convert it with [Response.SQS], [Response.Kinesis] or [Response.DynamoDB].
type Response struct {
	BatchItemFailures []BatchItemFailure `json:"batchItemFailures"`
}

// MarshalJSON writes an empty list rather than null when nothing failed.
func (r Response) MarshalJSON() ([]byte, error) {
	type plain Response
	if r.BatchItemFailures == nil {
		r.BatchItemFailures = []BatchItemFailure{}
	}
	return json.Marshal(plain(r))
}

// Identifiers returns the reported identifiers in order.
func (r Response) Identifiers() []Identifier {
	ids := make([]Identifier, len(r.BatchItemFailures))
	for i, f := range r.BatchItemFailures {
		ids[i] = f.ItemIdentifier
	}
	return ids
}

// SQS converts the response to aws-lambda-go's type for SQS functions. The
// list is empty, not nil, so it marshals as [] when nothing failed.
func (r Response) SQS() events.SQSEventResponse {
	out := events.SQSEventResponse{BatchItemFailures: make([]events.SQSBatchItemFailure, len(r.BatchItemFailures))}
	for i, f := range r.BatchItemFailures {
		out.BatchItemFailures[i].ItemIdentifier = f.ItemIdentifier.ID
	}
	return out
}

// Kinesis converts the response to aws-lambda-go's type for Kinesis functions.
func (r Response) Kinesis() events.KinesisEventResponse {
	out := events.KinesisEventResponse{BatchItemFailures: make([]events.KinesisBatchItemFailure, len(r.BatchItemFailures))}
	for i, f := range r.BatchItemFailures {
		out.BatchItemFailures[i].ItemIdentifier = f.ItemIdentifier.ID
	}
	return out
}

// DynamoDB converts the response to aws-lambda-go's type for DynamoDB Streams
// functions.
func (r Response) DynamoDB() events.DynamoDBEventResponse {
	out := events.DynamoDBEventResponse{BatchItemFailures: make([]events.DynamoDBBatchItemFailure, len(r.BatchItemFailures))}
	for i, f := range r.BatchItemFailures {
		out.BatchItemFailures[i].ItemIdentifier = f.ItemIdentifier.ID
	}
	return out
}
