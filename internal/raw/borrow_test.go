package raw

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/benchevents"
)

// The raw entry decodes the event where the caller's bytes are (no copy of
// the event) and copies into its arena only the strings the records keep:
// aws-lambda-go hands the handler its payload buffer, which it reuses for
// the next invocation, so nothing decoded may point into it. These tests
// decode over a buffer, check that no string, slice or pointer of the
// records, identifiers and errors points into it, overwrite it as the next
// invocation would, and compare everything with the decoding of a copy of
// the event (the decoding before borrowing, which has its own copy).

// borrowedEvents are the events the borrowing is checked on: the
// benchmark events (a record in ten marked to fail the handler, which does
// not matter here), AWS's sample events, the conformance vectors and edge
// cases: escapes, non-ASCII, case-folded keys, nulls, records that do not
// decode (identifier and ordering key read from the raw record).
func borrowedEvents(t testing.TB) map[string][]byte {
	evs := map[string][]byte{}
	for _, kind := range benchevents.Kinds {
		evs["bench-"+kind] = benchevents.Event(kind, 40)
	}
	samples, _ := filepath.Glob("../../processors/testdata/events/*.json")
	vectors, _ := filepath.Glob("../../processors/testdata/conformance/*.json")
	for _, p := range append(samples, vectors...) {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		var v struct {
			Event json.RawMessage `json:"event"`
		}
		if json.Unmarshal(data, &v) == nil && len(v.Event) > 0 {
			data = v.Event
		}
		evs[filepath.Base(p)] = data
	}
	if len(samples) == 0 || len(vectors) == 0 {
		t.Fatal("no sample events or conformance vectors found")
	}
	for name, ev := range map[string]string{
		"sqs-edge": `{"Records":[
			{"MessageId":"m1","body":"caf\u00e9 \"quoted\" \\ tab\t","attributes":{"MessageGroupId":"g\u00e9","SentTimestamp":"1"},"messageAttributes":{"n\u00e4me":{"stringValue":"v\u00e4lue","dataType":"String","stringListValues":["a","b\u00e9"],"binaryValue":"AQID"}},"eventSource":"aws:sqs"},
			{"messageId":"m2","body":null,"attributes":null,"messageAttributes":{},"AWSREGION":"eu-west-1","unknown":{"x":[1,2,"y"]}},
			{"messageId":"m3-bad","body":17,"attributes":{"MessageGroupId":"group-of-bad"}},
			{"messageId":"m4-bad","attributes":{"MessageGroupId":"g2"},"messageAttributes":{"a":{"stringValue":5}}},
			{"messageId":"m5","body":"ok","attributes":{"MessageGroupId":"g\u00e9"}}
		]}`,
		"kinesis-edge": `{"Records":[
			{"kinesis":{"partitionKey":"p\u00e9","sequenceNumber":"1","data":"aGVsbG8=","approximateArrivalTimestamp":1545084650.987},"eventID":"e1"},
			{"kinesis":{"partitionKey":"pk-bad","sequenceNumber":"2-bad","data":"not base64!"},"eventID":"e2"},
			{"Kinesis":{"PartitionKey":"pk3","SequenceNumber":"3","data":null},"EVENTNAME":"n"}
		]}`,
		"dynamodb-edge": `{"Records":[
			{"eventID":"1","dynamodb":{"Keys":{"Id":{"S":"k\u00e9y"}},"NewImage":{"S":{"S":"x"},"N":{"N":"1"},"B":{"B":"AQID"},"SS":{"SS":["a","b"]},"NS":{"NS":["1"]},"BS":{"BS":["AQ=="]},"L":{"L":[{"S":"in list"},{"M":{"k":{"S":"v"}}}]},"Z":{"NULL":true},"T":{"BOOL":false},"E":{ "S" : "spaced" }},"SequenceNumber":"100"}},
			{"eventID":"2","dynamodb":{"Keys":{"Id":{"S":"bad-key"}},"NewImage":{"X":{"Q":"unknown type"}},"SequenceNumber":"200-bad"}},
			{"eventID":"3","dynamodb":{"Keys":{"Id":{"S":"k\u00e9y"}},"OldImage":{"S":{"S":"x"}},"NewImage":{"S":{"N":"x"}},"SequenceNumber":"300"}}
		]}`,
	} {
		evs[name] = []byte(ev)
	}
	return evs
}

func TestBorrowedEventIsNotKept(t *testing.T) {
	for name, ev := range borrowedEvents(t) {
		t.Run(name, func(t *testing.T) {
			checkBorrowed(t, ev, &SQS)
			checkBorrowed(t, ev, &Kinesis)
			checkBorrowed(t, ev, &DynamoDB)
		})
	}
}

