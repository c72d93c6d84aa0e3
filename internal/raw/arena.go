package raw

import (
	"github.com/aws/aws-lambda-go/events"
)

// arena hands out the memory of the values the raw entry decodes from one
// event (unescaped strings, base64 data, *string fields, string lists,
// DynamoDB lists) in chunks, so that a batch of records costs one allocation
// per chunk instead of one per value. It is the same trade as the strings
// that share the copy of the event: a value the handler keeps after the
// invocation keeps its chunk alive.
//
// Every value handed out is a distinct range of its chunk that the arena
// never writes again, and every slice is capped at its length (s[:n:n]), so
// that a handler that appends to one record's slice reallocates instead of
// writing over another record's value. Handing a value to two records, or
// any other sharing, would let one record's handler see another's writes:
// the arena never does it.
//
// A decoder reaches its arena through dec.arena. The zero arena is ready to
// use; its chunks start small (a 10-record batch
// allocates little) and double up to a bound.
type arena struct {
	bytes []byte
	strs  []string
	avs   []events.DynamoDBAttributeValue

	// The stacks collect the elements of a list being decoded (lists nest,
	// the inner one ending before the outer one resumes) before they are
	// copied into a chunk with their final length.
	strStack []string
	avStack  []events.DynamoDBAttributeValue

	nBytes, nStrs, nAVs int // next chunk sizes
}

const (
	arenaMinBytes = 512
	arenaMaxBytes = 256 << 10
	arenaMinElems = 16
	arenaMaxElems = 8 << 10
)

// nextChunk returns the size of the next chunk holding at least n elements,
// doubling *next between min and max.
func nextChunk(next *int, n, lo, hi int) int {
	size := max(*next, lo)
	*next = min(size*2, hi)
	return max(size, n)
}

// takeBytes returns an empty slice with room for n bytes at the end of the
// current byte chunk. The caller writes at most n bytes into it (an append
// past n reallocates away from the arena, harmlessly) and then calls
// commitBytes with what it wrote.
func (a *arena) takeBytes(n int) []byte {
	if cap(a.bytes)-len(a.bytes) < n {
		a.bytes = make([]byte, 0, nextChunk(&a.nBytes, n, arenaMinBytes, arenaMaxBytes))
	}
	l := len(a.bytes)
	return a.bytes[l : l : l+n]
}

// commitBytes marks b, returned by takeBytes and written since, as used and
// returns it capped at its length. A b that grew past its room (append
// reallocated it) is returned as it is and uses nothing of the chunk.
func (a *arena) commitBytes(b []byte, room int) []byte {
	if len(b) > room {
		return b
	}
	a.bytes = a.bytes[:len(a.bytes)+len(b)]
	return b[:len(b):len(b)]
}

// strPtr returns a pointer to a new string holding v.
func (a *arena) strPtr(v string) *string {
	if len(a.strs) == cap(a.strs) {
		a.strs = make([]string, 0, nextChunk(&a.nStrs, 1, arenaMinElems, arenaMaxElems))
	}
	a.strs = append(a.strs, v)
	return &a.strs[len(a.strs)-1]
}

// strList returns a copy of list in the string chunk, capped at its length;
// an empty list is a non-nil empty slice, as encoding/json gives for [].
func (a *arena) strList(list []string) []string {
	if len(list) == 0 {
		return []string{}
	}
	if cap(a.strs)-len(a.strs) < len(list) {
		a.strs = make([]string, 0, nextChunk(&a.nStrs, len(list), arenaMinElems, arenaMaxElems))
	}
	l := len(a.strs)
	a.strs = append(a.strs, list...)
	return a.strs[l : l+len(list) : l+len(list)]
}

// avList is strList for DynamoDB attribute values.
func (a *arena) avList(list []events.DynamoDBAttributeValue) []events.DynamoDBAttributeValue {
	if len(list) == 0 {
		return []events.DynamoDBAttributeValue{}
	}
	if cap(a.avs)-len(a.avs) < len(list) {
		a.avs = make([]events.DynamoDBAttributeValue, 0, nextChunk(&a.nAVs, len(list), arenaMinElems, arenaMaxElems))
	}
	l := len(a.avs)
	a.avs = append(a.avs, list...)
	return a.avs[l : l+len(list) : l+len(list)]
}

// arena returns the decoder's arena, made on first use.
func (d *Dec) arena() *arena {
	if d.ar == nil {
		d.ar = new(arena)
	}
	return d.ar
}
