// Package kpl deaggregates Kinesis records that the Kinesis Producer Library
// (KPL) aggregated: many user records packed into one Kinesis record as the
// magic bytes F3 89 9A C2, a Protobuf AggregatedRecord and the MD5 digest of
// that Protobuf message. Lambda delivers the aggregate as one record; with
// this package the handler sees each user record, with its partition key,
// explicit hash key and sub-sequence number. The format is the KPL's
// (https://github.com/awslabs/amazon-kinesis-producer/blob/master/aggregation-format.md).
//
// Layer is an envelope layer: put it first (outermost) among the layers of
// Kinesis records, and the handler is called once per user record, in order:
//
//	h := envelope.Wrap(envelope.Config[events.KinesisEventRecord]{
//		Layers: []envelope.Layer{kpl.Layer()},
//	}, handleOrder)
//	// handleOrder(ctx context.Context, o Order, m *envelope.Meta[events.KinesisEventRecord]) error
//	// rec := m.Layers[0].Meta.(*kpl.Record) // partition key, sub-sequence number
//
// A handler whose payload type is kpl.Record receives the user record
// itself. Layers compose: kpl.Layer(), envelope.CloudWatchLogs() opens log
// data that a producer aggregated.
//
// A record that is not an aggregate (its data does not start with the magic
// bytes) passes through unchanged, as one user record with Aggregated false:
// a stream may hold both. A record that starts with the magic bytes but is
// not a whole aggregate (too short for the digest, a digest that does not
// match, a Protobuf message that does not decode, an index out of its table)
// fails alone with an error matching core.ErrDecode (inside the
// *envelope.UnwrapError of the layer), and its handler is not called.
//
// Failures are reported by the parent Kinesis record's sequence number:
// that is what Lambda checkpoints (a user record has no sequence number of
// its own). When one user record fails, the handler is not called for the
// user records after it in the same aggregate, and the whole aggregate is
// delivered again, so the user records before it are handled again too. Make
// the handler idempotent keyed by the parent's sequence number and the
// sub-sequence number (m.Record.Kinesis.SequenceNumber, Record.SubSequenceNumber):
// the pair names one user record across redeliveries. See docs/kpl.md.
//
// The package uses the standard library only: the three-field Protobuf
// message is decoded by hand.
package kpl

import (
	"bytes"
	"crypto/md5"
	"errors"
	"fmt"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/envelope"
)

// magic starts the data of every KPL aggregate.
var magic = []byte{0xF3, 0x89, 0x9A, 0xC2}

// Record is one user record of a Kinesis record.
type Record struct {
	// PartitionKey is the user record's partition key (for a record that is
	// not an aggregate, "": read the parent's).
	PartitionKey string
	// ExplicitHashKey is the user record's explicit hash key, if the
	// producer set one.
	ExplicitHashKey string
	// SubSequenceNumber is the user record's position in its aggregate,
	// from 0 (0 for a record that is not an aggregate). With the parent's
	// sequence number it names the user record.
	SubSequenceNumber int
	// Aggregated says whether the parent record was a KPL aggregate.
	Aggregated bool
	// Data is the user record's data: a sub-slice of the data given to
	// Deaggregate.
	Data []byte
}

// aggregateError is the error of a Kinesis record that starts with the KPL
// magic bytes but is not a whole aggregate. It matches core.ErrDecode.
type aggregateError struct {
	// problem says what is wrong, for example "MD5 digest mismatch".
	problem string
}

func (e *aggregateError) Error() string { return "batchkit: KPL aggregate: " + e.problem }

func (e *aggregateError) Is(target error) bool { return target == core.ErrDecode }

// Deaggregate returns the user records in data, the data of one Kinesis
// record: those of a KPL aggregate, in order, or data itself as one record
// with Aggregated false when it is not an aggregate. An aggregate that is not
// whole is an error matching core.ErrDecode. The records' Data are sub-slices of data.
func Deaggregate(data []byte) ([]Record, error) {
	if !bytes.HasPrefix(data, magic) {
		return []Record{{Data: data}}, nil
	}
	if len(data) < len(magic)+md5.Size {
		return nil, &aggregateError{problem: fmt.Sprintf("%d bytes: too short for the magic bytes and the MD5 digest", len(data))}
	}
	msg := data[len(magic) : len(data)-md5.Size]
	if sum := md5.Sum(msg); !bytes.Equal(sum[:], data[len(data)-md5.Size:]) {
		return nil, &aggregateError{problem: "MD5 digest mismatch"}
	}
	return decodeAggregate(msg)
}

// Layer returns the envelope layer of KPL aggregates, for Kinesis records:
// each user record is a part whose Meta is its *Record, and a record that is
// not an aggregate is one part, unchanged. An aggregate of no user record
// holds nothing to handle: its record succeeds without the handler being
// called (envelope.Skip).
func Layer() envelope.Layer { return layer{} }

// layerName names the layer in errors.
const layerName = "KPL aggregate"

type layer struct{}

func (layer) Name() string { return layerName }

func (layer) Unwrap(data []byte) ([]envelope.Part, error) {
	recs, err := Deaggregate(data)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, envelope.Skip("empty KPL aggregate", nil)
	}
	parts := make([]envelope.Part, len(recs))
	for i := range recs {
		parts[i] = envelope.Part{Data: recs[i].Data, Meta: &recs[i]}
	}
	return parts, nil
}

