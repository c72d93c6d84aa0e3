package processors

import (
	"context"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
)

// ProcessSQSRaw is the raw-bytes entry for SQS (standard or FIFO, by p): it
// takes the event as Lambda sent it (declare the Lambda handler's event as
// json.RawMessage), decodes each record of its "Records" array on its own and
// runs p over them with h, like [core.Process].
//
// A record that does not decode is not handed to h: it is reported failed by
// its message id with a [*RecordDecodeError] (or, when even its messageId
// cannot be read, the invocation returns a [core.UnidentifiableFailureError]).
// An event without a "Records" array returns a [core.UnexpectedBatchTypeError]
// before any handler runs. For a valid event, h receives exactly the records
// that json.Unmarshal into events.SQSEvent gives, several times faster.
//
// The records' strings share one copy of the event, and the values that
// need memory of their own (strings with escapes, base64 data, string and
// attribute lists, *string fields) share a few chunks allocated per event:
// a handler that keeps such a value after the invocation keeps its copy or
// chunk alive, so keep a strings.Clone or bytes.Clone of it instead. Every
// record's values are its own: writing to one never changes another's (a
// slice's capacity ends at its length). The same holds for the other raw
// entries.
func ProcessSQSRaw(ctx context.Context, p core.PartialProcessor[events.SQSMessage], event []byte, h core.Handler[events.SQSMessage]) (core.Response, error) {
	return processRaw(ctx, p, event, h, &sqsRaw)
}

var sqsRaw = rawKind[events.SQSMessage]{
	decode: decodeSQSMessage,
	idPath: []string{"messageId"},
	setID:  func(m *events.SQSMessage, id string) { m.MessageId = id },
}

var sqsKeys = []string{"messageId", "receiptHandle", "body", "md5OfBody", "md5OfMessageAttributes",
	"attributes", "messageAttributes", "eventSourceARN", "eventSource", "awsRegion"}

func decodeSQSMessage(d *dec, m *events.SQSMessage) error {
	if err := d.openRecord(); err != nil {
		return err
	}
	return d.fields(sqsKeys, func(key string) (bool, error) {
		switch key {
		case "messageId":
			return true, d.strField(&m.MessageId)
		case "receiptHandle":
			return true, d.strField(&m.ReceiptHandle)
		case "body":
			return true, d.strField(&m.Body)
		case "md5OfBody":
			return true, d.strField(&m.Md5OfBody)
		case "md5OfMessageAttributes":
			return true, d.strField(&m.Md5OfMessageAttributes)
		case "attributes":
			return true, d.stringMap(&m.Attributes)
		case "messageAttributes":
			return true, sqsMessageAttributes(d, &m.MessageAttributes)
		case "eventSourceARN":
			return true, d.strField(&m.EventSourceARN)
		case "eventSource":
			return true, d.strField(&m.EventSource)
		case "awsRegion":
			return true, d.strField(&m.AWSRegion)
		}
		return false, nil
	})
}

// stringMap reads an object of strings into *dst (made when nil); null sets
// it to nil, and a null value stores "".
//
// The map decoders keep a loop each: a generic one taking the value decoder
// as a function value makes every value escape (measured: +160 B per SQS
// record).
func (d *dec) stringMap(dst *map[string]string) error {
	if isNull, err := d.openObject(); err != nil || isNull {
		if isNull {
			*dst = nil
		}
		return err
	}
	if *dst == nil {
		*dst = make(map[string]string, 4)
	}
	for first := true; ; first = false {
		key, more, err := d.nextKey(first)
		if err != nil || !more {
			return err
		}
		var v string
		if err := d.strField(&v); err != nil {
			return err
		}
		(*dst)[key] = v
	}
}

// stringSlice reads an array of strings; null sets *dst to nil, [] is
// non-nil.
func (d *dec) stringSlice(dst *[]string) error {
	if isNull, err := d.openArray(); err != nil || isNull {
		if isNull {
			*dst = nil
		}
		return err
	}
	// On an error the stack keeps this list's elements: the record fails
	// and decodeRecords empties the stacks.
	base := len(d.arena().strStack)
	for first := true; ; first = false {
		more, err := d.nextElem(first)
		if err != nil {
			return err
		}
		if !more {
			*dst = d.arena().strList(d.arena().strStack[base:])
			d.arena().strStack = d.arena().strStack[:base]
			return nil
		}
		var v string
		if err := d.strField(&v); err != nil {
			return err
		}
		d.arena().strStack = append(d.arena().strStack, v)
	}
}

// bytesSlice reads an array of base64 strings; null sets *dst to nil.
func (d *dec) bytesSlice(dst *[][]byte) error {
	if isNull, err := d.openArray(); err != nil || isNull {
		if isNull {
			*dst = nil
		}
		return err
	}
	out := [][]byte{}
	for first := true; ; first = false {
		more, err := d.nextElem(first)
		if err != nil {
			return err
		}
		if !more {
			*dst = out
			return nil
		}
		var v []byte
		if err := d.bytesField(&v); err != nil {
			return err
		}
		out = append(out, v)
	}
}

var sqsAttributeKeys = []string{"stringValue", "binaryValue", "stringListValues", "binaryListValues", "dataType"}

func sqsMessageAttributes(d *dec, dst *map[string]events.SQSMessageAttribute) error {
	if isNull, err := d.openObject(); err != nil || isNull {
		if isNull {
			*dst = nil
		}
		return err
	}
	if *dst == nil {
		*dst = make(map[string]events.SQSMessageAttribute, 2)
	}
	for first := true; ; first = false {
		name, more, err := d.nextKey(first)
		if err != nil || !more {
			return err
		}
		var a events.SQSMessageAttribute
		if err := sqsMessageAttribute(d, &a); err != nil {
			return err
		}
		(*dst)[name] = a
	}
}

func sqsMessageAttribute(d *dec, a *events.SQSMessageAttribute) error {
	if isNull, err := d.openObject(); err != nil || isNull {
		return err
	}
	return d.fields(sqsAttributeKeys, func(key string) (bool, error) {
		switch key {
		case "stringValue":
			return true, d.strPtrField(&a.StringValue)
		case "binaryValue":
			return true, d.bytesField(&a.BinaryValue)
		case "stringListValues":
			return true, d.stringSlice(&a.StringListValues)
		case "binaryListValues":
			return true, d.bytesSlice(&a.BinaryListValues)
		case "dataType":
			return true, d.strField(&a.DataType)
		}
		return false, nil
	})
}

// strPtrField reads a string into a new *dst; null sets *dst to nil.
func (d *dec) strPtrField(dst **string) error {
	if isNull, err := d.null(); isNull || err != nil {
		if err == nil {
			*dst = nil
		}
		return err
	}
	v, err := d.str()
	if err != nil {
		return err
	}
	*dst = d.arena().strPtr(v)
	return nil
}
