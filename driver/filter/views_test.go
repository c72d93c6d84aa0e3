package filter

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"
)

// sqsView builds the same view as encoding/json does.
func TestSQSViewMatchesJSON(t *testing.T) {
	s := "v"
	for name, m := range map[string]events.SQSMessage{
		"empty": {},
		"full": {
			MessageId: "m1", ReceiptHandle: "r", Body: "b", Md5OfBody: "md5", Md5OfMessageAttributes: "md5a",
			Attributes:     map[string]string{"ApproximateReceiveCount": "1"},
			EventSourceARN: "arn", EventSource: "aws:sqs", AWSRegion: "us-east-1",
			MessageAttributes: map[string]events.SQSMessageAttribute{
				"s":     {StringValue: &s, DataType: "String"},
				"b":     {BinaryValue: []byte{1, 2, 255}, DataType: "Binary"},
				"lists": {StringListValues: []string{"x"}, BinaryListValues: [][]byte{{1}, nil}, DataType: "String"},
				"empty": {StringListValues: []string{}, BinaryListValues: [][]byte{}, BinaryValue: []byte{}},
			},
		},
		"empty maps": {Attributes: map[string]string{}, MessageAttributes: map[string]events.SQSMessageAttribute{}},
	} {
		t.Run(name, func(t *testing.T) {
			want, ok := recordView(m)
			require.True(t, ok)
			delete(want, "body")
			require.Equal(t, want, sqsView(m))
		})
	}
}