// FuzzBorrowed holds the borrowing decoder to the decoding of a copy on any
// input: the same records, failures and errors, and nothing pointing into
// the caller's buffer.
func FuzzBorrowed(f *testing.F) {
	for _, ev := range borrowedEvents(f) {
		f.Add(ev)
	}
	f.Fuzz(func(t *testing.T, event []byte) {
		checkBorrowed(t, event, &SQS)
		checkBorrowed(t, event, &Kinesis)
		checkBorrowed(t, event, &DynamoDB)
	})
}

func checkBorrowed[R any](t *testing.T, event []byte, k *Kind[R]) {
	t.Helper()
	want, wantFailures, wantErr := DecodeEnvelope(string(event), k, RecordsKey, nil, skipEveryField)
	buf := bytes.Clone(event)
	got, gotFailures, gotErr := decodeEvent(unsafe.String(unsafe.SliceData(buf), len(buf)), k)
	var ids []string
	for _, f := range gotFailures {
		ids = append(ids, f.Identifier, f.Err.Error())
	}
	if gotErr != nil {
		ids = append(ids, gotErr.Error())
	}
	if p := pointsInto(buf, reflect.ValueOf(got), map[uintptr]bool{}); p != "" {
		t.Fatalf("a record points into the event's bytes: %s", p)
	}
	if p := pointsInto(buf, reflect.ValueOf(ids), map[uintptr]bool{}); p != "" {
		t.Fatalf("a failure points into the event's bytes: %s", p)
	}
	// The caller reuses its buffer (the next invocation's payload).
	for i := range buf {
		buf[i] = 'X'
	}
	require.Equal(t, errString(wantErr), errString(gotErr))
	require.Equal(t, want, got)
	require.Equal(t, failureStrings(wantFailures), failureStrings(gotFailures))
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func failureStrings(fs []*core.RecordDecodeError) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Error(), f.Identifier)
	}
	return out
}

// pointsInto returns the path of the first string, slice or pointer under v
// whose memory lies in buf, or "".
func pointsInto(buf []byte, v reflect.Value, seen map[uintptr]bool) string {
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	hi := lo + uintptr(len(buf))
	in := func(p uintptr) bool { return p >= lo && p < hi }
	switch v.Kind() {
	case reflect.String:
		// An empty string too: it still holds a pointer (Go keeps the
		// start of the string it was cut from), which keeps the buffer
		// alive.
		if s := v.String(); in(uintptr(unsafe.Pointer(unsafe.StringData(s)))) {
			return fmt.Sprintf("string %q", s)
		}
	case reflect.Slice:
		if in(v.Pointer()) {
			return "slice"
		}
		for i := range v.Len() {
			if p := pointsInto(buf, v.Index(i), seen); p != "" {
				return p
			}
		}
	case reflect.Array:
		for i := range v.Len() {
			if p := pointsInto(buf, v.Index(i), seen); p != "" {
				return p
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if p := pointsInto(buf, it.Key(), seen); p != "" {
				return "map key: " + p
			}
			if p := pointsInto(buf, it.Value(), seen); p != "" {
				return "map value: " + p
			}
		}
	case reflect.Pointer:
		if v.IsNil() || seen[v.Pointer()] {
			return ""
		}
		if in(v.Pointer()) {
			return "pointer"
		}
		seen[v.Pointer()] = true
		return pointsInto(buf, v.Elem(), seen)
	case reflect.Interface:
		if !v.IsNil() {
			return pointsInto(buf, v.Elem(), seen)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if p := pointsInto(buf, v.Field(i), seen); p != "" {
				return v.Type().Field(i).Name + ": " + p
			}
		}
	}
	return ""
}

// TestPointsInto checks the checker: a record holding a view of the buffer
// is found.
func TestPointsInto(t *testing.T) {
	buf := []byte(`{"Records":[{"messageId":"abc"}]}`)
	view := unsafe.String(&buf[24], 3)
	for _, v := range []any{
		[]events.SQSMessage{{MessageId: view}},
		[]events.SQSMessage{{Attributes: map[string]string{view: "x"}}},
		[]events.SQSMessage{{MessageAttributes: map[string]events.SQSMessageAttribute{"a": {StringValue: &view}}}},
		[]events.DynamoDBEventRecord{{Change: events.DynamoDBStreamRecord{Keys: map[string]events.DynamoDBAttributeValue{"k": events.NewStringAttribute(view)}}}},
		[]events.KinesisEventRecord{{Kinesis: events.KinesisRecord{Data: buf[1:3]}}},
	} {
		require.NotEmpty(t, pointsInto(buf, reflect.ValueOf(v), map[uintptr]bool{}), "%#v", v)
	}
	require.Empty(t, pointsInto(buf, reflect.ValueOf([]events.SQSMessage{{MessageId: strings.Clone(view)}}), map[uintptr]bool{}))
}
