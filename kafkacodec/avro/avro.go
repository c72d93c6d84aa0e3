// Package avro decodes Avro keys and values of Kafka records for
// [kafkapayload.Decoder], with github.com/hamba/avro/v2.
//
// # Choice of library
//
// The candidates were github.com/hamba/avro/v2 and
// github.com/linkedin/goavro/v2, measured by BenchmarkLibraries in this
// package: both decode the same Avro bytes (an order of 6 fields with a
// nested record, an array of 3 line records and an optional string, 81
// bytes) into the same Go struct; goavro has no struct decoding, so its
// native map is copied into the struct field by field, as a user would.
//
//	go test ./avro -run '^$' -bench Libraries -benchmem -count 5
//	(amd64, 2 cores shared with other jobs, Go 1.26; min / median / max of 5)
//	hamba  (into struct)        1493 / 3034 / 3378 ns/op   281 B/op   3 allocs/op
//	goavro (map, then struct)   5499 / 6837 / 8600 ns/op  2768 B/op  47 allocs/op
//
// hamba is 2 to 4 times faster (3.7 times at the minimum, the least noisy
// figure) with a tenth of the memory and allocations, decodes into
// the user's struct directly (avro struct tags), resolves writer schemas
// against the reader's (schema evolution, see [Config].WriterSchemas) and
// reports errors instead of panicking on the inputs FuzzDecode tried; it is
// the one used, behind a recover all the same. One trap is avoided:
// avro.Unmarshal reports a truncated payload as success (it drops io.EOF),
// so [Codec.Decode] reads with a pooled avro.Reader and fails the record on
// any read error. Bytes left after a complete value fail the record too: a
// decode must consume the whole payload (a payload that is not this schema's
// can decode as a prefix of garbage). And hamba allocates an array from the
// element count the bytes announce, by default up to the largest heap
// allocation: FuzzDecode found a 120-byte payload that killed the process
// with "out of memory", which no recover catches. Each payload is read with
// limits on array elements and string lengths derived from its own length
// (see readerPool), so such a record fails alone.
package avro

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strconv"
	"sync"

	"github.com/hamba/avro/v2"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/kafkapayload"
)

// Codec decodes Avro binary payloads into a T with a reader schema. T is a
// struct with `avro:"field"` tags (and `json:"field"` tags for values the
// event source mapping converted to JSON), a map, or a scalar matching the
// schema. It is safe for concurrent use.
type Codec[T any] struct {
	reader  avro.Schema
	writers map[string]avro.Schema
}

// Config configures a [Codec].
type Config struct {
	// Schema is the reader schema, Avro's JSON schema text.
	Schema string
	// WriterSchemas are the schemas producers wrote with, by schema id as
	// [kafkapayload.Schema.SchemaID] spells it (Confluent id in decimal,
	// GUID or Glue UUID): a record framed with one of them is decoded with
	// that writer schema resolved against the reader schema (Avro schema
	// evolution). Other records are decoded with the reader schema.
	WriterSchemas map[string]string
}

// New returns the codec c describes. It returns a *core.ConfigError when
// the schema does not parse, or a writer schema does not parse or cannot be
// resolved against it. For a package-level codec:
//
//	var orders = core.Must(avro.New[Order](avro.Config{Schema: orderSchema}))
func New[T any](c Config) (*Codec[T], error) {
	reader, err := avro.Parse(c.Schema)
	if err != nil {
		return nil, &core.ConfigError{Processor: "avro", Setting: "Schema", Value: "(schema text)", Problem: err.Error()}
	}
	codec := &Codec[T]{reader: reader}
	if len(c.WriterSchemas) > 0 {
		codec.writers = make(map[string]avro.Schema, len(c.WriterSchemas))
		compat := avro.NewSchemaCompatibility()
		for id, text := range c.WriterSchemas {
			setting := "WriterSchemas[" + strconv.Quote(id) + "]"
			w, err := avro.Parse(text)
			if err != nil {
				return nil, &core.ConfigError{Processor: "avro", Setting: setting, Value: "(schema text)", Problem: err.Error()}
			}
			resolved, err := compat.Resolve(codec.reader, w)
			if err != nil {
				return nil, &core.ConfigError{Processor: "avro", Setting: setting, Value: "(schema text)", Problem: "cannot be read with the reader schema: " + err.Error()}
			}
			codec.writers[id] = resolved
		}
	}
	return codec, nil
}

