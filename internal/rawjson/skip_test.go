package rawjson

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var valueCases = []string{
	`null`, `true`, `false`, `0`, `-1.5e+3`, `"s"`, `[]`, `{}`, `[1,"a",{"b":[null]}]`,
	`{"a":1,"b":{"c":[true,false]}}`, ` { "a" : [ 1 , 2 ] } `, `{"a":1,}`, `[1,]`, `{"a"}`,
	`{"a":1 "b":2}`, `[1 2]`, `nul`, `tru`, `01`, `1.`, `-`, `1e`, `"unterminated`, `{`, `[`,
	`{"a":[}`, `]`, `}`, "0\x00", "{}\x00", `{"a":1}}`, `"\u00zz"`, "\"ctl \x01\"", `{"":""}`, `[[[[[]]]]]`,
}

// TestSkipMatchesValid: Skip accepts a whole input exactly when
// encoding/json's Valid does.
func TestSkipMatchesValid(t *testing.T) {
	for _, c := range valueCases {
		checkSkip(t, c)
	}
}

func checkSkip(t *testing.T, in string) {
	t.Helper()
	d := NewDec(in)
	err := d.Skip()
	ok := err == nil && d.AtEnd()
	require.Equal(t, json.Valid([]byte(in)), ok, "%q: Skip says %v (stopped at %d)", in, err, d.i)
}

// FuzzSkip compares Skip with json.Valid on any input, and checks that
// SkipFast ends where Skip ends on valid input.
func FuzzSkip(f *testing.F) {
	for _, c := range valueCases {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkSkip(t, in)
		if json.Valid([]byte(in)) {
			d, e := NewDec(in), NewDec(in)
			require.NoError(t, d.Skip())
			require.NoError(t, e.SkipFast())
			require.Equal(t, d.i, e.i, "SkipFast and Skip end at the same byte")
		}
	})
}

// objectOf returns a JSON object of n string members.
func objectOf(n int) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"key-%d":"value-%d"`, i, i)
	}
	b.WriteByte('}')
	return b.String()
}

// TestStringMapMatchesEncodingJSON: objects of any size, duplicates, nulls
// and a ninth member decode as encoding/json decodes them into a map.
func TestStringMapMatchesEncodingJSON(t *testing.T) {
	cases := []string{`null`, `{"a":null}`, `{"a":"1","a":"2"}`, `{"a":"1","A":"2"}`,
		`{"a":"1","a":"1","a":"1","a":"1","a":"1","a":"1","a":"1","a":"1","b":"2"}`}
	for _, n := range []int{0, 1, 7, 8, 9, 10, 17, 100} {
		cases = append(cases, objectOf(n))
	}
	for _, c := range cases {
		t.Run(c, func(t *testing.T) {
			var want map[string]string
			require.NoError(t, json.Unmarshal([]byte(c), &want))
			d := NewDec(c)
			var got map[string]string
			require.NoError(t, d.StringMap(&got))
			require.Equal(t, want, got)
			require.Equal(t, want == nil, got == nil)
			require.Equal(t, len(c), d.i)
		})
	}
	// A map passed in is filled, not replaced, as encoding/json does.
	d := NewDec(objectOf(20))
	have := map[string]string{"kept": "yes"}
	keep := have
	require.NoError(t, d.StringMap(&have))
	require.Equal(t, 21, len(keep))
}

// TestStringMapSizedOnce: an object of more members than SmallMap costs a
// map of the right size, not a growing one's doublings: the allocations are
// those of a map made with its size, plus the first map's.
func TestStringMapSizedOnce(t *testing.T) {
	for _, n := range []int{9, 30, 200} {
		obj := objectOf(n)
		var want map[string]string
		require.NoError(t, json.Unmarshal([]byte(obj), &want))
		exact := testing.AllocsPerRun(20, func() {
			m := make(map[string]string, n)
			maps.Copy(m, want)
		})
		grown := testing.AllocsPerRun(20, func() {
			m := make(map[string]string)
			maps.Copy(m, want)
		})
		got := testing.AllocsPerRun(20, func() {
			d := NewDec(obj)
			var m map[string]string
			if err := d.StringMap(&m); err != nil {
				t.Fatal(err)
			}
		})
		t.Logf("%d members: %.0f allocations (exact %.0f, grown %.0f)", n, got, exact, grown)
		// The first group and the resize cost 3 allocations: fewer than
		// a growing map's from about 16 members on.
		require.LessOrEqual(t, got, exact+3, "%d members", n)
		if n >= 30 {
			require.Less(t, got, grown, "%d members", n)
		}
	}
}
