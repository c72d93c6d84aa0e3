package raw

import (
	"context"
	"fmt"
	"slices"
	"unsafe"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/rawjson"
)

// The raw-bytes entries (ProcessSQSRaw, ProcessKinesisRaw, ProcessDynamoDBRaw)
// take the Lambda event as the bytes Lambda sent, find its "Records" array and
// decode each record on its own, so that one record that does not decode
// fails alone instead of failing the whole invocation before any handler
// runs, as decoding the whole event into aws-lambda-go's types does.
//
// The JSON machinery is hand-written, chosen on measurement (BENCHMARKS.md;
// BenchmarkPaired in the bench module): one pass over the event finds the
// "Records" array and decodes each record straight into aws-lambda-go's
// record type. The event is not copied: the decoder borrows the caller's
// bytes (rawjson.NewBorrowedDec) and copies into a few chunks per event
// (arena) only the strings the records keep, a string met again in the
// event (a key, a region, a queue's ARN) shared instead of copied again;
// strings are scanned 8 bytes at a time. Only a record that fails to decode
// is skipped by its structure alone. Against github.com/bytedance/sonic and
// github.com/goccy/go-json decoding the whole event into the same types
// (which fails every record for one bad one) and core.Process, on 1,000
// records of a shared 2-core machine, it took about a sixth of the time on
// DynamoDB Streams, 0.8 to 0.9 of the fastest library's on Kinesis, and
// about sonic's on SQS (0.9x to 1.1x over two runs), with the fewest
// allocations and no dependency.
//
// The decoders follow encoding/json's rules (keys matched exactly, then
// ignoring case; null leaves a string or number unset and sets a map, slice
// or pointer to nil; invalid UTF-8 and lone surrogates become U+FFFD; an empty
// array or object is non-nil; unknown keys are skipped but must be valid
// JSON), so a valid event gives the handler exactly the records that
// json.Unmarshal into the aws-lambda-go event type gives (TestRawEquivalence).
// Keys and values outside the Records array are checked for structure only.

// Kind is what the raw entry needs to know about one record type.
type Kind[R any] struct {
	// Decode fills r from the record at d (an object).
	Decode func(d *Dec, r *R) error
	// IDPath is the path of keys to the record's identifier.
	IDPath []string
	// SetID stores an identifier in a record that did not decode.
	SetID func(r *R, id string)
}

// Process is the raw-bytes entry for one record type.
func Process[R any](ctx context.Context, p core.PartialProcessor[R], event []byte, h core.Handler[R], k *Kind[R]) (core.Response, error) {
	// No copy of the event: the decoder borrows it for the decoding and
	// copies into its arena only the strings the records keep, so a
	// caller may reuse the event's memory once the decoding is over
	// (aws-lambda-go reuses its payload buffer from one invocation to the
	// next; a record kept past its invocation must not change with it).
	records, failures, err := decodeEvent(unsafe.String(unsafe.SliceData(event), len(event)), k)
	if err != nil {
		return core.Refuse(ctx, p, records, err) // hooks see the refused invocation
	}
	b := core.NewBatch(records, h)
	for _, f := range failures {
		if f.KeyUnknown {
			b.FailUnknownKey(f.Position, f) // may share a later record's key
		} else {
			b.Fail(f.Position, f)
		}
	}
	return core.Run(ctx, p, b)
}

const RecordsKey = "Records"

// decodeEvent finds the top-level "Records" array of the event (the last one
// when the key repeats, as encoding/json does) and decodes its records in one
// pass. A record that does not decode is skipped by its structure alone,
// left zero but for the identifier that can still be read, and listed in
// failures. An event that is not a JSON object with a "Records" array, or
// whose structure is broken, is an error matching [core.ErrUnexpectedBatchType].
//
// s is borrowed ([rawjson.NewBorrowedDec]): nothing decoded points into it,
// so its memory may change once decodeEvent returns.
func decodeEvent[R any](s string, k *Kind[R]) (records []R, failures []*core.RecordDecodeError, err error) {
	d := rawjson.NewBorrowedDec(s)
	return decodeEnvelope(&d, k, RecordsKey, nil, skipEveryField)
}

// skipEveryField is the field function of an event whose only key of
// interest is its records array: every other key is skipped.
func skipEveryField(*Dec, string) (bool, error) { return false, nil }

