package processors

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/payload"
)

// SQSJSON returns a handler that decodes each message body as JSON into a T,
// validates it (see [payload.Validate]) and calls f with it. A body that does not
// decode or validate fails that message alone.
func SQSJSON[T any](f func(ctx context.Context, payload T, msg *events.SQSMessage) error) core.Handler[events.SQSMessage] {
	return func(ctx context.Context, msg *events.SQSMessage) error {
		v, err := payload.Decode[T]("SQS body", []byte(msg.Body))
		if err != nil {
			return err
		}
		return f(ctx, v, msg)
	}
}

// KinesisJSON returns a handler that decodes each record's data (already
// base64-decoded by the event) as JSON into a T, validates it and calls f.
func KinesisJSON[T any](f func(ctx context.Context, payload T, rec *events.KinesisEventRecord) error) core.Handler[events.KinesisEventRecord] {
	return func(ctx context.Context, rec *events.KinesisEventRecord) error {
		v, err := payload.Decode[T]("Kinesis data", rec.Kinesis.Data)
		if err != nil {
			return err
		}
		return f(ctx, v, rec)
	}
}

// DynamoDBNewImage returns a handler that decodes each record's NewImage into
// a T through its JSON form (S as a string, N as a number, BOOL, NULL as
// null, M as an object, L and sets as arrays, B as base64; use json tags),
// validates it and calls f. newImage is nil when the record has none (a
// REMOVE, or a stream without new images): f still runs, with the record.
func DynamoDBNewImage[T any](f func(ctx context.Context, newImage *T, rec *events.DynamoDBEventRecord) error) core.Handler[events.DynamoDBEventRecord] {
	return func(ctx context.Context, rec *events.DynamoDBEventRecord) error {
		if rec.Change.NewImage == nil {
			return f(ctx, nil, rec)
		}
		data, err := ImageJSON(rec.Change.NewImage)
		if err != nil {
			var zero T
			return &payload.DecodeError{What: "DynamoDB NewImage", Type: fmt.Sprintf("%T", zero), Err: err}
		}
		v, err := payload.Decode[T]("DynamoDB NewImage", data)
		if err != nil {
			return err
		}
		return f(ctx, &v, rec)
	}
}

// ImageJSON renders a DynamoDB image (NewImage, OldImage, Keys) as plain
// JSON, the form [DynamoDBNewImage] decodes from.
func ImageJSON(image map[string]events.DynamoDBAttributeValue) ([]byte, error) {
	var buf bytes.Buffer
	if err := writeMap(&buf, image); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeMap(buf *bytes.Buffer, m map[string]events.DynamoDBAttributeValue) error {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	buf.WriteByte('{')
	for i, k := range names {
		if i > 0 {
			buf.WriteByte(',')
		}
		writeJSONString(buf, k)
		buf.WriteByte(':')
		if err := writeAttribute(buf, m[k]); err != nil {
			return fmt.Errorf("attribute %q: %w", k, err)
		}
	}
	buf.WriteByte('}')
	return nil
}

func writeAttribute(buf *bytes.Buffer, v events.DynamoDBAttributeValue) error {
	switch v.DataType() {
	case events.DataTypeString:
		s, _ := json.Marshal(v.String())
		buf.Write(s)
	case events.DataTypeNumber:
		writeNumber(buf, v.Number())
	case events.DataTypeBoolean:
		buf.WriteString(strconv.FormatBool(v.Boolean()))
	case events.DataTypeNull:
		buf.WriteString("null")
	case events.DataTypeBinary:
		writeJSONString(buf, base64.StdEncoding.EncodeToString(v.Binary()))
	case events.DataTypeMap:
		return writeMap(buf, v.Map())
	case events.DataTypeList:
		buf.WriteByte('[')
		for i, e := range v.List() {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeAttribute(buf, e); err != nil {
				return fmt.Errorf("element %d: %w", i, err)
			}
		}
		buf.WriteByte(']')
	case events.DataTypeStringSet:
		s, _ := json.Marshal(v.StringSet())
		buf.Write(s)
	case events.DataTypeNumberSet:
		buf.WriteByte('[')
		for i, n := range v.NumberSet() {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeNumber(buf, n)
		}
		buf.WriteByte(']')
	case events.DataTypeBinarySet:
		buf.WriteByte('[')
		for i, b := range v.BinarySet() {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeJSONString(buf, base64.StdEncoding.EncodeToString(b))
		}
		buf.WriteByte(']')
	default:
		return fmt.Errorf("unsupported DynamoDB attribute type %v", v.DataType())
	}
	return nil
}

// writeNumber writes a DynamoDB number as a JSON number, or as a string when
// it is not valid JSON number syntax.
func writeNumber(buf *bytes.Buffer, n string) {
	if json.Valid([]byte(n)) {
		if _, err := strconv.ParseFloat(n, 64); err == nil {
			buf.WriteString(n)
			return
		}
	}
	writeJSONString(buf, n)
}

// writeJSONString writes s as a JSON string. Go's quoting (strconv.Quote)
// is not JSON: its \x00, \x7f and \U000e0067 escapes make the document
// invalid. Control characters are escaped as \u00XX, invalid UTF-8 becomes
// U+FFFD (as encoding/json does), and everything else is written as it is.
func writeJSONString(buf *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	buf.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			buf.WriteString(s[start:i])
			switch c {
			case '"', '\\':
				buf.WriteByte('\\')
				buf.WriteByte(c)
			case '\n':
				buf.WriteString(`\n`)
			case '\r':
				buf.WriteString(`\r`)
			case '\t':
				buf.WriteString(`\t`)
			default:
				buf.WriteString(`\u00`)
				buf.WriteByte(hex[c>>4])
				buf.WriteByte(hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf.WriteString(s[start:i])
			buf.WriteString(`\ufffd`)
			i++
			start = i
			continue
		}
		i += size
	}
	buf.WriteString(s[start:])
	buf.WriteByte('"')
}
