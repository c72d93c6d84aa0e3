package rawjson

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// strCases are JSON string literals around the edges of the 8-byte scan and
// of every special byte.
var strCases = []string{
	`""`, `"a"`, `"abcdefg"`, `"abcdefgh"`, `"abcdefghi"`, `"abcdefghijklmnop"`,
	`"abc\"def"`, `"abcdefgh\"ijklmnop"`, `"\\"`, `"abcdefg\\\\"`, `"abcdefgh\\\\"`,
	`"\\\""`, `"x\\\\\"y"`, `"\u00e9t\u00e9"`, `"\ud83d\ude00 smile"`, `"lone \ud83d here"`,
	"\"caf\xc3\xa9 latte\"", "\"bad \xff byte\"", "\"bad \xff byte and \\\" escape\"",
	"\"ctl \x01 char\"", "\"abcdefgh\x1f\"", "\"tab\there\"", `"\/\b\f\n\r\t"`,
	`"bad \x escape"`, `"bad \u12 escape"`, `"unterminated`, `"abcdefghijk`, `"ends in backslash\`,
	`"abcdefgh` + strings.Repeat(`\"`, 20) + `"`, `"` + strings.Repeat("z", 100) + `\n"`,
	"\"\x7f del\"", "\"\u2028 line separator\"",
}

// TestStrMatchesEncodingJSON: the string scanner accepts what encoding/json
// accepts, with the same value, and rejects what it rejects, also when the
// literal is followed by more data.
func TestStrMatchesEncodingJSON(t *testing.T) {
	for _, lit := range strCases {
		for _, tail := range []string{"", ",", `,"next":"value"}`} {
			t.Run(lit+tail, func(t *testing.T) {
				checkStr(t, lit, tail)
			})
		}
	}
}

func checkStr(t *testing.T, lit, tail string) {
	t.Helper()
	var want string
	wantErr := json.Unmarshal([]byte(lit), &want)
	if wantErr != nil && tail != "" {
		return // an unterminated literal would end inside the tail
	}
	d := Dec{s: lit + tail}
	got, err := d.Str()
	if wantErr != nil {
		// Invalid as a whole: the scanner rejects the string, or it
		// ends before the end of lit (data after the string).
		require.True(t, err != nil || d.i < len(strings.TrimRight(lit, " \t\r\n")),
			"encoding/json rejects %q (%v), the scanner read %q up to %d", lit, wantErr, got, d.i)
		return
	}
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.Equal(t, len(strings.TrimRight(lit, " \t\r\n")), d.i, "position after the string")
}

// FuzzStr compares the string scanner with encoding/json on any string
// literal.
func FuzzStr(f *testing.F) {
	for _, c := range strCases {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, lit string) {
		if !strings.HasPrefix(strings.TrimLeft(lit, " \t\r\n"), `"`) {
			return // not a string: the decoders never call str on it
		}
		checkStr(t, lit, "")
		checkStr(t, lit, `,"x":1}`)
	})
}

// TestArenaValuesAreDistinct: values handed out by the arena never overlap
// and are capped, so that appending to one record's value cannot write into
// another's.
func TestArenaValuesAreDistinct(t *testing.T) {
	var a arena
	var lists [][]string
	for i := range 100 {
		lists = append(lists, a.strList([]string{"a", "b", strings.Repeat("c", i)}))
	}
	for i, l := range lists {
		require.Equal(t, len(l), cap(l))
		_ = append(l, "overwrite?")
		require.Equal(t, []string{"a", "b", strings.Repeat("c", i)}, l)
		if i > 0 {
			require.Equal(t, []string{"a", "b", strings.Repeat("c", i-1)}, lists[i-1])
		}
	}
	require.NotNil(t, a.strList(nil))

	p1, p2 := a.strPtr("one"), a.strPtr("two")
	*p1 = "changed"
	require.Equal(t, "two", *p2)

	var d Dec
	b1, err := d.BytesOf("aGVsbG8=")
	require.NoError(t, err)
	b2, err := d.BytesOf("d29ybGQ=")
	require.NoError(t, err)
	require.Equal(t, len(b1), cap(b1))
	_ = append(b1, '!')
	require.Equal(t, "hello", string(b1))
	require.Equal(t, "world", string(b2))
	own, err := bytesOf("aGVsbG8=")
	require.NoError(t, err)
	require.Equal(t, b1, own, "the arena and the standalone decoders agree")

	// A copy of a decoder shares its arena: values from either never
	// overlap.
	c := d
	b3, err := c.BytesOf("Zm9v")
	require.NoError(t, err)
	b4, err := d.BytesOf("YmFy")
	require.NoError(t, err)
	require.Equal(t, "foo", string(b3))
	require.Equal(t, "bar", string(b4))
	require.Equal(t, "hello", string(b1))

	empty, err := d.BytesOf("")
	require.NoError(t, err)
	require.NotNil(t, empty)
	_, err = d.BytesOf("not base64!")
	require.Error(t, err)
}
