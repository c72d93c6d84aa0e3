package raw

import (
	"github.com/aws/aws-lambda-go/events"
	"github.com/batchkit/batchkit/internal/rawjson"
)

var SQS = Kind[events.SQSMessage]{
	Decode: decodeSQSMessage,
	IDPath: []string{"messageId"},
	SetID:  func(m *events.SQSMessage, id string) { m.MessageId = id },
}

var sqsKeys = []string{"messageId", "receiptHandle", "body", "md5OfBody", "md5OfMessageAttributes",
	"attributes", "messageAttributes", "eventSourceARN", "eventSource", "awsRegion"}

func decodeSQSMessage(d *Dec, m *events.SQSMessage) error {
	if err := d.OpenRecord(); err != nil {
		return err
	}
	return d.Fields(sqsKeys, func(key string) (bool, error) {
		switch key {
		case "messageId":
			return true, d.StrField(&m.MessageId)
		case "receiptHandle":
			return true, d.StrField(&m.ReceiptHandle)
		case "body":
			return true, d.StrField(&m.Body)
		case "md5OfBody":
			return true, d.StrField(&m.Md5OfBody)
		case "md5OfMessageAttributes":
			return true, d.StrField(&m.Md5OfMessageAttributes)
		case "attributes":
			return true, d.StringMap(&m.Attributes)
		case "messageAttributes":
			return true, sqsMessageAttributes(d, &m.MessageAttributes)
		case "eventSourceARN":
			return true, d.StrField(&m.EventSourceARN)
		case "eventSource":
			return true, d.StrField(&m.EventSource)
		case "awsRegion":
			return true, d.StrField(&m.AWSRegion)
		}
		return false, nil
	})
}

var sqsAttributeKeys = []string{"stringValue", "binaryValue", "stringListValues", "binaryListValues", "dataType"}

func sqsMessageAttributes(d *Dec, dst *map[string]events.SQSMessageAttribute) error {
	if isNull, err := d.OpenObject(); err != nil || isNull {
		if isNull {
			*dst = nil
		}
		return err
	}
	made := *dst == nil
	if made {
		*dst = make(map[string]events.SQSMessageAttribute, rawjson.SmallMap)
	}
	for first := true; ; first = false {
		if made && len(*dst) == rawjson.SmallMap && d.Peek() == ',' {
			*dst, made = rawjson.Resize(d, *dst), false
		}
		name, more, err := d.NextKey(first)
		if err != nil || !more {
			return err
		}
		var a events.SQSMessageAttribute
		if err := sqsMessageAttribute(d, &a); err != nil {
			return err
		}
		(*dst)[d.Keep(name)] = a
	}
}

func sqsMessageAttribute(d *Dec, a *events.SQSMessageAttribute) error {
	if isNull, err := d.OpenObject(); err != nil || isNull {
		return err
	}
	return d.Fields(sqsAttributeKeys, func(key string) (bool, error) {
		switch key {
		case "stringValue":
			return true, d.StrPtrField(&a.StringValue)
		case "binaryValue":
			return true, d.BytesField(&a.BinaryValue)
		case "stringListValues":
			return true, d.StringSlice(&a.StringListValues)
		case "binaryListValues":
			return true, d.BytesSlice(&a.BinaryListValues)
		case "dataType":
			return true, d.StrField(&a.DataType)
		}
		return false, nil
	})
}
