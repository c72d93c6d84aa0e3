package rawjson

import (
	"encoding/json"
	"fmt"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// inBuf reports whether s's bytes lie in buf.
func inBuf(buf []byte, s string) bool {
	if len(s) == 0 {
		return false
	}
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	return p >= lo && p < lo+uintptr(len(buf))
}

// TestBorrowedDecHandsOutCopies: every string a borrowed decoder hands out
// is a copy of its own, holding what the non-borrowed decoder gives, and the
// input may change afterwards; the views (NextKey, StrView, Number) point
// into the input.
func TestBorrowedDecHandsOutCopies(t *testing.T) {
	const in = `{"plain":"abc","esc":"a\"b","num":12.5,"text":7,"raw":{"x":[1,"y"]},"map":{"k1":"v1","k2":null},"list":["p","q\n"],"ptr":"pointed"}`
	buf := []byte(in)
	d := NewBorrowedDec(unsafe.String(unsafe.SliceData(buf), len(buf)))
	var plain, esc, text, raw, ptrView string
	var m map[string]string
	var list []string
	var ptr *string
	_, err := d.OpenObject()
	require.NoError(t, err)
	for first := true; ; first = false {
		key, more, err := d.NextKey(first)
		require.NoError(t, err)
		if !more {
			break
		}
		require.True(t, inBuf(buf, key), "a key is a view")
		switch key {
		case "plain":
			require.NoError(t, d.StrField(&plain))
		case "esc":
			esc, err = d.Str()
		case "num":
			var lit string
			lit, err = d.Number()
			require.True(t, inBuf(buf, lit), "a number's literal is a view")
			require.Equal(t, lit, d.Keep(lit))
			require.False(t, inBuf(buf, d.Keep(lit)))
		case "text":
			err = d.TextField(&text)
		case "raw":
			raw, err = d.RawValue()
		case "map":
			err = d.StringMap(&m)
		case "list":
			err = d.StringSlice(&list)
		case "ptr":
			save := d.Pos()
			ptrView, err = d.StrView()
			require.True(t, inBuf(buf, ptrView), "StrView is a view")
			d.SetPos(save)
			err = d.StrPtrField(&ptr)
		}
		require.NoError(t, err)
	}
	kept := []string{plain, esc, text, raw, list[0], list[1], *ptr}
	for k, v := range m {
		kept = append(kept, k, v)
	}
	for _, s := range kept {
		require.False(t, inBuf(buf, s), "%q points into the input", s)
	}
	// A string that is not a view of the input is kept as it is.
	other := "constant"
	require.Equal(t, unsafe.StringData(other), unsafe.StringData(d.Keep(other)))
	for i := range buf {
		buf[i] = '#'
	}
	require.Equal(t, []string{"abc", "a\"b", "7", `{"x":[1,"y"]}`, "p", "q\n", "pointed"}, kept[:7])
	require.Equal(t, map[string]string{"k1": "v1", "k2": ""}, m)
}

// TestKeepSharesEqualStrings: a string kept again is the first copy, and
// different strings in one slot do not mix.
func TestKeepSharesEqualStrings(t *testing.T) {
	buf := []byte(`"region" "region" "other" "region"`)
	d := NewBorrowedDec(unsafe.String(unsafe.SliceData(buf), len(buf)))
	var got []string
	for range 4 {
		s, err := d.Str()
		require.NoError(t, err)
		got = append(got, s)
	}
	require.Equal(t, []string{"region", "region", "other", "region"}, got)
	require.Equal(t, unsafe.StringData(got[0]), unsafe.StringData(got[1]))
	require.Equal(t, unsafe.StringData(got[0]), unsafe.StringData(got[3]))
	for _, s := range got {
		require.False(t, inBuf(buf, s))
	}
}

// TestMemo: a value is found by an equal string only.
func TestMemo(t *testing.T) {
	d := NewDec("")
	m := MemoOf[int](&d)
	require.Same(t, m, MemoOf[int](&d))
	_, slot, ok := m.Get("seven")
	require.False(t, ok)
	m.Put(slot, "seven", 7)
	v, _, ok := m.Get("seven")
	require.True(t, ok)
	require.Equal(t, 7, v)
	_, _, ok = m.Get("sevem")
	require.False(t, ok)
	_, _, ok = m.Get("")
	require.False(t, ok)
}

// TestNextKeyMatchesEncodingJSON: a key reads as encoding/json reads it,
// through NextKey's fast path (a plain key and its colon) or its general
// one (escapes, non-ASCII, space before the colon), every string literal of
// strCases as a key.
func TestNextKeyMatchesEncodingJSON(t *testing.T) {
	for _, lit := range strCases {
		for _, sep := range []string{":", " :", ":\t"} {
			in := "{" + lit + sep + "1}"
			var want map[string]int
			wantErr := json.Unmarshal([]byte(in), &want)
			d := NewDec(in)
			_, err := d.OpenObject()
			require.NoError(t, err)
			key, more, err := d.NextKey(true)
			if wantErr != nil {
				require.Error(t, err, in)
				continue
			}
			require.NoError(t, err, in)
			require.True(t, more)
			_, ok := want[key]
			require.True(t, ok, "%s: key %q, want %v", in, key, want)
			require.Equal(t, byte('1'), d.Peek(), in)
		}
	}
}

// BenchmarkMapHint: what a map of up to 8 entries costs by its size hint
// (allocations and bytes per map, -benchmem): the same whatever the hint, a
// Go map's header and its first group of 8 slots. An SQS message's
// attributes (4 strings) and its one message attribute (aws-lambda-go's
// SQSMessageAttribute is 96 bytes, so a group is about a kilobyte) are
// modelled with a value of the same size.
//
//	go test -run '^$' -bench MapHint -benchmem ./internal/rawjson
func BenchmarkMapHint(b *testing.B) {
	type attribute struct {
		_ [12]uintptr // the size of events.SQSMessageAttribute
	}
	for _, hint := range []int{0, 1, 4, 8} {
		b.Run(fmt.Sprintf("strings-4-hint-%d", hint), func(b *testing.B) {
			for b.Loop() {
				m := make(map[string]string, hint)
				m["a"], m["b"], m["c"], m["d"] = "1", "2", "3", "4"
				mapSink = m
			}
		})
		b.Run(fmt.Sprintf("attribute-1-hint-%d", hint), func(b *testing.B) {
			for b.Loop() {
				m := make(map[string]attribute, hint)
				m["tenant"] = attribute{}
				mapSink = m
			}
		})
	}
}

var mapSink any
