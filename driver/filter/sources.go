package filter

import (
	"encoding/base64"
	"encoding/json"

	"github.com/aws/aws-lambda-go/events"
)

// MatchSQS reports whether Lambda keeps the SQS message (a message that is not
// kept is deleted from the queue). The view is the record as Lambda sends it
// (messageId, body, attributes, messageAttributes, eventSourceARN, ...). A
// body that is a JSON object is matched as JSON under "body", any other body
// as a plain string; a pattern whose "body" has the other form does not
// match.
func (c *Criteria) MatchSQS(m events.SQSMessage) bool {
	if c.Len() == 0 {
		return true
	}
	view := sqsView(m)
	obj, _ := decodeObject([]byte(m.Body))
	view["body"] = &data{obj: obj, text: m.Body}
	return c.matchView(view)
}

// MatchKinesis reports whether Lambda sends the Kinesis record to the
// function (a record that is not kept is skipped). The view holds the event
// record's fields (eventID, eventName, awsRegion, ...) and the fields of its
// "kinesis" record (partitionKey, sequenceNumber, ...) side by side, with
// "data" decoded: a pattern on "data" must be a nested object and matches
// only records whose data is a JSON object.
func (c *Criteria) MatchKinesis(r events.KinesisEventRecord) bool {
	if c.Len() == 0 {
		return true
	}
	view, ok := recordView(r)
	if !ok {
		return false
	}
	inner, _ := view["kinesis"].(map[string]any)
	delete(view, "kinesis")
	for k, v := range inner {
		view[k] = v
	}
	obj, _ := decodeObject(r.Kinesis.Data)
	view["data"] = &data{obj: obj, text: string(r.Kinesis.Data), noList: true}
	return c.matchView(view)
}

// MatchDynamoDB reports whether Lambda sends the DynamoDB Streams record to
// the function. The view is the record as Lambda sends it (eventName,
// dynamodb.Keys, dynamodb.NewImage, ...); attribute values keep their type:
// {"N": "101"} holds the string "101", matched by ["101"] and never by
// "numeric". A pattern on "dynamodb" must be a nested object.
func (c *Criteria) MatchDynamoDB(r events.DynamoDBEventRecord) bool {
	if c.Len() == 0 {
		return true
	}
	view, ok := recordView(r)
	if !ok {
		return false
	}
	obj, _ := view["dynamodb"].(map[string]any)
	view["dynamodb"] = &data{obj: obj, noList: true}
	return c.matchView(view)
}

// MatchKafka reports whether Lambda sends the Kafka record to the function.
// The view is the record as Lambda sends it (topic, partition, offset,
// timestamp, timestampType, key in base64, headers) with the value decoded
// from base64: a list of values under "value" matches it as a plain string; a
// nested pattern under "value" matches it as JSON when it is a JSON object
// and is ignored otherwise (Lambda does not drop a record whose value is not
// JSON: the rest of the pattern decides).
func (c *Criteria) MatchKafka(r events.KafkaRecord) bool {
	if c.Len() == 0 {
		return true
	}
	view, ok := recordView(r)
	if !ok {
		return false
	}
	if r.Value != "" { // a record without a value (a tombstone) has no "value"
		raw, err := base64.StdEncoding.DecodeString(r.Value)
		if err != nil {
			raw = []byte(r.Value)
		}
		obj, _ := decodeObject(raw)
		view["value"] = &data{obj: obj, text: string(raw), nestedOnText: true, listOnJSON: true}
	}
	return c.matchView(view)
}

func (c *Criteria) matchView(view map[string]any) bool {
	for _, p := range c.patterns {
		if p.match(view) {
			return true
		}
	}
	return false
}

// recordView is the record as Lambda sends it, decoded as a JSON object.
func recordView(r any) (map[string]any, bool) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, false
	}
	return decodeObject(b)
}
