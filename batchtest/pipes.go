package batchtest

import (
	"encoding/json"

	"github.com/aws/aws-lambda-go/events"
)

// PipesEvent returns the event EventBridge Pipes sends a Lambda function
// target: a bare JSON array of the source's records (no Records wrapper),
// in the shape of the EventBridge user guide's Pipes source pages
// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-sqs.html,
// eb-pipes-kinesis.html, eb-pipes-dynamodb.html). A Kinesis record is
// flattened as Pipes sends it: the fields of its kinesis object beside the
// others.
//
// R is a record type of the sources Pipes reads: events.SQSMessage,
// events.KinesisEventRecord or events.DynamoDBEventRecord.
//
//	resp, err := pipes.SQSHandler(p, h)(ctx, batchtest.PipesEvent(batchtest.SQSEvent("a", "b").Records...))
func PipesEvent[R any](records ...R) []byte {
	if kin, ok := any(records).([]events.KinesisEventRecord); ok {
		type flat struct {
			events.KinesisRecord
			AwsRegion         string `json:"awsRegion"`
			EventID           string `json:"eventID"`
			EventName         string `json:"eventName"`
			EventSource       string `json:"eventSource"`
			EventSourceArn    string `json:"eventSourceARN"`
			EventVersion      string `json:"eventVersion"`
			InvokeIdentityArn string `json:"invokeIdentityArn"`
		}
		out := make([]flat, len(kin))
		for i, r := range kin {
			out[i] = flat{r.Kinesis, r.AwsRegion, r.EventID, r.EventName, r.EventSource, r.EventSourceArn, r.EventVersion, r.InvokeIdentityArn}
		}
		return []byte(mustJSON(out))
	}
	if records == nil {
		records = []R{}
	}
	return []byte(mustJSON(records))
}

// mustJSON marshals v, which the builders construct, so it cannot fail.
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic("batchtest: " + err.Error())
	}
	return string(b)
}
