package rawjson

import "unsafe"

// arena hands out the memory of the values a Dec decodes from one input
// (unescaped strings, base64 data, *string fields, string lists, and the
// caller's own lists through [Slab]) in chunks, so that a batch of records
// costs one allocation per chunk instead of one per value. It is the same
// trade as the strings that share the input: a value kept after the
// decoding keeps its chunk alive.
//
// Every value handed out is a distinct range of its chunk that the arena
// never writes again, and every slice is capped at its length (s[:n:n]), so
// that appending to one value reallocates instead of writing over another
// value. Handing a value out twice, or any other sharing, would let the
// owner of one see another's writes: the arena never does it.
//
// The zero arena is ready to use; its chunks start small (a 10-record batch
// allocates little) and double up to a bound.
type arena struct {
	bytes []byte
	strs  []string

	// strStack collects the elements of a string list being decoded
	// (lists nest, the inner one ending before the outer one resumes)
	// before they are copied into a chunk with their final length.
	strStack []string

	nBytes, nStrs int // next chunk sizes

	slabs []slab // the callers' element types, one Slab each
	memos []any  // the callers' memos, one per type

	// kept remembers strings copied by keep, by a hash of their length
	// and a few bytes, so that a string met again (a map key, a region,
	// an event source: most records of a batch repeat them) is shared
	// instead of copied again. Strings never change, so sharing one
	// between records lets no record see another's writes.
	kept [keptSlots]string
}

const keptSlots = 256

// keep returns a copy of v in the byte chunk, or the copy of an equal string
// kept before.
func (a *arena) keep(v string) string {
	h := keptSlot(v)
	if k := a.kept[h]; k == v {
		return k
	}
	k := a.str(v)
	a.kept[h] = k
	return k
}

// keptSlot is the slot of v (not empty) in a table of keptSlots entries.
func keptSlot(v string) uint {
	n := len(v)
	return (uint(n)*31 + uint(v[0])*7 + uint(v[n-1])*131 + uint(v[n/2])) % keptSlots
}

const (
	arenaMinBytes = 512
	arenaMaxBytes = 256 << 10
	arenaMinElems = 16
	arenaMaxElems = 8 << 10
)

// nextChunk returns the size of the next chunk holding at least n elements,
// doubling *next between lo and hi.
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

// tail returns an empty slice over the rest of the current byte chunk, with
// room for at least n bytes, for a value whose length is not known yet: the
// caller appends to it (past its capacity, append reallocates away from the
// arena, harmlessly) and calls commitBytes with cap of the slice returned.
func (a *arena) tail(n int) []byte {
	if cap(a.bytes)-len(a.bytes) < n {
		a.bytes = make([]byte, 0, nextChunk(&a.nBytes, n, arenaMinBytes, arenaMaxBytes))
	}
	return a.bytes[len(a.bytes):len(a.bytes)]
}

// commitBytes marks b, returned by takeBytes and written since, as used and
// returns it capped at its length. A b that grew past its room (append
// reallocated it) is returned as it is and uses nothing of the chunk.
func (a *arena) commitBytes(b []byte, room int) []byte {
	if len(b) > room {
		// The chunk's rest was too short: the next value takes a new
		// chunk instead of failing on it again.
		a.bytes = a.bytes[:cap(a.bytes)]
		return b
	}
	a.bytes = a.bytes[:len(a.bytes)+len(b)]
	return b[:len(b):len(b)]
}

