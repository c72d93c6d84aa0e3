package processors

import "github.com/batchkit/batchkit/core"

// decodeEnvelope is the raw decoding of the per-record result contracts
// (S3 Batch Operations, Firehose, tumbling windows): like decodeEvent, but
// the records array is under arrayKey ("tasks", "records", "Records") and
// the event's other top-level keys (invocation id, window, state, ...) are
// read by field, which decodes the value of a key it knows and reports true,
// or reports false without reading anything. Keys are matched exactly, then
// ignoring case against names, as encoding/json does; other keys are
// skipped. A record that does not decode is listed in failures, as the
// partial-response raw entries do. An event that is not an object holding an
// arrayKey array, or whose structure is broken, is a
// [*core.UnexpectedBatchTypeError].
func decodeEnvelope[R any](s string, k *rawKind[R], arrayKey string, names []string, field func(d *dec, key string) (bool, error)) (records []R, failures []*RecordDecodeError, err error) {
	unexpected := func(found string) error {
		return &core.UnexpectedBatchTypeError{Key: arrayKey, Found: found}
	}
	d := dec{s: s}
	switch c := d.peek(); c {
	case '{':
		d.i++
	case 0:
		return nil, nil, unexpected("an empty event")
	default:
		return nil, nil, unexpected(kindOf(c) + " instead of an object")
	}
	found := "missing"
	for first := true; ; first = false {
		key, more, err := d.nextKey(first)
		if err != nil {
			return nil, nil, unexpected("malformed JSON: " + err.Error())
		}
		if !more {
			break
		}
		if key == arrayKey && d.peek() == '[' {
			found = ""
			if records, failures, err = decodeRecords(&d, k, records[:0], failures[:0]); err != nil {
				return nil, nil, unexpected("malformed JSON: " + err.Error())
			}
			continue
		}
		if key == arrayKey {
			found, records, failures = kindOf(d.peek()), nil, nil
			if err := d.skipFast(); err != nil {
				return nil, nil, unexpected("malformed JSON: " + err.Error())
			}
			continue
		}
		known, err := field(&d, key)
		if !known && err == nil {
			if c := foldKey(key, names); c != "" {
				_, err = field(&d, c)
			} else {
				err = d.skipFast()
			}
		}
		if err != nil {
			return nil, nil, unexpected("malformed JSON or a wrong type under " + quote(key) + ": " + err.Error())
		}
	}
	if d.peek() != 0 {
		return nil, nil, unexpected("malformed JSON: data after the event object")
	}
	if found != "" {
		return nil, nil, unexpected(found)
	}
	return records, failures, nil
}

// rawValue returns the JSON text of the value at d, validated, and moves
// past it: a window's state is kept as it came.
func (d *dec) rawValue() (string, error) {
	d.peek()
	start := d.i
	if err := d.skip(); err != nil {
		return "", err
	}
	return d.s[start:d.i], nil
}

// boolField reads a boolean into dst; null leaves it.
func (d *dec) boolField(dst *bool) error {
	if isNull, err := d.null(); isNull || err != nil {
		return err
	}
	v, err := d.boolValue()
	if err == nil {
		*dst = v
	}
	return err
}

// textField reads a string or a number into dst as its text (a number's
// literal as written); null leaves it. AWS documents some fields as either.
func (d *dec) textField(dst *string) error {
	if isNull, err := d.null(); isNull || err != nil {
		return err
	}
	if d.peek() == '"' {
		return d.strField(dst)
	}
	lit, err := d.number()
	if err == nil {
		*dst = lit
	}
	return err
}

func quote(s string) string { return `"` + s + `"` }
