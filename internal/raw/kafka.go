package raw

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/rawjson"
)

// KafkaGroup is the records of one key of the event's "records" object, in
// event order, with the ones that did not decode.
type KafkaGroup struct {
	Key      string
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

// DecodeKafkaEvent reads the event's fields and its records, by key of the
// "records" object (a repeated key replaces the earlier one, as in
// encoding/json's map decoding).
func DecodeKafkaEvent(s string) (ev events.KafkaEvent, groups []KafkaGroup, err error) {
	unexpected := func(found string) error {
		return fmt.Errorf("%w (%q: %s)", core.ErrUnexpectedBatchType, kafkaRecordsKey, found)
	}
	d := NewDec(s)
	switch c := d.Peek(); c {
	case '{':
		d.SetPos(d.Pos() + 1)
	case 0:
		return ev, nil, unexpected("an empty event")
	default:
		return ev, nil, unexpected(rawjson.KindOf(c) + " instead of an object")
	}
	found := "missing"
	err = d.Fields(kafkaEventKeys, func(key string) (bool, error) {
		switch key {
		case "eventSource":
			return true, d.StrField(&ev.EventSource)
		case "eventSourceArn":
			return true, d.StrField(&ev.EventSourceARN)
		case "bootstrapServers":
			return true, d.StrField(&ev.BootstrapServers)
		case kafkaRecordsKey:
			if c := d.Peek(); c != '{' {
				found, groups = rawjson.KindOf(c), nil
				return true, d.SkipFast()
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
	if !d.AtEnd() {
		return ev, nil, unexpected("malformed JSON: data after the event object")
	}
	if found != "" {
		return ev, nil, unexpected(found)
	}
	return ev, groups, nil
}

// decodeKafkaGroups reads the "records" object at d.Pos(), adding its keys to
// groups (a key already there is replaced).
func decodeKafkaGroups(d *Dec, groups []KafkaGroup) ([]KafkaGroup, error) {
	d.SetPos(d.Pos() + 1) // '{'
	for first := true; ; first = false {
		key, more, err := d.NextKey(first)
		if err != nil || !more {
			return groups, err
		}
		g := KafkaGroup{Key: key}
		if isNull, err := d.OpenArray(); err != nil {
			return nil, err
		} else if !isNull {
			if err := decodeKafkaGroup(d, &g); err != nil {
				return nil, err
			}
		}
		if i := slices.IndexFunc(groups, func(o KafkaGroup) bool { return o.Key == key }); i >= 0 {
			groups[i] = g
		} else {
			groups = append(groups, g)
		}
	}
}

// decodeKafkaGroup reads the elements of the array just opened into g.
func decodeKafkaGroup(d *Dec, g *KafkaGroup) error {
	topic, partition := SplitTopicPartition(g.Key)
	for first := true; ; first = false {
		more, err := d.NextElem(first)
		if err != nil || !more {
			return err
		}
		start := d.Pos()
		g.records = append(g.records, events.KafkaRecord{})
		r := &g.records[len(g.records)-1]
		rd := NewDec(d.Input())
		rd.SetPos(start)
		decodeErr := decodeKafkaRecord(&rd, r)
		if decodeErr == nil {
			d.SetPos(rd.Pos())
			if r.Topic == "" && partition >= 0 {
				r.Topic, r.Partition = topic, partition
			}
			continue
		}
		// Find where the record ends by its structure alone, and identify
		// it by its map key and its offset.
		d.SetPos(start)
		if err := d.SkipFast(); err != nil {
			return err
		}
		*r = events.KafkaRecord{}
		if off, ok := findInt(d.Input()[start:d.Pos()], "offset"); ok && partition >= 0 {
			r.Topic, r.Partition, r.Offset = topic, partition, off
		}
		g.failures = append(g.failures, kafkaFailure{index: len(g.records) - 1, err: decodeErr})
	}
}

var kafkaRecordKeys = []string{"topic", "partition", "offset", "timestamp", "timestampType", "key", "value", "headers"}

// decodeKafkaRecord decodes one events.KafkaRecord, as encoding/json does.
func decodeKafkaRecord(d *Dec, r *events.KafkaRecord) error {
	if err := d.OpenRecord(); err != nil {
		return err
	}
	return d.Fields(kafkaRecordKeys, func(key string) (bool, error) {
		switch key {
		case "topic":
			return true, d.StrField(&r.Topic)
		case "partition":
			return true, d.Int64Field(&r.Partition)
		case "offset":
			return true, d.Int64Field(&r.Offset)
		case "timestamp":
			// MilliSecondsEpochTime: an integer of milliseconds; null
			// is the epoch.
			var ms int64
			if err := d.Int64Field(&ms); err != nil {
				return true, err
			}
			r.Timestamp = events.MilliSecondsEpochTime{Time: time.Unix(ms/1000, (ms%1000)*1000000)}
			return true, nil
		case "timestampType":
			return true, d.StrField(&r.TimestampType)
		case "key":
			return true, d.StrField(&r.Key)
		case "value":
			return true, d.StrField(&r.Value)
		case "headers":
			return true, kafkaHeaders(d, &r.Headers)
		}
		return false, nil
	})
}

// kafkaHeaders reads the headers: an array of objects whose values are
// arrays of signed bytes (events.JSONNumberBytes), as Lambda sends them.
// null sets dst to nil; a null object is a nil map; a null value is an
// empty (non-nil) byte slice, as JSONNumberBytes.UnmarshalJSON makes it.
func kafkaHeaders(d *Dec, dst *[]map[string]events.JSONNumberBytes) error {
	isNull, err := d.OpenArray()
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
		more, err := d.NextElem(first)
		if err != nil {
			return err
		}
		if !more {
			*dst = out
			return nil
		}
		isNull, err := d.OpenObject()
		if err != nil {
			return err
		}
		if isNull {
			out = append(out, nil)
			continue
		}
		m := map[string]events.JSONNumberBytes{}
		for first := true; ; first = false {
			key, more, err := d.NextKey(first)
			if err != nil {
				return err
			}
			if !more {
				break
			}
			b, err := signedBytes(d)
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
func signedBytes(d *Dec) (events.JSONNumberBytes, error) {
	isNull, err := d.OpenArray()
	if err != nil || isNull {
		return events.JSONNumberBytes{}, err
	}
	b := events.JSONNumberBytes{}
	for first := true; ; first = false {
		more, err := d.NextElem(first)
		if err != nil || !more {
			return b, err
		}
		if c := d.Peek(); c != '-' && (c < '0' || c > '9') {
			return nil, d.Errorf("expected a header byte, found %s", rawjson.KindOf(c))
		}
		lit, err := d.Number()
		if err != nil {
			return nil, err
		}
		v, err := strconv.ParseInt(lit, 10, 8)
		if err != nil {
			return nil, d.Errorf("header byte %s is not an int8", lit)
		}
		b = append(b, byte(int8(v)))
	}
}

// findInt reads the integer under key in the JSON object s, leniently (the
// key matched ignoring case, the last integer winning, anything else
// ignored), as findString does for strings.
func findInt(s, key string) (int64, bool) {
	d := NewDec(s)
	if d.Peek() != '{' {
		return 0, false
	}
	d.SetPos(d.Pos() + 1)
	var v int64
	ok := false
	for first := true; ; first = false {
		k, more, err := d.NextKey(first)
		if err != nil || !more {
			break
		}
		if c := d.Peek(); strings.EqualFold(k, key) && (c == '-' || '0' <= c && c <= '9') {
			at := d.Pos()
			if lit, err := d.Number(); err == nil {
				if n, err := strconv.ParseInt(lit, 10, 64); err == nil {
					v, ok = n, true
				}
			}
			d.SetPos(at)
		}
		if d.SkipFast() != nil {
			break
		}
	}
	return v, ok
}

// OrderKafka lays the groups' records out in [KafkaRecords]' order and
// returns the decoding failures at their new positions: by key, then by
// offset, and, when a record was filed under a key that is not its own
// topic-partition, every record by its own topic, partition and offset.
func OrderKafka(groups []KafkaGroup) ([]events.KafkaRecord, []*core.RecordDecodeError) {
	if len(groups) > 1 {
		slices.SortFunc(groups, func(a, b KafkaGroup) int { return CompareTopicPartitions(a.Key, b.Key) })
	}
	n := 0
	for _, g := range groups {
		n += len(g.records)
	}
	out := make([]events.KafkaRecord, 0, n)
	var failures []*core.RecordDecodeError
	for _, g := range groups {
		start := len(out)
		if len(g.failures) == 0 {
			out = append(out, g.records...)
			if recs := out[start:]; !OffsetsAscending(recs) { // as Lambda sends them: nothing to sort
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
				failures = append(failures, &core.RecordDecodeError{Position: len(out), Identifier: id, Err: err})
			}
			out = append(out, r)
		}
	}
	if !OwnPartitionsSorted(out) {
		// A record filed under another partition's key: order (and so
		// stop) it by its own topic-partition.
		perm := SortOwnPartitions(out)
		at := make([]int, len(perm)) // old position -> new
		for i, j := range perm {
			at[j] = i
		}
		for _, f := range failures {
			f.Position = at[f.Position]
		}
	}
	return out, failures
}
