package processors

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
)

// ProcessKafkaRaw is the raw-bytes entry for Kafka (Amazon MSK and
// self-managed Apache Kafka): it takes the event as Lambda sent it (declare
// the Lambda handler's event as json.RawMessage), decodes each record of its
// "records" object on its own and runs p over them with h, with the
// guarantees of [ProcessKafka]:
//
//   - an event whose eventSource is neither "aws:kafka" nor
//     "SelfManagedKafka" is refused with a [*core.EventSourceMismatchError]
//     before any handler runs ([CheckKafkaEventSource]);
//   - the records are handled in the order of [KafkaRecords]: topic-partitions
//     by topic then partition number, each partition's records by offset;
//   - a record that does not decode (a field of the wrong type, a header byte
//     out of range) is not handed to h: it fails alone with a
//     [*RecordDecodeError] (its Position is its place in that order, its
//     Identifier "<topic>-<partition>@<offset>"), reported by its partition
//     and offset, and, Kafka stopping a partition at its first failure, the
//     later offsets of its partition are not handled. When its offset cannot
//     be read, or its map key is not "<topic>-<partition>", the invocation
//     returns a [core.UnidentifiableFailureError]: the batch is retried and
//     nothing is lost;
//   - a record without "topic" belongs to the topic-partition of the event's
//     map key that holds it: its Topic and Partition are set from that key
//     (when the key reads as "<topic>-<partition>"), so that it is
//     identified as Lambda names it;
//   - an event without a "records" object (missing, null, not an object)
//     returns a [*core.UnexpectedBatchTypeError] before any handler runs.
//
// For a valid event, h receives exactly the records that json.Unmarshal into
// events.KafkaEvent followed by [KafkaRecords] gives. The response marshals
// as Lambda expects for Kafka ({"partition": "<topic>-<partition>",
// "offset": N} identifiers). Like the other raw entries, record strings share
// one copy of the event.
func ProcessKafkaRaw(ctx context.Context, p core.PartialProcessor[events.KafkaRecord], event []byte, h core.Handler[events.KafkaRecord]) (core.Response, error) {
	ev, groups, err := decodeKafkaEvent(string(event))
	if err != nil {
		return core.Response{}, err
	}
	// The event-source check is the typed entry's; it looks at the source
	// and whether the event holds records.
	ev.Records = make(map[string][]events.KafkaRecord, len(groups))
	for _, g := range groups {
		ev.Records[g.key] = nil
	}
	if err := CheckKafkaEventSource(ev); err != nil {
		return core.Response{}, err
	}
	records, failures := orderKafka(groups)
	b := core.NewBatch(records, h)
	for _, f := range failures {
		b.Fail(f.Position, f)
	}
	return core.Run(ctx, p, b)
}

// kafkaGroup is the records of one key of the event's "records" object, in
// event order, with the ones that did not decode.
type kafkaGroup struct {
	key      string
	records  []events.KafkaRecord
	failures []kafkaFailure
}

// kafkaFailure is a record of a group that did not decode.
type kafkaFailure struct {
	index int // in the group's records
	err   error
}

const kafkaRecordsKey = "records"

var kafkaEventKeys = []string{"eventSource", "eventSourceArn", kafkaRecordsKey, "bootstrapServers"}

// decodeKafkaEvent reads the event's fields and its records, by key of the
// "records" object (a repeated key replaces the earlier one, as in
// encoding/json's map decoding).
func decodeKafkaEvent(s string) (ev events.KafkaEvent, groups []kafkaGroup, err error) {
	unexpected := func(found string) error {
		return &core.UnexpectedBatchTypeError{Key: kafkaRecordsKey, Found: found}
	}
	d := dec{s: s}
	switch c := d.peek(); c {
	case '{':
		d.i++
	case 0:
		return ev, nil, unexpected("an empty event")
	default:
		return ev, nil, unexpected(kindOf(c) + " instead of an object")
	}
	found := "missing"
	err = d.fields(kafkaEventKeys, func(key string) (bool, error) {
		switch key {
		case "eventSource":
			return true, d.strField(&ev.EventSource)
		case "eventSourceArn":
			return true, d.strField(&ev.EventSourceARN)
		case "bootstrapServers":
			return true, d.strField(&ev.BootstrapServers)
		case kafkaRecordsKey:
			if c := d.peek(); c != '{' {
				found, groups = kindOf(c), nil
				return true, d.skipFast()
			}
			found = ""
			var err error
			groups, err = decodeKafkaGroups(&d, groups)
			return true, err
		}
		return false, nil
	})
	if err != nil {
		return ev, nil, unexpected("malformed JSON: " + err.Error())
	}
	if d.peek() != 0 {
		return ev, nil, unexpected("malformed JSON: data after the event object")
	}
	if found != "" {
		return ev, nil, unexpected(found)
	}
	return ev, groups, nil
}

