package rawjson

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// KindOf names the JSON value starting with c.
func KindOf(c byte) string {
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 'n':
		return "null"
	case 't', 'f':
		return "boolean"
	case 0:
		return "nothing"
	}
	return "number"
}

// NewDec returns a decoder at the start of s. The strings it hands out
// may be substrings of s: s must not change while they are in use.
func NewDec(s string) Dec { return Dec{s: s} }

// NewBorrowedDec returns a decoder at the start of s, a view of memory the
// caller owns only for the decoding (a buffer it will reuse, such as
// aws-lambda-go's payload buffer): every string the decoder hands out
// ([Dec.Str], [Dec.StrField], string maps and lists, [Dec.TextField],
// [Dec.RawValue]) is a copy in the decoder's arena, never a substring of s,
// so s may change once the decoding is over. Only the key of [Dec.NextKey]
// and the literal of [Dec.Number] are views of s, for the caller to compare
// or parse: a caller that stores one (a map key) stores [Dec.Keep] of it.
// Strings that do not need memory of their own are copied once, into the
// arena, instead of the whole input being copied: the input's bytes that
// no value holds (keys, punctuation, values that are parsed or base64
// decoded) are never copied.
func NewBorrowedDec(s string) Dec { return Dec{s: s, borrowed: true} }

// Keep returns v, copied into the arena when it is a view of a borrowed
// input ([NewBorrowedDec]); any other string (the decoder's own input when
// it is not borrowed, an arena string, a constant) is returned as it is.
func (d *Dec) Keep(v string) string {
	if !d.borrowed {
		return v
	}
	if len(v) == 0 {
		return "" // an empty view still points into the input
	}
	p := uintptr(unsafe.Pointer(unsafe.StringData(v)))
	base := uintptr(unsafe.Pointer(unsafe.StringData(d.s)))
	if p < base || p >= base+uintptr(len(d.s)) {
		return v
	}
	return d.arena().keep(v)
}

// Dec is a JSON decoder over one string. Its methods read one value at d.i
// (after whitespace) and leave d.i after it.
type Dec struct {
	s string
	i int
	// ar holds the memory of the values decoded from s, made on first
	// use; a copy of the dec shares it (never two arenas writing one
	// chunk).
	ar *arena
	// borrowed: s is the caller's memory for the decoding only, and
	// every string handed out is copied into ar (NewBorrowedDec).
	borrowed bool
}

// MaxDepth bounds nesting, as encoding/json does.
const MaxDepth = 10000

// Errorf returns an error naming the decoder's position.
func (d *Dec) Errorf(format string, args ...any) error {
	return fmt.Errorf("at byte %d: %s", d.i, fmt.Sprintf(format, args...))
}

// Peek skips whitespace and returns the next byte, or 0 at the end.
func (d *Dec) Peek() byte {
	for d.i < len(d.s) {
		switch c := d.s[d.i]; c {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return c
		}
	}
	return 0
}

// AtEnd skips whitespace and reports whether the input ends there. (Peek
// also returns 0 at a NUL byte, which is not the end: data after a value.)
func (d *Dec) AtEnd() bool {
	d.Peek()
	return d.i >= len(d.s)
}

// Null consumes a null and reports true, or reports false when the value is
// something else.
func (d *Dec) Null() (bool, error) {
	if d.Peek() != 'n' {
		return false, nil
	}
	return true, d.lit("null")
}

func (d *Dec) lit(l string) error {
	if !strings.HasPrefix(d.s[d.i:], l) {
		return d.Errorf("invalid literal, expected %s", l)
	}
	d.i += len(l)
	return nil
}

// OpenObject starts an object; isNull when the value is null instead.
func (d *Dec) OpenObject() (isNull bool, err error) {
	switch d.Peek() {
	case '{':
		d.i++
		return false, nil
	case 'n':
		return true, d.lit("null")
	}
	return false, d.Errorf("expected an object, found %s", KindOf(d.Peek()))
}

