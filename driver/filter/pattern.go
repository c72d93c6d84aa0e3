package filter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"
)

// Criteria is a compiled FilterCriteria: the patterns of its filters. A
// record is kept when any pattern matches it; a Criteria without patterns
// keeps every record. A Criteria is immutable and safe for concurrent use.
type Criteria struct {
	patterns []*object
	sources  []string
}

// object is a compiled pattern object: every field must match, and, when
// there is a "$or", one of its alternatives too.
type object struct {
	fields []*field
	or     []*object
}

// field is one key of a pattern object: either a nested object or a list of
// matchers for the leaf values found under the key.
type field struct {
	key      string
	sub      *object
	matchers []matcher
}

// New compiles the patterns of a FilterCriteria, each the JSON text of one
// filter's Pattern, with the default [Options]: at most [DefaultQuota]
// filters, no per-source rule. It returns a [*PatternError] (matching
// [ErrInvalidPattern]) for the first pattern Lambda would refuse, and an
// error matching [ErrTooManyFilters] for more than 5 patterns. Use
// [Compile] to give the event source (its rules) and the account's quota.
func New(patterns ...string) (*Criteria, error) {
	return Compile(Options{}, patterns...)
}

// Options say what [Compile] checks beyond the pattern syntax.
type Options struct {
	// Source is the event source of the mapping ("aws:sqs", "aws:kinesis",
	// "aws:dynamodb", "aws:kafka", "SelfManagedKafka"): its own rules are
	// checked too (see [Criteria.ValidateFor]). Empty checks none.
	Source string
	// Quota is the account's quota of filters per event source mapping:
	// 0 means [DefaultQuota] (5); at most [MaxFilters] (10, after a quota
	// increase).
	Quota int
}

// Compile compiles the patterns of a FilterCriteria and checks everything
// Lambda checks when the event source mapping is created: each pattern's
// syntax and length, the number of filters against opts.Quota, and the
// rules of opts.Source. It returns a [*PatternError] for the first pattern
// Lambda would refuse, or an error matching [ErrTooManyFilters].
func Compile(opts Options, patterns ...string) (*Criteria, error) {
	quota := opts.Quota
	if quota <= 0 {
		quota = DefaultQuota
	}
	if quota > MaxFilters {
		return nil, fmt.Errorf("%w: a quota of %d filters is over Lambda's largest, %d", ErrTooManyFilters, quota, MaxFilters)
	}
	if len(patterns) > quota {
		return nil, fmt.Errorf("%w: %d filters, the quota is %d (5 by default, 10 with a quota increase; set the quota, or merge patterns with \"$or\")", ErrTooManyFilters, len(patterns), quota)
	}
	c, err := compileAll(patterns)
	if err != nil {
		return nil, err
	}
	if err := c.ValidateFor(opts.Source); err != nil {
		return nil, err
	}
	return c, nil
}

// compileAll compiles the patterns without the checks of [Compile].
func compileAll(patterns []string) (*Criteria, error) {
	c := &Criteria{sources: append([]string(nil), patterns...)}
	for i, p := range patterns {
		o, err := compile(p)
		if err != nil {
			err.Index, err.Pattern = i, p
			return nil, err
		}
		c.patterns = append(c.patterns, o)
	}
	return c, nil
}

// MustNew is [New] for patterns known to be valid; it panics on an error.
func MustNew(patterns ...string) *Criteria {
	c, err := New(patterns...)
	if err != nil {
		panic(err)
	}
	return c
}

// Patterns returns the patterns c was compiled from.
func (c *Criteria) Patterns() []string {
	if c == nil {
		return nil
	}
	return append([]string(nil), c.sources...)
}

// Len returns the number of patterns; 0 keeps every record.
func (c *Criteria) Len() int {
	if c == nil {
		return 0
	}
	return len(c.patterns)
}

// compile parses one pattern.
func compile(p string) (*object, *PatternError) {
	if n := utf8.RuneCountInString(p); n > MaxPatternLength {
		return nil, &PatternError{Reason: fmt.Sprintf("it is %d characters long; Lambda accepts at most %d", n, MaxPatternLength)}
	}
	v, err := decodeJSON([]byte(p))
	if err != nil {
		return nil, &PatternError{Reason: "it is not valid JSON: " + err.Error()}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &PatternError{Reason: "it must be a JSON object, such as {\"body\": {\"status\": [\"ok\"]}}"}
	}
	return compileObject(m, "")
}

func compileObject(m map[string]any, path string) (*object, *PatternError) {
	o := &object{}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := join(path, k)
		if k == "$or" {
			alts, err := compileOr(m[k], p)
			if err != nil {
				return nil, err
			}
			o.or = alts
			continue
		}
		f := &field{key: k}
		switch v := m[k].(type) {
		case map[string]any:
			sub, err := compileObject(v, p)
			if err != nil {
				return nil, err
			}
			f.sub = sub
		case []any:
			if len(v) == 0 {
				// Lambda refuses an empty list when the mapping is created:
				// it would match nothing.
				return nil, &PatternError{Path: p, Reason: "an empty list matches nothing, and Lambda refuses it; give at least one value, such as [\"a\"]"}
			}
			for i, e := range v {
				mt, err := compileMatcher(e, fmt.Sprintf("%s[%d]", p, i))
				if err != nil {
					return nil, err
				}
				f.matchers = append(f.matchers, mt)
			}
		default:
			return nil, &PatternError{Path: p, Reason: fmt.Sprintf("the value %s must be a list of values to match, such as [%s], or a nested object", text(v), text(v))}
		}
		o.fields = append(o.fields, f)
	}
	return o, nil
}

func compileOr(v any, path string) ([]*object, *PatternError) {
	list, ok := v.([]any)
	if !ok || len(list) < 2 {
		return nil, &PatternError{Path: path, Reason: "\"$or\" must be a list of at least two pattern objects, such as [{\"a\": [1]}, {\"b\": [2]}]"}
	}
	alts := make([]*object, 0, len(list))
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, &PatternError{Path: fmt.Sprintf("%s[%d]", path, i), Reason: fmt.Sprintf("an alternative of \"$or\" must be a pattern object, not %s", text(e))}
		}
		o, err := compileObject(m, fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, err
		}
		alts = append(alts, o)
	}
	return alts, nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// decodeJSON decodes one JSON value, keeping numbers as json.Number, and
// fails when anything but white space follows it.
func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("unexpected data after the JSON value")
	}
	return v, nil
}

// decodeObject returns b decoded when it is a JSON object.
func decodeObject(b []byte) (map[string]any, bool) {
	if len(bytes.TrimSpace(b)) == 0 || bytes.TrimSpace(b)[0] != '{' {
		return nil, false
	}
	v, err := decodeJSON(b)
	if err != nil {
		return nil, false
	}
	m, ok := v.(map[string]any)
	return m, ok
}

// text renders a decoded pattern value for an error message.
func text(v any) string {
	var b strings.Builder
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSpace(b.String())
}
