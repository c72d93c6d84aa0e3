package filter

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
)

// Match reports whether record, a decoded JSON object, is kept: true when any
// pattern matches it or when c has no pattern (or is nil). Numbers may be
// json.Number (decode with UseNumber to keep their JSON text) or any Go
// number; other Go values are matched as their JSON encoding.
func (c *Criteria) Match(record map[string]any) bool {
	if c.Len() == 0 {
		return true
	}
	m, _ := normalize(record).(map[string]any)
	for _, p := range c.patterns {
		if p.match(m) {
			return true
		}
	}
	return false
}

// match reports whether v, the value at the object's place in the record
// (nil when absent or not an object), matches every field and one "$or"
// alternative.
func (o *object) match(v map[string]any) bool {
	for _, f := range o.fields {
		child, ok := v[f.key]
		if !f.match(child, ok) {
			return false
		}
	}
	if len(o.or) == 0 {
		return true
	}
	for _, alt := range o.or {
		if alt.match(v) {
			return true
		}
	}
	return false
}

// match applies the field's nested object or matchers to the record's value
// under the field's key.
func (f *field) match(v any, present bool) bool {
	if d, ok := v.(*data); ok {
		return f.matchData(d)
	}
	if f.sub != nil {
		return matchNested(f.sub, v)
	}
	var values []any
	if present {
		values = leaves(v, nil)
	}
	for _, m := range f.matchers {
		if m.match(values) {
			return true
		}
	}
	return false
}

// matchNested applies a nested pattern object to a record value: an object
// directly, an array when any element matches, anything else as absent.
func matchNested(o *object, v any) bool {
	switch x := v.(type) {
	case map[string]any:
		return o.match(x)
	case []any:
		objects := false
		for _, e := range x {
			switch e.(type) {
			case map[string]any, []any:
				objects = true
				if matchNested(o, e) {
					return true
				}
			}
		}
		if objects {
			return false
		}
	}
	return o.match(nil)
}

// leaves appends the leaf values of v: v itself, or the leaf elements of an
// array; objects are not leaf values.
func leaves(v any, out []any) []any {
	switch x := v.(type) {
	case map[string]any:
		return out
	case []any:
		for _, e := range x {
			out = leaves(e, out)
		}
		return out
	}
	return append(out, v)
}

// normalize returns v with the types encoding/json decodes into (with
// UseNumber): map[string]any, []any, string, json.Number, bool and nil.
func normalize(v any) any {
	switch x := v.(type) {
	case nil, string, bool, json.Number:
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case float64:
		return floatNumber(x)
	case float32:
		return floatNumber(float64(x))
	case int:
		return json.Number(strconv.FormatInt(int64(x), 10))
	case int64:
		return json.Number(strconv.FormatInt(x, 10))
	case int32:
		return json.Number(strconv.FormatInt(int64(x), 10))
	case uint64:
		return json.Number(strconv.FormatUint(x, 10))
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return json.Number(strconv.FormatInt(rv.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return json.Number(strconv.FormatUint(rv.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		return floatNumber(rv.Float())
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	d, err := decodeJSON(b)
	if err != nil {
		return nil
	}
	return d
}

// floatNumber renders f the way encoding/json does; NaN and infinities,
// which JSON cannot hold, become null.
func floatNumber(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	b, _ := json.Marshal(f)
	return json.Number(b)
}
