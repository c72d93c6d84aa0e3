package rawjson

import (
	"strings"
	"time"
)

// Pos returns the decoder's position in its input.
func (d *Dec) Pos() int { return d.i }

// SetPos moves the decoder to position i of its input (a position it
// reported, or one past a byte it peeked).
func (d *Dec) SetPos(i int) { d.i = i }

// Input returns the decoder's input.
func (d *Dec) Input() string { return d.s }

// RawValue returns the JSON text of the value at d, validated, and moves
// past it.
func (d *Dec) RawValue() (string, error) {
	d.Peek()
	start := d.i
	if err := d.Skip(); err != nil {
		return "", err
	}
	return d.Keep(d.s[start:d.i]), nil
}

// BoolField reads a boolean into dst; null leaves it.
func (d *Dec) BoolField(dst *bool) error {
	if isNull, err := d.Null(); isNull || err != nil {
		return err
	}
	v, err := d.Bool()
	if err == nil {
		*dst = v
	}
	return err
}

// TextField reads a string or a number into dst as its text (a number's
// literal as written); null leaves it.
func (d *Dec) TextField(dst *string) error {
	if isNull, err := d.Null(); isNull || err != nil {
		return err
	}
	if d.Peek() == '"' {
		return d.StrField(dst)
	}
	lit, err := d.Number()
	if err == nil {
		*dst = d.Keep(lit)
	}
	return err
}

// TimeField reads an RFC 3339 time, as time.Time's UnmarshalJSON does;
// null leaves it.
func (d *Dec) TimeField(dst *time.Time) error {
	if isNull, err := d.Null(); isNull || err != nil {
		return err
	}
	s, err := d.strView() // parsed, not kept
	if err != nil {
		return err
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return d.Errorf("invalid RFC 3339 time %q", s)
	}
	*dst = t
	return nil
}

// SmallMap is the number of entries a map made with no size holds without
// growing (a Go map's first group): the map decoders start with it and call
// [Dec.Resize] when an object has more members.
const SmallMap = 8

// CountRest returns the number of members left in the object being read
// (d is after a member's value), counted by their structure alone without
// moving d; 0 when the structure is broken.
func (d *Dec) CountRest() int {
	c := Dec{s: d.s, i: d.i}
	n := 0
	for {
		_, more, err := c.NextKey(false)
		if err != nil || !more {
			return n
		}
		n++
		if c.SkipFast() != nil {
			return n
		}
	}
}

// Resize returns m moved to a map with room for its entries and the
// members left in the object being read (d is after a member's value): an
// object with more members than [SmallMap] costs one map of the right size
// instead of the doublings of a growing map, and an object of at most
// SmallMap members costs no counting pass.
func Resize[V any](d *Dec, m map[string]V) map[string]V {
	out := make(map[string]V, len(m)+d.CountRest())
	for k, v := range m {
		out[k] = v
	}
	return out
}

// StringMap reads an object of strings into *dst (made when nil, and sized
// as [Resize] tells); null sets it to nil, and a null value stores "".
func (d *Dec) StringMap(dst *map[string]string) error {
	if isNull, err := d.OpenObject(); err != nil || isNull {
		if isNull {
			*dst = nil
		}
		return err
	}
	made := *dst == nil
	if made {
		*dst = make(map[string]string, SmallMap)
	}
	for first := true; ; first = false {
		if made && len(*dst) == SmallMap && d.Peek() == ',' {
			*dst, made = Resize(d, *dst), false
		}
		key, more, err := d.NextKey(first)
		if err != nil || !more {
			return err
		}
		var v string
		if err := d.StrField(&v); err != nil {
			return err
		}
		(*dst)[d.Keep(key)] = v
	}
}

// StringSlice reads an array of strings into the arena; null sets *dst to
// nil, [] is non-nil.
func (d *Dec) StringSlice(dst *[]string) error {
	if isNull, err := d.OpenArray(); err != nil || isNull {
		if isNull {
			*dst = nil
		}
		return err
	}
	// On an error the stack keeps this list's elements until ResetStacks.
	mark := d.StrMark()
	for first := true; ; first = false {
		more, err := d.NextElem(first)
		if err != nil {
			return err
		}
		if !more {
			*dst = d.StrList(mark)
			return nil
		}
		var v string
		if err := d.StrField(&v); err != nil {
			return err
		}
		d.PushStr(v)
	}
}

// BytesSlice reads an array of base64 strings; null sets *dst to nil, [] is
// non-nil.
func (d *Dec) BytesSlice(dst *[][]byte) error {
	if isNull, err := d.OpenArray(); err != nil || isNull {
		if isNull {
			*dst = nil
		}
		return err
	}
	out := [][]byte{}
	for first := true; ; first = false {
		more, err := d.NextElem(first)
		if err != nil {
			return err
		}
		if !more {
			*dst = out
			return nil
		}
		var v []byte
		if err := d.BytesField(&v); err != nil {
			return err
		}
		out = append(out, v)
	}
}

// StrPtrField reads a string into a new *dst from the arena; null sets *dst
// to nil.
func (d *Dec) StrPtrField(dst **string) error {
	if isNull, err := d.Null(); isNull || err != nil {
		if err == nil {
			*dst = nil
		}
		return err
	}
	v, err := d.Str()
	if err != nil {
		return err
	}
	*dst = d.arena().strPtr(v)
	return nil
}

// FindRaw returns the JSON text of the value at the path of keys in the JSON
// object s, with [FindString]'s leniency (keys matched ignoring case, the
// last match winning), or "".
func FindRaw(s string, path []string) string {
	d := Dec{s: s}
	for depth, want := range path {
		last := depth == len(path)-1
		if d.Peek() != '{' {
			return ""
		}
		d.i++
		at, end := -1, -1
		for first := true; ; first = false {
			key, more, err := d.NextKey(first)
			if err != nil || !more {
				break
			}
			c := d.Peek()
			match := (key == want || strings.EqualFold(key, want)) && (last || c == '{')
			start := d.i
			if d.SkipFast() != nil {
				break
			}
			if match {
				at, end = start, d.i
			}
		}
		if at < 0 {
			return ""
		}
		if last {
			return s[at:end]
		}
		d.i = at
	}
	return ""
}