// The Protobuf wire format
// (https://protobuf.dev/programming-guides/encoding/) of
//
//	message AggregatedRecord {
//	  repeated string partition_key_table     = 1;
//	  repeated string explicit_hash_key_table = 2;
//	  repeated Record records                 = 3;
//	}
//	message Record {
//	  required uint64 partition_key_index     = 1;
//	  optional uint64 explicit_hash_key_index = 2;
//	  required bytes  data                    = 3;
//	  repeated Tag    tags                    = 4;
//	}
//
// Unknown fields (and the tags) are skipped, as Protobuf requires.

const (
	wireVarint = 0
	wireI64    = 1
	wireLen    = 2
	wireI32    = 5
)

var errTruncated = errors.New("truncated")

// reader reads Protobuf fields from a message.
type reader struct{ b []byte }

func (r *reader) varint() (uint64, error) {
	var v uint64
	for i := 0; i < 10; i++ {
		if i >= len(r.b) {
			return 0, errTruncated
		}
		c := r.b[i]
		if i == 9 && c > 1 {
			return 0, errors.New("varint overflows 64 bits")
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			r.b = r.b[i+1:]
			return v, nil
		}
	}
	return 0, errors.New("varint overflows 64 bits")
}

// field reads a field's number and wire type, and its bytes for a
// length-delimited field (skipping the value of any other wire type).
func (r *reader) field() (num uint64, wire uint64, val []byte, n uint64, err error) {
	key, err := r.varint()
	if err != nil {
		return 0, 0, nil, 0, err
	}
	num, wire = key>>3, key&7
	if num == 0 {
		return 0, 0, nil, 0, errors.New("field number 0")
	}
	switch wire {
	case wireVarint:
		n, err = r.varint()
	case wireLen:
		var l uint64
		if l, err = r.varint(); err == nil {
			if l > uint64(len(r.b)) {
				return 0, 0, nil, 0, errTruncated
			}
			val, r.b = r.b[:l], r.b[l:]
		}
	case wireI64, wireI32:
		size := 8
		if wire == wireI32 {
			size = 4
		}
		if len(r.b) < size {
			return 0, 0, nil, 0, errTruncated
		}
		r.b = r.b[size:]
	default:
		return 0, 0, nil, 0, fmt.Errorf("wire type %d of field %d", wire, num)
	}
	return num, wire, val, n, err
}

// wrongType is the error of a known field with another wire type.
func wrongType(msg string, num, wire uint64) error {
	return fmt.Errorf("%s field %d has wire type %d", msg, num, wire)
}

type rawRecord struct {
	pk, ehk       uint64
	hasPK, hasEHK bool
	hasData       bool
	data          []byte
}

func decodeAggregate(msg []byte) ([]Record, error) {
	fail := func(err error) ([]Record, error) {
		return nil, &aggregateError{problem: "protobuf AggregatedRecord: " + err.Error()}
	}
	var pks, ehks []string
	var raws []rawRecord
	r := reader{msg}
	for len(r.b) > 0 {
		num, wire, val, _, err := r.field()
		if err != nil {
			return fail(err)
		}
		switch num {
		case 1, 2, 3:
			if wire != wireLen {
				return fail(wrongType("AggregatedRecord", num, wire))
			}
		default:
			continue
		}
		switch num {
		case 1:
			pks = append(pks, string(val))
		case 2:
			ehks = append(ehks, string(val))
		case 3:
			rec, err := decodeRecord(val)
			if err != nil {
				return fail(fmt.Errorf("record %d: %w", len(raws), err))
			}
			raws = append(raws, rec)
		}
	}
	out := make([]Record, len(raws))
	for i, rr := range raws {
		if rr.pk >= uint64(len(pks)) {
			return fail(fmt.Errorf("record %d: partition key index %d out of a table of %d", i, rr.pk, len(pks)))
		}
		out[i] = Record{PartitionKey: pks[rr.pk], SubSequenceNumber: i, Aggregated: true, Data: rr.data}
		if rr.hasEHK {
			if rr.ehk >= uint64(len(ehks)) {
				return fail(fmt.Errorf("record %d: explicit hash key index %d out of a table of %d", i, rr.ehk, len(ehks)))
			}
			out[i].ExplicitHashKey = ehks[rr.ehk]
		}
	}
	return out, nil
}

func decodeRecord(msg []byte) (rawRecord, error) {
	var rec rawRecord
	r := reader{msg}
	for len(r.b) > 0 {
		num, wire, val, n, err := r.field()
		if err != nil {
			return rec, err
		}
		switch num {
		case 1, 2:
			if wire != wireVarint {
				return rec, wrongType("Record", num, wire)
			}
			if num == 1 {
				rec.pk, rec.hasPK = n, true
			} else {
				rec.ehk, rec.hasEHK = n, true
			}
		case 3:
			if wire != wireLen {
				return rec, wrongType("Record", num, wire)
			}
			rec.data, rec.hasData = val, true
		}
	}
	if !rec.hasPK {
		return rec, errors.New("no partition_key_index")
	}
	if !rec.hasData {
		return rec, errors.New("no data")
	}
	return rec, nil
}