// NextKey reads the next key of an object and its colon, or consumes the
// closing brace and reports more=false. first tells whether no member was
// read yet. In a borrowed decoder ([NewBorrowedDec]) the key is a view of
// the input: store [Dec.Keep] of it.
func (d *Dec) NextKey(first bool) (key string, more bool, err error) {
	c := d.Peek()
	if c == '}' {
		d.i++
		return "", false, nil
	}
	if !first {
		if c != ',' {
			return "", false, d.Errorf("expected ',' or '}' in an object")
		}
		d.i++
		c = d.Peek()
	}
	if c != '"' {
		return "", false, d.Errorf("expected a key string")
	}
	// Keys are short and plain: byte by byte to the closing quote and a
	// colon right after it; anything else (an escape, a non-ASCII byte,
	// space before the colon, the end) takes the general path from the
	// opening quote.
	s := d.s
	for j := d.i + 1; j < len(s); j++ {
		if b := s[j]; !PlainByte[b] {
			if b == '"' && j+1 < len(s) && s[j+1] == ':' {
				key = s[d.i+1 : j]
				d.i = j + 2
				return key, true, nil
			}
			break
		}
	}
	if key, err = d.strView(); err != nil {
		return "", false, err
	}
	if d.Peek() != ':' {
		return "", false, d.Errorf("expected ':' after a key")
	}
	d.i++
	return key, true, nil
}

// OpenArray starts an array; isNull when the value is null instead.
func (d *Dec) OpenArray() (isNull bool, err error) {
	switch d.Peek() {
	case '[':
		d.i++
		return false, nil
	case 'n':
		return true, d.lit("null")
	}
	return false, d.Errorf("expected an array, found %s", KindOf(d.Peek()))
}

// NextElem reports whether another array element follows (consuming the
// comma), or consumes the closing bracket and reports false.
func (d *Dec) NextElem(first bool) (bool, error) {
	c := d.Peek()
	if c == ']' {
		d.i++
		return false, nil
	}
	if !first {
		if c != ',' {
			return false, d.Errorf("expected ',' or ']' in an array")
		}
		d.i++
		if d.Peek() == ']' {
			return false, d.Errorf("unexpected ']' after ','")
		}
	}
	return true, nil
}

// Str reads a string. Without escapes or non-ASCII bytes it is a substring
// of d.s (no allocation), or in a borrowed decoder ([NewBorrowedDec]) a
// copy of it in the arena.
func (d *Dec) Str() (string, error) {
	v, err := d.strView()
	if d.borrowed && err == nil {
		v = d.Keep(v)
	}
	return v, err
}

// StrView reads a string as [Dec.Str] does, but in a borrowed decoder
// ([NewBorrowedDec]) a string without escapes is a view of the input, valid
// during the decoding only: for a value that is looked up, parsed or
// decoded, not stored (store [Dec.Keep] of it).
func (d *Dec) StrView() (string, error) { return d.strView() }

// strView reads a string: a substring of d.s when it has no escapes (a view
// of the input, even in a borrowed decoder), else a string of the arena.
func (d *Dec) strView() (string, error) {
	if d.Peek() != '"' {
		return "", d.Errorf("expected a string, found %s", KindOf(d.Peek()))
	}
	s := d.s
	start := d.i + 1
	j := start
	for {
		// Eight bytes at a time while none is special, then byte by byte
		// up to the next word.
		for j+8 <= len(s) && special(load64(s, j)) == 0 {
			j += 8
		}
		for end := min(j+8, len(s)); j < end; j++ {
			switch c := s[j]; {
			case PlainByte[c]:
				continue
			case c == '"':
				d.i = j + 1
				return s[start:j], nil
			case c == '\\':
				return d.strEscaped(start, j)
			}
			return d.strSlow(start, j)
		}
		if j >= len(s) {
			d.i = len(s)
			return "", d.Errorf("unterminated string")
		}
	}
}

