package firehose

import (
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/batchkit/batchkit/internal/raw"
)

// Response is the response of a Firehose data transformation: every
// record of the event once, in input order. Its JSON is Firehose's:
// {"records":[{"recordId","result","data"(or "kafkaRecordValue"),
// "metadata":{"partitionKeys"}}]}.
type Response struct {
	// Records holds one result per event record, in input order.
	Records []ResponseRecord `json:"records"`
}

// ResponseRecord is one record of a [Response].
type ResponseRecord struct {
	// RecordID echoes the event record's.
	RecordID string `json:"recordId"`
	// Result is "Ok", "Dropped" or "ProcessingFailed": aws-lambda-go's
	// events.KinesisFirehoseTransformedStateOk, ...Dropped and
	// ...ProcessingFailed.
	Result string `json:"result"`
	// Data is the transformed payload (Ok); empty otherwise.
	Data []byte `json:"data"`
	// MSK writes Data under kafkaRecordValue, as an Amazon MSK source
	// expects, instead of data.
	MSK bool `json:"-"`
	// PartitionKeys are written as metadata.partitionKeys when not empty.
	PartitionKeys map[string]string `json:"-"`
	// Err is why the record is ProcessingFailed: the handler's error, a
	// [*core.PanicError], a not-started or late error (matching
	// [core.ErrDeadline] or [core.ErrCanceled]), a decoding error (matching
	// [core.ErrDecode]) or one matching [ErrResponseSize]. It is not sent.
	Err error `json:"-"`

	// idSize caches jsonStringSize(RecordID) for build; 0: unknown.
	idSize int
}

// MarshalJSON writes the response in one buffer of the exact size.
func (r Response) MarshalJSON() ([]byte, error) {
	size := len(`{"records":[]}`)
	for i := range r.Records {
		size += r.Records[i].jsonSize()
	}
	if len(r.Records) > 1 {
		size += len(r.Records) - 1
	}
	buf := make([]byte, 0, size)
	buf = append(buf, `{"records":[`...)
	for i := range r.Records {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = r.Records[i].appendJSON(buf)
	}
	return append(buf, "]}"...), nil
}

// MarshalJSON writes the record as Firehose expects it.
func (r ResponseRecord) MarshalJSON() ([]byte, error) {
	return r.appendJSON(make([]byte, 0, r.jsonSize())), nil
}

func (r *ResponseRecord) dataKey() string {
	if r.MSK {
		return `,"kafkaRecordValue":"`
	}
	return `,"data":"`
}

// appendJSON appends the record's JSON to buf; jsonSize is its length.
func (r *ResponseRecord) appendJSON(buf []byte) []byte {
	buf = append(buf, `{"recordId":`...)
	buf = appendJSONString(buf, r.RecordID)
	buf = append(buf, `,"result":`...)
	buf = appendJSONString(buf, r.Result)
	buf = append(buf, r.dataKey()...)
	buf = base64.StdEncoding.AppendEncode(buf, r.Data)
	buf = append(buf, '"')
	if len(r.PartitionKeys) > 0 {
		buf = append(buf, `,"metadata":{"partitionKeys":{`...)
		keys := make([]string, 0, len(r.PartitionKeys))
		for k := range r.PartitionKeys {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSONString(buf, k)
			buf = append(buf, ':')
			buf = appendJSONString(buf, r.PartitionKeys[k])
		}
		buf = append(buf, "}}"...)
	}
	return append(buf, '}')
}

// jsonSize is the length of appendJSON's output.
func (r *ResponseRecord) jsonSize() int {
	idSize := r.idSize
	if idSize == 0 {
		idSize = jsonStringSize(r.RecordID)
	}
	return entrySize(idSize, r.Result, r.MSK, len(r.Data), r.PartitionKeys)
}

// entrySize is the length of a response record's JSON whose
// quoted record id is idSize bytes long.
func entrySize(idSize int, result string, msk bool, dataLen int, keys map[string]string) int {
	dataKey := len(`,"data":"`)
	if msk {
		dataKey = len(`,"kafkaRecordValue":"`)
	}
	n := len(`{"recordId":`) + idSize + len(`,"result":`) + jsonStringSize(result) +
		dataKey + base64.StdEncoding.EncodedLen(dataLen) + len(`"}`)
	if len(keys) > 0 {
		n += len(`,"metadata":{"partitionKeys":{}}`) + len(keys) - 1
		for k, v := range keys {
			n += jsonStringSize(k) + 1 + jsonStringSize(v)
		}
	}
	return n
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, U+2028 and U+2029 escaped, invalid UTF-8 as
// U+FFFD (encoding/json's rules, without its HTML escaping).
func appendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if raw.PlainByte[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// jsonStringSize is the length of appendJSONString's output for s.
func jsonStringSize(s string) int {
	n := 2
	for i := 0; i < len(s); {
		c := s[i]
		if raw.PlainByte[c] {
			n++
			i++
			continue
		}
		if c < utf8.RuneSelf {
			if c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' {
				n += 2
			} else {
				n += 6
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			n += 6
		case r == '\u2028' || r == '\u2029':
			n += 6
		default:
			n += size
		}
		i += size
	}
	return n
}

// ErrResponseSize matches, with errors.Is, the error of a record whose
// transformed data did not fit in the response's size limit (Lambda's
// 6 MB): it is reported ProcessingFailed, so that Firehose retries it,
// instead of the whole response being refused. It also matches the
// invocation's error when even the minimal response (every record
// ProcessingFailed) does not fit.
var ErrResponseSize = errors.New("batchkit: Firehose response size limit reached")

// responseSizeError is the error of [ErrResponseSize].
type responseSizeError struct {
	// Position is the record's position, -1 for the whole response.
	Position int
	// Size is the size the response would have had with the record's data.
	Size int
	// Limit is the processor's response limit.
	Limit int
}

func (e *responseSizeError) Error() string {
	if e.Position < 0 {
		return fmt.Sprintf("batchkit: the Firehose response needs %d bytes with every record ProcessingFailed, over the limit of %d", e.Size, e.Limit)
	}
	return fmt.Sprintf("batchkit: record %d: the response would need %d bytes with its data, over the limit of %d", e.Position, e.Size, e.Limit)
}

func (e *responseSizeError) Is(target error) bool { return target == ErrResponseSize }