// str returns a copy of v in the byte chunk.
func (a *arena) str(v string) string {
	b := a.takeBytes(len(v))
	b = a.commitBytes(append(b, v...), len(v))
	// b is never written again: the string can own it.
	return unsafe.String(unsafe.SliceData(b), len(b))
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

// arena returns the decoder's arena, made on first use.
func (d *Dec) arena() *arena {
	if d.ar == nil {
		d.ar = new(arena)
	}
	return d.ar
}

// StrMark returns the mark of a string list about to be decoded: push its
// elements with [Dec.PushStr], then take the list with [Dec.StrList].
func (d *Dec) StrMark() int { return len(d.arena().strStack) }

// PushStr adds v to the string list being decoded.
func (d *Dec) PushStr(v string) { d.arena().strStack = append(d.arena().strStack, v) }

// StrList returns the strings pushed since mark as a list of the arena
// (capped at its length; an empty list is non-nil) and pops them.
func (d *Dec) StrList(mark int) []string {
	a := d.arena()
	list := a.strList(a.strStack[mark:])
	a.strStack = a.strStack[:mark]
	return list
}

// ResetStacks drops the elements pushed for lists that were never taken (the
// decoding of a record failed half-way): call it before decoding the next
// record.
func (d *Dec) ResetStacks() {
	if a := d.ar; a != nil {
		a.strStack = a.strStack[:0]
		for _, s := range a.slabs {
			s.reset()
		}
	}
}

// slab is what the arena needs of a Slab of any element type.
type slab interface{ reset() }

// Slab is the arena's memory for lists of a caller's element type T (such
// as a list of DynamoDB attribute values), with the arena's guarantees:
// every list is a distinct range of a chunk, capped at its length. Get it
// with [SlabOf]; lists nest as string lists do ([Slab.Mark], [Slab.Push],
// [Slab.List]).
type Slab[T any] struct {
	elems []T
	stack []T
	next  int
}

func (s *Slab[T]) reset() { s.stack = s.stack[:0] }

// SlabOf returns the decoder's slab of T, made on first use.
func SlabOf[T any](d *Dec) *Slab[T] {
	a := d.arena()
	for _, s := range a.slabs {
		if s, ok := s.(*Slab[T]); ok {
			return s
		}
	}
	s := new(Slab[T])
	a.slabs = append(a.slabs, s)
	return s
}

// Mark returns the mark of a list about to be decoded.
func (s *Slab[T]) Mark() int { return len(s.stack) }

// Push adds v to the list being decoded.
func (s *Slab[T]) Push(v T) { s.stack = append(s.stack, v) }

// List returns the elements pushed since mark as a list of the slab (capped
// at its length; an empty list is non-nil, as encoding/json gives for []) and
// pops them.
func (s *Slab[T]) List(mark int) []T {
	list := s.stack[mark:]
	s.stack = s.stack[:mark] // list keeps the elements until copied
	if len(list) == 0 {
		return []T{}
	}
	if cap(s.elems)-len(s.elems) < len(list) {
		s.elems = make([]T, 0, nextChunk(&s.next, len(list), arenaMinElems, arenaMaxElems))
	}
	l := len(s.elems)
	s.elems = append(s.elems, list...)
	return s.elems[l : l+len(list) : l+len(list)]
}

// Memo remembers values of a caller's type T by the string they were made
// from, for one decoding (a Dec's): a value that repeats in the input (a
// DynamoDB attribute value met in an item's old and new image, a status
// shared by many records) is made once and handed out again. Only values
// that nobody can change may be remembered: a value handed out twice is
// shared by its two owners. Get it with [MemoOf].
type Memo[T any] struct {
	keys [keptSlots]string
	vals [keptSlots]T
}

// MemoOf returns the decoder's memo of T, made on first use.
func MemoOf[T any](d *Dec) *Memo[T] {
	a := d.arena()
	for _, m := range a.memos {
		if m, ok := m.(*Memo[T]); ok {
			return m
		}
	}
	m := new(Memo[T])
	a.memos = append(a.memos, m)
	return m
}

// Get returns the value remembered for s, if any, and the slot that Put
// takes.
func (m *Memo[T]) Get(s string) (v T, slot uint, ok bool) {
	if s == "" {
		return v, 0, false
	}
	slot = keptSlot(s)
	if m.keys[slot] == s {
		return m.vals[slot], slot, true
	}
	return v, slot, false
}

// Put remembers v for s (a string the caller keeps, not a view of a
// borrowed input) in the slot Get returned for it.
func (m *Memo[T]) Put(slot uint, s string, v T) {
	m.keys[slot], m.vals[slot] = s, v
}