// Bytes repeated in every byte of a word, for special.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// load64 reads the 8 bytes of s at i as a little-endian word.
func load64(s string, i int) uint64 {
	return binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s[i:]), 8))
}

// special is non-zero when a byte of w is not a plainByte: a quote, a
// backslash, a control character or a non-ASCII byte. (x-ones)&^x has the
// high bit of a zero byte set; the borrow can flag a byte after a special
// one too, which only sends the caller to its byte-by-byte loop.
func special(w uint64) uint64 {
	quote := w ^ (ones * '"')
	backslash := w ^ (ones * '\\')
	return (((w-ones*0x20)|(quote-ones)|(backslash-ones))&^w | w) & highs
}

// PlainByte tells the bytes that a string holds as they are: printable
// ASCII but the quote and the backslash.
var PlainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// strEscaped reads a string from start (after the opening quote) whose byte
// at j (all before it plain) is special (a backslash, or what strSlow could
// not keep as a substring), in one pass: it unescapes into
// the arena as it looks for the closing quote, eight plain bytes at a time
// between escapes (a body of escaped JSON, such as an SQS message carrying
// a JSON document, is mostly runs of plain bytes between \" pairs). The
// rules are strSlow's.
func (d *Dec) strEscaped(start, j int) (string, error) {
	s := d.s
	a := d.arena()
	buf := a.tail(j - start + 64)
	room := cap(buf)
	buf = append(buf, s[start:j]...)
	r := j
	for {
		k := r
		for k+8 <= len(s) && special(load64(s, k)) == 0 {
			k += 8
		}
		for k < len(s) && PlainByte[s[k]] {
			k++
		}
		buf = append(buf, s[r:k]...)
		if r = k; r >= len(s) {
			d.i = len(s)
			return "", d.Errorf("unterminated string")
		}
		switch c := s[r]; {
		case c == '"':
			d.i = r + 1
			buf = a.commitBytes(buf, room)
			// buf is never written again: the string can own it.
			return unsafe.String(unsafe.SliceData(buf), len(buf)), nil
		case c == '\\':
			if r+1 >= len(s) {
				d.i = len(s)
				return "", d.Errorf("unterminated string")
			}
			switch e := s[r+1]; e {
			case '"', '\\', '/':
				buf, r = append(buf, e), r+2
			case 'b':
				buf, r = append(buf, '\b'), r+2
			case 'f':
				buf, r = append(buf, '\f'), r+2
			case 'n':
				buf, r = append(buf, '\n'), r+2
			case 'r':
				buf, r = append(buf, '\r'), r+2
			case 't':
				buf, r = append(buf, '\t'), r+2
			case 'u':
				rr := getu4(s[r:])
				if rr < 0 {
					d.i = r
					return "", d.Errorf("invalid \\u escape in a string")
				}
				r += 6
				if utf16.IsSurrogate(rr) {
					rr1 := getu4(s[r:])
					if dec := utf16.DecodeRune(rr, rr1); dec != utf8.RuneError {
						r += 6
						buf = utf8.AppendRune(buf, dec)
						break
					}
					rr = utf8.RuneError
				}
				buf = utf8.AppendRune(buf, rr)
			default:
				d.i = r
				return "", d.Errorf("invalid escape in a string")
			}
		case c < 0x20:
			d.i = r
			return "", d.Errorf("control character in a string")
		default:
			rr, size := utf8.DecodeRuneInString(s[r:])
			buf = utf8.AppendRune(buf, rr) // U+FFFD for invalid UTF-8
			r += size
		}
	}
}

