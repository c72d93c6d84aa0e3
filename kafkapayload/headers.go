package kafkapayload

import (
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// Header is one Kafka record header with its value as a string. Lambda sends
// header values as arrays of signed byte numbers; aws-lambda-go's
// events.JSONNumberBytes already turns them back into the producer's bytes.
type Header struct {
	Key   string
	Value string
}

// Headers are a record's headers in the order of the event. A key can
// repeat.
type Headers []Header

// Get returns the value of the last header named key (Kafka's lastHeader) and
// whether there is one.
func (h Headers) Get(key string) (string, bool) {
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Key == key {
			return h[i].Value, true
		}
	}
	return "", false
}

// Values returns the values of every header named key, in order.
func (h Headers) Values(key string) []string {
	var out []string
	for _, e := range h {
		if e.Key == key {
			out = append(out, e.Value)
		}
	}
	return out
}

// RecordHeaders returns the headers of r as strings, in the event's order
// (each entry of the event's list is a one-key object; several keys in one
// object are taken in sorted order). Values are the header bytes as they are,
// valid UTF-8 or not; see [Decoder.StrictHeaders].
func RecordHeaders(r *events.KafkaRecord) Headers {
	n := 0
	for _, m := range r.Headers {
		n += len(m)
	}
	if n == 0 {
		return nil
	}
	out := make(Headers, 0, n)
	for _, m := range r.Headers {
		if len(m) == 1 {
			for k, v := range m {
				out = append(out, Header{Key: k, Value: string(v)})
			}
			continue
		}
		for _, k := range sortedKeys(m) {
			out = append(out, Header{Key: k, Value: string(m[k])})
		}
	}
	return out
}

// headerBytes returns the bytes of the last header named key.
func headerBytes(r *events.KafkaRecord, key string) ([]byte, bool) {
	for i := len(r.Headers) - 1; i >= 0; i-- {
		if v, ok := r.Headers[i][key]; ok {
			return v, true
		}
	}
	return nil, false
}

// firstInvalidHeader returns the key of the first header whose value is not
// valid UTF-8, the binary schema-id headers excepted.
func firstInvalidHeader(h Headers) (string, bool) {
	for _, e := range h {
		if e.Key == keySchemaIDHeader || e.Key == valueSchemaIDHeader {
			continue
		}
		if !utf8.ValidString(e.Value) {
			return e.Key, true
		}
	}
	return "", false
}
