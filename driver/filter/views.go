package filter

import (
	"encoding/base64"

	"github.com/aws/aws-lambda-go/events"
)

// sqsView builds the SQS record as Lambda sends it, decoded as JSON, without
// going through encoding/json: the same map recordView returns for
// events.SQSMessage (view_test.go checks they agree), minus the body, which
// the caller sets.
func sqsView(m events.SQSMessage) map[string]any {
	var attrs any
	if m.Attributes != nil {
		a := make(map[string]any, len(m.Attributes))
		for k, v := range m.Attributes {
			a[k] = v
		}
		attrs = a
	}
	var mattrs any
	if m.MessageAttributes != nil {
		a := make(map[string]any, len(m.MessageAttributes))
		for k, v := range m.MessageAttributes {
			a[k] = sqsAttributeView(v)
		}
		mattrs = a
	}
	return map[string]any{
		"messageId":              m.MessageId,
		"receiptHandle":          m.ReceiptHandle,
		"md5OfBody":              m.Md5OfBody,
		"md5OfMessageAttributes": m.Md5OfMessageAttributes,
		"attributes":             attrs,
		"messageAttributes":      mattrs,
		"eventSourceARN":         m.EventSourceARN,
		"eventSource":            m.EventSource,
		"awsRegion":              m.AWSRegion,
	}
}

func sqsAttributeView(a events.SQSMessageAttribute) map[string]any {
	v := map[string]any{"dataType": a.DataType, "stringListValues": nil, "binaryListValues": nil}
	if a.StringValue != nil {
		v["stringValue"] = *a.StringValue
	}
	if len(a.BinaryValue) > 0 {
		v["binaryValue"] = base64.StdEncoding.EncodeToString(a.BinaryValue)
	}
	if a.StringListValues != nil {
		l := make([]any, len(a.StringListValues))
		for i, s := range a.StringListValues {
			l[i] = s
		}
		v["stringListValues"] = l
	}
	if a.BinaryListValues != nil {
		l := make([]any, len(a.BinaryListValues))
		for i, b := range a.BinaryListValues {
			if b != nil {
				l[i] = base64.StdEncoding.EncodeToString(b)
			}
		}
		v["binaryListValues"] = l
	}
	return v
}