// strSlow reads a string from start (after the opening quote) whose byte at
// j (all before it plain) is special, with encoding/json's rules: invalid
// UTF-8 and lone surrogates become U+FFFD, control characters are errors.
func (d *Dec) strSlow(start, j int) (string, error) {
	s := d.s
	// The string ends at the first quote after j not escaped by an odd
	// run of backslashes.
	end := j
	for {
		q := strings.IndexByte(s[end:], '"')
		if q < 0 {
			d.i = len(s)
			return "", d.Errorf("unterminated string")
		}
		end += q
		bs := 0
		for b := end - 1; b >= j && s[b] == '\\'; b-- {
			bs++
		}
		if bs%2 == 0 {
			break
		}
		end++
	}
	if body := s[j:end]; strings.IndexByte(body, '\\') < 0 {
		// No escapes: valid UTF-8 without control characters stays a
		// substring.
		clean := utf8.ValidString(body)
		for k := 0; clean && k < len(body); k++ {
			clean = body[k] >= 0x20
		}
		if clean {
			d.i = end + 1
			return s[start:end], nil
		}
	}
	return d.strEscaped(start, j)
}

// getu4 decodes \uXXXX at the start of s, or returns -1.
func getu4(s string) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range []byte(s[2:6]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// StrField reads a string into dst; null leaves dst as it is.
func (d *Dec) StrField(dst *string) error {
	if isNull, err := d.Null(); isNull || err != nil {
		return err
	}
	v, err := d.Str()
	if err != nil {
		return err
	}
	*dst = v
	return nil
}

var b64 = base64.StdEncoding

// bytesOf decodes standard base64 (encoding/json's []byte encoding) into a
// slice of its own; "" is a non-nil empty slice. Decoders use dec.bytesOf,
// which takes the memory from the event's arena.
func bytesOf(s string) ([]byte, error) {
	// The input is only read: view the string's bytes without a copy.
	src := unsafe.Slice(unsafe.StringData(s), len(s))
	b := make([]byte, b64.DecodedLen(len(s)))
	n, err := b64.Decode(b, src)
	if err != nil {
		return nil, fmt.Errorf("invalid base64 data: %w", err)
	}
	return b[:n], nil
}

// BytesOf decodes standard base64 (encoding/json's []byte encoding) into
// the arena; "" is a non-nil empty slice.
func (d *Dec) BytesOf(s string) ([]byte, error) {
	if s == "" {
		return []byte{}, nil
	}
	// The input is only read: view the string's bytes without a copy.
	src := unsafe.Slice(unsafe.StringData(s), len(s))
	room := b64.DecodedLen(len(s))
	b := d.arena().takeBytes(room)[:room]
	n, err := b64.Decode(b, src)
	if err != nil {
		return nil, fmt.Errorf("invalid base64 data: %w", err)
	}
	return d.arena().commitBytes(b[:n], room), nil
}

// BytesField reads a base64 string into dst; null sets dst to nil.
func (d *Dec) BytesField(dst *[]byte) error {
	if isNull, err := d.Null(); isNull || err != nil {
		if err == nil {
			*dst = nil
		}
		return err
	}
	s, err := d.strView() // decoded, not kept
	if err != nil {
		return err
	}
	b, err := d.BytesOf(s)
	if err != nil {
		return err
	}
	*dst = b
	return nil
}

// Number reads a JSON number literal and returns it as written: a view of
// the input, in a borrowed decoder too (see [Dec.Keep]).
func (d *Dec) Number() (string, error) {
	d.Peek()
	s, start := d.s, d.i
	j := start
	if j < len(s) && s[j] == '-' {
		j++
	}
	switch {
	case j < len(s) && s[j] == '0':
		j++
	case j < len(s) && '1' <= s[j] && s[j] <= '9':
		for j < len(s) && '0' <= s[j] && s[j] <= '9' {
			j++
		}
	default:
		return "", d.Errorf("invalid value, expected a JSON value")
	}
	if j < len(s) && s[j] == '.' {
		j++
		if j >= len(s) || s[j] < '0' || s[j] > '9' {
			d.i = j
			return "", d.Errorf("invalid number")
		}
		for j < len(s) && '0' <= s[j] && s[j] <= '9' {
			j++
		}
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		j++
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j >= len(s) || s[j] < '0' || s[j] > '9' {
			d.i = j
			return "", d.Errorf("invalid number")
		}
		for j < len(s) && '0' <= s[j] && s[j] <= '9' {
			j++
		}
	}
	d.i = j
	return s[start:j], nil
}

// Int64Field reads an integer into dst; null leaves it.
func (d *Dec) Int64Field(dst *int64) error {
	if isNull, err := d.Null(); isNull || err != nil {
		return err
	}
	if d.Peek() == '"' || d.Peek() == '{' || d.Peek() == '[' || d.Peek() == 't' || d.Peek() == 'f' {
		return d.Errorf("expected a number, found %s", KindOf(d.Peek()))
	}
	lit, err := d.Number()
	if err != nil {
		return err
	}
	v, err := strconv.ParseInt(lit, 10, 64)
	if err != nil {
		return d.Errorf("number %s does not fit an int64", lit)
	}
	*dst = v
	return nil
}

// EpochSeconds reads a number of seconds since the epoch, fractions
// allowed, as a float64 is parsed and split into seconds and nanoseconds
// (the way aws-lambda-go's SecondsEpochTime reads it): null is the epoch
// itself.
func (d *Dec) EpochSeconds() (sec, nsec int64, err error) {
	if isNull, err := d.Null(); isNull || err != nil {
		return 0, 0, err
	}
	if c := d.Peek(); c != '-' && (c < '0' || c > '9') {
		return 0, 0, d.Errorf("expected a number of seconds, found %s", KindOf(c))
	}
	lit, err := d.Number()
	if err != nil {
		return 0, 0, err
	}
	epoch, err := strconv.ParseFloat(lit, 64)
	if err != nil {
		return 0, 0, d.Errorf("number %s out of range", lit)
	}
	sec = int64(epoch)
	nsec = int64((epoch - float64(sec)) * float64(1e9))
	return sec, nsec, nil
}

// Bool reads true or false.
func (d *Dec) Bool() (bool, error) {
	switch d.Peek() {
	case 't':
		return true, d.lit("true")
	case 'f':
		return false, d.lit("false")
	}
	return false, d.Errorf("expected a boolean, found %s", KindOf(d.Peek()))
}

// Skip validates and skips one value of any kind.
func (d *Dec) Skip() error { return d.skipDepth(0) }

func (d *Dec) skipDepth(depth int) error {
	if depth > MaxDepth {
		return d.Errorf("exceeded max depth")
	}
	switch d.Peek() {
	case '{':
		d.i++
		for first := true; ; first = false {
			_, more, err := d.NextKey(first)
			if err != nil || !more {
				return err
			}
			if err := d.skipDepth(depth + 1); err != nil {
				return err
			}
		}
	case '[':
		d.i++
		for first := true; ; first = false {
			more, err := d.NextElem(first)
			if err != nil || !more {
				return err
			}
			if err := d.skipDepth(depth + 1); err != nil {
				return err
			}
		}
	case '"':
		_, err := d.strView()
		return err
	case 't':
		return d.lit("true")
	case 'f':
		return d.lit("false")
	case 'n':
		return d.lit("null")
	case 0:
		return d.Errorf("unexpected end of the record")
	}
	_, err := d.Number()
	return err
}

// SkipFast skips one value by its structure alone (strings and brackets),
// without validating literals: it splits the event into records, each of
// which is then validated by its decoder.
func (d *Dec) SkipFast() error {
	s := d.s
	switch c := d.Peek(); c {
	case '"':
		return d.skipString()
	case '{', '[':
	case 0:
		return d.Errorf("unexpected end of the event")
	default:
		j := d.i
		for j < len(s) && !strings.ContainsRune(",}] \t\n\r", rune(s[j])) {
			j++
		}
		if j == d.i {
			return d.Errorf("unexpected %q", c)
		}
		d.i = j
		return nil
	}
	var stackBuf [64]byte
	stack := stackBuf[:0]
	for d.i < len(s) {
		switch c := s[d.i]; c {
		case '"':
			if err := d.skipString(); err != nil {
				return err
			}
			continue
		case '{', '[':
			if len(stack) >= MaxDepth {
				return d.Errorf("exceeded max depth")
			}
			stack = append(stack, c)
		case '}', ']':
			if (c == '}') != (stack[len(stack)-1] == '{') {
				return d.Errorf("mismatched %q", c)
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				d.i++
				return nil
			}
		}
		d.i++
	}
	return d.Errorf("unexpected end of the event")
}

// skipString skips the string at d.i (its opening quote).
func (d *Dec) skipString() error {
	s := d.s
	for k := d.i + 1; k < len(s); {
		q := strings.IndexByte(s[k:], '"')
		if q < 0 {
			break
		}
		k += q
		// The quote ends the string unless an odd Number of backslashes
		// escapes it.
		bs := 0
		for b := k - 1; b > d.i && s[b] == '\\'; b-- {
			bs++
		}
		k++
		if bs%2 == 0 {
			d.i = k
			return nil
		}
	}
	d.i = len(s)
	return d.Errorf("unterminated string")
}

// FindString reads the string at the path of keys in the JSON object s,
// leniently (keys matched ignoring case, the last match of the right kind
// winning as in encoding/json, any other content ignored), or returns "". It
// recovers the identifier of a record that did not decode.
func FindString(s string, path []string) string {
	d := Dec{s: s}
	for depth, want := range path {
		last := depth == len(path)-1
		if d.Peek() != '{' {
			return ""
		}
		d.i++
		at := -1
		for first := true; ; first = false {
			key, more, err := d.NextKey(first)
			if err != nil || !more {
				break // a broken object still yields the key read before
			}
			if c := d.Peek(); (key == want || strings.EqualFold(key, want)) && (c == '{' && !last || c == '"' && last) {
				at = d.i
			}
			if d.SkipFast() != nil {
				break
			}
		}
		if at < 0 {
			return ""
		}
		d.i = at
		if last {
			v, err := d.Str()
			if err != nil {
				return ""
			}
			return v
		}
	}
	return ""
}

// FoldKey returns the name among names that key matches ignoring case, as
// encoding/json matches keys to fields, or "".
func FoldKey(key string, names []string) string {
	for _, n := range names {
		if strings.EqualFold(key, n) {
			return n
		}
	}
	return ""
}

// Fields reads the members of the object just opened by OpenObject into the
// fields of a struct, with encoding/json's key matching, and consumes the
// closing brace. For each member it calls field with the key as written;
// field decodes the value into the field that the key names exactly and
// reports true, or reports false without reading anything when no field has
// that name. The key is then matched to names (the struct's keys, as field
// spells them) ignoring case and field is called again with the name
// matched; a key that matches none has its value validated and skipped.
//
// Every struct decoder goes through Fields and states only its own keys, in
// a closure over the struct. The closure does not escape, so it lives on the
// caller's stack (go build -gcflags=-m says "func literal does not escape"):
// the only cost over a hand-written loop is an indirect call per member,
// which old and new decoders interleaved on the BenchmarkRaw* events measured
// within noise (about ±2%). Objects read as maps (stringMap,
// sqsMessageAttributes, attributeMap) keep their own short loops: every key
// is an entry there, with no field to match.
func (d *Dec) Fields(names []string, field func(key string) (known bool, err error)) error {
	for first := true; ; first = false {
		key, more, err := d.NextKey(first)
		if err != nil || !more {
			return err
		}
		known, err := field(key)
		if !known {
			if c := FoldKey(key, names); c != "" {
				_, err = field(c)
			} else {
				err = d.Skip()
			}
		}
		if err != nil {
			return err
		}
	}
}

// OpenRecord starts a record, which must be an object.
func (d *Dec) OpenRecord() error {
	isNull, err := d.OpenObject()
	if isNull {
		return d.Errorf("the record is null")
	}
	return err
}
