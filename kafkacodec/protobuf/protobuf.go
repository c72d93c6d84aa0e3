// Package protobuf decodes Protobuf keys and values of Kafka records for
// [kafkapayload.Decoder], into generated message types, with
// google.golang.org/protobuf.
//
// The schema-registry framing names the message type inside the registered
// .proto file: Confluent with a path of indexes (the single byte 0 standing
// for the first top-level message), AWS Glue with one index into all the
// file's message types (nested ones and map entries included) sorted by full
// name. The [Codec] checks that index against its generated type and fails
// a record of another type with [kafkapayload.ErrSchemaMismatch] instead of
// decoding it into the wrong fields ([Config].IgnoreMessageIndexes turns the check
// off, for producers whose registered file is organised differently from
// the generated one).
//
// The codec takes generated message types because that is what Go users
// hold; the test messages are therefore generated with protoc and
// protoc-gen-go (see internal/testpb, `go generate`) rather than built as
// descriptors with protodesc and dynamicpb, so the tests exercise the same
// code path as users' messages, nested types and map entries included.
package protobuf

import (
	"cmp"
	"fmt"
	"slices"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/kafkapayload"
)

// Codec decodes Protobuf payloads into new messages of the generated type T
// (a pointer type such as *orderpb.Order). It is safe for concurrent use.
type Codec[T proto.Message] struct {
	typ           protoreflect.MessageType
	confluentPath []int
	glueIndex     int
	ignoreIndexes bool
	unmarshal     proto.UnmarshalOptions
	unmarshalJSON protojson.UnmarshalOptions
}

// Config configures a [Codec]; the zero value checks message indexes.
type Config struct {
	// IgnoreMessageIndexes turns off the check of the framing's message
	// index against T: every record is decoded as a T.
	IgnoreMessageIndexes bool
}

// New returns the codec for the generated message type T.
func New[T proto.Message](c Config) *Codec[T] {
	var zero T
	typ := zero.ProtoReflect().Type()
	desc := typ.Descriptor()
	return &Codec[T]{
		typ:           typ,
		confluentPath: ConfluentIndexes(desc),
		glueIndex:     GlueIndex(desc),
		ignoreIndexes: c.IgnoreMessageIndexes,
		unmarshalJSON: protojson.UnmarshalOptions{DiscardUnknown: true},
	}
}

// Format returns "PROTOBUF", which also makes the framing parser read the
// message index.
func (c *Codec[T]) Format() string { return "PROTOBUF" }

// Decode checks the message index of s against T and unmarshals payload
// into a new T; every byte of payload must belong to the message (Protobuf
// decoding consumes its whole input). A panic of the library is returned as
// a *core.PanicError.
func (c *Codec[T]) Decode(payload []byte, s kafkapayload.Schema) (v T, err error) {
	if err := c.check(&s); err != nil {
		return v, err
	}
	defer func() {
		if p := recover(); p != nil {
			pe := core.NewPanicError(p)
			pe.Where = "protobuf Decode"
			err = pe
		}
	}()
	m := c.typ.New().Interface().(T)
	if err := c.unmarshal.Unmarshal(payload, m); err != nil {
		return v, err
	}
	return m, nil
}

// DecodeJSON decodes a value the event source mapping converted to JSON,
// with protojson (field names in either the .proto or the JSON spelling;
// unknown fields are ignored).
func (c *Codec[T]) DecodeJSON(data []byte) (T, error) {
	m := c.typ.New().Interface().(T)
	if err := c.unmarshalJSON.Unmarshal(data, m); err != nil {
		var zero T
		return zero, err
	}
	return m, nil
}

func (c *Codec[T]) check(s *kafkapayload.Schema) error {
	if c.ignoreIndexes || s == nil || s.Indexes == nil {
		return nil
	}
	name := c.typ.Descriptor().FullName()
	switch s.Wire {
	case kafkapayload.WireConfluent, kafkapayload.WireHeaderID:
		if !slices.Equal(s.Indexes, c.confluentPath) {
			return fmt.Errorf("%w: the record's Confluent message indexes %v name another message than %s %v", kafkapayload.ErrSchemaMismatch, s.Indexes, name, c.confluentPath)
		}
	case kafkapayload.WireGlue:
		if len(s.Indexes) != 1 || s.Indexes[0] != c.glueIndex {
			return fmt.Errorf("%w: the record's AWS Glue message index %v names another message than %s (%d)", kafkapayload.ErrSchemaMismatch, s.Indexes, name, c.glueIndex)
		}
	}
	return nil
}

// ConfluentIndexes returns the Confluent message-index path of a message
// type: its index among the file's top-level messages, then among its
// parent's nested messages, outermost first.
func ConfluentIndexes(d protoreflect.MessageDescriptor) []int {
	var path []int
	var cur protoreflect.Descriptor = d
	for {
		path = append(path, cur.Index())
		parent := cur.Parent()
		if _, ok := parent.(protoreflect.MessageDescriptor); !ok {
			break
		}
		cur = parent
	}
	slices.Reverse(path)
	return path
}

// GlueIndex returns the AWS Glue message index of a message type: its
// position among all the message types of its file (nested ones and map
// entries included), sorted by full name.
func GlueIndex(d protoreflect.MessageDescriptor) int {
	all := AllMessages(d.ParentFile())
	i, _ := slices.BinarySearchFunc(all, d.FullName(), func(m protoreflect.MessageDescriptor, n protoreflect.FullName) int {
		return cmp.Compare(m.FullName(), n)
	})
	return i
}

// AllMessages returns every message type of f, nested ones and map entries
// included, sorted by full name: the order AWS Glue numbers them in.
func AllMessages(f protoreflect.FileDescriptor) []protoreflect.MessageDescriptor {
	var all []protoreflect.MessageDescriptor
	queue := []protoreflect.MessageDescriptors{f.Messages()}
	for len(queue) > 0 {
		ms := queue[0]
		queue = queue[1:]
		for i := range ms.Len() {
			m := ms.Get(i)
			all = append(all, m)
			queue = append(queue, m.Messages())
		}
	}
	slices.SortFunc(all, func(a, b protoreflect.MessageDescriptor) int { return cmp.Compare(a.FullName(), b.FullName()) })
	return all
}