// DecodeEnvelope is the raw decoding of an event object holding a records
// array: [decodeEvent]'s for the partial-response sources, and the per-record
// result contracts' (S3 Batch Operations, Firehose, tumbling windows), whose
// records array is under arrayKey ("tasks", "records", "Records") and
// the event's other top-level keys (invocation id, window, state, ...) are
// read by field, which decodes the value of a key it knows and reports true,
// or reports false without reading anything. Keys are matched exactly, then
// ignoring case against names, as encoding/json does; other keys are
// skipped. A record that does not decode is listed in failures, as the
// partial-response raw entries do. An event that is not an object holding an
// arrayKey array, or whose structure is broken, is a
// the error (matching [core.ErrUnexpectedBatchType]).
func DecodeEnvelope[R any](s string, k *Kind[R], arrayKey string, names []string, field func(d *Dec, key string) (bool, error)) (records []R, failures []*core.RecordDecodeError, err error) {
	d := NewDec(s)
	return decodeEnvelope(&d, k, arrayKey, names, field)
}

func decodeEnvelope[R any](d *Dec, k *Kind[R], arrayKey string, names []string, field func(d *Dec, key string) (bool, error)) (records []R, failures []*core.RecordDecodeError, err error) {
	unexpected := func(found string) error {
		return fmt.Errorf("%w (%q: %s)", core.ErrUnexpectedBatchType, arrayKey, found)
	}
	switch c := d.Peek(); c {
	case '{':
		d.SetPos(d.Pos() + 1)
	case 0:
		return nil, nil, unexpected("an empty event")
	default:
		return nil, nil, unexpected(rawjson.KindOf(c) + " instead of an object")
	}
	found := "missing"
	for first := true; ; first = false {
		key, more, err := d.NextKey(first)
		if err != nil {
			return nil, nil, unexpected("malformed JSON: " + err.Error())
		}
		if !more {
			break
		}
		if key == arrayKey && d.Peek() == '[' {
			found = ""
			if records, failures, err = decodeRecords(d, k, records[:0], failures[:0]); err != nil {
				return nil, nil, unexpected("malformed JSON: " + err.Error())
			}
			continue
		}
		if key == arrayKey {
			found, records, failures = rawjson.KindOf(d.Peek()), nil, nil
			if err := d.SkipFast(); err != nil {
				return nil, nil, unexpected("malformed JSON: " + err.Error())
			}
			continue
		}
		known, err := field(d, key)
		if !known && err == nil {
			c := rawjson.FoldKey(key, names)
			if c == "" {
				if err := d.SkipFast(); err != nil {
					return nil, nil, unexpected("malformed JSON: " + err.Error())
				}
				continue
			}
			_, err = field(d, c)
		}
		if err != nil {
			return nil, nil, unexpected("malformed JSON or a wrong type under " + quote(key) + ": " + err.Error())
		}
	}
	if !d.AtEnd() {
		return nil, nil, unexpected("malformed JSON: data after the event object")
	}
	if found != "" {
		return nil, nil, unexpected(found)
	}
	return records, failures, nil
}

// decodeRecords decodes the elements of the array at d.Pos(), appending them to
// records.
func decodeRecords[R any](d *Dec, k *Kind[R], records []R, failures []*core.RecordDecodeError) ([]R, []*core.RecordDecodeError, error) {
	d.SetPos(d.Pos() + 1) // '['
	var zero R
	for first := true; ; first = false {
		c := d.Peek()
		if c == ']' {
			d.SetPos(d.Pos() + 1)
			return records, failures, nil
		}
		if !first {
			if c != ',' {
				return nil, nil, d.Errorf("expected ',' or ']' in the Records array")
			}
			d.SetPos(d.Pos() + 1)
			d.Peek()
		}
		start := d.Pos()
		records = append(records, zero)
		i := len(records) - 1
		// d itself decodes the record (a copy of it would escape to the
		// heap once per record through the indirect call).
		err := k.Decode(d, &records[i])
		if err == nil {
			if i == 0 {
				// Size the slice from the first record: one allocation
				// for a batch of records of similar size (an eighth
				// more, so that records slightly shorter than the
				// first do not cost a second one and a copy).
				n := (len(d.Input()) - start) / (d.Pos() - start + 1)
				records = slices.Grow(records, n+n/8)
			}
			continue
		}
		// Find where the record ends by its structure alone.
		d.SetPos(start)
		d.ResetStacks()
		if err := d.SkipFast(); err != nil {
			return nil, nil, err
		}
		id := d.Keep(FindString(d.Input()[start:d.Pos()], k.IDPath))
		records[i] = zero
		k.SetID(&records[i], id)
		// The ordering key is read as the identifier is (see rawkey.go).
		keyKnown := readRawKey(d, d.Input()[start:d.Pos()], &records[i])
		failures = append(failures, &core.RecordDecodeError{Position: i, Identifier: id, Err: err, KeyUnknown: !keyKnown})
	}
}