// Format returns "AVRO".
func (c *Codec[T]) Format() string { return "AVRO" }

// DecodeJSON decodes a value the event source mapping's schema registry
// integration converted to JSON, with encoding/json into T: give T json tags
// matching the schema's field names (the avro tags of hamba/avro do not
// apply).
func (c *Codec[T]) DecodeJSON(data []byte) (v T, err error) {
	err = json.Unmarshal(data, &v)
	return v, err
}

// Decode decodes payload with the writer schema of the record's schema id
// if one was given, else the reader schema. The value must take the whole
// payload: bytes left after it fail the decoding (they mean the payload is
// not this schema's, or not Avro at all). A panic of the library is returned
// as a *core.PanicError.
func (c *Codec[T]) Decode(payload []byte, s kafkapayload.Schema) (v T, err error) {
	schema := c.reader
	if c.writers != nil {
		if w, ok := c.writers[s.SchemaID()]; ok {
			schema = w
		}
	}
	defer func() {
		if p := recover(); p != nil {
			pe := core.NewPanicError(p)
			pe.Where = "hamba/avro Decode"
			err = pe
		}
	}()
	pool := readerPool(len(payload))
	r := pool.Get().(*avro.Reader)
	r.Reset(payload)
	r.Error = nil
	r.ReadVal(schema, &v)
	rerr := r.Error
	trailing := false
	if rerr == nil {
		// Peek sets r.Error (io.EOF) only at the end of the payload.
		r.Peek()
		trailing = r.Error == nil
	}
	r.Reset(nil) // drop the payload before pooling (a panic leaves r unpooled)
	pool.Put(r)
	if rerr != nil {
		// avro.Unmarshal reports a truncated payload as success (it drops
		// io.EOF); here any read error, io.EOF included, fails the record.
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			return v, fmt.Errorf("payload of %d bytes is truncated for the schema", len(payload))
		}
		return v, rerr
	}
	if trailing {
		var zero T
		return zero, errors.New("bytes left after the value: the payload is not a value of the schema")
	}
	return v, nil
}

// Decoding limits. hamba/avro allocates an array's elements from the count
// the payload announces, before reading them: by default up to the largest
// heap allocation, so a corrupt count of a few bytes makes the runtime die
// of "out of memory", which no recover catches (FuzzDecode found it). Each
// payload is therefore read with a configuration whose MaxSliceAllocSize
// (array elements) and MaxByteSliceSize (string and bytes length) are the
// payload's length rounded up to a power of two, at least 4 KiB: a real
// value never has more elements (each takes at least one byte, but for
// arrays of null or empty records longer than that bound, which fail) or
// longer strings than its own bytes.
const (
	minLimitShift = 12 // 4 KiB
	maxLimitShift = 26 // 64 MiB
)

// readerPools holds, for each limit, a pool of readers configured with it.
var readerPools = func() (pools [maxLimitShift - minLimitShift + 1]*sync.Pool) {
	for i := range pools {
		api := avro.Config{
			MaxByteSliceSize:  1 << (i + minLimitShift),
			MaxSliceAllocSize: 1 << (i + minLimitShift),
		}.Freeze()
		pools[i] = &sync.Pool{New: func() any { return avro.NewReader(nil, 0, avro.WithReaderConfig(api)) }}
	}
	return pools
}()

// readerPool returns the pool whose limit is the smallest power of two at
// least n (and at least 4 KiB).
func readerPool(n int) *sync.Pool {
	i := bits.Len(uint(n-1)) - minLimitShift
	i = max(0, min(i, len(readerPools)-1))
	return readerPools[i]
}
