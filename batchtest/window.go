package batchtest

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Window describes the tumbling-window fields of a Kinesis or DynamoDB
// Streams event, beside its records (see
// https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-windows.html).
// The zero value is a window's first, not final, invocation.
type Window struct {
	// State is what the previous invocation of the window returned, as
	// JSON; "" is a window's first invocation ({}).
	State string
	// Final marks the window's last invocation (isFinalInvokeForWindow).
	Final bool
	// TerminatedEarly marks a window Lambda ended early
	// (isWindowTerminatedEarly).
	TerminatedEarly bool
}

// windowStart is the start of the built windows: a two-minute window.
var windowStart = time.Date(2023, 11, 14, 22, 12, 0, 0, time.UTC)

// WindowEvent returns a tumbling-window event: the window w describes and
// records (build them with [KinesisEvent] or [DynamoDBEvent]), in the shape
// of the Lambda developer guide's examples for Kinesis (https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-windows.html)
// and DynamoDB Streams (https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-windows.html).
// R is events.KinesisEventRecord or events.DynamoDBEventRecord; another
// record type panics.
//
//	event := batchtest.WindowEvent(batchtest.Window{State: `{"sum":41}`},
//		batchtest.KinesisEvent(batchtest.KinesisRecord{Data: `{"n":1}`}).Records...)
func WindowEvent[R any](w Window, records ...R) []byte {
	switch any(records).(type) {
	case []events.KinesisEventRecord:
		return windowEvent(records, w, "shardId-000000000000", fmt.Sprintf("arn:aws:kinesis:%s:%s:stream/test-stream", region, account))
	case []events.DynamoDBEventRecord:
		return windowEvent(records, w, "shardId-00000001700000000000-00000000", fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/test-table/stream/2024-01-01T00:00:00.000", region, account))
	}
	panic(fmt.Sprintf("batchtest: WindowEvent: %T is not a Kinesis or DynamoDB Streams record slice", records))
}

func windowEvent[R any](records []R, w Window, shard, arn string) []byte {
	if records == nil {
		records = []R{}
	}
	state := json.RawMessage(w.State)
	if w.State == "" {
		state = json.RawMessage(`{}`)
	}
	type window struct {
		Start string `json:"start"`
		End   string `json:"end"`
	}
	return []byte(mustJSON(struct {
		Records                 []R             `json:"Records"`
		Window                  window          `json:"window"`
		State                   json.RawMessage `json:"state"`
		ShardID                 string          `json:"shardId"`
		EventSourceARN          string          `json:"eventSourceARN"`
		IsFinalInvokeForWindow  bool            `json:"isFinalInvokeForWindow"`
		IsWindowTerminatedEarly bool            `json:"isWindowTerminatedEarly"`
	}{
		Records: records,
		Window:  window{Start: windowStart.Format(time.RFC3339), End: windowStart.Add(2 * time.Minute).Format(time.RFC3339)},
		State:   state, ShardID: shard, EventSourceARN: arn,
		IsFinalInvokeForWindow: w.Final, IsWindowTerminatedEarly: w.TerminatedEarly,
	}))
}