// decodeKafkaGroups reads the "records" object at d.i, adding its keys to
// groups (a key already there is replaced).
func decodeKafkaGroups(d *dec, groups []kafkaGroup) ([]kafkaGroup, error) {
	d.i++ // '{'
	for first := true; ; first = false {
		key, more, err := d.nextKey(first)
		if err != nil || !more {
			return groups, err
		}
		g := kafkaGroup{key: key}
		if isNull, err := d.openArray(); err != nil {
			return nil, err
		} else if !isNull {
			if err := decodeKafkaGroup(d, &g); err != nil {
				return nil, err
			}
		}
		if i := slices.IndexFunc(groups, func(o kafkaGroup) bool { return o.key == key }); i >= 0 {
			groups[i] = g
		} else {
			groups = append(groups, g)
		}
	}
}

// decodeKafkaGroup reads the elements of the array just opened into g.
func decodeKafkaGroup(d *dec, g *kafkaGroup) error {
	topic, partition := splitTopicPartition(g.key)
	for first := true; ; first = false {
		more, err := d.nextElem(first)
		if err != nil || !more {
			return err
		}
		start := d.i
		g.records = append(g.records, events.KafkaRecord{})
		r := &g.records[len(g.records)-1]
		rd := dec{s: d.s, i: start}
		decodeErr := decodeKafkaRecord(&rd, r)
		if decodeErr == nil {
			d.i = rd.i
			if r.Topic == "" && partition >= 0 {
				r.Topic, r.Partition = topic, partition
			}
			continue
		}
		// Find where the record ends by its structure alone, and identify
		// it by its map key and its offset.
		d.i = start
		if err := d.skipFast(); err != nil {
			return err
		}
		*r = events.KafkaRecord{}
		if off, ok := findInt(d.s[start:d.i], "offset"); ok && partition >= 0 {
			r.Topic, r.Partition, r.Offset = topic, partition, off
		}
		g.failures = append(g.failures, kafkaFailure{index: len(g.records) - 1, err: decodeErr})
	}
}

var kafkaRecordKeys = []string{"topic", "partition", "offset", "timestamp", "timestampType", "key", "value", "headers"}

// decodeKafkaRecord decodes one events.KafkaRecord, as encoding/json does.
func decodeKafkaRecord(d *dec, r *events.KafkaRecord) error {
	if err := d.openRecord(); err != nil {
		return err
	}
	return d.fields(kafkaRecordKeys, func(key string) (bool, error) {
		switch key {
		case "topic":
			return true, d.strField(&r.Topic)
		case "partition":
			return true, d.int64Field(&r.Partition)
		case "offset":
			return true, d.int64Field(&r.Offset)
		case "timestamp":
			// MilliSecondsEpochTime: an integer of milliseconds; null
			// is the epoch.
			var ms int64
			if err := d.int64Field(&ms); err != nil {
				return true, err
			}
			r.Timestamp = events.MilliSecondsEpochTime{Time: time.Unix(ms/1000, (ms%1000)*1000000)}
			return true, nil
		case "timestampType":
			return true, d.strField(&r.TimestampType)
		case "key":
			return true, d.strField(&r.Key)
		case "value":
			return true, d.strField(&r.Value)
		case "headers":
			return true, d.kafkaHeaders(&r.Headers)
		}
		return false, nil
	})
}

// kafkaHeaders reads the headers: an array of objects whose values are
// arrays of signed bytes (events.JSONNumberBytes), as Lambda sends them.
// null sets dst to nil; a null object is a nil map; a null value is an
// empty (non-nil) byte slice, as JSONNumberBytes.UnmarshalJSON makes it.
func (d *dec) kafkaHeaders(dst *[]map[string]events.JSONNumberBytes) error {
	isNull, err := d.openArray()
	if err != nil {
		return err
	}
	if isNull {
		*dst = nil
		return nil
	}
	out := (*dst)[:0]
	if out == nil {
		out = []map[string]events.JSONNumberBytes{}
	}
	for first := true; ; first = false {
		more, err := d.nextElem(first)
		if err != nil {
			return err
		}
		if !more {
			*dst = out
			return nil
		}
		isNull, err := d.openObject()
		if err != nil {
			return err
		}
		if isNull {
			out = append(out, nil)
			continue
		}
		m := map[string]events.JSONNumberBytes{}
		for first := true; ; first = false {
			key, more, err := d.nextKey(first)
			if err != nil {
				return err
			}
			if !more {
				break
			}
			b, err := d.signedBytes()
			if err != nil {
				return err
			}
			m[key] = b
		}
		out = append(out, m)
	}
}

// signedBytes reads an array of numbers in [-128, 127] as bytes; null is an
// empty slice.
func (d *dec) signedBytes() (events.JSONNumberBytes, error) {
	isNull, err := d.openArray()
	if err != nil || isNull {
		return events.JSONNumberBytes{}, err
	}
	b := events.JSONNumberBytes{}
	for first := true; ; first = false {
		more, err := d.nextElem(first)
		if err != nil || !more {
			return b, err
		}
		if c := d.peek(); c != '-' && (c < '0' || c > '9') {
			return nil, d.errorf("expected a header byte, found %s", kindOf(c))
		}
		lit, err := d.number()
		if err != nil {
			return nil, err
		}
		v, err := strconv.ParseInt(lit, 10, 8)
		if err != nil {
			return nil, d.errorf("header byte %s is not an int8", lit)
		}
		b = append(b, byte(int8(v)))
	}
}

// findInt reads the integer under key in the JSON object s, leniently (the
// key matched ignoring case, the last integer winning, anything else
// ignored), as findString does for strings.
func findInt(s, key string) (int64, bool) {
	d := dec{s: s}
	if d.peek() != '{' {
		return 0, false
	}
	d.i++
	var v int64
	ok := false
	for first := true; ; first = false {
		k, more, err := d.nextKey(first)
		if err != nil || !more {
			break
		}
		if c := d.peek(); strings.EqualFold(k, key) && (c == '-' || '0' <= c && c <= '9') {
			at := d.i
			if lit, err := d.number(); err == nil {
				if n, err := strconv.ParseInt(lit, 10, 64); err == nil {
					v, ok = n, true
				}
			}
			d.i = at
		}
		if d.skipFast() != nil {
			break
		}
	}
	return v, ok
}

// orderKafka lays the groups' records out in [KafkaRecords]' order and
// returns the decoding failures at their new positions.
func orderKafka(groups []kafkaGroup) ([]events.KafkaRecord, []*RecordDecodeError) {
	if len(groups) > 1 {
		slices.SortFunc(groups, func(a, b kafkaGroup) int { return compareTopicPartitions(a.key, b.key) })
	}
	n := 0
	for _, g := range groups {
		n += len(g.records)
	}
	out := make([]events.KafkaRecord, 0, n)
	var failures []*RecordDecodeError
	for _, g := range groups {
		start := len(out)
		if len(g.failures) == 0 {
			out = append(out, g.records...)
			if recs := out[start:]; !offsetsAscending(recs) { // as Lambda sends them: nothing to sort
				slices.SortStableFunc(recs, func(a, b events.KafkaRecord) int { return cmp.Compare(a.Offset, b.Offset) })
			}
			continue
		}
		// Sort positions, so that failures follow their records.
		order := make([]int, len(g.records))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(g.records[a].Offset, g.records[b].Offset) })
		failed := make(map[int]error, len(g.failures))
		for _, f := range g.failures {
			failed[f.index] = f.err
		}
		for _, i := range order {
			r := g.records[i]
			if err, ok := failed[i]; ok {
				id := ""
				if r.Topic != "" {
					id = TopicPartition(&r) + "@" + strconv.FormatInt(r.Offset, 10)
				}
				failures = append(failures, &RecordDecodeError{Position: len(out), Identifier: id, Err: err})
			}
			out = append(out, r)
		}
	}
	return out, failures
}
